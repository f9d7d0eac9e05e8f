// br-netfilter on a real bridge in a fresh network namespace (where the
// net.bridge.bridge-nf-call-* sysctls start at 1), with the real iptables (nft
// backend) setting FORWARD, and the kernel as the judge: two machines cabled to
// br0 ping each other; bridged frames are dropped exactly when qnet fails.
import { realKernelSuite, type ScenarioSpec } from './harness.js';

const BR = 'ip link add br0 type bridge\nip link set br0 up\n';
const BR_NF = 'ip link add br0 type bridge nf_call_iptables 1\nip link set br0 up\n';
const SYSCTLS_OFF =
  'sysctl -q -w net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0\n';

const specs: ScenarioSpec[] = [
  {
    name: 'bnf-forward-drop',
    title: 'bridge with nf_call_iptables 1, iptables -P FORWARD DROP',
    setup: BR_NF + 'iptables -P FORWARD DROP\n',
    check: 'br-netfilter',
    expect: 'fail',
    summary: /passed to iptables and dropped: br0/,
    bridgedPing: { bridge: 'br0', works: false },
  },
  {
    name: 'bnf-accept-no-rules',
    title: 'bridge with nf_call_iptables 1, FORWARD ACCEPT and no rules',
    setup: BR_NF + 'iptables -P FORWARD ACCEPT\n',
    check: 'br-netfilter',
    expect: 'pass',
    summary: /FORWARD path accepts them/,
    bridgedPing: { bridge: 'br0', works: true },
  },
  {
    name: 'bnf-sysctl-off',
    title: 'bridge-nf-call-* = 0 in the namespace, FORWARD DROP',
    setup: BR + SYSCTLS_OFF + 'iptables -P FORWARD DROP\n',
    check: 'br-netfilter',
    expect: 'pass',
    summary: /not passed to iptables/,
    bridgedPing: { bridge: 'br0', works: true },
  },
  {
    name: 'bnf-sysctl-off-bridge-on',
    title: 'bridge-nf-call-* = 0, but the bridge has nf_call_iptables 1, FORWARD DROP',
    setup: BR_NF + SYSCTLS_OFF + 'iptables -P FORWARD DROP\n',
    check: 'br-netfilter',
    expect: 'fail',
    summary: /dropped: br0/,
    bridgedPing: { bridge: 'br0', works: false },
  },
  {
    name: 'bnf-drop-physdev-accept',
    title: 'FORWARD DROP with -m physdev --physdev-is-bridged -j ACCEPT',
    setup: BR_NF + 'iptables -P FORWARD DROP\niptables -A FORWARD -m physdev --physdev-is-bridged -j ACCEPT\n',
    check: 'br-netfilter',
    expect: 'pass',
    summary: /accepts them/,
    bridgedPing: { bridge: 'br0', works: true },
  },
];

realKernelSuite('real kernel: br-netfilter', specs, ['iptables', 'sysctl']);
