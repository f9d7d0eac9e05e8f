import { describe, expect, it } from 'vitest';
import tunModule from '../../checks/tun-module.js';
import tunPerms from '../../checks/tun-perms.js';
import { fakeHost, ipJson, IP_ADDR_CMD, runCheck, type FakeSpec } from '../helpers/fake-host.js';

const MISC = '200 tun\n 61 kvm\n';
const node = (mode: number, gid = 0, rdev: [number, number] = [10, 200]) => ({ type: 'chr' as const, mode, uid: 0, gid, rdev });

describe('tun-module', () => {
  const cases: { name: string; spec: FakeSpec; status: string; summary: RegExp }[] = [
    { name: 'registered driver and a good node', spec: { files: { '/proc/misc': MISC }, stats: { '/dev/net/tun': node(0o666) } }, status: 'pass', summary: /present; \/dev\/net\/tun is 10:200/ },
    { name: 'built in per /proc/config.gz', spec: { files: { '/proc/misc': ' 61 kvm\n', '/boot/config-6.1.0': 'CONFIG_TUN=y\n', '/proc/sys/kernel/osrelease': '6.1.0\n' }, stats: { '/dev/net/tun': node(0o666) } }, status: 'pass', summary: /built in/ },
    { name: 'loaded module', spec: { files: { '/proc/misc': MISC }, stats: { '/sys/module/tun': { type: 'dir', mode: 0o755 }, '/dev/net/tun': node(0o666) } }, status: 'pass', summary: /loaded/ },
    { name: 'module available, not loaded, node present', spec: { files: { '/proc/misc': ' 61 kvm\n', '/proc/sys/kernel/osrelease': '6.1.0\n', '/boot/config-6.1.0': 'CONFIG_TUN=m\n', '/lib/modules/6.1.0/modules.dep': 'kernel/drivers/net/tun.ko.xz:\n' }, stats: { '/dev/net/tun': node(0o666) } }, status: 'warn', summary: /not loaded yet/ },
    { name: 'driver present, node missing', spec: { files: { '/proc/misc': MISC }, stats: { '/dev/net/tun': null } }, status: 'fail', summary: /does not exist/ },
    { name: 'node with the wrong minor', spec: { files: { '/proc/misc': MISC }, stats: { '/dev/net/tun': node(0o666, 0, [10, 201]) } }, status: 'fail', summary: /10:201; it must be/ },
    { name: 'node is a regular file', spec: { files: { '/proc/misc': MISC }, stats: { '/dev/net/tun': { type: 'file', mode: 0o644 } } }, status: 'fail', summary: /not a character device/ },
    { name: 'no driver anywhere', spec: { files: { '/proc/misc': ' 61 kvm\n', '/proc/sys/kernel/osrelease': '6.1.0\n', '/boot/config-6.1.0': '# CONFIG_TUN is not set\n', '/lib/modules/6.1.0/modules.dep': 'kernel/foo.ko:\n' }, stats: { '/dev/net/tun': null } }, status: 'fail', summary: /no tun driver/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runCheck(tunModule, fakeHost(c.spec));
      expect(r.status).toBe(c.status);
      expect(r.summary).toMatch(c.summary);
    });
  }
  it('offers to create the node when the driver is there and the node is not', async () => {
    const r = await runCheck(tunModule, fakeHost({ files: { '/proc/misc': MISC }, stats: { '/dev/net/tun': null } }));
    expect(r.fixes.map((f) => f.id)).toEqual(['tun-module/mknod']);
    expect(r.fixes[0]!.preview.join('\n')).toContain('mknod -m 0666 /dev/net/tun c 10 200');
  });
});

describe('tun-perms', () => {
  const base = (mode: number, gid = 0, extra: FakeSpec = {}): FakeSpec => ({
    ...extra,
    files: { '/proc/misc': MISC, ...extra.files },
    stats: { '/dev/net/tun': node(mode, gid), ...extra.stats },
  });
  const cases: { name: string; spec: FakeSpec; user?: string; status: string; summary: RegExp }[] = [
    { name: 'mode 0666', spec: base(0o666), status: 'pass', summary: /alice can open .* as any user/ },
    { name: '0660 group netdev, alice is a member', spec: base(0o660, 108, { files: { '/etc/group': 'root:x:0:\nnetdev:x:108:alice\nalice:x:1000:\n' } }), status: 'pass', summary: /through group netdev/ },
    { name: '0600 root:root (seed 001 before the fix)', spec: base(0o600), status: 'fail', summary: /crw------- root:root; alice cannot open it read-write/ },
    { name: '0660 group netdev, alice not a member', spec: base(0o660, 108), status: 'fail', summary: /alice cannot open/ },
    { name: 'root judged for itself', spec: base(0o600, 0, { invoker: { uid: 0, euid: 0, user: 'root' } }), status: 'pass', summary: /uid 0/ },
    { name: '--user bob on a 0600 node', spec: base(0o600), user: 'bob', status: 'fail', summary: /bob cannot open/ },
    { name: 'root under sudo judges SUDO_USER', spec: base(0o600, 0, { invoker: { uid: 0, euid: 0, user: 'root', sudoUser: 'bob' } }), status: 'fail', summary: /bob cannot open/ },
    { name: 'ACL grants alice rw', spec: base(0o660, 0, { exec: { 'getfacl -n -p /dev/net/tun': { stdout: '# file: /dev/net/tun\nuser::rw-\nuser:1000:rw-\ngroup::rw-\nmask::rw-\nother::---\n' } } }), status: 'pass', summary: /through an ACL entry/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runCheck(tunPerms, fakeHost(c.spec), { user: c.user });
      expect(r.status).toBe(c.status);
      expect(r.summary).toMatch(c.summary);
    });
  }
  it('names the pre-created tap route when alice owns a tap', async () => {
    const spec = base(0o600, 0, { exec: { [IP_ADDR_CMD]: { stdout: ipJson([{ name: 'lo' }, { name: 'tap0', kind: 'tun', info: { type: 'tap', user: 1000 } }]) } } });
    const r = await runCheck(tunPerms, fakeHost(spec));
    expect(r.details!.join('\n')).toContain('pre-created taps owned by alice: tap0');
  });
  it('recognises a tap whose owner iproute2 printed as a name', async () => {
    const spec = base(0o600, 0, { exec: { [IP_ADDR_CMD]: { stdout: ipJson([{ name: 'tap3', kind: 'tun', info: { type: 'tap', user: 'alice', persist: true } }]) } } });
    const r = await runCheck(tunPerms, fakeHost(spec));
    expect(r.details!.join('\n')).toContain('pre-created taps owned by alice: tap3');
  });
  it('proposes the group fix with the group the distro has, narrowest first', async () => {
    const r = await runCheck(tunPerms, fakeHost(base(0o600)));
    expect(r.fixes.map((f) => f.id)).toEqual(['tun-perms/group-udev', 'tun-perms/mode-0666']);
    const text = r.fixes[0]!.preview.join('\n');
    expect(text).toContain('usermod -aG netdev alice');
    expect(text).not.toContain('groupadd');
  });
  it('says the node cannot be judged when it is absent', async () => {
    const r = await runCheck(tunPerms, fakeHost({ stats: { '/dev/net/tun': null } }));
    expect(r.status).toBe('skip');
  });
  it('a replayed snapshot lacking the read says not captured', async () => {
    const r = await runCheck(tunPerms, fakeHost({}), { strict: true });
    expect(r.status).toBe('skip');
    expect(r.summary).toContain('not captured');
  });
});
