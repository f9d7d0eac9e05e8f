// What each persistent backend writes and runs for the same design, over host
// records: the files (and how the user's own files change), the commands with
// their inverses, and the order undo needs. ifupdown, networkd and netplan are
// also proven against the real tools in test/realkernel/setup-*.test.ts;
// NetworkManager cannot run confined here, so these records are its proof.
import { describe, expect, it } from 'vitest';
import { parseIniIntent, parseNmIntent } from '../../src/facts/intent.js';
import { renderBackend } from '../../src/setup/backends/index.js';
import { findStanza } from '../../src/setup/backends/ifupdown.js';
import { rematch } from '../../src/setup/backends/networkd.js';
import { nameUuid } from '../../src/setup/backends/networkmanager.js';
import type { Observation } from '../../src/setup/observe.js';
import { makePlan } from '../../src/setup/plan.js';
import { Refusal, type Answers, type Backend } from '../../src/setup/types.js';
import type { Action } from '../../src/types.js';
import { answers, host } from './obs.js';

const tools = (o: Partial<Observation['tools']>) => ({ ...host().tools, ...o });
const plan = (backend: Backend, a: Partial<Answers>, h: Partial<Observation>) => makePlan({ answers: answers({ backend, ...a }), obs: host(h), backend, prereqs: [], render: renderBackend(backend) });
const actions = (p: ReturnType<typeof plan>) => p.steps.flatMap((s) => s.actions);
const files = (p: ReturnType<typeof plan>) => Object.fromEntries(actions(p).filter((a): a is Extract<Action, { kind: 'write-file' }> => a.kind === 'write-file').map((a) => [a.path, a.content]));
const runs = (p: ReturnType<typeof plan>) => actions(p).filter((a): a is Extract<Action, { kind: 'run' }> => a.kind === 'run');
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (err instanceof Refusal) return err.message;
    throw err;
  }
  return 'not refused';
};

const INTERFACES = `source /etc/network/interfaces.d/*

auto lo
iface lo inet loopback

allow-hotplug enp1s0
iface enp1s0 inet dhcp
\tmtu 9000
`;
const ifupdown: Partial<Observation> = {
  tools: tools({ ifup: '/usr/sbin/ifup', ifdown: '/usr/sbin/ifdown' }),
  managers: { ...host().managers, ifupdown: { installed: true, interfaces: INTERFACES, sourcesD: true, stanzas: ['lo', 'enp1s0'], ours: {} } },
};

describe('ifupdown', () => {
  it('nat: one stanza in interfaces.d with the bridge, its intent, firewall and DHCP lines; ifup now, ifdown on undo', () => {
    const p = plan('ifupdown', { mode: 'nat' }, ifupdown);
    const f = files(p)['/etc/network/interfaces.d/qnet-qbr0']!;
    expect(f).toMatch(/^auto qbr0\niface qbr0 inet static\n {4}address 10\.77\.0\.1\/24\n {4}pre-up ip link add name qbr0 address 02:71:6e:\S+ type bridge stp_state 0\n {4}pre-up ip link set dev qbr0 alias qnet:nat\n/m);
    expect(f).toMatch(/post-up iptables -t nat -A POSTROUTING -s 10\.77\.0\.0\/24 ! -d 10\.77\.0\.0\/24 -o enp1s0 -j MASQUERADE\n {4}pre-down iptables -t nat -D POSTROUTING/);
    expect(f).toMatch(/post-up dnsmasq .*--interface=qbr0 /);
    expect(files(p)['/etc/sysctl.d/99-qnet-ip-forward.conf']).toBe('net.ipv4.ip_forward = 1\n');
    expect(files(p)['/etc/network/interfaces']).toBeUndefined();
    const up = runs(p).find((r) => r.argv[0] === 'ifup')!;
    expect(up).toMatchObject({ argv: ['ifup', 'qbr0'], inverse: ['ifdown', 'qbr0'] });
  });
  it('bridge: the uplink\'s stanza becomes manual, its addressing lines move to the bridge, and ifdown of the uplink comes first (undo brings it back last)', () => {
    const p = plan('ifupdown', { mode: 'bridge' }, ifupdown);
    const main = files(p)['/etc/network/interfaces']!;
    expect(main).toMatch(/^iface enp1s0 inet manual {4}# qnet: addressing moved to qbr0$/m);
    expect(main).toMatch(/^\tmtu 9000$/m); // not addressing: stays with the card
    const f = files(p)['/etc/network/interfaces.d/qnet-qbr0']!;
    expect(f).toMatch(/^iface qbr0 inet dhcp$/m);
    expect(f).toMatch(/pre-up ip link set dev enp1s0 master qbr0/);
    expect(f).toMatch(/post-down ip link set dev enp1s0 nomaster/);
    const order = p.steps.map((s) => s.id);
    expect(order.indexOf('setup/persist-uplink')).toBeLessThan(order.indexOf('setup/ifupdown-files'));
    expect(order.indexOf('setup/ifupdown-files')).toBeLessThan(order.indexOf('setup/bring-up'));
    expect(p.steps.filter((s) => s.risky).map((s) => s.id)).toEqual(['setup/persist-uplink', 'setup/bring-up']);
  });
  it('adds the source line when interfaces.d is not read', () => {
    const noSource = INTERFACES.replace('source /etc/network/interfaces.d/*\n', '');
    const p = plan('ifupdown', { mode: 'nat' }, { ...ifupdown, managers: { ...ifupdown.managers!, ifupdown: { ...ifupdown.managers!.ifupdown, interfaces: noSource, sourcesD: false } } });
    expect(files(p)['/etc/network/interfaces']).toMatch(/\nsource \/etc\/network\/interfaces\.d\/\* {4}# qnet: read \/etc\/network\/interfaces\.d\n$/);
  });
  it('finds a stanza and its option lines up to the next stanza', () => {
    const st = findStanza(INTERFACES, 'enp1s0')!;
    expect(st.method).toBe('dhcp');
    expect(st.options.map((i) => INTERFACES.split('\n')[i]!.trim())).toEqual(['mtu 9000']);
    expect(findStanza(INTERFACES, 'enp2s0')).toBeUndefined();
  });
});

const NETWORKD = { path: '/etc/systemd/network/10-enp1s0.network', text: '[Match]\nName=enp1s0\n\n[Network]\nDHCP=ipv4\n' };
const networkd: Partial<Observation> = {
  tools: tools({ networkctl: '/usr/bin/networkctl' }),
  managers: { ...host().managers, networkd: { running: true, files: [NETWORKD] } },
};

describe('systemd-networkd', () => {
  it('isolated: .netdev and .network with networkd\'s DHCP server, no router, no DNS, the intent in [X-Qnet]', () => {
    const p = plan('networkd', { mode: 'isolated' }, networkd);
    const n = files(p)['/etc/systemd/network/50-qnet-qbr0.network']!;
    expect(n).toMatch(/\[Network\]\nAddress=10\.77\.0\.1\/24\nConfigureWithoutCarrier=yes\nDHCPServer=yes\n/);
    expect(n).toMatch(/\[DHCPServer\]\nPoolOffset=10\nEmitRouter=no\nEmitDNS=no/);
    expect(n).not.toMatch(/IPMasquerade/);
    expect(parseIniIntent(n)).toBe('isolated');
    expect(files(p)['/etc/systemd/network/50-qnet-qbr0.netdev']).toMatch(/\[NetDev\]\nName=qbr0\nKind=bridge\nMACAddress=02:71:6e:/);
  });
  it('undo order: files go, networkd re-reads, then the devices it leaves behind are deleted', () => {
    const r = runs(plan('networkd', { mode: 'nat' }, networkd));
    expect(r.map((x) => x.inverse?.join(' ') ?? (x.refresh ? '(refresh)' : '-'))).toEqual(['networkctl delete qbr0', 'networkctl reload', '(refresh)']);
  });
  it('bridge: the port\'s .network sorts before the uplink\'s own, whose addressing the bridge takes over', () => {
    const f = files(plan('networkd', { mode: 'bridge' }, networkd));
    expect(f['/etc/systemd/network/00-qnet-enp1s0.network']).toMatch(/\[Match\]\nName=enp1s0\n\n\[Network\]\nBridge=qbr0/);
    expect(f['/etc/systemd/network/50-qnet-qbr0.network']).toMatch(/\[Match\]\nName=qbr0\n\n\[Network\]\nDHCP=ipv4/);
    const first = { ...networkd, managers: { ...networkd.managers!, networkd: { running: true, files: [{ ...NETWORKD, path: '/etc/systemd/network/00-a.network' }] } } };
    expect(refusal(() => plan('networkd', { mode: 'bridge' }, first))).toMatch(/00-a\.network sorts before any file qnet could add/);
  });
  it('keeps the rest of a .network when it re-matches it', () => {
    expect(rematch('[Match]\nName=enp1s0\nMACAddress=aa:bb:cc:dd:ee:ff\n[Link]\nMTUBytes=9000\n[Network]\nAddress=10.0.0.2/24\n[Route]\nGateway=10.0.0.1\n', 'qbr0')).toEqual(['[Match]', 'Name=qbr0', '', '[Network]', 'Address=10.0.0.2/24', '[Route]', 'Gateway=10.0.0.1']);
  });
  it('refuses when networkd does not run', () => {
    expect(refusal(() => plan('networkd', { mode: 'nat' }, { ...networkd, managers: { ...networkd.managers!, networkd: { running: false, files: [] } } }))).toMatch(/systemd-networkd is not running/);
  });
});

const CLOUD = { path: '/etc/netplan/50-cloud-init.yaml', text: '# generated\nnetwork:\n  version: 2\n  ethernets:\n    enp1s0:\n      dhcp4: true\n      match:\n        macaddress: "52:aa:00:00:00:01"\n      set-name: enp1s0\n' };
const netplan: Partial<Observation> = {
  tools: tools({ netplan: '/usr/sbin/netplan', networkctl: '/usr/bin/networkctl' }),
  managers: { ...host().managers, networkd: { running: true, files: [] }, netplan: { installed: true, files: [CLOUD] } },
};

describe('netplan (networkd renderer)', () => {
  it('bridge: dhcp4 moves to the bridge (with the same client identifier); match and set-name stay with the card; comments stay', () => {
    const f = files(plan('netplan', { mode: 'bridge' }, netplan));
    const cloud = f['/etc/netplan/50-cloud-init.yaml']!;
    expect(cloud).toMatch(/^# generated\n/);
    expect(cloud).not.toMatch(/dhcp4/);
    expect(cloud).toMatch(/set-name: enp1s0/);
    const ours = f['/etc/netplan/60-qnet-qbr0.yaml']!;
    expect(ours).toMatch(/bridges:\n {4}qbr0:\n/);
    expect(ours).toMatch(/interfaces:\n\s+- enp1s0/);
    expect(ours).toMatch(/dhcp4: true/);
    expect(ours).toMatch(/dhcp-identifier: mac/);
    expect(parseIniIntent(f['/etc/systemd/network/10-netplan-qbr0.network.d/50-qnet.conf'])).toBe('bridge');
  });
  it('netplan\'s files are root-only, and netplan generate validates before anything is applied', () => {
    const p = plan('netplan', { mode: 'nat' }, netplan);
    const own = actions(p).find((a) => a.kind === 'write-file' && a.path === '/etc/netplan/60-qnet-qbr0.yaml');
    expect(own && own.kind === 'write-file' && own.mode).toBe(0o600);
    expect(runs(p).map((r) => r.argv.join(' '))).toContain('netplan generate');
  });
});

const WIRED = '[connection]\nid=Wired connection 1\nuuid=11111111-2222-4333-8444-555555555555\ntype=ethernet\ninterface-name=enp1s0\n\n[ipv4]\nmethod=manual\naddress1=192.168.1.20/24,192.168.1.1\n\n[ipv6]\nmethod=auto\n';
const nm: Partial<Observation> = {
  tools: tools({ nmcli: '/usr/bin/nmcli' }),
  managers: { ...host().managers, nmRunning: true, nmProfilesFor: (d) => (d === 'enp1s0' ? ['Wired connection 1'] : []), nmProfileText: (id) => (id === 'Wired connection 1' ? WIRED : undefined) },
};

describe('NetworkManager (keyfiles; not run here: installing NetworkManager would take over the host\'s network)', () => {
  it('nat: a root-only bridge profile in shared mode (NetworkManager\'s own DHCP and NAT), the intent in [user]', () => {
    const p = plan('networkmanager', { mode: 'nat' }, nm);
    const k = actions(p).find((a) => a.kind === 'write-file')!;
    expect(k.kind === 'write-file' && k.mode).toBe(0o600);
    const text = files(p)['/etc/NetworkManager/system-connections/qnet-qbr0.nmconnection']!;
    expect(text).toMatch(/\[connection\]\nid=qnet-qbr0\nuuid=[0-9a-f-]{36}\ntype=bridge\ninterface-name=qbr0\n/);
    expect(text).toMatch(/\[ipv4\]\nmethod=shared\naddress1=10\.77\.0\.1\/24/);
    expect(parseNmIntent(text)).toBe('nat');
    expect(p.dhcp).toMatch(/shared mode/);
  });
  it('bridge: the uplink\'s own profile is left as it was; a port profile wins by priority; the bridge takes its addressing; undo brings the old profile up last', () => {
    const p = plan('networkmanager', { mode: 'bridge' }, nm);
    const f = files(p);
    expect(Object.keys(f).sort()).toEqual(['/etc/NetworkManager/system-connections/qnet-qbr0-port-enp1s0.nmconnection', '/etc/NetworkManager/system-connections/qnet-qbr0.nmconnection', '/etc/qemu/bridge.conf']);
    expect(f['/etc/NetworkManager/system-connections/qnet-qbr0-port-enp1s0.nmconnection']).toMatch(/master=qbr0\nslave-type=bridge\nautoconnect=true\nautoconnect-priority=100/);
    expect(f['/etc/NetworkManager/system-connections/qnet-qbr0.nmconnection']).toMatch(/\[ipv4\]\nmethod=manual\naddress1=192\.168\.1\.20\/24,192\.168\.1\.1/);
    const r = runs(p);
    expect(r[0]).toMatchObject({ inverse: ['nmcli', 'connection', 'up', 'Wired connection 1'] });
    expect(r.find((x) => x.argv[2] === 'up')).toMatchObject({ argv: ['nmcli', 'connection', 'up', 'qnet-qbr0-port-enp1s0'], inverse: ['nmcli', 'connection', 'down', 'qnet-qbr0'] });
  });
  it('profile UUIDs are stable and well formed', () => {
    expect(nameUuid('qnet-qbr0')).toBe(nameUuid('qnet-qbr0'));
    expect(nameUuid('qnet-qbr0')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
