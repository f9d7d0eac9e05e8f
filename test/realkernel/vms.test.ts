// Checks that look at running VMs, with real QEMUs left running in the scenario:
// a tap held by one QEMU (a second one meets "Device or resource busy"), a tap
// that belongs to another user, and two QEMUs given one MAC (QEMU's own
// `info network` is the judge of what the VMs really use).
import { realKernelSuite, type ScenarioSpec } from './harness.js';

// qnetuser's tap on a bridge: neither stale nor foreign, so only "busy" can be wrong with it.
const USER_TAP = 'tun 0666\nip link add br0 type bridge\nip link set br0 up\nip tuntap add dev tap0 mode tap user qnetuser\nip link set tap0 master br0\nip link set tap0 up\n';
const ON_TAP0 = 'tap,id=n0,ifname=tap0,script=no,downscript=no';
// Seed 002's two VMs: e1000 NICs on taps, started by root, one bridge.
const TWO_VM_BRIDGE = 'tun 0600\nip link add br0 type bridge\nip link set br0 up\n';
const vmOnTap = (tap: string, mac?: string) => ({
  as: 'root' as const,
  args: ['-netdev', `tap,id=net0,ifname=${tap},script=no,downscript=no`, '-device', `e1000,netdev=net0${mac ? `,mac=${mac}` : ''}`],
});

const specs: ScenarioSpec[] = [
  {
    name: 'tap-busy',
    title: "tap0 is held by a running QEMU (qnetuser's)",
    setup: USER_TAP,
    vms: [{ as: 'user', args: ['-netdev', ON_TAP0, '-device', 'virtio-net-pci,netdev=n0'] }],
    check: 'tap-state',
    expect: 'warn',
    summary: /tap0 is in use by pid \d+ \(qemu-system-x86_64 .*a second VM cannot attach to it \("Device or resource busy"\)/,
    qemu: {
      as: 'user',
      netdev: ON_TAP0,
      starts: false,
      stderr: /could not configure \/dev\/net\/tun \(tap0\): Device or resource busy/,
      failsAnyway: 'a tap in use by its own VM is the normal state of a running VM, so the doctor warns; it is a second VM on tap0 that fails',
    },
  },
  {
    name: 'tap-free',
    title: "the same tap0, no QEMU holding it",
    setup: USER_TAP,
    check: 'tap-state',
    expect: 'pass',
    summary: /tap0: usable by qnetuser/,
    qemu: { as: 'user', netdev: ON_TAP0, starts: true },
  },
  {
    name: 'tap-foreign-owner',
    title: 'tap0 belongs to root, qnetuser will run QEMU',
    setup: USER_TAP.replace('user qnetuser', 'user root'),
    check: 'tap-state',
    expect: 'fail',
    summary: /tap0 belongs to root: qnetuser's QEMU cannot attach to it/,
    qemu: { as: 'user', netdev: ON_TAP0, starts: false, stderr: /could not configure \/dev\/net\/tun \(tap0\): Operation not permitted/ },
  },
  {
    name: 'tap-not-on-its-bridge',
    title: 'interfaces(5) makes tap0 a port of br0; it is on no bridge',
    setup: USER_TAP.replace('ip link set tap0 master br0\n', '') + 'mkdir -p /etc/network\nprintf "auto br0\\niface br0 inet manual\\n    bridge_ports tap0\\n" > /etc/network/interfaces\n',
    check: 'tap-state',
    expect: 'fail',
    summary: /tap0 is on no bridge, but \/etc\/network\/interfaces:3 makes it a port of br0/,
    judge: { what: 'the kernel: tap0 is a port of br0', script: 'bridge link show dev tap0 | grep -q "master br0"', works: false },
  },
  {
    name: 'mac-default-twice',
    title: 'two QEMUs started without mac= (seed 002)',
    setup: TWO_VM_BRIDGE,
    vms: [vmOnTap('tap1'), vmOnTap('tap2')],
    check: 'mac-duplicate',
    expect: 'fail',
    summary: /VMs \d+ and \d+ share MAC 52:54:00:12:34:56 \(QEMU's default, given to every NIC without mac=\)/,
    vmMacsShared: true,
  },
  {
    name: 'mac-explicit-same',
    title: 'two QEMUs given the same mac=52:54:00:12:34:57',
    setup: TWO_VM_BRIDGE,
    vms: [vmOnTap('tap1', '52:54:00:12:34:57'), vmOnTap('tap2', '52:54:00:12:34:57')],
    check: 'mac-duplicate',
    expect: 'fail',
    summary: /VMs \d+ and \d+ share MAC 52:54:00:12:34:57$/,
    vmMacsShared: true,
  },
  {
    name: 'mac-distinct',
    title: "seed 002's fix: mac=...:56 and mac=...:57",
    setup: TWO_VM_BRIDGE,
    vms: [vmOnTap('tap1', '52:54:00:12:34:56'), vmOnTap('tap2', '52:54:00:12:34:57')],
    check: 'mac-duplicate',
    expect: 'pass',
    summary: /2 running VM\(s\), no MAC shared/,
    vmMacsShared: false,
  },
];

realKernelSuite('real kernel: running VMs (taps held, MACs shared)', specs, ['qemu']);
