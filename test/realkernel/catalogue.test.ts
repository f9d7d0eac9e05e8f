// Issue 4's checks on hosts built for real: bridges whose port holds the
// address or has no carrier, routed VM networks with forwarding off, without
// masquerading, behind a FORWARD DROP set by the real iptables.
import { realKernelSuite, type ScenarioSpec } from './harness.js';

const LAN = 'ip link add br0 type bridge stp_state 0\nip link set br0 up\nip link set enp1s0 master br0\n';
const ROUTED =
  'ip addr add 192.0.2.2/24 dev enp1s0\nip link set enp1s0 up\nip route add default via 192.0.2.1 dev enp1s0\n' +
  'ip link add virbr9 type bridge\nip addr add 10.66.0.1/24 dev virbr9\nip link set virbr9 up\n';

const specs: ScenarioSpec[] = [
  {
    name: 'bridge-ip-on-port',
    title: 'the address stayed on the NIC that joined br0',
    nics: ['enp1s0'],
    setup: LAN + 'ip addr add 192.0.2.10/24 dev enp1s0\n',
    check: 'bridge-state',
    expect: 'fail',
    summary: /enp1s0 is a port of br0 but still holds 192\.0\.2\.10\/24/,
  },
  {
    name: 'bridge-uplink-down',
    title: "br0's uplink has no carrier",
    nics: ['enp1s0'],
    setup: LAN + 'ip link set enp1s0 down\n',
    check: 'bridge-state',
    expect: 'fail',
    summary: /uplink enp1s0 has no carrier/,
  },
  {
    name: 'bridge-down',
    title: 'br0 is down',
    nics: ['enp1s0'],
    setup: LAN + 'ip link set br0 down\n',
    check: 'bridge-state',
    expect: 'fail',
    summary: /br0 is down/,
  },
  {
    name: 'bridge-healthy',
    title: "br0 holds the address, its uplink has carrier, two machines on it talk",
    nics: ['enp1s0'],
    setup: LAN + 'ip addr add 192.0.2.10/24 dev br0\n',
    check: 'bridge-state',
    expect: 'pass',
    summary: /^br0: up, wired as expected$/,
    bridgedPing: { bridge: 'br0', works: true },
  },
  {
    name: 'bridge-stp-slow',
    title: 'br0 runs STP with a 15 s forward delay',
    nics: ['enp1s0'],
    setup: LAN.replace('stp_state 0', 'stp_state 1 forward_delay 1500') + 'ip addr add 192.0.2.10/24 dev br0\n',
    check: 'bridge-state',
    expect: 'warn',
    summary: /br0 runs STP with a 15s forward delay: a new tap forwards nothing for 30s/,
    // A new port (as a tap would be): still not forwarding 2 s after it came up.
    judge: {
      what: 'a new port of br0 forwarding within 2 s',
      script: 'ip link add qtap type veth peer name qtap-p\nip link set qtap master br0\nip link set qtap up\nip link set qtap-p up\nsleep 2\nbridge link show dev qtap | tee /dev/stderr | grep -q "state forwarding"',
      works: false,
      anyway: 'a guest whose DHCP client retries past the delay still gets its lease, so the doctor warns',
    },
  },
  {
    name: 'routed-forward-off',
    title: 'a NAT bridge 10.66.0.1/24 with net.ipv4.ip_forward=0',
    nics: ['enp1s0'],
    setup: ROUTED + 'sysctl -qw net.ipv4.ip_forward=0\n',
    check: 'ip-forward',
    expect: 'fail',
    summary: /forwarding is off: guests on virbr9 10\.66\.0\.0\/24/,
  },
  {
    name: 'routed-forward-on',
    title: 'the same with forwarding on',
    nics: ['enp1s0'],
    setup: ROUTED + 'sysctl -qw net.ipv4.ip_forward=1\n',
    check: 'ip-forward',
    expect: 'pass',
    summary: /forwarding is on/,
  },
  {
    name: 'nat-absent',
    title: 'no MASQUERADE for 10.66.0.0/24',
    nics: ['enp1s0'],
    setup: ROUTED + 'iptables -t nat -A POSTROUTING -s 10.99.0.0/24 -j MASQUERADE\n',
    check: 'nat-masquerade',
    expect: 'fail',
    summary: /no MASQUERADE\/SNAT towards enp1s0 for virbr9 10\.66\.0\.0\/24/,
  },
  {
    name: 'nat-libvirt-style',
    title: "libvirt's MASQUERADE rule for the subnet",
    nics: ['enp1s0'],
    setup: ROUTED + 'iptables -t nat -A POSTROUTING -s 10.66.0.0/24 ! -d 10.66.0.0/24 -j MASQUERADE\n',
    check: 'nat-masquerade',
    expect: 'pass',
    summary: /translated: virbr9 10\.66\.0\.0\/24/,
  },
  {
    name: 'forward-drop',
    title: 'FORWARD policy DROP (as Docker sets it)',
    nics: ['enp1s0'],
    setup: ROUTED + 'iptables -P FORWARD DROP\n',
    check: 'forward-policy',
    expect: 'fail',
    summary: /VM traffic is dropped: virbr9 10\.66\.0\.0\/24: nft ip filter FORWARD drops it \(policy DROP\)/,
  },
  {
    name: 'forward-drop-accepted',
    title: 'FORWARD DROP with an ACCEPT for virbr9 first',
    nics: ['enp1s0'],
    setup: ROUTED + 'iptables -P FORWARD DROP\niptables -A FORWARD -i virbr9 -o enp1s0 -j ACCEPT\n',
    check: 'forward-policy',
    expect: 'pass',
    summary: /accepts traffic from virbr9/,
  },
];

realKernelSuite('real kernel: bridges, routing, firewall', specs, ['iptables', 'sysctl']);
