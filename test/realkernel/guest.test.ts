// Guest mode (--guest) on a namespace dressed as a VM: a NIC named enp0s3 whose
// cable leads to a "host" at 10.0.2.2 (QEMU's user-net gateway address), and the
// mistakes of seeds 000 and 003. The kernel is the judge: whether the named
// device exists, whether anything outside the subnet is routable, whether the
// gateway answers ARP.
import { realKernelSuite, type ScenarioSpec } from './harness.js';

const NIC = { name: 'enp0s3', peer: '10.0.2.2/24' };
const ADDR = 'ip addr add 10.0.2.15/24 dev enp0s3\n';
// A datagram to the gateway makes the kernel resolve it (ARP) before qnet reads the cache.
const ARP = (gw: string) => `ip route add default via ${gw} dev enp0s3\n{ echo x > /dev/udp/1.1.1.1/9; } 2>/dev/null || true\nsleep 0.5\n`;
const IFACES = (name: string) => `mkdir -p /etc/network\nprintf 'auto lo\\niface lo inet loopback\\n\\nauto ${name}\\niface ${name} inet dhcp\\n' > /etc/network/interfaces\n`;
const GATEWAY_ANSWERS = (gw: string) => `{ echo x > /dev/udp/${gw}/9; } 2>/dev/null || true\nsleep 0.5\nip neigh show ${gw} dev enp0s3 | grep -q lladdr`;

const specs: ScenarioSpec[] = [
  {
    name: 'guest-eth0-vs-enp0s3',
    title: 'interfaces(5) configures eth0, the NIC is enp0s3 (seed 000)',
    nics: [NIC],
    args: ['--guest'],
    setup: ADDR + ARP('10.0.2.2') + IFACES('eth0'),
    check: 'guest-ifname',
    expect: 'fail',
    summary: /eth0/,
    judge: { what: 'ip link show eth0', script: 'ip link show eth0', works: false },
  },
  {
    name: 'guest-link-local',
    title: 'enp0s3 fell back to 169.254.23.7/16 (seed 003)',
    nics: [NIC],
    args: ['--guest'],
    setup: 'ip addr add 169.254.23.7/16 dev enp0s3\n' + IFACES('enp0s3'),
    check: 'guest-dhcp',
    expect: 'fail',
    summary: /enp0s3 fell back to a 169\.254 link-local address/,
    others: { 'guest-ifname': 'pass', 'guest-route': 'fail' },
    judge: { what: 'ip route get 10.0.2.2 (the DHCP/gateway address)', script: 'ip route get 10.0.2.2', works: false },
  },
  {
    name: 'guest-no-default-route',
    title: 'enp0s3 has 10.0.2.15/24 but no default route',
    nics: [NIC],
    args: ['--guest'],
    setup: ADDR + IFACES('enp0s3'),
    check: 'guest-route',
    expect: 'fail',
    summary: /no default route/,
    others: { 'guest-dhcp': 'pass' },
    judge: { what: 'ip route get 1.1.1.1', script: 'ip route get 1.1.1.1', works: false },
  },
  {
    name: 'guest-gateway-silent',
    title: 'default route via 10.0.2.3, which nobody answers',
    nics: [NIC],
    args: ['--guest'],
    setup: ADDR + ARP('10.0.2.3') + IFACES('enp0s3'),
    check: 'guest-route',
    expect: 'fail',
    summary: /the default gateway 10\.0\.2\.3 does not answer ARP \(the kernel asked; the entry is incomplete\)/,
    judge: { what: 'ARP for 10.0.2.3', script: GATEWAY_ANSWERS('10.0.2.3'), works: false },
  },
  {
    name: 'guest-healthy',
    title: 'enp0s3 10.0.2.15/24, default via 10.0.2.2, which answers',
    nics: [NIC],
    args: ['--guest'],
    setup: ADDR + ARP('10.0.2.2') + IFACES('enp0s3'),
    check: 'guest-route',
    expect: 'pass',
    summary: /default route via 10\.0\.2\.2 \(enp0s3\), which answered ARP/,
    others: { 'guest-ifname': 'pass', 'guest-dhcp': 'pass' },
    judge: { what: 'ARP for 10.0.2.2', script: GATEWAY_ANSWERS('10.0.2.2'), works: true },
  },
];

realKernelSuite('real kernel: guest mode', specs);
