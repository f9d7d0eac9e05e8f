import { describe, expect, it } from 'vitest';
import ifnameMismatch from '../../checks/ifname-mismatch.js';
import { fixUdevLine, globMatch, parseInterfaces, parseUdevRules } from '../../src/parse/netconfig.js';
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

// Seed 000, verbatim: the guest's /etc/network/interfaces and the udev rule the write-up "fixed" it with.
const SEED000_IFACES_EXACT = '# interfaces(5) file used by ifup(8) and ifdown(8)\n# Include files from /etc/network/interfaces.d:\nsource-directory /etc/network/interfaces.d\n\nauto eth0\niface eth0 inet dhcp\n';
const UDEV_DIR = { '/etc/udev/rules.d': ['10-rename-network.rules'] };
const all = (r: { summary: string; details?: string[] }) => [r.summary, ...(r.details ?? [])].join('\n');

describe('ifname-mismatch, more cases', () => {
  const cases: { name: string; spec: FakeSpec; status: string; summary: RegExp; text?: RegExp; fixes?: string[] }[] = [
    {
      name: 'seed 000 verbatim: eth0 configured, enp0s3 present, the udev rule written with =',
      spec: host({ '/etc/network/interfaces': SEED000_IFACES_EXACT, '/etc/udev/rules.d/10-rename-network.rules': SEED000_UDEV }, undefined, UDEV_DIR),
      status: 'fail',
      summary: /^\/etc\/network\/interfaces:5 configures eth0, which does not exist; the NIC here is enp0s3 \(52:54:00:12:34:56\)$/,
      text: /10-rename-network\.rules:1: ATTR\{address\}="52:54:00:12:34:56" uses '=', an assignment, not a match: the rule matches every network device/,
      fixes: ['ifname-mismatch/rename-in-config', 'ifname-mismatch/udev-match', 'ifname-mismatch/udev-rename'],
    },
    {
      name: 'a correct udev rule (==) whose rename has not happened',
      spec: host({ '/etc/udev/rules.d/10-rename-network.rules': SEED000_UDEV.replace('}="', '}=="') }, undefined, UDEV_DIR),
      status: 'warn',
      summary: /10-rename-network\.rules:1 should have named enp0s3 \(52:54:00:12:34:56\) eth0; the rename has not happened/,
    },
    {
      name: 'a udev rule for a MAC no interface has (stale, cloned VM)',
      spec: host({ '/etc/udev/rules.d/10-rename-network.rules': SEED000_UDEV.replace('}="52:54:00:12:34:56', '}=="52:54:00:99:99:99') }, undefined, UDEV_DIR),
      status: 'warn',
      summary: /renames MAC 52:54:00:99:99:99 to eth0, but no interface has that MAC/,
    },
    {
      name: 'a udev rule whose rename did happen',
      spec: host({ '/etc/udev/rules.d/10-rename-network.rules': SEED000_UDEV.replace('}="', '}==').replace('NAME="eth0"', 'NAME="enp0s3"') }, undefined, UDEV_DIR),
      status: 'pass',
      summary: /no interface names|exist/,
    },
    {
      name: 'bond-slaves and vlan-raw-device name NICs',
      spec: host({ '/etc/network/interfaces': 'auto bond0\niface bond0 inet manual\n  bond-slaves enp0s3 eth1\n\niface vlan10 inet manual\n  vlan-raw-device eth2\n' }, [{ name: 'lo' }, NIC, { name: 'bond0', kind: 'bond' }]),
      status: 'fail',
      summary: /interfaces:3 configures eth1, which does not exist/,
      text: /interfaces:6 configures eth2/,
    },
    {
      name: 'bridge_ports none/all and regex forms are not names',
      spec: host({ '/etc/network/interfaces': 'iface br0 inet dhcp\n  bridge_ports none\niface br1 inet dhcp\n  bridge_ports all\niface br2 inet dhcp\n  bridge_ports regex eth.*\n' }, [{ name: 'lo' }, NIC, { name: 'br0', kind: 'bridge' }, { name: 'br1', kind: 'bridge' }, { name: 'br2', kind: 'bridge' }]),
      status: 'pass',
      summary: /all 3 interface name\(s\) in network config exist/,
    },
    {
      name: 'a relative source glob, resolved against the file\'s directory',
      spec: host({ '/etc/network/interfaces': 'source interfaces.d/*.cfg\n', '/etc/network/interfaces.d/uplink.cfg': 'auto eth0\niface eth0 inet dhcp\n', '/etc/network/interfaces.d/ignored': 'auto eth9\n' }, undefined, { '/etc/network/interfaces.d': ['ignored', 'uplink.cfg'] }),
      status: 'fail',
      summary: /interfaces\.d\/uplink\.cfg:1 configures eth0, which does not exist; the NIC here is enp0s3/,
    },
    {
      name: 'source-directory reads only names matching ^[a-zA-Z0-9_-]+$',
      spec: host({ '/etc/network/interfaces': 'source-directory interfaces.d\n', '/etc/network/interfaces.d/br_0': 'iface enp0s3 inet dhcp\n', '/etc/network/interfaces.d/old.bak': 'auto eth0\n' }, undefined, { '/etc/network/interfaces.d': ['br_0', 'old.bak'] }),
      status: 'pass',
      summary: /all 1 interface name/,
    },
    {
      name: 'bridge.conf allows a bridge that does not exist: a warning',
      spec: host({ '/etc/qemu/bridge.conf': 'allow br9\nallow all\n' }),
      status: 'warn',
      summary: /bridge\.conf:1 allows bridge br9, which does not exist/,
    },
    {
      name: 'qemu-ifup hard-codes a bridge that does not exist: a failure',
      spec: host({ '/etc/qemu-ifup': '#!/bin/sh\nswitch=br1\nbrctl addif $switch "$1"\n' }),
      status: 'fail',
      summary: /qemu-ifup:3 attaches taps to bridge br1, which does not exist/,
    },
    {
      name: "qemu-ifup that is Debian's dynamic script names nothing",
      spec: host({ '/etc/qemu-ifup': '#!/bin/sh\nswitch=$(ip route ls | awk \'/^default/ {print $5}\')\nexec ip link set "$1" master "$switch"\n' }),
      status: 'pass',
      summary: /no interface names/,
    },
    {
      name: 'netplan matched by a MAC that exists',
      spec: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    lan:\n      match:\n        macaddress: "52:54:00:12:34:56"\n      dhcp4: true\n' }, undefined, { '/etc/netplan': ['01.yaml'] }),
      status: 'pass',
      summary: /exist/,
    },
    {
      name: 'netplan matched by a MAC no interface has: the NIC by its MAC',
      spec: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    lan:\n      match:\n        macaddress: "52:54:00:aa:bb:cc"\n      dhcp4: true\n' }, undefined, { '/etc/netplan': ['01.yaml'] }),
      status: 'fail',
      summary: /01\.yaml:3 \(ethernets\.lan\.match\.macaddress: 52:54:00:aa:bb:cc\) matches MAC 52:54:00:aa:bb:cc, which no interface has; the NIC here is enp0s3 \(52:54:00:12:34:56\)/,
      fixes: ['ifname-mismatch/mac-in-config'],
    },
    {
      name: 'netplan set-name by MAC that has not been applied',
      spec: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    lan:\n      match:\n        macaddress: "52:54:00:12:34:56"\n      set-name: lan0\n' }, undefined, { '/etc/netplan': ['01.yaml'] }),
      status: 'warn',
      summary: /01\.yaml:3 renames enp0s3 \(52:54:00:12:34:56\) to lan0, which has not happened yet/,
    },
    {
      name: 'netplan set-name by MAC, applied',
      spec: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    lan:\n      match:\n        macaddress: "52:54:00:12:34:56"\n      set-name: lan0\n' }, [{ name: 'lo' }, { name: 'lan0', mac: '52:54:00:12:34:56' }], { '/etc/netplan': ['01.yaml'] }),
      status: 'pass',
      summary: /exist/,
    },
    {
      name: 'netplan: a bridge it defines that is not up is a warning, its port exists',
      spec: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    enp0s3: {}\n  bridges:\n    br0:\n      interfaces: [enp0s3]\n' }, undefined, { '/etc/netplan': ['01.yaml'] }),
      status: 'warn',
      summary: /01\.yaml:5 defines br0, which does not exist yet: bring it up/,
    },
    {
      name: 'netplan naming lo passes even when the listing lacks lo',
      spec: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    lo:\n      addresses: [127.0.0.2/8]\n' }, [NIC], { '/etc/netplan': ['01.yaml'] }),
      status: 'pass',
      summary: /exist/,
    },
    {
      name: 'netplan: a file in /etc shadows the one of the same name in /lib',
      spec: host({ '/lib/netplan/01.yaml': 'network:\n  ethernets:\n    eth7: {}\n', '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    enp0s3: {}\n' }, undefined, { '/etc/netplan': ['01.yaml'], '/lib/netplan': ['01.yaml'] }),
      status: 'pass',
      summary: /exist/,
    },
    {
      name: 'netplan match.name glob that matches the NIC',
      spec: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    all-en:\n      match:\n        name: "en*"\n      dhcp4: true\n' }, undefined, { '/etc/netplan': ['01.yaml'] }),
      status: 'pass',
      summary: /exist/,
    },
    {
      name: 'netplan match.name glob that matches no interface (a template from another machine)',
      spec: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    all-eth:\n      match:\n        name: "eth[0-9]"\n      dhcp4: true\n' }, undefined, { '/etc/netplan': ['01.yaml'] }),
      status: 'fail',
      summary: /01\.yaml:3 \(ethernets\.all-eth\.match\.name: eth\[0-9\]\) matches no interface; the NICs here: enp0s3/,
    },
    {
      name: 'netplan match.name + set-name, already renamed: the old name is gone and that is right',
      spec: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    wan:\n      match:\n        name: enp9s0\n      set-name: wan0\n' }, [{ name: 'lo' }, { name: 'wan0', mac: '52:54:00:12:34:56' }], { '/etc/netplan': ['01.yaml'] }),
      status: 'pass',
      summary: /exist/,
    },
    {
      name: 'netplan match.name + set-name, not renamed yet: a warning',
      spec: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    wan:\n      match:\n        name: enp0s3\n      set-name: wan0\n' }, undefined, { '/etc/netplan': ['01.yaml'] }),
      status: 'warn',
      summary: /01\.yaml:3 renames enp0s3 to wan0, which has not happened yet/,
    },
    {
      name: 'netplan match.name + set-name, neither name exists',
      spec: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    wan:\n      match:\n        name: eth1\n      set-name: wan0\n' }, undefined, { '/etc/netplan': ['01.yaml'] }),
      status: 'fail',
      summary: /neither eth1 nor wan0 exists; the NICs here: enp0s3/,
    },
    {
      name: "netplan bridge whose member is a netplan ID defined in another file (by MAC), not an interface name",
      spec: host(
        { '/etc/netplan/01-nic.yaml': 'network:\n  ethernets:\n    uplink:\n      match:\n        macaddress: "52:54:00:12:34:56"\n', '/etc/netplan/02-br.yaml': 'network:\n  bridges:\n    br0:\n      interfaces: [uplink]\n' },
        [{ name: 'lo' }, NIC, { name: 'br0' }],
        { '/etc/netplan': ['01-nic.yaml', '02-br.yaml'] },
      ),
      status: 'pass',
      summary: /exist/,
    },
    {
      name: 'NetworkManager bridge profile not up: a warning',
      spec: host({ '/etc/NetworkManager/system-connections/br0.nmconnection': '[connection]\nid=br0\ntype=bridge\ninterface-name=br0\n' }, undefined, { '/etc/NetworkManager/system-connections': ['br0.nmconnection'] }),
      status: 'warn',
      summary: /br0\.nmconnection:4 defines br0, which does not exist yet/,
    },
    {
      name: 'NetworkManager keyfiles unreadable as this user: a note, not a crash',
      spec: host({}, undefined, { '/etc/NetworkManager/system-connections': { error: 'EACCES' } }),
      status: 'pass',
      summary: /no interface names/,
      text: /not readable as this user; run as root/,
    },
    {
      name: 'a 16-byte name can never exist',
      spec: host({ '/etc/network/interfaces': 'auto abcdefghijklmnop\niface abcdefghijklmnop inet dhcp\n' }),
      status: 'fail',
      summary: /"abcdefghijklmnop", which can never exist/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runCheck(ifnameMismatch, fakeHost(c.spec));
      expect(r.status).toBe(c.status);
      expect(r.summary).toMatch(c.summary);
      if (c.text) expect(all(r)).toMatch(c.text);
      if (c.fixes) expect(r.fixes.map((f) => f.id)).toEqual(c.fixes);
    });
  }

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

  it('replayed snapshot without the config reads: skip, saying so', async () => {
    const r = await runCheck(ifnameMismatch, fakeHost({ exec: ipLinks([{ name: 'lo' }, NIC]) }), { strict: true });
    expect(r.status).toBe('skip');
    expect(r.summary).toMatch(/not captured/);
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
