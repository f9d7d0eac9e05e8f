// forward-policy: the FORWARD chain lets routed VM traffic out (Docker sets
// the policy to DROP; firewalls often do).
import type { CheckCase } from '../src/check-cases.js';
import { natNetHost, natNetNft } from './ip-forward.js';
import { chainFate, chainLabel, firewall } from '../src/facts/firewall.js';
import { showPrefix } from '../src/parse/ipv4.js';
import { which } from '../src/facts/system.js';
import { withoutIsolated } from '../src/facts/intent.js';
import { requireLinks } from '../src/model/network.js';
import type { Check, FixPlan } from '../src/types.js';
import { iptablesRule } from '../src/fixes/plans.js';

const check: Check = {
  id: 'forward-policy',
  area: 'firewall',
  title: () => 'the FORWARD chain lets VM traffic through',
  async run(ctx) {
    const model = await requireLinks(ctx);
    const uplinks = model.uplinks;
    // Networks recorded as isolated (qnet setup's alias qnet:isolated) are meant to reach nothing beyond the host.
    const { nets, isolated } = await withoutIsolated(ctx, model.vmNets);
    if (!nets.length && isolated.length) return { status: 'skip', summary: `no routed or NAT VM network: ${isolated.join(', ')} ${isolated.length > 1 ? 'are' : 'is'} isolated by intent (alias qnet:isolated)` };
    if (!nets.length) return { status: 'skip', summary: 'no routed or NAT VM network (bridged LANs are br-netfilter\'s concern)' };
    const fw = await firewall(ctx);
    const evidence = [...fw.sources];
    if (fw.unreadable) return { status: 'warn', summary: `the firewall could not be read: ${fw.unreadable}`, evidence };
    const uplink = uplinks[0];
    const drops: string[] = [];
    const maybes: string[] = [];
    const subjects = new Set<string>();
    for (const n of nets) {
      for (const c of fw.chains.filter((x) => x.hook === 'forward' && (x.family === 'ip' || x.family === 'inet'))) {
        const f = chainFate(c, { iif: n.dev, ...(uplink ? { oif: uplink } : {}), src: n.subnet });
        if (f.fate === 'drop') drops.push(`${n.dev} ${showPrefix(n.subnet)}: ${chainLabel(c)} drops it (${f.why})`);
        if (f.fate === 'maybe') maybes.push(`${n.dev}: ${chainLabel(c)}: ${f.why}`);
        if (f.fate === 'drop' || f.fate === 'maybe') subjects.add(n.dev);
      }
    }
    if (!drops.length && !maybes.length) return { status: 'pass', summary: `the FORWARD path accepts traffic from ${nets.map((n) => n.dev).join(', ')}`, evidence };
    const docker = fw.chains.some((c) => c.regular.has('DOCKER-USER'));
    const chain = docker ? 'DOCKER-USER' : 'FORWARD';
    const fixes: FixPlan[] = nets.map((n) => {
      const out = ['-I', chain, '-i', n.dev, ...(uplink ? ['-o', uplink] : []), '-j', 'ACCEPT'];
      const back = ['-I', chain, ...(uplink ? ['-i', uplink] : []), '-o', n.dev, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'];
      return {
        id: `forward-policy/${n.dev}`,
        title: `accept ${n.dev} ${showPrefix(n.subnet)} in ${chain}${uplink ? ` towards ${uplink}` : ''}, and its replies`,
        risk: 'medium',
        root: true,
        explain: docker ? 'DOCKER-USER is the chain Docker leaves to you; its own chains are rewritten on restart' : 'narrow rules for this network only',
        actions: [
          iptablesRule(out, { skipIfPresent: true }),
          iptablesRule(back, { skipIfPresent: true }),
        ],
      };
    });
    const managers = (await Promise.all([['firewall-cmd', 'firewalld: firewall-cmd --permanent --zone=trusted --add-interface=DEV'], ['ufw', 'ufw: ufw route allow in on DEV'], ['nft', 'nftables: add the rules to /etc/nftables.conf']].map(async ([p, how]) => ((await which(ctx, p!)) ? how : undefined)))).filter(Boolean);
    const details = [...drops.slice(1), ...maybes.slice(drops.length ? 0 : 1)];
    if (managers.length) details.push(`These rules last until reboot; to persist them: ${managers.join('; ')}`);
    if (drops.length) return { status: 'fail', summary: `VM traffic is dropped: ${drops[0]}`, evidence, fixes, details, subjects: [...subjects] };
    return { status: 'warn', summary: `VM traffic may be dropped: ${maybes[0]}`, evidence, fixes, details, subjects: [...subjects] };
  },
};

export default check;

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const { doc, natChain, fwdChain } = natNetNft();
  const virbr0Accept = { rule: { family: 'ip', table: 'filter', chain: 'FORWARD', expr: [{ match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'virbr0' } }, { accept: null }] } };
  const dockerDrop = doc([natChain, fwdChain('drop')]);
  return [
    { name: 'policy DROP, but an accept for the VM bridge comes first', host: natNetHost({ nft: doc([fwdChain('drop'), virbr0Accept]) }), status: 'pass', summary: 'the FORWARD path accepts traffic from virbr0' },
    { name: 'the default ACCEPT policy', host: natNetHost({ nft: doc([fwdChain('accept')]) }), status: 'pass', summary: 'the FORWARD path accepts traffic from virbr0' },
    // qnet setup records an isolated network's intent in the bridge's alias: a DROP policy is then what was asked for.
    { name: 'policy DROP, isolated by intent (alias qnet:isolated)', host: natNetHost({ forward: '0', alias: 'qnet:isolated', nft: dockerDrop }), status: 'skip', summary: 'no routed or NAT VM network: virbr0 is isolated by intent (alias qnet:isolated)' },
    ...['qnet:nat', 'isolated', 'my bridge'].map((alias): CheckCase => ({
      name: `policy DROP, alias "${alias}" (not an isolated intent)`,
      host: natNetHost({ forward: '0', alias, nft: dockerDrop }),
      status: 'fail',
      summary: 'VM traffic is dropped: virbr0 192.168.122.0/24: nft ip filter FORWARD drops it (policy DROP)',
    })),
  ];
}
