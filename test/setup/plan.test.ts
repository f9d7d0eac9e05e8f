// The setup planner over hand-made host observations: what it refuses (with the
// reason and the flag that changes it), what it builds for each mode, and which
// steps need confirm-or-revert. The real-kernel tests prove the plans work;
// these pin the decisions.
import { describe, expect, it } from 'vitest';
import type { Firewall } from '../../src/facts/firewall.js';
import { answers, host, nic, v4 } from './obs.js';
import { renderRuntime } from '../../src/setup/backends/runtime.js';
import { parseSubnet, pickSubnet } from '../../src/setup/net.js';
import type { Observation } from '../../src/setup/observe.js';
import { autoBackend, makePlan } from '../../src/setup/plan.js';
import { recommend } from '../../src/setup/recommend.js';
import { Refusal, type Answers } from '../../src/setup/types.js';

const plan = (a: Partial<Answers> = {}, h: Partial<Observation> = {}) => makePlan({ answers: answers(a), obs: host(h), backend: 'runtime', prereqs: [], render: renderRuntime });
const refused = (a: Partial<Answers>, h: Partial<Observation> = {}) => {
  try {
    plan(a, h);
  } catch (err) {
    if (err instanceof Refusal) return err.message;
    throw err;
  }
  throw new Error('not refused');
};
const argvs = (p: ReturnType<typeof plan>) => p.steps.flatMap((s) => s.actions.map((a) => (a.kind === 'run' ? a.argv.join(' ') : a.kind === 'write-file' ? `write ${a.path}` : a.kind === 'sysctl' ? `sysctl ${a.key}=${a.value}` : a.kind)));

describe('refusals, found before anything changes', () => {
  const cases: [string, Partial<Answers>, Partial<Observation>, RegExp][] = [
    ['a wireless uplink cannot be bridged: NAT is offered', { mode: 'bridge' }, { links: [nic('wlp2s0', { wireless: true, addrs: [v4('192.168.1.20')] })], routes: [{ family: 4, dst: 'default', gateway: '192.168.1.1', dev: 'wlp2s0', onlink: false }] }, /wlp2s0 is wireless: .*Use --mode nat instead/],
    ['a bridge of that name made by someone else', {}, { links: [nic('enp1s0'), nic('qbr0', { kind: 'bridge', physical: false })] }, /a bridge named qbr0 already exists and was not set up by qnet: choose another name with --bridge/],
    ['a qnet network of another kind under that name', { mode: 'nat' }, { links: [nic('enp1s0'), nic('qbr0', { kind: 'bridge', physical: false, intent: 'isolated' })] }, /qbr0 is already a qnet isolated network/],
    ['a name that is a card, not a bridge', { bridge: 'enp1s0' }, {}, /enp1s0 already exists and is not a bridge/],
    ['a --subnet that overlaps the LAN', { subnet: '192.168.1.0/24' }, {}, /--subnet 192\.168\.1\.1\/24 overlaps 192\.168\.1\.\d+\/24, already in use on this host/],
    ['a --subnet that is not private', { subnet: '8.8.8.0/24' }, {}, /not a private \(RFC 1918\) range/],
    ['NAT without a default route', { mode: 'nat' }, { routes: [] }, /no default route, so NAT has nowhere to send/],
    ['an uplink already on another bridge', { mode: 'bridge', uplink: 'enp1s0' }, { links: [nic('enp1s0', { master: 'br0' }), nic('br0', { kind: 'bridge', physical: false })] }, /enp1s0 is already a port of br0/],
    ['an uplink without carrier', { mode: 'bridge', uplink: 'enp1s0' }, { links: [nic('enp1s0', { carrier: false })] }, /enp1s0 has no carrier/],
    ['a hostile bridge name', { bridge: 'a;b' }, {}, /"a;b" is not a usable interface name/],
    ['a host port below ip_unprivileged_port_start for a normal user', { mode: 'user', hostfwd: [{ proto: 'tcp', hostPort: 80, guestPort: 80 }] }, {}, /tcp port 80 is below net\.ipv4\.ip_unprivileged_port_start \(1024\): only root may bind it/],
    ['a host port already listening', { mode: 'user', hostfwd: [{ proto: 'tcp', hostPort: 2222, guestPort: 22 }] }, { listening: [{ proto: 'tcp', port: 2222 }] }, /tcp port 2222 is already in use/],
    ['the helper route without a helper', { access: 'helper' }, { helper: undefined }, /qemu-bridge-helper is not installed.*--access taps/],
    ['UML in user mode', { mode: 'user', vmKind: 'uml' }, {}, /User-Mode Linux has no user-mode \(SLIRP\) networking/],
    ['a bridge without root', { mode: 'isolated' }, { root: false }, /needs root/],
  ];
  for (const [what, a, h, re] of cases) it(what, () => expect(refused(a, h)).toMatch(re));
});

describe('plans', () => {
  it('nat: bridge with its intent, address, forwarding, masquerade, FORWARD accepts, DHCP bound to the bridge, the ACL for exactly this bridge', () => {
    const p = plan();
    expect(p.subnet).toBe('10.77.0.1/24');
    expect(argvs(p)).toEqual([
      expect.stringMatching(/^ip link add name qbr0 address 02:71:6e:[0-9a-f:]{8} type bridge stp_state 0$/),
      'ip link set dev qbr0 alias qnet:nat',
      'ip link set dev qbr0 up',
      'ip addr add 10.77.0.1/24 dev qbr0',
      'sysctl net.ipv4.ip_forward=1',
      'iptables -t nat -A POSTROUTING -s 10.77.0.0/24 ! -d 10.77.0.0/24 -o enp1s0 -j MASQUERADE',
      'iptables -I FORWARD -i qbr0 -o enp1s0 -j ACCEPT',
      'iptables -I FORWARD -i enp1s0 -o qbr0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      expect.stringMatching(/^dnsmasq --conf-file=\/dev\/null --interface=qbr0 --bind-interfaces --except-interface=lo --port=0 --dhcp-range=10\.77\.0\.10,10\.77\.0\.254,255\.255\.255\.0,12h --dhcp-option=option:router,10\.77\.0\.1 --dhcp-option=option:dns-server,192\.168\.1\.1 /),
      'note',
      'write /etc/qemu/bridge.conf',
    ]);
    expect(p.risky).toEqual([]);
    expect(p.vms[0]!.qemuArgs).toEqual(['-netdev', 'bridge,id=n0,br=qbr0', '-device', `virtio-net-pci,netdev=n0,mac=${p.vms[0]!.mac}`]);
    const acl = p.steps.flatMap((s) => s.actions).find((a) => a.kind === 'write-file');
    expect(acl && acl.kind === 'write-file' && acl.content).toMatch(/^allow qbr0$/m);
    expect(acl && acl.kind === 'write-file' && acl.content).not.toMatch(/allow all/);
  });
  it('nat with Docker: the accepts go into DOCKER-USER', () => {
    const fw: Firewall = { chains: [{ family: 'ip', backend: 'nft', table: 'filter', name: 'FORWARD', hook: 'forward', policy: 'drop', rules: [], regular: new Map([['DOCKER-USER', []]]) }], sources: [] };
    expect(argvs(plan({}, { fw, docker: true }))).toContain('iptables -I DOCKER-USER -i qbr0 -o enp1s0 -j ACCEPT');
  });
  it('nat picks a subnet clear of every route and address', () => {
    const p = plan({}, { links: [nic('lo', { kind: 'loopback', physical: false }), nic('enp1s0', { addrs: [v4('10.77.0.5', 16)] })] });
    expect(p.subnet).toBe('10.78.0.1/24');
  });
  it('isolated: no gateway, no DNS, no forwarding, no NAT', () => {
    const a = argvs(plan({ mode: 'isolated' }));
    expect(a.join('\n')).not.toMatch(/iptables|ip_forward/);
    expect(a.find((x) => x.startsWith('dnsmasq'))).toMatch(/--dhcp-option=option:router --dhcp-option=option:dns-server /);
    expect(a).toContain('ip link set dev qbr0 alias qnet:isolated');
  });
  it('isolated without dnsmasq: a static address per VM', () => {
    const p = plan({ mode: 'isolated', vms: 2 }, { tools: { ...host().tools, dnsmasq: undefined } });
    expect(p.dhcp).toBeNull();
    expect(p.vms.map((v) => v.staticAddr)).toEqual(['10.77.0.10/24', '10.77.0.11/24']);
  });
  it('bridge on the only uplink: the address and default route move, with confirm-or-revert and the gateway as probe', () => {
    const p = plan({ mode: 'bridge' });
    expect(argvs(p)).toEqual([
      'ip link add name qbr0 address 52:aa:00:00:00:01 type bridge stp_state 0',
      'ip link set dev qbr0 alias qnet:bridge',
      'ip link set dev qbr0 up',
      'ip link set dev enp1s0 master qbr0',
      'ip route del default via 192.168.1.1 dev enp1s0 proto dhcp metric 100',
      'ip addr del 192.168.1.20/24 dev enp1s0',
      'ip addr add 192.168.1.20/24 dev qbr0',
      'ip route add default via 192.168.1.1 dev qbr0 proto dhcp metric 100',
      'note',
      'write /etc/qemu/bridge.conf',
    ]);
    expect(p.steps.filter((s) => s.risky).map((s) => s.id)).toEqual(['setup/enslave', 'setup/move']);
    expect(p.probes).toEqual([{ addr: '192.168.1.1', dev: 'qbr0', what: 'the gateway 192.168.1.1' }]);
    // Each move has its exact inverse.
    const move = p.steps.find((s) => s.id === 'setup/move')!.actions;
    expect(move.map((a) => (a.kind === 'run' ? a.inverse?.join(' ') : ''))).toEqual([
      'ip route replace default via 192.168.1.1 dev enp1s0 proto dhcp metric 100',
      'ip addr replace 192.168.1.20/24 dev enp1s0',
      'ip addr del 192.168.1.20/24 dev qbr0',
      'ip route del default via 192.168.1.1 dev qbr0 proto dhcp metric 100',
    ]);
  });
  it('bridge on a spare card with no address: nothing to confirm', () => {
    const p = plan({ mode: 'bridge', uplink: 'enp2s0' }, { links: [...host().links, nic('enp2s0', { mac: '52:aa:00:00:00:02' })] });
    expect(p.risky).toEqual([]);
    expect(p.steps.some((s) => s.risky)).toBe(false);
  });
  it('the SSH session\'s interface makes it risky, and its on-link peer is probed', () => {
    const p = plan({ mode: 'bridge' }, { ssh: { peer: '192.168.1.50', peerPort: 50000, local: '192.168.1.20', dev: 'enp1s0' } });
    expect(p.risky.join('; ')).toMatch(/enp1s0 carries this SSH session \(from 192\.168\.1\.50\)/);
    expect(p.probes.map((x) => x.addr)).toEqual(['192.168.1.1', '192.168.1.50']);
  });
  it('UML: persistent taps owned by the user, attached; umlArgs instead of qemuArgs', () => {
    const p = plan({ mode: 'isolated', vmKind: 'uml', access: 'taps', vms: 2 });
    expect(argvs(p)).toEqual(expect.arrayContaining(['ip tuntap add dev qbr0-vm1 mode tap user 1000', 'ip link set dev qbr0-vm1 master qbr0', 'ip tuntap add dev qbr0-vm2 mode tap user 1000']));
    expect(p.vms.map((v) => v.umlArgs)).toEqual([[`eth0=tuntap,qbr0-vm1,${p.vms[0]!.mac}`], [`eth0=tuntap,qbr0-vm2,${p.vms[1]!.mac}`]]);
    expect(p.vms.every((v) => v.qemuArgs === undefined)).toBe(true);
  });
  it('--vms N: distinct MACs under 52:54:00, stable for the same answers, clear of MACs in use', () => {
    const a = plan({ vms: 3 });
    const macs = a.vms.map((v) => v.mac);
    expect(new Set(macs).size).toBe(3);
    for (const m of macs) expect(m).toMatch(/^52:54:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/);
    expect(plan({ vms: 3 }).vms.map((v) => v.mac)).toEqual(macs);
    const clash = plan({ vms: 3 }, { macs: new Set([macs[0]!]) }).vms.map((v) => v.mac);
    expect(clash).not.toContain(macs[0]);
  });
  it('an existing qnet bridge with the same intent is reused: only what is missing is planned', () => {
    const p = plan({}, { links: [...host().links, nic('qbr0', { kind: 'bridge', physical: false, intent: 'nat', addrs: [v4('10.77.0.1')] })] });
    expect(p.existing).toBe(true);
    expect(argvs(p).some((x) => x.startsWith('ip link add') || x.startsWith('ip addr add'))).toBe(false);
  });
  it('user mode: no steps, per-VM host ports', () => {
    const p = plan({ mode: 'user', vms: 2, hostfwd: [{ proto: 'tcp', hostPort: 2222, guestPort: 22 }] });
    expect(p.steps).toEqual([]);
    expect(p.vms.map((v) => v.qemuArgs![1])).toEqual(['user,id=n0,hostfwd=tcp::2222-:22', 'user,id=n0,hostfwd=tcp::2223-:22']);
  });
});

describe('recommendation and backend', () => {
  it('recommends NAT on a single wired uplink, bridge on a spare card, and never bridge over Wi-Fi', () => {
    expect(recommend(host()).mode).toBe('nat');
    expect(recommend(host({ links: [...host().links, nic('enp2s0')] })).mode).toBe('bridge');
    const wifi = recommend(host({ links: [nic('wlp2s0', { wireless: true, addrs: [v4('192.168.1.20')] })], routes: [{ family: 4, dst: 'default', gateway: '192.168.1.1', dev: 'wlp2s0', onlink: false }] }));
    expect(wifi.mode).toBe('nat');
    expect(wifi.against.bridge).toMatch(/wireless/);
  });
  it('auto backend follows the uplink\'s manager', () => {
    expect(autoBackend(host()).backend).toBe('runtime');
    const ifupdown = host({ managers: { ...host().managers, ifupdown: { installed: true, sourcesD: true, stanzas: ['lo', 'enp1s0'], ours: {} } } });
    expect(autoBackend(ifupdown).backend).toBe('ifupdown');
  });
});

describe('subnets', () => {
  it('parses the host address or the network, and refuses nonsense', () => {
    expect(parseSubnet('10.9.0.0/24')).toEqual({ addr: '10.9.0.1', len: 24 });
    expect(parseSubnet('10.9.0.7/24')).toEqual({ addr: '10.9.0.7', len: 24 });
    expect(parseSubnet('10.9.0.255/24')).toMatch(/broadcast/);
    expect(parseSubnet('10.9.0/24')).toMatch(/expected an IPv4 address/);
    expect(parseSubnet('10.9.0.1/30')).toMatch(/between 8 and 29/);
  });
  it('skips QEMU\'s and libvirt\'s defaults', () => {
    expect(pickSubnet([{ addr: '10.77.0.0', len: 16 }, { addr: '10.78.0.1', len: 24 }])).toEqual({ addr: '10.79.0.1', len: 24 });
  });
});
