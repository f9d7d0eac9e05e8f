// The FORWARD path as the firewall will treat bridged frames, read without
// side effects: `nft -j list ruleset` (native nftables and iptables-nft alike;
// listing creates nothing) and, only when a legacy table already exists
// (/proc/net/ip_tables_names), `iptables-legacy -S FORWARD`. Running
// iptables-legacy without that would load modules and create an empty table.
import type { Context } from '../context.js';
import { describeError, text } from '../host/host.js';
import { which } from './system.js';

export type Verdict = 'accept' | 'drop' | 'jump' | 'return' | 'other';

/** A rule reduced to what matters here: which frames it applies to, and what it does. */
export interface FwRule {
  /** 'all' (no match), 'bridged' (physdev is-bridged), 'ifname' (in/out name == one of names), 'other'. */
  scope: 'all' | 'bridged' | 'ifname' | 'other';
  names: string[];
  verdict: Verdict;
  /** For jump/goto: the chain jumped to. */
  target?: string;
  text: string;
}

export interface FwChain {
  /** ip, ip6, inet, bridge (nft families); legacy chains use ip/ip6 with backend 'legacy'. */
  family: string;
  backend: 'nft' | 'legacy';
  table: string;
  name: string;
  policy: 'accept' | 'drop';
  rules: FwRule[];
  /** The table's other (regular) chains, by name, for following jumps. */
  regular: Map<string, FwRule[]>;
}

export interface Firewall {
  chains: FwChain[];
  /** What was read, for evidence. */
  sources: { source: string; observed: string }[];
  /** Set when the firewall could not be read (not root, nft missing...). */
  unreadable?: string;
}

interface NftExpr {
  match?: { op?: string; left?: { meta?: { key?: string } }; right?: unknown };
  xt?: { type?: string; name?: string };
  accept?: null;
  drop?: null;
  reject?: unknown;
  jump?: { target?: string };
  goto?: { target?: string };
  counter?: unknown;
  [k: string]: unknown;
}

function nftRule(expr: NftExpr[]): FwRule {
  let scope: FwRule['scope'] = 'all';
  const names: string[] = [];
  let verdict: Verdict = 'other';
  let target: string | undefined;
  const parts: string[] = [];
  for (const e of expr) {
    if (e.match) {
      const key = e.match.left?.meta?.key;
      const right = e.match.right;
      if ((key === 'iifname' || key === 'oifname') && e.match.op === '==') {
        const vals = typeof right === 'string' ? [right] : (right as { set?: unknown[] })?.set?.filter((x): x is string => typeof x === 'string') ?? [];
        if (vals.length) {
          names.push(...vals);
          if (scope === 'all') scope = 'ifname';
          parts.push(`${key} ${vals.join(',')}`);
          continue;
        }
      }
      scope = 'other';
      parts.push('match');
    } else if (e.xt) {
      if (e.xt.name === 'physdev') {
        if (scope === 'all') scope = 'bridged';
        parts.push('physdev');
      } else {
        scope = 'other';
        parts.push(`xt ${e.xt.name ?? ''}`.trim());
      }
    } else if ('accept' in e) {
      verdict = 'accept';
      parts.push('accept');
    } else if ('drop' in e || 'reject' in e) {
      verdict = 'drop';
      parts.push('drop' in e ? 'drop' : 'reject');
    } else if ('jump' in e || 'goto' in e) {
      target = (e.jump ?? e.goto)?.target;
      verdict = 'jump';
      parts.push(`jump ${target ?? '?'}`);
    } else if ('return' in e) {
      verdict = 'return';
      parts.push('return');
    }
  }
  return { scope, names, verdict, ...(target ? { target } : {}), text: parts.join(' ') };
}

export function parseNftJson(json: string): FwChain[] {
  const doc = JSON.parse(json) as { nftables?: Record<string, Record<string, unknown>>[] };
  const items = doc.nftables ?? [];
  const hooked: FwChain[] = [];
  const tables = new Map<string, Map<string, FwRule[]>>();
  const table = (key: string) => {
    let t = tables.get(key);
    if (!t) tables.set(key, (t = new Map()));
    return t;
  };
  for (const item of items) {
    const c = item.chain as { family?: string; table?: string; name?: string; hook?: string; policy?: string } | undefined;
    if (!c?.family || !c.table || !c.name) continue;
    const regular = table(`${c.family}/${c.table}`);
    regular.set(c.name, []);
    if (c.hook === 'forward') {
      hooked.push({ family: c.family, backend: 'nft', table: c.table, name: c.name, policy: c.policy === 'drop' ? 'drop' : 'accept', rules: [], regular });
    }
  }
  for (const item of items) {
    const r = item.rule as { family?: string; table?: string; chain?: string; expr?: NftExpr[] } | undefined;
    if (!r?.chain) continue;
    table(`${r.family}/${r.table}`).get(r.chain)?.push(nftRule(r.expr ?? []));
  }
  for (const c of hooked) c.rules = c.regular.get(c.name) ?? [];
  return hooked;
}

/** Parses `iptables -S` output (the filter table); returns its FORWARD chain with the others for jumps. */
export function parseIptablesS(out: string, family: string): FwChain | undefined {
  let policy: 'accept' | 'drop' | undefined;
  const regular = new Map<string, FwRule[]>();
  for (const line of out.split('\n')) {
    const t = line.trim();
    const p = /^-P FORWARD (\w+)/.exec(t);
    if (p) {
      policy = p[1] === 'DROP' ? 'drop' : 'accept';
      continue;
    }
    const n = /^-N (\S+)/.exec(t);
    if (n) regular.set(n[1]!, []);
    const a = /^-A (\S+)/.exec(t);
    if (!a) continue;
    const chainName = a[1]!;
    if (!regular.has(chainName)) regular.set(chainName, []);
    const rules = regular.get(chainName)!;
    const target = /(?:^|\s)-[jg] (\S+)/.exec(t)?.[1];
    const verdict: Verdict =
      target === 'ACCEPT' ? 'accept' : target === 'DROP' || target === 'REJECT' ? 'drop' : target === 'RETURN' ? 'return' : target && /^[A-Za-z0-9_.-]+$/.test(target) && target !== 'LOG' ? 'jump' : 'other';
    const body = t.replace(/^-A \S+/, '').replace(/(^|\s)-[jg] \S+.*$/, '').trim();
    const names: string[] = [];
    let scope: FwRule['scope'] = 'all';
    if (body) {
      const rest = body
        .replace(/(^|\s)-([io]) (\S+)/g, (_m, sp: string, _d: string, n: string) => {
          names.push(n);
          return sp;
        })
        .trim();
      if (/^-m physdev --physdev-is-bridged$/.test(rest)) scope = 'bridged';
      else if (rest === '' && names.length) scope = 'ifname';
      else scope = 'other';
    }
    rules.push({ scope, names, verdict, ...(verdict === 'jump' ? { target: target! } : {}), text: t });
  }
  if (!policy) return undefined;
  return { family, backend: 'legacy', table: 'filter', name: 'FORWARD', policy, rules: regular.get('FORWARD') ?? [], regular };
}

export function firewall(ctx: Context): Promise<Firewall> {
  return ctx.memo('firewall', async () => {
    const fw: Firewall = { chains: [], sources: [] };
    const nft = await which(ctx, 'nft');
    if (nft) {
      const r = await ctx.host.exec(['nft', '-j', 'list', 'ruleset']);
      if (r.ok && r.value.exitCode === 0) {
        try {
          const chains = parseNftJson(r.value.stdout || '{"nftables":[]}');
          fw.chains.push(...chains);
          if (!chains.length) fw.sources.push({ source: 'nft -j list ruleset', observed: 'no chain on the forward hook' });
          for (const c of chains) {
            fw.sources.push({ source: 'nft -j list ruleset', observed: `${c.family} ${c.table} ${c.name}: hook forward, policy ${c.policy}, ${c.rules.length} rule(s)` });
          }
        } catch (err) {
          fw.unreadable = `nft -j list ruleset gave unreadable JSON (${(err as Error).message})`;
        }
      } else {
        const why = r.ok ? r.value.stderr.trim().split('\n')[0] || `exit ${r.value.exitCode}` : describeError(r);
        fw.unreadable = `nft -j list ruleset: ${why}${ctx.invoker.euid !== 0 ? ' (reading the firewall needs root)' : ''}`;
      }
    } else {
      fw.sources.push({ source: 'nft', observed: 'not installed: native nftables and iptables-nft rules were not read' });
    }
    for (const [fam, names, prog] of [['ip', '/proc/net/ip_tables_names', 'iptables-legacy'], ['ip6', '/proc/net/ip6_tables_names', 'ip6tables-legacy']] as const) {
      const tables = text(await ctx.host.readFile(names));
      if (!tables?.split('\n').includes('filter')) continue;
      const r = await ctx.host.exec([prog, '-t', 'filter', '-S']);
      if (r.ok && r.value.exitCode === 0) {
        const chain = parseIptablesS(r.value.stdout, fam);
        if (chain) fw.chains.push(chain);
        fw.sources.push({ source: `${prog} -t filter -S`, observed: chain ? `policy ${chain.policy.toUpperCase()}, ${chain.rules.length} rule(s)` : 'no FORWARD chain' });
      } else {
        fw.unreadable = `${prog} -t filter -S: ${r.ok ? r.value.stderr.trim() : describeError(r)}`;
      }
    }
    return fw;
  });
}

type Fate = { fate: 'accept' | 'drop' | 'maybe' | 'continue'; why: string };

function walk(rules: FwRule[], regular: Map<string, FwRule[]>, bridge: string, depth: number): Fate {
  let maybe: string | undefined;
  for (const r of rules) {
    const applies = r.scope === 'all' || r.scope === 'bridged' || (r.scope === 'ifname' && r.names.every((n) => n === bridge));
    if (r.verdict === 'jump' && r.target && depth < 16) {
      const sub = walk(regular.get(r.target) ?? [], regular, bridge, depth + 1);
      if (applies && (sub.fate === 'accept' || sub.fate === 'drop')) return maybe && sub.fate === 'accept' ? { fate: 'maybe', why: maybe } : sub;
      if (sub.fate === 'maybe' || (!applies && sub.fate === 'drop')) maybe ??= sub.fate === 'maybe' ? sub.why : `rule "${r.text}" may lead to a drop`;
      continue;
    }
    if (applies && r.verdict === 'return') break;
    if (applies && r.verdict === 'drop') return { fate: 'drop', why: `rule "${r.text}"` };
    if (applies && r.verdict === 'accept') return maybe ? { fate: 'maybe', why: maybe } : { fate: 'accept', why: `rule "${r.text}"` };
    if (r.verdict === 'drop') maybe ??= `rule "${r.text}" may drop it`;
  }
  return maybe ? { fate: 'maybe', why: maybe } : { fate: 'continue', why: '' };
}

/**
 * What a forward-hook chain does with a frame bridged on `bridge`: the first
 * rule that surely applies decides (jumps are followed); a drop that may apply
 * before it makes it 'maybe'; otherwise the policy.
 */
export function chainFate(chain: FwChain, bridge: string): { fate: 'accept' | 'drop' | 'maybe'; why: string } {
  const r = walk(chain.rules, chain.regular, bridge, 0);
  if (r.fate !== 'continue') return r as { fate: 'accept' | 'drop' | 'maybe'; why: string };
  return chain.policy === 'drop' ? { fate: 'drop', why: 'policy DROP' } : { fate: 'accept', why: 'policy ACCEPT' };
}

export const chainLabel = (c: FwChain) =>
  c.backend === 'legacy' ? `${c.family === 'ip6' ? 'ip6tables' : 'iptables'}-legacy FORWARD` : `nft ${c.family} ${c.table} ${c.name}`;
