// nat-masquerade: each routed VM subnet leaves through a MASQUERADE/SNAT rule
// towards an uplink, or replies never find their way back to the guests.
import type { CheckCase } from '../src/check-cases.js';
import { natNetHost, natNetNft } from './ip-forward.js';
import { chainFate, chainLabel, firewall } from '../src/facts/firewall.js';
import { withoutIsolated } from '../src/facts/intent.js';
import { showPrefix } from '../src/parse/ipv4.js';
import { requireLinks } from '../src/model/network.js';
import type { Check, FixPlan } from '../src/types.js';
import { iptablesRule } from '../src/fixes/plans.js';

const check: Check = {
  id: 'nat-masquerade',
  area: 'routing',
  order: 20,
  title: () => 'routed VM subnets are masqueraded towards an uplink',
  async run(ctx) {
    const model = await requireLinks(ctx);
    const uplinks = model.uplinks;
    // Networks recorded as isolated (qnet setup's alias qnet:isolated) are meant to reach nothing beyond the host.
    const { nets, isolated } = await withoutIsolated(ctx, model.vmNets);
    if (!nets.length && isolated.length) return { status: 'skip', summary: `no routed or NAT VM network: ${isolated.join(', ')} ${isolated.length > 1 ? 'are' : 'is'} isolated by intent (alias qnet:isolated)` };
    if (!nets.length) return { status: 'skip', summary: 'no routed or NAT VM network' };
    const evidence = [{ source: 'read /proc/net/route', observed: uplinks.length ? `default route via ${uplinks.join(', ')}` : 'no default route' }];
    if (!uplinks.length) {
      return { status: 'warn', summary: 'this host has no default route, so NAT for VM networks has nowhere to go', evidence };
    }
    const fw = await firewall(ctx);
    evidence.push(...fw.sources);
    if (fw.unreadable) return { status: 'warn', summary: `the NAT rules could not be read: ${fw.unreadable}`, evidence };
    const missing: string[] = [];
    const maybe: string[] = [];
    const ok: string[] = [];
    const fixes: FixPlan[] = [];
    const uplink = uplinks[0]!;
    for (const n of nets) {
      const flow = { iif: n.dev, oif: uplink, src: n.subnet };
      const fates = fw.chains.filter((c) => c.hook === 'postrouting' && (c.family === 'ip' || c.family === 'inet')).map((c) => ({ c, ...chainFate(c, flow) }));
      const hit = fates.find((f) => f.fate === 'nat');
      const unsure = fates.find((f) => f.fate === 'maybe');
      const name = `${n.dev} ${showPrefix(n.subnet)}`;
      if (hit) ok.push(`${name} (${chainLabel(hit.c)}: ${hit.why})`);
      else if (unsure) maybe.push(`${name}: ${unsure.why}`);
      else {
        missing.push(name);
        const rule = ['-t', 'nat', '-A', 'POSTROUTING', '-s', showPrefix(n.subnet), '-o', uplink, '-j', 'MASQUERADE'];
        fixes.push({
          id: `nat-masquerade/${n.dev}`,
          title: `masquerade ${showPrefix(n.subnet)} out of ${uplink}`,
          risk: 'low',
          root: true,
          explain: 'takes effect now; persist it with your firewall manager (nftables.conf, firewalld, ufw before.rules)',
          actions: [iptablesRule(rule, { skipIfPresent: true })],
        });
      }
    }
    if (missing.length) {
      return {
        status: 'fail',
        summary: `no MASQUERADE/SNAT towards ${uplink} for ${missing.join(', ')}: guests' packets leave with private source addresses and replies never come back`,
        evidence,
        fixes,
        details: ok.length ? [`masqueraded: ${ok.join('; ')}`] : [],
        subjects: nets.filter((n) => missing.includes(`${n.dev} ${showPrefix(n.subnet)}`)).map((n) => n.dev),
      };
    }
    if (maybe.length) return { status: 'warn', summary: `NAT for ${maybe.join('; ')}`, evidence, subjects: nets.filter((n) => maybe.some((m) => m.startsWith(`${n.dev} `))).map((n) => n.dev) };
    return { status: 'pass', summary: `every routed VM subnet is translated: ${ok.join('; ')}`, evidence };
  },
};

export default check;

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const { doc, natRule, natChain, fwdChain, masq } = natNetNft();
  const other = natRule([{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '10.0.0.0', len: 8 } } } }, { masquerade: null }]);
  const dockerDrop = doc([natChain, fwdChain('drop')]);
  // systemd-networkd's IPMasquerade=: table ip io.systemd.nat, `ip saddr @masq_saddr masquerade`,
  // the networks' prefixes as elements of the set (as `nft -j list ruleset` prints them).
  const networkd = (elem: unknown[]) =>
    doc([
      { set: { family: 'ip', name: 'masq_saddr', table: 'io.systemd.nat', type: 'ipv4_addr', flags: ['interval'], elem } },
      { chain: { family: 'ip', table: 'io.systemd.nat', name: 'postrouting', type: 'nat', hook: 'postrouting', prio: 101, policy: 'accept' } },
      { rule: { family: 'ip', table: 'io.systemd.nat', chain: 'postrouting', expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '@masq_saddr' } }, { masquerade: null }] } },
    ]);
  const inline = (set: unknown[]) => doc([natChain, natRule([{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { set } } }, { masquerade: null }])]);
  return [
    { name: "systemd-networkd's masquerade: the subnet is in its named set", host: natNetHost({ nft: networkd([{ prefix: { addr: '10.12.194.0', len: 28 } }, { prefix: { addr: '192.168.122.0', len: 24 } }]) }), status: 'pass', summary: 'every routed VM subnet is translated: virbr0 192.168.122.0/24' },
    { name: "systemd-networkd's named set before networkd filled it", host: natNetHost({ nft: networkd([]) }), status: 'fail', summary: 'no MASQUERADE/SNAT towards eth0 for virbr0 192.168.122.0/24' },
    { name: 'a named set holding only another network', host: natNetHost({ nft: networkd(['10.0.0.7', { prefix: { addr: '10.12.194.0', len: 28 } }]) }), status: 'fail', summary: 'no MASQUERADE/SNAT towards eth0 for virbr0 192.168.122.0/24' },
    { name: 'a named set with an address range (not judged): maybe', host: natNetHost({ nft: networkd([{ range: ['192.168.122.2', '192.168.122.254'] }]) }), status: 'warn', summary: /NAT for virbr0/ },
    { name: 'an anonymous set of prefixes', host: natNetHost({ nft: inline(['10.0.0.1', { prefix: { addr: '192.168.0.0', len: 16 } }]) }), status: 'pass', summary: 'every routed VM subnet is translated' },
    { name: 'libvirt-style masquerade of the subnet', host: natNetHost({ nft: doc([natChain, masq]) }), status: 'pass', summary: 'every routed VM subnet is translated: virbr0 192.168.122.0/24' },
    { name: 'the only rule masquerades another subnet', host: natNetHost({ nft: doc([natChain, other]) }), status: 'fail', summary: 'no MASQUERADE/SNAT towards eth0 for virbr0 192.168.122.0/24' },
    // qnet setup records an isolated network's intent in the bridge's alias: no masquerade is then what was asked for.
    { name: 'no masquerade, isolated by intent (alias qnet:isolated)', host: natNetHost({ forward: '0', alias: 'qnet:isolated', nft: dockerDrop }), status: 'skip', summary: 'no routed or NAT VM network: virbr0 is isolated by intent (alias qnet:isolated)' },
    ...['qnet:nat', 'isolated', 'my bridge'].map((alias): CheckCase => ({
      name: `no masquerade, alias "${alias}" (not an isolated intent)`,
      host: natNetHost({ forward: '0', alias, nft: dockerDrop }),
      status: 'fail',
      summary: 'no MASQUERADE/SNAT towards eth0 for virbr0 192.168.122.0/24',
    })),
  ];
}
