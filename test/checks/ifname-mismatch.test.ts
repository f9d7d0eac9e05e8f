// ifname-mismatch's table of cases is in checks/ifname-mismatch.ts.
import { describe, expect, it } from 'vitest';
import ifnameMismatch, { ifnameHost as host } from '../../checks/ifname-mismatch.js';
import { fixUdevLine, globMatch, parseInterfaces, parseUdevRules } from '../../src/parse/netconfig.js';
import { fakeHost, ipLinks, runCheck, type FakeSpec } from '../helpers/fake-host.js';

// Seed 000: a Debian guest whose interfaces file names eth0; the NIC is enp0s3.
const SEED000_IFACES = '# The loopback network interface\nauto lo\niface lo inet loopback\n\n# The primary network interface\nauto eth0\niface eth0 inet dhcp\n';
const SEED000_UDEV = 'SUBSYSTEM=="net", ACTION=="add", ATTR{address}="52:54:00:12:34:56", NAME="eth0"\n';

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
  it('hostile names in config are reported, never executed or crashing', async () => {
    const r = await runCheck(ifnameMismatch, fakeHost(host({ '/etc/network/interfaces': 'auto a;b\niface $(id) inet dhcp\niface abcdefghijklmnopq inet dhcp\n' })));
    expect(r.status).toBe('fail');
    const all = [r.summary, ...(r.details ?? [])].join('\n');
    expect(all).toContain('"abcdefghijklmnopq", which can never exist');
    expect(all).toContain('configures $(id), which does not exist');
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

// Seed 000, verbatim: the guest's /etc/network/interfaces and the udev rule the write-up "fixed" it with.
const SEED000_IFACES_EXACT = '# interfaces(5) file used by ifup(8) and ifdown(8)\n# Include files from /etc/network/interfaces.d:\nsource-directory /etc/network/interfaces.d\n\nauto eth0\niface eth0 inet dhcp\n';
const UDEV_DIR = { '/etc/udev/rules.d': ['10-rename-network.rules'] };

describe('ifname-mismatch, more cases', () => {
  it('seed 000: the udev fix writes == and keeps the rest of the rule', async () => {
    const r = await runCheck(ifnameMismatch, fakeHost(host({ '/etc/network/interfaces': SEED000_IFACES_EXACT, '/etc/udev/rules.d/10-rename-network.rules': SEED000_UDEV }, undefined, UDEV_DIR)));
    const p = r.fixes.find((f) => f.id === 'ifname-mismatch/udev-match')!.preview.join('\n');
    expect(p).toContain('-SUBSYSTEM=="net", ACTION=="add", ATTR{address}="52:54:00:12:34:56", NAME="eth0"');
    expect(p).toContain('+SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="52:54:00:12:34:56", NAME="eth0"');
    // the rename-in-config diff keeps the source-directory line and comments
    const d = r.fixes[0]!.preview.join('\n');
    expect(d).toContain(' source-directory /etc/network/interfaces.d');
    expect(d).toContain('+auto enp0s3');
    expect(d).toContain('+iface enp0s3 inet dhcp');
  });

  it('net.ifnames=0 through GRUB when /etc/default/grub exists', async () => {
    const grub = 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX=""\n';
    const r = await runCheck(ifnameMismatch, fakeHost(host({ '/etc/network/interfaces': SEED000_IFACES_EXACT, '/etc/default/grub': grub })));
    const f = r.fixes.find((x) => x.id === 'ifname-mismatch/net-ifnames-0')!;
    expect(f.preview.join('\n')).toContain('+GRUB_CMDLINE_LINUX="net.ifnames=0"');
    expect(f.preview.join('\n')).toContain('update-grub');
    expect(r.fixes[0]!.id).toBe('ifname-mismatch/rename-in-config');
  });

  it('netplan by MAC: the fix puts the NIC\'s MAC in the file', async () => {
    const yaml = 'network:\n  ethernets:\n    lan:\n      match:\n        macaddress: "52:54:00:AA:BB:CC"\n      dhcp4: true\n';
    const r = await runCheck(ifnameMismatch, fakeHost(host({ '/etc/netplan/01.yaml': yaml }, undefined, { '/etc/netplan': ['01.yaml'] })));
    const p = r.fixes[0]!.preview.join('\n');
    expect(p).toContain('-        macaddress: "52:54:00:AA:BB:CC"');
    expect(p).toContain('+        macaddress: "52:54:00:12:34:56"');
  });

  it('a NIC with a hostile name is suggested but never written into a config or udev rule', async () => {
    // a NIC by sysfs (it has a device), whatever its name
    const spec = { ...host({ '/etc/network/interfaces': SEED000_IFACES_EXACT }, [{ name: 'lo' }, { name: 'a;b', mac: '52:54:00:12:34:56' }]), stats: { '/sys/class/net/a;b/device': { type: 'dir' as const, mode: 0o755 } } };
    const r = await runCheck(ifnameMismatch, fakeHost(spec));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/configures eth0, which does not exist; the NIC here is a;b/);
    expect(r.fixes.map((f) => f.id)).toEqual(['ifname-mismatch/udev-rename']);
    expect(r.fixes[0]!.preview.join('\n')).toContain('NAME="eth0"');
  });

  it('a hostile configured name gets no udev rule that would create it', async () => {
    const r = await runCheck(ifnameMismatch, fakeHost(host({ '/etc/network/interfaces': 'auto $(id)\niface $(id) inet dhcp\n' })));
    expect(r.status).toBe('fail');
    expect(r.summary).toContain('configures $(id), which does not exist');
    expect(r.fixes.map((f) => f.id)).toEqual(['ifname-mismatch/rename-in-config']);
    expect(r.fixes[0]!.preview.join('\n')).toContain('+iface enp0s3 inet dhcp');
  });

});

describe('globMatch (fnmatch as netplan uses it)', () => {
  it.each([
    ['en*', 'enp0s3', true],
    ['en*', 'eth0', false],
    ['eth?', 'eth0', true],
    ['eth?', 'eth10', false],
    ['eth[0-9]', 'eth7', true],
    ['eth[!0-3]', 'eth2', false],
    ['eth[!0-3]', 'eth5', true],
    ['a.b', 'axb', false],
    ['br(0)', 'br(0)', true],
    ['eth[', 'eth[', true],
  ])('%s vs %s → %s', (pattern, name, want) => expect(globMatch(pattern, name)).toBe(want));
});

describe('one failure, one check: ifname-mismatch on a host, guest-ifname inside a VM', () => {
  it('inside a VM the missing eth0 is reported once, by guest-ifname', async () => {
    const { default: guestIfname } = await import('../../checks/guest-ifname.js');
    const spec: FakeSpec = {
      files: { '/etc/network/interfaces': 'auto eth0\niface eth0 inet dhcp\n', '/sys/class/dmi/id/sys_vendor': 'QEMU\n' },
      exec: ipLinks([{ name: 'lo' }, { name: 'enp0s3' }]),
    };
    const [host, guest] = await Promise.all([runCheck(ifnameMismatch, fakeHost(spec)), runCheck(guestIfname, fakeHost(spec))]);
    expect(host).toMatchObject({ status: 'skip', summary: expect.stringMatching(/guest-ifname judges/) });
    expect(guest.status).toBe('fail');
    expect(guest.summary).toMatch(/eth0/);
  });
});
