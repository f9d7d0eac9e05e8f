import { describe, expect, it } from 'vitest';
import netplanDuplicates from '../../checks/netplan-duplicates.js';
import nmConflict from '../../checks/nm-conflict.js';
import { fakeHost, ipLinks, runCheck, type FakeSpec } from '../helpers/fake-host.js';

const NMDIR = '/etc/NetworkManager/system-connections';
const SLAVE = '[connection]\nid=bridge-slave-enx00e04c680001\nuuid=1111\ntype=ethernet\ninterface-name=enx00e04c680001\ncontroller=brnm0\nport-type=bridge\n';
const NMCLI = 'nmcli -t -f NAME,UUID,TYPE,DEVICE,AUTOCONNECT,ACTIVE connection show';

function nm(keyfiles: Record<string, string>, nmcli: { stdout?: string; exitCode?: number; stderr?: string } | null): FakeSpec {
  return {
    invoker: { uid: 0, euid: 0, user: 'root' },
    dirs: { [NMDIR]: Object.keys(keyfiles) },
    files: Object.fromEntries(Object.entries(keyfiles).map(([n, b]) => [`${NMDIR}/${n}`, b])),
    stats: nmcli ? { '/usr/bin/nmcli': { mode: 0o755 } } : {},
    exec: nmcli ? { [NMCLI]: nmcli } : {},
  };
}

describe('nm-conflict', () => {
  it('seed 004: "Wired connection 4" competes with the bridge port profile', async () => {
    const out = 'brnm0:2222:bridge:brnm0:yes:yes\nbridge-slave-enx00e04c680001:1111:802-3-ethernet::yes:no\nWired connection 4:4444:802-3-ethernet:enx00e04c680001:yes:yes\n';
    const r = await runCheck(nmConflict, fakeHost(nm({ 'slave.nmconnection': SLAVE }, { stdout: out })));
    expect(r.status).toBe('fail');
    expect(r.summary).toContain('enx00e04c680001 has 2 profiles that connect automatically');
    expect(r.fixes[0]!.preview.join('\n')).toContain('nmcli connection delete 4444');
  });
  it('the loser saved as a keyfile is removed as a file (kept by the journal) and NetworkManager reloaded: a plan undo can revert', async () => {
    const out = 'brnm0:2222:bridge:brnm0:yes:yes\nbridge-slave-enx00e04c680001:1111:802-3-ethernet::yes:no\nWired connection 4:4444:802-3-ethernet:enx00e04c680001:yes:yes\n';
    const spec = nm({ 'slave.nmconnection': SLAVE, 'Wired connection 4.nmconnection': '[connection]\nid=Wired connection 4\nuuid=4444\ntype=ethernet\n' }, { stdout: out });
    const r = await runCheck(nmConflict, fakeHost(spec));
    expect(r.status).toBe('fail');
    const preview = r.fixes[0]!.preview.join('\n');
    expect(preview).toContain(`rm '${NMDIR}/Wired connection 4.nmconnection'    # kept in the journal: undo puts it back`);
    expect(preview).toContain('nmcli connection reload');
    expect(preview).not.toContain('cannot be undone');
    expect(preview).not.toContain('nmcli connection delete');
  });
  it('a loser NetworkManager keeps only in memory can only be deleted: the plan says it cannot be undone', async () => {
    const out = 'brnm0:2222:bridge:brnm0:yes:yes\nbridge-slave-enx00e04c680001:1111:802-3-ethernet::yes:no\nWired connection 4:4444:802-3-ethernet:enx00e04c680001:yes:yes\n';
    const r = await runCheck(nmConflict, fakeHost(nm({ 'slave.nmconnection': SLAVE }, { stdout: out })));
    expect(r.fixes[0]!.preview).toContain('# cannot be undone by qnet undo: nmcli connection delete 4444 has no inverse');
  });
  it('NetworkManager not answering while profiles exist gives the recovery steps', async () => {
    const r = await runCheck(nmConflict, fakeHost(nm({ 'slave.nmconnection': SLAVE }, { exitCode: 8, stderr: 'Error: NetworkManager is not running.' })));
    expect(r.status).toBe('fail');
    expect(r.details!.join('\n')).toContain('systemctl restart NetworkManager');
  });
  it('passes with one profile per device', async () => {
    const r = await runCheck(nmConflict, fakeHost(nm({ 'slave.nmconnection': SLAVE }, { stdout: 'bridge-slave-enx00e04c680001:1111:802-3-ethernet:enx00e04c680001:yes:yes\n' })));
    expect(r.status).toBe('pass');
  });
  // Two ethernet profiles bound to one NIC, in whichever directories a case puts them.
  const wired = (uuid: string, dev = 'enp1s0') => `[connection]\nid=w-${uuid}\nuuid=${uuid}\ntype=ethernet\ninterface-name=${dev}\n`;
  const dirs = (files: Record<string, string>, stats: FakeSpec['stats'] = {}): FakeSpec => {
    const byDir: Record<string, string[]> = {};
    for (const f of Object.keys(files)) (byDir[f.slice(0, f.lastIndexOf('/'))] ??= []).push(f.slice(f.lastIndexOf('/') + 1));
    return { invoker: { uid: 0, euid: 0, user: 'root' }, dirs: byDir, files, stats };
  };
  const RUN = '/run/NetworkManager/system-connections';
  const LIB = '/usr/lib/NetworkManager/system-connections';
  it.each([
    ['a profile in /usr/lib competes with one in /etc', { [`${NMDIR}/a.nmconnection`]: wired('a1'), [`${LIB}/b.nmconnection`]: wired('b2') }, 'fail'],
    ['an extension-less file counts in /etc (older NetworkManager wrote those)', { [`${NMDIR}/a.nmconnection`]: wired('a1'), [`${NMDIR}/Wired connection 4`]: wired('b2') }, 'fail'],
    ["the /run copy of a UUID shadows /etc's (nmcli connection modify ... to a volatile profile)", { [`${NMDIR}/a.nmconnection`]: wired('a1'), [`${RUN}/a.nmconnection`]: wired('a1', 'enp9s0'), [`${NMDIR}/b.nmconnection`]: wired('b2', 'enp9s0') }, 'fail'],
    ['the same UUID in /etc and /usr/lib is one profile', { [`${NMDIR}/a.nmconnection`]: wired('a1'), [`${LIB}/a.nmconnection`]: wired('a1') }, 'pass'],
    ['an editor backup (~) is not a profile', { [`${NMDIR}/a.nmconnection`]: wired('a1'), [`${NMDIR}/a.nmconnection~`]: wired('b2') }, 'pass'],
  ] as const)('%s', async (_t, files, want) => {
    const r = await runCheck(nmConflict, fakeHost(dirs(files)));
    expect(r.status, r.summary).toBe(want);
    if (want === 'fail') expect(r.summary).toMatch(/^enp[19]s0 has 2 profiles that connect automatically/);
  });
  it('a keyfile that is not root-only is not loaded by NetworkManager: warns, and it does not count', async () => {
    const files = { [`${NMDIR}/a.nmconnection`]: wired('a1'), [`${NMDIR}/mine.nmconnection`]: wired('b2') };
    const r = await runCheck(nmConflict, fakeHost(dirs(files, { [`${NMDIR}/a.nmconnection`]: { mode: 0o600 }, [`${NMDIR}/mine.nmconnection`]: { mode: 0o644 } })));
    expect(r.status).toBe('warn');
    expect(r.summary).toBe(`NetworkManager does not load ${NMDIR}/mine.nmconnection: NetworkManager ignores it: mode 0644, not root-only (chown root:root, chmod 0600, then nmcli connection reload)`);
  });
  it('outside /etc, a file without .nmconnection is not loaded', async () => {
    const r = await runCheck(nmConflict, fakeHost(dirs({ [`${NMDIR}/a.nmconnection`]: wired('a1'), [`${LIB}/b`]: wired('b2') })));
    expect(r.status).toBe('warn');
    expect(r.summary).toMatch(/does not load \/usr\/lib\/NetworkManager\/system-connections\/b: outside \/etc only \*\.nmconnection files are read/);
  });
  it('skips without NetworkManager', async () => {
    expect((await runCheck(nmConflict, fakeHost({}))).status).toBe('skip');
  });
});

describe('netplan-duplicates', () => {
  const plan = (files: Record<string, string>): FakeSpec => ({
    dirs: { '/etc/netplan': Object.keys(files) },
    files: Object.fromEntries(Object.entries(files).map(([n, b]) => [`/etc/netplan/${n}`, b])),
    exec: ipLinks([{ name: 'lo' }, { name: 'enp3s0' }]),
  });
  const eth = 'network:\n  version: 2\n  ethernets:\n    enp3s0:\n      dhcp4: true\n';
  it('fails when two files define one interface (NetworkManager leftovers, seed 004)', async () => {
    const r = await runCheck(netplanDuplicates, fakeHost(plan({ '01-netcfg.yaml': eth, '90-NM-3f2a.yaml': eth.replace('dhcp4: true', 'dhcp4: false') })));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/enp3s0 is defined in 2 netplan files/);
    expect(r.details!.join('\n')).toContain("NetworkManager's");
  });
  it('passes with one definition', async () => {
    expect((await runCheck(netplanDuplicates, fakeHost(plan({ '01-netcfg.yaml': eth })))).status).toBe('pass');
  });
  it('skips without netplan', async () => {
    expect((await runCheck(netplanDuplicates, fakeHost({}))).status).toBe('skip');
  });
});
