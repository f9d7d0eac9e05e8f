// helper-setuid's table of cases is in checks/helper-setuid.ts.
import { describe, expect, it } from 'vitest';
import helperSetuid, { setuidHost as host } from '../../checks/helper-setuid.js';
import { decodeVfsCap, describeVfsCap, grantsNetAdmin, hasCap, parseCapText, parseGetcap, parseGetfattr, CAP_NET_ADMIN, type VfsCap } from '../../src/parse/vfs-cap.js';
import { fakeHost, runCheck } from '../helpers/fake-host.js';

// Real `getfattr --absolute-names -n security.capability -e hex` values, made on Debian 12
// with setcap on copies of /usr/lib/qemu/qemu-bridge-helper.
const CAP = {
  /** setcap cap_net_admin+ep */
  ep: '0x0100000200100000000000000000000000000000',
  /** setcap cap_net_admin+p */
  p: '0x0000000200100000000000000000000000000000',
  /** setcap cap_net_admin,cap_sys_admin+eip */
  eipSysAdmin: '0x0100000200102000001020000000000000000000',
  /** setcap cap_net_admin,cap_bpf+ep */
  epBpf: '0x0100000200100000000000008000000000000000',
  /** setcap cap_net_admin+ep run inside a user namespace whose root is host uid 100000 */
  v3: '0x0100000300100000000000000000000000000000a0860100',
};
const fattr = (path: string, hex: string) => `# file: ${path}\nsecurity.capability=${hex}\n\n`;

describe('vfs_cap_data decoder', () => {
  const dec = (hex: string) => decodeVfsCap(Buffer.from(hex.slice(2), 'hex')) as VfsCap;
  it('cap_net_admin+ep (revision 2)', () => {
    const c = dec(CAP.ep);
    expect(c).toMatchObject({ revision: 2, effective: true, inheritable: 0n });
    expect(hasCap(c.permitted, CAP_NET_ADMIN)).toBe(true);
    expect(describeVfsCap(c)).toBe('cap_net_admin=ep');
    expect(grantsNetAdmin(c).ok).toBe(true);
  });
  it('cap_net_admin+p has no effective flag and does not grant', () => {
    const c = dec(CAP.p);
    expect(c.effective).toBe(false);
    expect(describeVfsCap(c)).toBe('cap_net_admin=p');
    expect(grantsNetAdmin(c)).toMatchObject({ ok: false, why: expect.stringMatching(/effective/) });
  });
  it('two capabilities, permitted and inheritable', () => {
    const c = dec(CAP.eipSysAdmin);
    expect(c.permitted).toBe((1n << 12n) | (1n << 21n));
    expect(c.inheritable).toBe(c.permitted);
    expect(describeVfsCap(c)).toBe('cap_net_admin,cap_sys_admin=eip');
  });
  it('the second 32-bit word (cap_bpf = 39)', () => {
    const c = dec(CAP.epBpf);
    expect(hasCap(c.permitted, 39)).toBe(true);
    expect(describeVfsCap(c)).toBe('cap_net_admin,cap_bpf=ep');
  });
  it('revision 3 carries the rootid and does not count on the host', () => {
    const c = dec(CAP.v3);
    expect(c).toMatchObject({ revision: 3, effective: true, rootid: 100000 });
    expect(describeVfsCap(c)).toBe('cap_net_admin=ep [rootid=100000]');
    expect(grantsNetAdmin(c)).toMatchObject({ ok: false, why: expect.stringMatching(/user namespace/) });
  });
  it('revision 1 (32 bits) decodes', () => {
    const c = decodeVfsCap(Buffer.from('010000010010000000000000', 'hex')) as VfsCap;
    expect(c).toMatchObject({ revision: 1, effective: true });
    expect(hasCap(c.permitted, 12)).toBe(true);
  });
  it('rejects bad sizes and revisions with a reason instead of throwing', () => {
    expect(decodeVfsCap(Buffer.from('0100', 'hex'))).toMatch(/too short/);
    expect(decodeVfsCap(Buffer.from('0100000200100000', 'hex'))).toMatch(/must be 20 bytes/);
    expect(decodeVfsCap(Buffer.from('0100000900100000000000000000000000000000', 'hex'))).toMatch(/unknown .* revision/);
  });
  it('reads the value out of getfattr output', () => {
    expect(parseGetfattr(fattr('/x', CAP.ep))!.toString('hex')).toBe(CAP.ep.slice(2));
    expect(parseGetfattr('# file: /x\nsecurity.capability=0sAQAAAgAQAAAAAAAAAAAAAAAAAAA=\n')!.toString('hex')).toBe(CAP.ep.slice(2));
    expect(parseGetfattr('nothing here')).toBeUndefined();
  });
});

// The same files read both ways on Debian 12 (libcap2-bin 2.66, attr 2.5): `setcap SPEC f`, then
// `getcap -n f` and `getfattr --absolute-names -n security.capability -e hex f`.
const BOTH: { spec: string; getcap: string; hex: string; grants: boolean }[] = [
  { spec: 'cap_net_admin+ep', getcap: 'cap_net_admin=ep', hex: '0x0100000200100000000000000000000000000000', grants: true },
  { spec: 'cap_net_admin+p', getcap: 'cap_net_admin=p', hex: '0x0000000200100000000000000000000000000000', grants: false },
  { spec: 'cap_net_admin,cap_sys_admin+eip', getcap: 'cap_net_admin,cap_sys_admin=eip', hex: '0x0100000200102000001020000000000000000000', grants: true },
  { spec: 'cap_net_admin,cap_bpf+ep', getcap: 'cap_net_admin,cap_bpf=ep', hex: '0x0100000200100000000000008000000000000000', grants: true },
  { spec: '=ep', getcap: '=ep', hex: '0x01000002ffffffff00000000ff01000000000000', grants: true },
  { spec: 'cap_net_raw=i cap_net_admin+p', getcap: 'cap_net_raw=i cap_net_admin+p', hex: '0x0000000200100000002000000000000000000000', grants: false },
  { spec: 'all=ep cap_net_admin-ep', getcap: '=ep cap_net_admin-ep', hex: '0x01000002ffefffff00000000ff01000000000000', grants: false },
  { spec: 'cap_net_admin,cap_checkpoint_restore+ep', getcap: 'cap_net_admin,cap_checkpoint_restore=ep', hex: '0x0100000200100000000000000001000000000000', grants: true },
  { spec: '-n 100000 cap_net_admin+ep', getcap: 'cap_net_admin=ep [rootid=100000]', hex: '0x0100000300100000000000000000000000000000a0860100', grants: false },
];

describe('getcap text, decoded to what getfattr gives', () => {
  for (const c of BOTH) {
    it(`setcap ${c.spec}: getcap "${c.getcap}" = getfattr ${c.hex.slice(0, 12)}…`, () => {
      const fromGetcap = parseGetcap(`/usr/lib/qemu/qemu-bridge-helper ${c.getcap}\n`, '/usr/lib/qemu/qemu-bridge-helper');
      const fromXattr = decodeVfsCap(Buffer.from(c.hex.slice(2), 'hex'));
      expect(fromGetcap).toEqual(fromXattr);
      expect(grantsNetAdmin(fromGetcap as VfsCap).ok).toBe(c.grants);
    });
  }
  it('no line for the file: no capabilities; a line for another file or nonsense: a reason', () => {
    expect(parseGetcap('', '/x')).toBe('none');
    expect(parseGetcap('/y cap_net_admin=ep\n', '/x')).toMatch(/no line for \/x/);
    expect(parseGetcap('/x cap_frobnicate=ep\n', '/x')).toMatch(/unknown capability "cap_frobnicate"/);
    expect(parseCapText('cap_net_admin')).toMatch(/cannot read/);
    expect(parseCapText('+ep')).toMatch(/cannot read/);
  });
  it('a path with spaces', () => {
    expect(parseGetcap('/opt/my helper cap_net_admin=ep\n', '/opt/my helper')).toMatchObject({ effective: true, permitted: 1n << 12n });
  });
});

const DEB = '/usr/lib/qemu/qemu-bridge-helper';
const SUID_COPY = '/usr/lib/qemu/qemu-bridge-helper-suid';
const FED = '/usr/libexec/qemu-bridge-helper';
const getfattr = (p: string) => `getfattr --absolute-names -n security.capability -e hex ${p}`;
const noAttr = (p: string) => ({ [getfattr(p)]: { exitCode: 1, stderr: `${p}: security.capability: No such attribute\n` } });

describe('helper-setuid', () => {
  it('does not run getfattr when setuid already grants rights', async () => {
    // strict: any read not in the snapshot (such as getfattr) would be "not captured".
    const spec = host({ [DEB]: { mode: 0o4755 } }, { dirs: { '/usr/libexec': [], '/usr/local/libexec': null, '/run/wrappers/bin': null } });
    const r = await runCheck(helperSetuid, fakeHost(spec), { strict: true });
    expect(r.status).toBe('pass');
    expect(r.evidence.map((e) => e.source).join('\n')).not.toContain('getfattr');
  });
  it('shows the real failure and the privilege drop in details', async () => {
    const r = await runCheck(helperSetuid, fakeHost(host({ [DEB]: { mode: 0o755 } }, { exec: noAttr(DEB) })));
    const d = r.details!.join('\n');
    expect(d).toContain('failed to create tun device: Operation not permitted');
    expect(d).toContain('keeps only CAP_NET_ADMIN');
    expect(r.evidence).toContainEqual({ source: `getfattr -n security.capability ${DEB}`, observed: 'no file capabilities' });
  });
  it('on Debian, setuid is recorded with dpkg-statoverride; setcap is offered too', async () => {
    const spec = host({ [DEB]: { mode: 0o755 } }, { exec: noAttr(DEB), stats: { '/usr/bin/dpkg-statoverride': { mode: 0o755 } } });
    const r = await runCheck(helperSetuid, fakeHost(spec));
    expect(r.fixes.map((f) => f.id)).toEqual(['helper-setuid/setuid', 'helper-setuid/setcap']);
    const setuid = r.fixes[0]!.preview.join('\n');
    expect(setuid).toContain(`dpkg-statoverride --add root root 4755 ${DEB}`);
    expect(setuid).toContain(`chmod 4755 ${DEB}`);
    expect(r.fixes[1]!.preview.join('\n')).toContain(`setcap cap_net_admin+ep ${DEB}`);
  });
  it('without dpkg, a plain chmod with a warning about upgrades', async () => {
    const r = await runCheck(helperSetuid, fakeHost(host({ [FED]: { mode: 0o755 } }, { exec: noAttr(FED) })));
    const text = r.fixes[0]!.preview.join('\n');
    expect(text).not.toContain('dpkg-statoverride');
    expect(text).toMatch(/upgrade/);
    expect(text).toContain(`chmod 4755 ${FED}`);
  });
  it('a helper owned by a user is chowned to root before the mode is set', async () => {
    const r = await runCheck(helperSetuid, fakeHost(host({ [DEB]: { mode: 0o4755, uid: 1000 } }, { exec: noAttr(DEB) })));
    const lines = r.fixes[0]!.preview;
    const chown = lines.findIndex((l) => l.startsWith('chown 0:0'));
    const chmod = lines.findIndex((l) => l.startsWith('chmod 4755'));
    expect(chown).toBeGreaterThanOrEqual(0);
    expect(chown).toBeLessThan(chmod);
  });
  it('4750 root:kvm: joining the group comes first', async () => {
    const r = await runCheck(helperSetuid, fakeHost(host({ [DEB]: { mode: 0o4750, gid: 104 } }, { exec: noAttr(DEB) })));
    expect(r.fixes[0]!.id).toBe('helper-setuid/join-group');
    expect(r.fixes[0]!.preview.join('\n')).toContain('usermod -aG kvm alice');
  });
  it('the seed 004 warn offers to privilege the default helper', async () => {
    const r = await runCheck(helperSetuid, fakeHost(host({ [DEB]: { mode: 0o755 }, [SUID_COPY]: { mode: 0o4755 } }, { exec: noAttr(DEB) })));
    expect(r.fixes.map((f) => f.id)).toContain('helper-setuid/setuid');
    expect(r.fixes[0]!.preview.join('\n')).toContain(DEB);
  });
  it('not installed: proposes the distro package', async () => {
    const r = await runCheck(helperSetuid, fakeHost(host({})));
    expect(r.fixes[0]!.preview.join('\n')).toContain('apt-get install -y qemu-system-common');
  });
});
