// ifname-mismatch: every interface named in network config exists (on a host;
// inside a VM the same judgement is guest-ifname's).
import type { CheckCase, HostSpec, LinkSpec } from '../src/check-cases.js';
import { guestMode } from '../src/facts/guest.js';
import { judgeNames } from '../src/facts/ifname-judge.js';
import type { Check } from '../src/types.js';

const check: Check = {
  id: 'ifname-mismatch',
  area: 'config',
  title: () => 'interfaces named in network config exist',
  async run(ctx) {
    if (await guestMode(ctx)) return { status: 'skip', summary: 'this system is a VM: guest-ifname judges its network configuration' };
    return judgeNames(ctx, 'config');
  },
};

export default check;

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const host = ifnameHost;
  const NIC = { name: 'enp0s3', mac: '52:54:00:12:34:56' };
  // A Debian guest whose interfaces file names eth0; the NIC is enp0s3 (seed 000), and the udev rule its write-up "fixed" it with.
  const SEED000_IFACES = '# The loopback network interface\nauto lo\niface lo inet loopback\n\n# The primary network interface\nauto eth0\niface eth0 inet dhcp\n';
  const SEED000_IFACES_EXACT = '# interfaces(5) file used by ifup(8) and ifdown(8)\n# Include files from /etc/network/interfaces.d:\nsource-directory /etc/network/interfaces.d\n\nauto eth0\niface eth0 inet dhcp\n';
  const SEED000_UDEV = 'SUBSYSTEM=="net", ACTION=="add", ATTR{address}="52:54:00:12:34:56", NAME="eth0"\n';
  const UDEV_DIR = { '/etc/udev/rules.d': ['10-rename-network.rules'] };
  return [
    { name: 'the config names the NIC that exists', host: host({ '/etc/network/interfaces': SEED000_IFACES.replace(/eth0/g, 'enp0s3') }), status: 'pass', summary: 'all 1 interface name(s) in the network configuration exist' },
    // seed 004
    {
      name: 'a bridge the config defines that is not up is a warning; its missing port is a failure',
      host: host({ '/etc/network/interfaces': 'source /etc/network/interfaces.d/*\n', '/etc/network/interfaces.d/brif0': 'auto brif0\niface brif0 inet manual\n  bridge_ports enx00e04c680001\n  bridge_stp off\n  bridge_maxwait 10\n' }, [{ name: 'lo' }, { name: 'enp3s0' }], { '/etc/network/interfaces.d': ['brif0'] }),
      status: 'fail',
      summary: /brif0:3 configures enx00e04c680001, which does not exist/,
      details: /defines brif0, which does not exist yet/,
    },
    {
      name: 'files in interfaces.d that nothing sources',
      host: host({ '/etc/network/interfaces': 'auto lo\niface lo inet loopback\n', '/etc/network/interfaces.d/brif0': 'iface brif0 inet manual\n' }, undefined, { '/etc/network/interfaces.d': ['brif0'] }),
      status: 'warn',
      summary: /does not source it/,
    },
    {
      name: 'netplan: an ethernet by name that does not exist, matched by MAC',
      host: host({ '/etc/netplan/50-cloud-init.yaml': 'network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: true\n' }, undefined, { '/etc/netplan': ['50-cloud-init.yaml'] }),
      status: 'fail',
      summary: /50-cloud-init\.yaml:4 configures eth0, which does not exist; the NIC here is enp0s3/,
    },
    {
      name: 'netplan: broken YAML is reported, not thrown',
      host: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    eth0: [\n' }, undefined, { '/etc/netplan': ['01.yaml'] }),
      status: 'warn',
      summary: /01\.yaml:\d+: not valid YAML/,
    },
    {
      name: 'NetworkManager keyfile naming an absent NIC; unreadable keyfiles are noted',
      host: host(
        { '/etc/NetworkManager/system-connections/w4.nmconnection': '[connection]\nid=Wired connection 4\ntype=ethernet\ninterface-name=enx00e04c680001\n', '/etc/NetworkManager/system-connections/secret.nmconnection': { error: 'EACCES' } },
        undefined,
        { '/etc/NetworkManager/system-connections': ['secret.nmconnection', 'w4.nmconnection'] },
      ),
      status: 'fail',
      summary: /w4\.nmconnection:4 configures enx00e04c680001/,
      details: /readable only by root/,
    },
    { name: 'no config at all', host: host({}), status: 'pass', summary: /no interface names/ },
    {
      // seed 000, verbatim
      name: 'eth0 configured, enp0s3 present, the udev rule written with = (verbatim)',
      host: host({ '/etc/network/interfaces': SEED000_IFACES_EXACT, '/etc/udev/rules.d/10-rename-network.rules': SEED000_UDEV }, undefined, UDEV_DIR),
      status: 'fail',
      summary: /^\/etc\/network\/interfaces:5 configures eth0, which does not exist; the NIC here is enp0s3 \(52:54:00:12:34:56\)$/,
      details: /10-rename-network\.rules:1: ATTR\{address\}="52:54:00:12:34:56" uses '=', an assignment, not a match: the rule matches every network device/,
      fixes: ['ifname-mismatch/rename-in-config', 'ifname-mismatch/udev-match', 'ifname-mismatch/udev-rename'],
    },
    {
      name: 'a correct udev rule (==) whose rename has not happened',
      host: host({ '/etc/udev/rules.d/10-rename-network.rules': SEED000_UDEV.replace('}="', '}=="') }, undefined, UDEV_DIR),
      status: 'warn',
      summary: /10-rename-network\.rules:1 should have named enp0s3 \(52:54:00:12:34:56\) eth0; the rename has not happened/,
    },
    {
      name: 'a udev rule for a MAC no interface has (stale, cloned VM)',
      host: host({ '/etc/udev/rules.d/10-rename-network.rules': SEED000_UDEV.replace('}="52:54:00:12:34:56', '}=="52:54:00:99:99:99') }, undefined, UDEV_DIR),
      status: 'warn',
      summary: /renames MAC 52:54:00:99:99:99 to eth0, but no interface has that MAC/,
    },
    {
      name: 'a udev rule whose rename did happen',
      host: host({ '/etc/udev/rules.d/10-rename-network.rules': SEED000_UDEV.replace('}="', '}==').replace('NAME="eth0"', 'NAME="enp0s3"') }, undefined, UDEV_DIR),
      status: 'pass',
      summary: /no interface names|exist/,
    },
    {
      name: 'bond-slaves and vlan-raw-device name NICs',
      host: host({ '/etc/network/interfaces': 'auto bond0\niface bond0 inet manual\n  bond-slaves enp0s3 eth1\n\niface vlan10 inet manual\n  vlan-raw-device eth2\n' }, [{ name: 'lo' }, NIC, { name: 'bond0', kind: 'bond' }]),
      status: 'fail',
      summary: /interfaces:3 configures eth1, which does not exist/,
      details: /interfaces:6 configures eth2/,
    },
    {
      name: 'bridge_ports none/all and regex forms are not names',
      host: host({ '/etc/network/interfaces': 'iface br0 inet dhcp\n  bridge_ports none\niface br1 inet dhcp\n  bridge_ports all\niface br2 inet dhcp\n  bridge_ports regex eth.*\n' }, [{ name: 'lo' }, NIC, { name: 'br0', kind: 'bridge' }, { name: 'br1', kind: 'bridge' }, { name: 'br2', kind: 'bridge' }]),
      status: 'pass',
      summary: /all 3 interface name\(s\) in the network configuration exist/,
    },
    {
      name: 'a relative source glob, resolved against the file\'s directory',
      host: host({ '/etc/network/interfaces': 'source interfaces.d/*.cfg\n', '/etc/network/interfaces.d/uplink.cfg': 'auto eth0\niface eth0 inet dhcp\n', '/etc/network/interfaces.d/ignored': 'auto eth9\n' }, undefined, { '/etc/network/interfaces.d': ['ignored', 'uplink.cfg'] }),
      status: 'fail',
      summary: /interfaces\.d\/uplink\.cfg:1 configures eth0, which does not exist; the NIC here is enp0s3/,
    },
    {
      name: 'source-directory reads only names matching ^[a-zA-Z0-9_-]+$',
      host: host({ '/etc/network/interfaces': 'source-directory interfaces.d\n', '/etc/network/interfaces.d/br_0': 'iface enp0s3 inet dhcp\n', '/etc/network/interfaces.d/old.bak': 'auto eth0\n' }, undefined, { '/etc/network/interfaces.d': ['br_0', 'old.bak'] }),
      status: 'pass',
      summary: /all 1 interface name/,
    },
    {
      name: 'bridge.conf allows a bridge that does not exist: a warning',
      host: host({ '/etc/qemu/bridge.conf': 'allow br9\nallow all\n' }),
      status: 'warn',
      summary: /bridge\.conf:1 allows bridge br9, which does not exist/,
    },
    {
      name: 'qemu-ifup hard-codes a bridge that does not exist: a failure',
      host: host({ '/etc/qemu-ifup': '#!/bin/sh\nswitch=br1\nbrctl addif $switch "$1"\n' }),
      status: 'fail',
      summary: /qemu-ifup:3 attaches taps to bridge br1, which does not exist/,
    },
    {
      name: "qemu-ifup that is Debian's dynamic script names nothing",
      host: host({ '/etc/qemu-ifup': '#!/bin/sh\nswitch=$(ip route ls | awk \'/^default/ {print $5}\')\nexec ip link set "$1" master "$switch"\n' }),
      status: 'pass',
      summary: /no interface names/,
    },
    {
      name: 'netplan matched by a MAC that exists',
      host: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    lan:\n      match:\n        macaddress: "52:54:00:12:34:56"\n      dhcp4: true\n' }, undefined, { '/etc/netplan': ['01.yaml'] }),
      status: 'pass',
      summary: /exist/,
    },
    {
      name: 'netplan matched by a MAC no interface has: the NIC by its MAC',
      host: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    lan:\n      match:\n        macaddress: "52:54:00:aa:bb:cc"\n      dhcp4: true\n' }, undefined, { '/etc/netplan': ['01.yaml'] }),
      status: 'fail',
      summary: /01\.yaml:3 \(ethernets\.lan\.match\.macaddress: 52:54:00:aa:bb:cc\) matches MAC 52:54:00:aa:bb:cc, which no interface has; the NIC here is enp0s3 \(52:54:00:12:34:56\)/,
      fixes: ['ifname-mismatch/mac-in-config'],
    },
    {
      name: 'netplan set-name by MAC that has not been applied',
      host: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    lan:\n      match:\n        macaddress: "52:54:00:12:34:56"\n      set-name: lan0\n' }, undefined, { '/etc/netplan': ['01.yaml'] }),
      status: 'warn',
      summary: /01\.yaml:3 renames enp0s3 \(52:54:00:12:34:56\) to lan0, which has not happened yet/,
    },
    {
      name: 'netplan set-name by MAC, applied',
      host: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    lan:\n      match:\n        macaddress: "52:54:00:12:34:56"\n      set-name: lan0\n' }, [{ name: 'lo' }, { name: 'lan0', mac: '52:54:00:12:34:56' }], { '/etc/netplan': ['01.yaml'] }),
      status: 'pass',
      summary: /exist/,
    },
    {
      name: 'netplan: a bridge it defines that is not up is a warning, its port exists',
      host: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    enp0s3: {}\n  bridges:\n    br0:\n      interfaces: [enp0s3]\n' }, undefined, { '/etc/netplan': ['01.yaml'] }),
      status: 'warn',
      summary: /01\.yaml:5 defines br0, which does not exist yet: bring it up/,
    },
    {
      name: 'netplan naming lo passes even when the listing lacks lo',
      host: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    lo:\n      addresses: [127.0.0.2/8]\n' }, [NIC], { '/etc/netplan': ['01.yaml'] }),
      status: 'pass',
      summary: /exist/,
    },
    {
      name: 'netplan: a file in /etc shadows the one of the same name in /lib',
      host: host({ '/lib/netplan/01.yaml': 'network:\n  ethernets:\n    eth7: {}\n', '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    enp0s3: {}\n' }, undefined, { '/etc/netplan': ['01.yaml'], '/lib/netplan': ['01.yaml'] }),
      status: 'pass',
      summary: /exist/,
    },
    {
      name: 'netplan match.name glob that matches the NIC',
      host: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    all-en:\n      match:\n        name: "en*"\n      dhcp4: true\n' }, undefined, { '/etc/netplan': ['01.yaml'] }),
      status: 'pass',
      summary: /exist/,
    },
    {
      name: 'netplan match.name glob that matches no interface (a template from another machine)',
      host: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    all-eth:\n      match:\n        name: "eth[0-9]"\n      dhcp4: true\n' }, undefined, { '/etc/netplan': ['01.yaml'] }),
      status: 'fail',
      summary: /01\.yaml:3 \(ethernets\.all-eth\.match\.name: eth\[0-9\]\) matches no interface; the NICs here: enp0s3/,
    },
    {
      name: 'netplan match.name + set-name, already renamed: the old name is gone and that is right',
      host: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    wan:\n      match:\n        name: enp9s0\n      set-name: wan0\n' }, [{ name: 'lo' }, { name: 'wan0', mac: '52:54:00:12:34:56' }], { '/etc/netplan': ['01.yaml'] }),
      status: 'pass',
      summary: /exist/,
    },
    {
      name: 'netplan match.name + set-name, not renamed yet: a warning',
      host: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    wan:\n      match:\n        name: enp0s3\n      set-name: wan0\n' }, undefined, { '/etc/netplan': ['01.yaml'] }),
      status: 'warn',
      summary: /01\.yaml:3 renames enp0s3 to wan0, which has not happened yet/,
    },
    {
      name: 'netplan match.name + set-name, neither name exists',
      host: host({ '/etc/netplan/01.yaml': 'network:\n  ethernets:\n    wan:\n      match:\n        name: eth1\n      set-name: wan0\n' }, undefined, { '/etc/netplan': ['01.yaml'] }),
      status: 'fail',
      summary: /neither eth1 nor wan0 exists; the NICs here: enp0s3/,
    },
    {
      name: "netplan bridge whose member is a netplan ID defined in another file (by MAC), not an interface name",
      host: host(
        { '/etc/netplan/01-nic.yaml': 'network:\n  ethernets:\n    uplink:\n      match:\n        macaddress: "52:54:00:12:34:56"\n', '/etc/netplan/02-br.yaml': 'network:\n  bridges:\n    br0:\n      interfaces: [uplink]\n' },
        [{ name: 'lo' }, NIC, { name: 'br0' }],
        { '/etc/netplan': ['01-nic.yaml', '02-br.yaml'] },
      ),
      status: 'pass',
      summary: /exist/,
    },
    {
      name: 'NetworkManager bridge profile not up: a warning',
      host: host({ '/etc/NetworkManager/system-connections/br0.nmconnection': '[connection]\nid=br0\ntype=bridge\ninterface-name=br0\n' }, undefined, { '/etc/NetworkManager/system-connections': ['br0.nmconnection'] }),
      status: 'warn',
      summary: /br0\.nmconnection:4 defines br0, which does not exist yet/,
    },
    {
      name: 'NetworkManager keyfiles unreadable as this user: a note, not a crash',
      host: host({}, undefined, { '/etc/NetworkManager/system-connections': { error: 'EACCES' } }),
      status: 'pass',
      summary: /no interface names/,
      details: /not readable as this user; run as root/,
    },
    {
      name: 'a 16-byte name can never exist',
      host: host({ '/etc/network/interfaces': 'auto abcdefghijklmnop\niface abcdefghijklmnop inet dhcp\n' }),
      status: 'fail',
      summary: /"abcdefghijklmnop", which can never exist/,
    },
    { name: 'a replayed snapshot without the config reads', host: { links: [{ name: 'lo' }, NIC] }, snapshot: true, status: 'skip', summary: /not captured/ },
  ];
}

/**
 * A host record for the table above and test/checks/ifname-mismatch.test.ts: root's view of `files`
 * and `dirs` with the interfaces `links` (default: lo and the NIC enp0s3, 52:54:00:12:34:56).
 */
export function ifnameHost(files: HostSpec['files'], links: LinkSpec[] = [{ name: 'lo' }, { name: 'enp0s3', mac: '52:54:00:12:34:56' }], dirs: HostSpec['dirs'] = {}): HostSpec {
  return { files, dirs, links, invoker: { uid: 0, euid: 0, user: 'root' } };
}
