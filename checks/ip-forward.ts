// ip-forward: a routed or NAT VM network needs IPv4 forwarding on, or guests
// reach the host and nothing beyond it.
import type { CheckCase, HostSpec } from '../src/check-cases.js';
import { showPrefix } from '../src/parse/ipv4.js';
import { sysctl } from '../src/facts/system.js';
import { requireLinks } from '../src/model/network.js';
import { withoutIsolated } from '../src/facts/intent.js';
import { describeError } from '../src/host/host.js';
import type { Check } from '../src/types.js';

const CONF = '/etc/sysctl.d/99-qnet-ip-forward.conf';

const check: Check = {
  id: 'ip-forward',
  area: 'routing',
  order: 10,
  title: () => 'IPv4 forwarding for routed VM networks',
  async run(ctx) {
    const { nets, isolated } = await withoutIsolated(ctx, (await requireLinks(ctx)).vmNets);
    if (!nets.length) {
      return {
        status: 'skip',
        summary: isolated.length
          ? `no routed or NAT VM network: ${isolated.join(', ')} ${isolated.length > 1 ? 'are' : 'is'} isolated by intent (alias qnet:isolated) and needs no forwarding`
          : 'no routed or NAT VM network (a bridge or tap with an address and no physical port)',
      };
    }
    const list = nets.map((n) => `${n.dev} ${showPrefix(n.subnet)}`).join(', ');
    const v = await sysctl(ctx, 'net.ipv4.ip_forward');
    if (v.error) {
      return { status: 'error', summary: `cannot read net.ipv4.ip_forward: ${describeError({ code: v.error, message: '' })}` };
    }
    const evidence = [
      { source: 'read /proc/sys/net/ipv4/ip_forward', observed: v.value! },
      { source: 'VM networks', observed: list },
    ];
    if (v.value === '1') return { status: 'pass', summary: `IPv4 forwarding is on for ${list}`, evidence };
    return {
      status: 'fail',
      summary: `IPv4 forwarding is off: guests on ${list} reach this host and nothing beyond it`,
      evidence,
      subjects: nets.map((n) => n.dev),
      fixes: [
        {
          id: 'ip-forward/sysctl',
          title: 'turn IPv4 forwarding on now and at every boot',
          risk: 'medium',
          root: true,
          explain: 'the host then routes between its interfaces; keep a firewall FORWARD policy for anything that should not be',
          actions: [
            { kind: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
            { kind: 'write-file', path: CONF, content: 'net.ipv4.ip_forward = 1\n', mode: 0o644, uid: 0, gid: 0 },
          ],
        },
      ],
    };
  },
};

export default check;

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const { doc, natChain, fwdChain } = natNetNft();
  const nd = '[Match]\nName=virbr0\n\n[Network]\nAddress=192.168.122.1/24\n\n[X-Qnet]\nIntent=isolated\n';
  const nm = '[connection]\nid=qnet-virbr0\ntype=bridge\n\n[ipv4]\nmethod=manual\n\n[user]\norg.qnet.intent=isolated\n';
  return [
    { name: 'forwarding on', host: natNetHost(), status: 'pass', summary: 'IPv4 forwarding is on for virbr0 192.168.122.0/24' },
    { name: 'forwarding off, but a LAN bridge (a physical NIC is a port)', host: natNetHost({ forward: '0', ports: [{ name: 'enp3s0', physical: true }] }), status: 'skip', summary: 'no routed or NAT VM network (a bridge or tap with an address and no physical port)' },
    // qnet setup records an isolated network's intent in the bridge's alias (qnet:isolated):
    // forwarding off is then what was asked for.
    { name: 'forwarding off, isolated by intent (alias qnet:isolated): says why', host: natNetHost({ forward: '0', alias: 'qnet:isolated' }), status: 'skip', summary: /virbr0 is isolated by intent/ },
    // systemd-networkd cannot set an alias: the [X-Qnet] section of the bridge's .network says it.
    { name: "forwarding off, isolated by the [X-Qnet] section of the bridge's systemd-networkd .network", host: natNetHost({ forward: '0', networkd: nd }), status: 'skip', summary: 'no routed or NAT VM network: virbr0 is isolated by intent' },
    { name: "forwarding off, a NAT intent in the [X-Qnet] section of the bridge's .network", host: natNetHost({ forward: '0', networkd: nd.replace('Intent=isolated', 'Intent=nat') }), status: 'fail', summary: 'IPv4 forwarding is off: guests on virbr0 192.168.122.0/24 reach this host and nothing beyond it' },
    { name: 'forwarding off, Intent=isolated outside the [X-Qnet] section (it means nothing there)', host: natNetHost({ forward: '0', networkd: '[Match]\nName=virbr0\n[Network]\nIntent=isolated\n' }), status: 'fail', summary: 'IPv4 forwarding is off: guests on virbr0 192.168.122.0/24 reach this host and nothing beyond it' },
    // NetworkManager cannot set an alias either: the [user] data of qnet's profile says it.
    { name: "forwarding off, isolated by the [user] data of qnet's NetworkManager profile", host: natNetHost({ forward: '0', nm }), status: 'skip', summary: 'no routed or NAT VM network: virbr0 is isolated by intent' },
    { name: "forwarding off, a NAT intent in the [user] data of qnet's NetworkManager profile", host: natNetHost({ forward: '0', nm: nm.replace('=isolated', '=nat') }), status: 'fail', summary: 'IPv4 forwarding is off: guests on virbr0 192.168.122.0/24 reach this host and nothing beyond it' },
    // A NAT intent, or another alias, is still judged as a routed network.
    ...['qnet:nat', 'isolated', 'my bridge'].map((alias): CheckCase => ({
      name: `forwarding off, alias "${alias}" (not an isolated intent)`,
      host: natNetHost({ forward: '0', alias, nft: doc([natChain, fwdChain('drop')]) }),
      status: 'fail',
      summary: 'IPv4 forwarding is off: guests on virbr0 192.168.122.0/24 reach this host and nothing beyond it',
    })),
  ];
}

/**
 * A host record of a NAT VM network, for the tables of ip-forward, nat-masquerade and forward-policy
 * and test/checks/routing.test.ts: root's view of virbr0 192.168.122.1/24 with `ports` (default: a
 * VM's tap vnet0), the default route via eth0, ip_forward `forward` (default 1), nft's ruleset `nft`,
 * and the network's intent as the bridge's alias, its systemd-networkd .network or NetworkManager profile.
 */
export function natNetHost(extra: { forward?: string; nft?: string; ports?: { name: string; physical: boolean }[]; alias?: string; networkd?: string; nm?: string } = {}): HostSpec {
  const ports = extra.ports ?? [{ name: 'vnet0', physical: false }];
  const route = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n' +
    'eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\n' +
    'eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\n';
  return {
    invoker: { uid: 0, euid: 0, user: 'root' },
    files: {
      '/proc/net/route': route,
      '/proc/sys/net/ipv4/ip_forward': `${extra.forward ?? '1'}\n`,
      ...(extra.alias !== undefined ? { '/sys/class/net/virbr0/ifalias': `${extra.alias}\n` } : {}),
      ...(extra.networkd !== undefined ? { '/etc/systemd/network/50-qnet-virbr0.network': extra.networkd } : {}),
      ...(extra.nm !== undefined ? { '/etc/NetworkManager/system-connections/qnet-virbr0.nmconnection': extra.nm } : {}),
    },
    stats: {
      '/usr/sbin/nft': { mode: 0o755 },
      ...Object.fromEntries(ports.filter((p) => p.physical).map((p) => [`/sys/class/net/${p.name}/device`, { type: 'dir' as const, mode: 0o755 }])),
    },
    links: [
      { name: 'lo', addrs: ['127.0.0.1/8'] },
      { name: 'eth0', addrs: ['192.168.2.10/24'] },
      { name: 'virbr0', kind: 'bridge', addrs: ['192.168.122.1/24'] },
      // A VM's tap is a tun device to iproute2; a NIC has no link kind.
      ...ports.map((p) => ({ name: p.name, master: 'virbr0', ...(p.physical ? {} : { kind: 'tun', info: { type: 'tap' } }) })),
    ],
    exec: { 'nft -j list ruleset': { stdout: extra.nft ?? JSON.stringify({ nftables: [] }) } },
  };
}

/** Pieces of `nft -j list ruleset` for natNetHost: the document, ip nat POSTROUTING and its rules, ip filter FORWARD, a masquerade of 192.168.122.0/24. */
export function natNetNft() {
  const natRule = (expr: unknown[]) => ({ rule: { family: 'ip', table: 'nat', chain: 'POSTROUTING', expr } });
  return {
    doc: (items: unknown[]) => JSON.stringify({ nftables: items }),
    natRule,
    natChain: { chain: { family: 'ip', table: 'nat', name: 'POSTROUTING', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } },
    fwdChain: (policy: string) => ({ chain: { family: 'ip', table: 'filter', name: 'FORWARD', type: 'filter', hook: 'forward', prio: 0, policy } }),
    masq: natRule([{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '192.168.122.0', len: 24 } } } }, { xt: { type: 'target', name: 'MASQUERADE' } }]),
  };
}
