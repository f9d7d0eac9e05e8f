// ifname-mismatch: network configuration naming an interface that does not exist.
// Seed 000's host: /etc/network/interfaces still says eth0 while the NIC is now
// called enp0s3 (here a veth named enp0s3 whose peer sits in another namespace,
// the only NIC-like device in the scenario).
import { realKernelSuite, type ScenarioSpec } from './harness.js';

const IFACES = (name: string) =>
  `mkdir -p /etc/network\nprintf 'auto lo\\niface lo inet loopback\\n\\nallow-hotplug ${name}\\niface ${name} inet dhcp\\n' > /etc/network/interfaces\n`;

const specs: ScenarioSpec[] = [
  {
    name: 'ifname-eth0-vs-enp0s3',
    title: '/etc/network/interfaces configures eth0; the NIC is enp0s3',
    nics: ['enp0s3'],
    setup: IFACES('eth0'),
    check: 'ifname-mismatch',
    expect: 'fail',
    summary: /eth0.*does not exist.*enp0s3/,
  },
  {
    name: 'ifname-enp0s3',
    title: '/etc/network/interfaces configures enp0s3, which exists',
    nics: ['enp0s3'],
    setup: IFACES('enp0s3'),
    check: 'ifname-mismatch',
    expect: 'pass',
    summary: /interface name.*exist/,
  },
];

realKernelSuite('real kernel: ifname-mismatch', specs);
