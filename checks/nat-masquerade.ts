// nat-masquerade: each routed VM subnet leaves through a MASQUERADE/SNAT rule
// towards an uplink, or replies never find their way back to the guests.
import { chainFate, chainLabel, firewall, showPrefix } from '../src/facts/firewall.js';
import { intentOf } from '../src/facts/intent.js';
import { routing } from '../src/facts/vmnets.js';
import type { Check, FixPlan } from '../src/types.js';

const check: Check = {
  id: 'nat-masquerade',
  area: 'routing',
  title: () => 'routed VM subnets are masqueraded towards an uplink',
  async run(ctx) {
    const { nets: all, uplinks } = await routing(ctx);
    // Networks recorded as isolated (qnet setup's alias qnet:isolated) are meant to reach nothing beyond the host.
    const isolated = new Set((await Promise.all(all.map(async (n) => ((await intentOf(ctx, n.dev)) === 'isolated' ? n.dev : '')))).filter(Boolean));
    const nets = all.filter((n) => !isolated.has(n.dev));
    if (!nets.length && isolated.size) return { status: 'skip', summary: `no routed or NAT VM network: ${[...isolated].join(', ')} ${isolated.size > 1 ? 'are' : 'is'} isolated by intent (alias qnet:isolated)` };
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
          actions: [{ kind: 'run', argv: ['iptables', ...rule], inverse: ['iptables', ...rule.map((x) => (x === '-A' ? '-D' : x))], unless: ['iptables', ...rule.map((x) => (x === '-A' ? '-C' : x))] }],
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
      };
    }
    if (maybe.length) return { status: 'warn', summary: `NAT for ${maybe.join('; ')}`, evidence };
    return { status: 'pass', summary: `every routed VM subnet is translated: ${ok.join('; ')}`, evidence };
  },
};

export default check;
