// br-netfilter: when br_netfilter is active, frames crossing a bridge are
// handed to iptables/ip6tables/arptables. With Docker's FORWARD policy DROP,
// guests on a bridge silently lose their traffic. Passes when the calls are off
// (globally per network namespace, and per bridge) or the firewall accepts.
import type { CheckCase, HostSpec } from '../src/check-cases.js';
import { requireLinks, type Link } from '../src/model/network.js';
import { chainFate, chainLabel, firewall } from '../src/facts/firewall.js';
import { sysctl } from '../src/facts/system.js';
import { iptablesRule, linkGone } from '../src/fixes/plans.js';
import type { Check, Evidence, FixPlan } from '../src/types.js';

const FAMILIES = [
  { sysctl: 'iptables', opt: 'nf_call_iptables', nft: ['ip', 'inet'] },
  { sysctl: 'ip6tables', opt: 'nf_call_ip6tables', nft: ['ip6', 'inet'] },
  { sysctl: 'arptables', opt: 'nf_call_arptables', nft: ['arp'] },
] as const;

const SYSCTL_CONF = '/etc/sysctl.d/99-qnet-bridge-nf.conf';

function fixes(brs: Link[], perBridge: Link[], dockerish: boolean): FixPlan[] {
  const conf = FAMILIES.map((f) => `net.bridge.bridge-nf-call-${f.sysctl} = 0`).join('\n') + '\n';
  const off: FixPlan = {
    id: 'br-netfilter/sysctl-off',
    title: 'stop passing bridged frames to iptables/ip6tables/arptables, now and at every boot',
    risk: dockerish ? 'medium' : 'low',
    root: true,
    explain: 'the sysctl file applies at boot; the udev rule re-applies it whenever br_netfilter loads later (the udev rule makes the setting survive the module loading after boot)',
    actions: [
      ...FAMILIES.map((f) => ({ kind: 'sysctl' as const, key: `net.bridge.bridge-nf-call-${f.sysctl}`, value: '0' })),
      ...perBridge.map((b) => ({
        kind: 'run' as const,
        argv: ['ip', 'link', 'set', 'dev', b.name, 'type', 'bridge', ...FAMILIES.flatMap((f) => [f.opt, '0'])],
        // Undo gives each option back the value it had.
        inverse: ['ip', 'link', 'set', 'dev', b.name, 'type', 'bridge', ...FAMILIES.flatMap((f) => [f.opt, String(b.bridge?.[f.opt] ?? 0)])],
        inverseUnless: linkGone(b.name),
        why: 'per-bridge setting',
      })),
      { kind: 'write-file', path: SYSCTL_CONF, content: conf, mode: 0o644, uid: 0, gid: 0 },
      {
        kind: 'write-file',
        path: '/etc/udev/rules.d/99-qnet-bridge-nf.rules',
        content: `ACTION=="add", SUBSYSTEM=="module", KERNEL=="br_netfilter", RUN+="/sbin/sysctl -p ${SYSCTL_CONF}"\n`,
        mode: 0o644, uid: 0, gid: 0,
      },
    ],
  };
  const accept: FixPlan = {
    id: 'br-netfilter/accept-bridged',
    title: 'keep br_netfilter (Docker, Kubernetes need it) and accept bridged frames in FORWARD',
    risk: 'medium',
    root: true,
    explain: 'a narrow ACCEPT for frames that only cross a bridge; persist it with your firewall manager',
    actions: [
      iptablesRule(['-I', dockerish ? 'DOCKER-USER' : 'FORWARD', '-m', 'physdev', '--physdev-is-bridged', '-j', 'ACCEPT']),
    ],
  };
  void brs;
  return dockerish ? [accept, off] : [off, accept];
}

const check: Check = {
  id: 'br-netfilter',
  area: 'kernel',
  order: 50,
  title: () => 'bridged frames are not dropped by iptables (br_netfilter)',
  async run(ctx) {
    const ls = await requireLinks(ctx);
    const brs = ls.bridges();
    const evidence: Evidence[] = [];
    if (!brs.length) {
      return { status: 'skip', summary: 'no bridge on this host', evidence: [{ source: ls.source, observed: ls.error ?? `${ls.links.length} interfaces, no bridge` }] };
    }
    const values = await Promise.all(FAMILIES.map((f) => sysctl(ctx, `net.bridge.bridge-nf-call-${f.sysctl}`)));
    if (values.every((v) => v.error === 'ENOENT')) {
      return {
        status: 'pass',
        summary: 'br_netfilter is not loaded: bridged frames bypass iptables',
        evidence: [{ source: 'read /proc/sys/net/bridge/', observed: 'absent (br_netfilter not loaded)' }],
        details: ['Docker and Kubernetes load br_netfilter; run qnet doctor again after starting them.'],
      };
    }
    FAMILIES.forEach((f, i) => {
      evidence.push({ source: `read /proc/sys/net/bridge/bridge-nf-call-${f.sysctl}`, observed: values[i]!.value ?? values[i]!.error ?? '?' });
    });

    // Per bridge and family: is the call on (the namespace-wide sysctl OR the bridge's own option)?
    const perBridgeOn: Link[] = [];
    const active: { br: Link; families: (typeof FAMILIES)[number][] }[] = [];
    for (const br of brs) {
      const fams = FAMILIES.filter((f, i) => values[i]!.value === '1' || br.bridge?.[f.opt] === 1);
      const own = FAMILIES.filter((f) => br.bridge?.[f.opt] === 1).map((f) => f.opt);
      if (own.length) {
        perBridgeOn.push(br);
        evidence.push({ source: `${ls.source} (${br.name})`, observed: own.map((o) => `${o} 1`).join(', ') });
      }
      if (fams.length) active.push({ br, families: fams });
    }
    const nsNote = 'These sysctls are per network namespace; the values are those of the namespace qnet runs in.';
    if (!active.length) {
      return { status: 'pass', summary: `bridged frames are not passed to iptables (bridge-nf-call-* = 0) on ${brs.map((b) => b.name).join(', ')}`, evidence, details: [nsNote] };
    }

    const fw = await firewall(ctx);
    evidence.push(...fw.sources);
    const dockerish = fw.chains.some((c) => c.regular.has('DOCKER-USER') || c.regular.has('DOCKER'));
    const fixList = fixes(brs, perBridgeOn, dockerish);
    const onList = active.map((a) => `${a.br.name} (${a.families.map((f) => f.sysctl).join(', ')})`).join('; ');
    if (fw.unreadable) {
      return {
        status: 'warn',
        summary: `bridged frames on ${onList} are passed to the firewall, which could not be read: ${fw.unreadable}`,
        evidence,
        fixes: fixList,
        details: [nsNote],
        subjects: active.map((a) => a.br.name),
      };
    }
    const drops: string[] = [];
    const subjects = new Set<string>();
    const maybes: string[] = [];
    for (const a of active) {
      const fams = new Set<string>(a.families.flatMap((f) => [...f.nft]));
      for (const chain of fw.chains) {
        // The bridge family's forward hook sees bridged frames whatever the sysctls say.
        if (chain.hook !== 'forward' || (chain.family !== 'bridge' && !fams.has(chain.family))) continue;
        const { fate, why } = chainFate(chain, { iif: a.br.name, oif: a.br.name, bridged: true });
        if (fate === 'drop') drops.push(`${a.br.name}: ${chainLabel(chain)} drops them (${why})`);
        if (fate === 'maybe') maybes.push(`${a.br.name}: ${chainLabel(chain)}: ${why}`);
        if (fate === 'drop' || fate === 'maybe') subjects.add(a.br.name);
      }
    }
    if (drops.length) {
      return {
        status: 'fail',
        summary: `bridged frames are passed to iptables and dropped: ${drops[0]}${drops.length > 1 ? ` (+${drops.length - 1} more)` : ''}`,
        evidence,
        fixes: fixList,
        details: [
          ...drops.slice(1),
          'Guests on the bridge get no DHCP lease or lose traffic, while the host looks fine. Docker sets FORWARD to DROP.',
          nsNote,
        ],
        subjects: [...subjects],
      };
    }
    if (maybes.length) {
      return { status: 'warn', summary: `bridged frames are passed to iptables and some rules may drop them: ${maybes[0]}`, evidence, fixes: fixList, details: [...maybes.slice(1), nsNote], subjects: [...subjects] };
    }
    return {
      status: 'pass',
      summary: `bridged frames on ${onList} are passed to the firewall, and its FORWARD path accepts them`,
      evidence,
      details: ['A firewall or Docker started later can set FORWARD to DROP; `qnet fix br-netfilter` turns the calls off.', nsNote],
    };
  },
};

export default check;

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const NFT = 'nft -j list ruleset';
  const nft = (doc: string) => ({ exec: { [NFT]: { stdout: doc } } });
  const legacy = (rules: string): Partial<HostSpec> => ({ stats: { '/usr/sbin/nft': null }, files: { '/proc/net/ip_tables_names': 'filter\n' }, exec: { 'iptables-legacy -t filter -S': { stdout: rules } } });
  const br0Accept = [{ match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'br0' } }, { accept: null }];
  const physdevAccept = [{ xt: { type: 'match', name: 'physdev' } }, { accept: null }];
  const saddrDrop = [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '10.0.0.0' } }, { drop: null }];
  return [
    { name: 'no bridge', host: { links: [{ name: 'lo' }, { name: 'eth0' }] }, status: 'skip', summary: /no bridge/ },
    { name: 'br_netfilter not loaded', host: { ...bridgeNfHost('1'), files: {} }, status: 'pass', summary: /not loaded/ },
    { name: 'calls off', host: bridgeNfHost('0'), status: 'pass', summary: /not passed to iptables/ },
    { name: 'calls on, FORWARD accepts', host: bridgeNfHost('1', nft(filterTable('accept'))), status: 'pass', summary: /accepts them/ },
    { name: 'calls on, FORWARD policy DROP', host: bridgeNfHost('1', nft(filterTable('drop'))), status: 'fail', summary: /br0: nft ip filter FORWARD drops them \(policy DROP\)/ },
    { name: 'Docker: FORWARD DROP with jumps that return', host: bridgeNfHost('1', nft(dockerForward())), status: 'fail', summary: /policy DROP/ },
    {
      name: 'Docker with a DOCKER-USER accept for br0 (what the fix adds)',
      host: bridgeNfHost('1', nft(filterTable('drop', [['FORWARD', [{ jump: { target: 'DOCKER-USER' } }]], ['DOCKER-USER', br0Accept]], ['DOCKER-USER']))),
      status: 'pass',
      summary: /accepts them/,
    },
    { name: 'global off but the bridge has its own nf_call_iptables 1', host: bridgeNfHost('0', nft(filterTable('drop')), { nf_call_iptables: 1 }), status: 'fail', summary: /drops them/ },
    { name: 'policy DROP with a physdev accept', host: bridgeNfHost('1', nft(filterTable('drop', [['FORWARD', physdevAccept]]))), status: 'pass', summary: /accepts/ },
    { name: 'a conditional drop before anything decides', host: bridgeNfHost('1', nft(filterTable('accept', [['FORWARD', saddrDrop]]))), status: 'warn', summary: /may drop/ },
    { name: 'firewall unreadable (nft refuses)', host: bridgeNfHost('1', { exec: { [NFT]: { exitCode: 1, stderr: 'Error: Operation not permitted' } } }), status: 'warn', summary: /could not be read/ },
    { name: 'legacy iptables table with policy DROP', host: bridgeNfHost('1', legacy('-P INPUT ACCEPT\n-P FORWARD DROP\n-P OUTPUT ACCEPT\n')), status: 'fail', summary: /iptables-legacy FORWARD drops them/ },
    { name: 'legacy iptables with -i br0 -o br0 -j ACCEPT', host: bridgeNfHost('1', legacy('-P FORWARD DROP\n-A FORWARD -i br0 -o br0 -j ACCEPT\n')), status: 'pass', summary: /accepts/ },
  ];
}

/**
 * A host record for the table above and test/checks/br-netfilter.test.ts: root's view of br0
 * (with tap0 on it) while br_netfilter's three calls are `nf`; `brInfo` is br0's own options.
 */
export function bridgeNfHost(nf: string, extra: Partial<HostSpec> = {}, brInfo: Record<string, unknown> = {}): HostSpec {
  return {
    invoker: { uid: 0, euid: 0, user: 'root' },
    ...extra,
    files: {
      '/proc/sys/net/bridge/bridge-nf-call-iptables': `${nf}\n`,
      '/proc/sys/net/bridge/bridge-nf-call-ip6tables': `${nf}\n`,
      '/proc/sys/net/bridge/bridge-nf-call-arptables': `${nf}\n`,
      ...extra.files,
    },
    stats: { '/usr/sbin/nft': { mode: 0o755 }, ...extra.stats },
    links: [{ name: 'lo' }, { name: 'br0', kind: 'bridge', info: { nf_call_iptables: 0, ...brInfo } }, { name: 'tap0', kind: 'tun', master: 'br0' }],
  };
}

/** `nft -j list ruleset` with an ip filter table: FORWARD with `policy`, `rules` as [chain, expr], and `extraChains`. */
export function filterTable(policy: 'accept' | 'drop', rules: unknown[][] = [], extraChains: string[] = []): string {
  return JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      { table: { family: 'ip', name: 'filter' } },
      { chain: { family: 'ip', table: 'filter', name: 'FORWARD', type: 'filter', hook: 'forward', prio: 0, policy } },
      ...extraChains.map((name) => ({ chain: { family: 'ip', table: 'filter', name } })),
      ...rules.map(([chain, expr]) => ({ rule: { family: 'ip', table: 'filter', chain, expr } })),
    ],
  });
}

/** Docker's FORWARD: policy DROP, a jump to DOCKER-USER (which returns), an accept for docker0. */
export function dockerForward(): string {
  return filterTable(
    'drop',
    [
      ['FORWARD', [{ jump: { target: 'DOCKER-USER' } }]],
      ['FORWARD', [{ match: { op: '==', left: { meta: { key: 'oifname' } }, right: 'docker0' } }, { accept: null }]],
      ['DOCKER-USER', [{ counter: null }, { return: null }]],
    ],
    ['DOCKER-USER', 'DOCKER'],
  );
}
