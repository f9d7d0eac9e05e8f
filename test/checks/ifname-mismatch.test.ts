import { describe, expect, it } from 'vitest';
import ifnameMismatch from '../../checks/ifname-mismatch.js';
import { fixUdevLine, parseInterfaces, parseUdevRules } from '../../src/parse/netconfig.js';
import { fakeHost, ipLinks, runCheck, type FakeSpec } from '../helpers/fake-host.js';

// Seed 000: a Debian guest whose interfaces file names eth0; the NIC is enp0s3.
const SEED000_IFACES = '# The loopback network interface\nauto lo\niface lo inet loopback\n\n# The primary network interface\nauto eth0\niface eth0 inet dhcp\n';
const SEED000_UDEV = 'SUBSYSTEM=="net", ACTION=="add", ATTR{address}="52:54:00:12:34:56", NAME="eth0"\n';
const NIC = { name: 'enp0s3', mac: '52:54:00:12:34:56' };

function host(files: Record<string, string>, links = [{ name: 'lo' }, NIC] as Parameters<typeof ipLinks>[0], dirs: FakeSpec['dirs'] = {}): FakeSpec {
  return { files, dirs, exec: ipLinks(links), invoker: { uid: 0, euid: 0, user: 'root' } };
}

describe('ifname-mismatch', () => {
  it('seed 000: names the missing eth0 and the NIC that is there', async () => {
    const r = await runCheck(ifnameMismatch, fakeHost(host({ '/etc/network/interfaces': SEED000_IFACES })));
    expect(r.status).toBe('fail');
    expect(r.summary).toBe('/etc/network/interfaces:6 configures eth0, which does not exist; the NIC here is enp0s3 (52:54:00:12:34:56)');
    expect(r.fixes.map((f) => f.id)).toEqual(['ifname-mismatch/rename-in-config', 'ifname-mismatch/udev-rename']);
    const diff = r.fixes[0]!.preview.join('\n');
    expect(diff).toContain('-iface eth0 inet dhcp');
    expect(diff).toContain('+iface enp0s3 inet dhcp');
    expect(diff).toContain('+auto enp0s3');
    expect(r.fixes[1]!.preview.join('\n')).toContain('ATTR{address}=="52:54:00:12:34:56", NAME="eth0"');
  });
  it("seed 000's udev rule: '=' on ATTR{address} is an assignment that matches every NIC", async () => {
    const spec = host({ '/etc/network/interfaces': SEED000_IFACES, '/etc/udev/rules.d/10-rename-network.rules': SEED000_UDEV }, undefined, { '/etc/udev/rules.d': ['10-rename-network.rules'] });
    const r = await runCheck(ifnameMismatch, fakeHost(spec));
    expect(r.status).toBe('fail');
    const all = [r.summary, ...(r.details ?? [])].join('\n');
    expect(all).toMatch(/10-rename-network\.rules:1: ATTR\{address\}="52:54:00:12:34:56" uses '=', an assignment, not a match/);
    expect(r.fixes.find((f) => f.id === 'ifname-mismatch/udev-match')!.preview.join('\n')).toContain('+SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="52:54:00:12:34:56", NAME="eth0"');
  });
  it('passes when the config names the NIC that exists', async () => {
    const r = await runCheck(ifnameMismatch, fakeHost(host({ '/etc/network/interfaces': SEED000_IFACES.replace(/eth0/g, 'enp0s3') })));
    expect(r.status).toBe('pass');
  });
  it('a bridge the config defines but that is not up is a warning; its missing port is a failure (seed 004)', async () => {
    const ifaces = 'source /etc/network/interfaces.d/*\n';
    const br = 'auto brif0\niface brif0 inet manual\n  bridge_ports enx00e04c680001\n  bridge_stp off\n  bridge_maxwait 10\n';
    const spec = host({ '/etc/network/interfaces': ifaces, '/etc/network/interfaces.d/brif0': br }, [{ name: 'lo' }, { name: 'enp3s0' }], { '/etc/network/interfaces.d': ['brif0'] });
    const r = await runCheck(ifnameMismatch, fakeHost(spec));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/brif0:3 configures enx00e04c680001, which does not exist/);
    expect(r.details!.join('\n')).toMatch(/defines brif0, which does not exist yet/);
  });
  it('files in interfaces.d that nothing sources', async () => {
    const spec = host({ '/etc/network/interfaces': 'auto lo\niface lo inet loopback\n', '/etc/network/interfaces.d/brif0': 'iface brif0 inet manual\n' }, undefined, { '/etc/network/interfaces.d': ['brif0'] });
    const r = await runCheck(ifnameMismatch, fakeHost(spec));
    expect(r.status).toBe('warn');
    expect(r.summary).toMatch(/does not source it/);
  });
  it('netplan: an ethernet by name that does not exist, matched by MAC', async () => {
    const yaml = 'network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: true\n';
    const spec = host({ '/etc/netplan/50-cloud-init.yaml': yaml }, undefined, { '/etc/netplan': ['50-cloud-init.yaml'] });
    const r = await runCheck(ifnameMismatch, fakeHost(spec));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/50-cloud-init\.yaml:4 configures eth0, which does not exist; the NIC here is enp0s3/);
  });
  it('netplan: broken YAML is reported, not thrown', async () => {
    const spec = host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    eth0: [\n' }, undefined, { '/etc/netplan': ['01.yaml'] });
    const r = await runCheck(ifnameMismatch, fakeHost(spec));
    expect(r.status).toBe('warn');
    expect(r.summary).toMatch(/01\.yaml:\d+: not valid YAML/);
  });
  it('NetworkManager keyfile naming an absent NIC; unreadable keyfiles are noted', async () => {
    const kf = '[connection]\nid=Wired connection 4\ntype=ethernet\ninterface-name=enx00e04c680001\n';
    const spec = host({ '/etc/NetworkManager/system-connections/w4.nmconnection': kf, '/etc/NetworkManager/system-connections/secret.nmconnection': { error: 'EACCES' } as never }, undefined, { '/etc/NetworkManager/system-connections': ['secret.nmconnection', 'w4.nmconnection'] });
    const r = await runCheck(ifnameMismatch, fakeHost(spec));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/w4\.nmconnection:4 configures enx00e04c680001/);
    expect(r.details!.join('\n')).toMatch(/readable only by root/);
  });
  it('hostile names in config are reported, never executed or crashing', async () => {
    const r = await runCheck(ifnameMismatch, fakeHost(host({ '/etc/network/interfaces': 'auto a;b\niface $(id) inet dhcp\niface abcdefghijklmnopq inet dhcp\n' })));
    expect(r.status).toBe('fail');
    const all = [r.summary, ...(r.details ?? [])].join('\n');
    expect(all).toContain('"abcdefghijklmnopq", which can never exist');
    expect(all).toContain('configures $(id), which does not exist');
  });
  it('no config at all passes', async () => {
    const r = await runCheck(ifnameMismatch, fakeHost(host({})));
    expect(r.status).toBe('pass');
    expect(r.summary).toMatch(/no interface names/);
  });
});

describe('parsers', () => {
  it('interfaces(5) continuation lines and hwaddress', () => {
    const p = parseInterfaces('iface eth1 inet static \\\n  address 10.0.0.2\n  hwaddress ether 52:54:00:AA:BB:CC\n', 'f');
    expect(p.refs).toEqual([expect.objectContaining({ name: 'eth1', mac: '52:54:00:aa:bb:cc', role: 'physical' })]);
  });
  it('udev: == is a match, = on a match key is flagged and fixed', () => {
    expect(parseUdevRules(SEED000_UDEV, 'r')[0]!.assignedMatches).toEqual(['ATTR{address}="52:54:00:12:34:56"']);
    expect(parseUdevRules(SEED000_UDEV.replace('}="', '}=="'), 'r')[0]!.assignedMatches).toEqual([]);
    expect(fixUdevLine(SEED000_UDEV.trim())).toBe('SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="52:54:00:12:34:56", NAME="eth0"');
  });
});
