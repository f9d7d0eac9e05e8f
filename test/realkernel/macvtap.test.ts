// macvtap on a real kernel: a macvtap on a NIC-like veth, its /dev/tapN node as
// the kernel makes it (root-only), given to the user, and over a lower device
// that is down. QEMU run as qnetuser, handed the node as fd 3 by the user's own
// shell (as libvirt hands it), is the judge of the node; the kernel's operstate
// of the lower device's.
import { realKernelSuite, type ScenarioSpec } from './harness.js';

const MACVTAP = 'ip link add link eth0 name macvtap0 type macvtap mode bridge\nip link set macvtap0 up\n';

const specs: ScenarioSpec[] = [
  {
    name: 'macvtap-root-only',
    title: 'macvtap0 on eth0, /dev/tapN root-only as the kernel makes it',
    nics: ['eth0'],
    setup: MACVTAP,
    check: 'macvtap',
    expect: 'fail',
    summary: /\/dev\/tap\d+ is crw------- root:root; qnetuser cannot open it read-write/,
    qemu: { as: 'user', netdev: 'tap,id=n0,fd=3', fdFromMacvtap: 'macvtap0', starts: false, stderr: /Permission denied/ },
  },
  {
    name: 'macvtap-user-owned',
    title: "macvtap0's node given to qnetuser",
    nics: ['eth0'],
    setup: `${MACVTAP}chown 4242:4242 "/dev/tap$(cat /sys/class/net/macvtap0/ifindex)"\n`,
    check: 'macvtap',
    expect: 'pass',
    summary: /macvtap0: usable by qnetuser/,
    qemu: { as: 'user', netdev: 'tap,id=n0,fd=3', fdFromMacvtap: 'macvtap0', starts: true },
  },
  {
    name: 'macvtap-lower-down',
    title: "macvtap0's lower device eth0 is down",
    nics: ['eth0'],
    setup: `${MACVTAP}chown 4242:4242 "/dev/tap$(cat /sys/class/net/macvtap0/ifindex)"\nip link set eth0 down\n`,
    check: 'macvtap',
    expect: 'fail',
    summary: /macvtap0's lower device eth0 is down/,
    judge: { what: "the kernel's operstate of macvtap0 (not LOWERLAYERDOWN)", script: '! grep -qx lowerlayerdown /sys/class/net/macvtap0/operstate', works: false },
  },
];

realKernelSuite('macvtap', specs);
