// The firewall as it will treat VM traffic, read without side effects:
// `nft -j list ruleset` (native nftables and iptables-nft alike; listing
// creates nothing) and, only when a legacy table already exists
// (/proc/net/ip_tables_names), `iptables-legacy -t TABLE -S`. Running
// iptables-legacy without that would load modules and create an empty table.
//
// Rules are reduced to what decides a flow (in/out interface, source subnet,
// bridged or not) and a verdict; anything else makes a rule conditional.
import type { Context } from '../context.js';
import { describeError, text } from '../host/host.js';
import { which } from './system.js';
import { parsePrefix, prefixesDisjoint, prefixWithin, showPrefix, type Prefix } from '../parse/ipv4.js';

export type Verdict = 'accept' | 'drop' | 'jump' | 'return' | 'nat' | 'other';


export interface FwRule {
  iif?: string[];
  oif?: string[];
  /**
   * Source addresses the rule requires: in one of `prefixes` (negated: in none of them).
   * A named nft set (`ip saddr @masq_saddr`, as systemd-networkd's IPMasquerade= makes)
   * is resolved to its elements.
   */
  saddr?: { prefixes: Prefix[]; negated: boolean };
  /** Matches only bridged frames (physdev --physdev-is-bridged). */
  bridged?: boolean;
  /** Has matches not modelled here: it may or may not apply. */
  conditional: boolean;
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
  hook: 'forward' | 'postrouting';
  policy: 'accept' | 'drop';
  rules: FwRule[];
  /** The table's chains by name, for following jumps. */
  regular: Map<string, FwRule[]>;
}

export interface Firewall {
  chains: FwChain[];
  /** What was read, for evidence. */
  sources: { source: string; observed: string }[];
  /** Set when the firewall could not be read (not root, nft missing...). */
  unreadable?: string;
}

/** A packet or frame to judge. */
export interface Flow {
  iif: string;
  oif?: string;
  /** Crossing a bridge (seen by iptables through br_netfilter). */
  bridged?: boolean;
  /** The source subnet of the traffic. */
  src?: Prefix;
}

// ---- nftables JSON -----------------------------------------------------------

interface NftExpr {
  match?: { op?: string; left?: { meta?: { key?: string }; payload?: { protocol?: string; field?: string } }; right?: unknown };
  xt?: { type?: string; name?: string };
  jump?: { target?: string };
  goto?: { target?: string };
  [k: string]: unknown;
}

const IGNORED = new Set(['counter', 'log', 'limit', 'comment', 'mangle', 'notrack']);

/** A set's elements as prefixes; undefined when one is not an address or prefix (a range, a concatenation). */
function setPrefixes(elems: unknown[]): Prefix[] | undefined {
  const out: Prefix[] = [];
  for (const e of elems) {
    const v = (e as { elem?: { val?: unknown } })?.elem?.val ?? e;
    const p = typeof v === 'string' ? parsePrefix(v) : (v as { prefix?: { addr?: unknown; len?: unknown } })?.prefix;
    if (!p || typeof p.addr !== 'string' || typeof p.len !== 'number' || !parsePrefix(`${p.addr}/${p.len}`)) return undefined;
    out.push({ addr: p.addr, len: p.len });
  }
  return out;
}

/** Named sets of one table, by name: their elements (undefined: not all understood). */
type Sets = Map<string, Prefix[] | undefined>;

/** The source addresses `right` names: a prefix, an address, an anonymous set or a named one. */
function saddrOf(right: unknown, sets: Sets): { prefixes: Prefix[]; label: string } | undefined {
  if (typeof right === 'string') {
    if (right.startsWith('@')) {
      const name = right.slice(1);
      const prefixes = sets.get(name);
      return prefixes ? { prefixes, label: `@${name} (${prefixes.map(showPrefix).join(', ') || 'empty'})` } : undefined;
    }
    const p = parsePrefix(right);
    return p ? { prefixes: [p], label: showPrefix(p) } : undefined;
  }
  const obj = right as { prefix?: Prefix; set?: unknown[] } | undefined;
  if (obj?.prefix) return { prefixes: [obj.prefix], label: showPrefix(obj.prefix) };
  if (Array.isArray(obj?.set)) {
    const prefixes = setPrefixes(obj.set);
    return prefixes ? { prefixes, label: `{ ${prefixes.map(showPrefix).join(', ')} }` } : undefined;
  }
  return undefined;
}

function nftRule(expr: NftExpr[], sets: Sets = new Map()): FwRule {
  const r: FwRule = { conditional: false, verdict: 'other', text: '' };
  const parts: string[] = [];
  for (const e of expr) {
    if (e.match) {
      const { op, left, right } = e.match;
      const key = left?.meta?.key;
      if ((key === 'iifname' || key === 'oifname') && op === '==') {
        const vals = typeof right === 'string' ? [right] : ((right as { set?: unknown[] })?.set?.filter((x): x is string => typeof x === 'string') ?? []);
        if (vals.length) {
          if (key === 'iifname') r.iif = vals;
          else r.oif = vals;
          parts.push(`${key} ${vals.join(',')}`);
          continue;
        }
      }
      if (left?.payload?.protocol === 'ip' && left.payload.field === 'saddr' && (op === '==' || op === '!=')) {
        const src = saddrOf(right, sets);
        if (src) {
          r.saddr = { prefixes: src.prefixes, negated: op === '!=' };
          parts.push(`ip saddr ${op === '!=' ? '!= ' : ''}${src.label}`);
          continue;
        }
      }
      if (left?.payload?.protocol === 'ip' && left.payload.field === 'daddr' && op === '!=') {
        // libvirt's "! -d its-own-subnet": outbound traffic always satisfies it.
        parts.push('ip daddr != …');
        continue;
      }
      r.conditional = true;
      parts.push('match');
    } else if (e.xt?.type === 'target') {
      // iptables-nft keeps some targets as xtables extensions.
      const name = e.xt.name ?? '';
      if (name === 'MASQUERADE' || name === 'SNAT') r.verdict = 'nat';
      else if (name === 'REJECT') r.verdict = 'drop';
      parts.push(name);
    } else if (e.xt) {
      if (e.xt.name === 'physdev') {
        r.bridged = true;
        parts.push('physdev');
      } else {
        r.conditional = true;
        parts.push(`xt ${e.xt.name ?? ''}`.trim());
      }
    } else if ('accept' in e) {
      r.verdict = 'accept';
      parts.push('accept');
    } else if ('drop' in e || 'reject' in e) {
      r.verdict = 'drop';
      parts.push('drop' in e ? 'drop' : 'reject');
    } else if ('masquerade' in e || 'snat' in e) {
      r.verdict = 'nat';
      parts.push('masquerade' in e ? 'masquerade' : 'snat');
    } else if ('jump' in e || 'goto' in e) {
      const target = (e.jump ?? e.goto)?.target;
      r.verdict = 'jump';
      if (target) r.target = target;
      parts.push(`jump ${target ?? '?'}`);
    } else if ('return' in e) {
      r.verdict = 'return';
      parts.push('return');
    } else if (!Object.keys(e).some((k) => IGNORED.has(k))) {
      r.conditional = true;
      parts.push(Object.keys(e)[0] ?? '?');
    }
  }
  r.text = parts.join(' ');
  return r;
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
    const c = item.chain as { family?: string; table?: string; name?: string; hook?: string; type?: string; policy?: string } | undefined;
    if (!c?.family || !c.table || !c.name) continue;
    const regular = table(`${c.family}/${c.table}`);
    regular.set(c.name, []);
    const hook = c.hook === 'forward' && c.type !== 'nat' ? 'forward' : c.hook === 'postrouting' && c.type === 'nat' ? 'postrouting' : undefined;
    if (hook) {
      hooked.push({ family: c.family, backend: 'nft', table: c.table, name: c.name, hook, policy: c.policy === 'drop' ? 'drop' : 'accept', rules: [], regular });
    }
  }
  const sets = new Map<string, Sets>();
  for (const item of items) {
    const st = item.set as { family?: string; table?: string; name?: string; elem?: unknown[] } | undefined;
    if (!st?.name) continue;
    const key = `${st.family}/${st.table}`;
    if (!sets.has(key)) sets.set(key, new Map());
    sets.get(key)!.set(st.name, setPrefixes(st.elem ?? []));
  }
  for (const item of items) {
    const r = item.rule as { family?: string; table?: string; chain?: string; expr?: NftExpr[] } | undefined;
    if (!r?.chain) continue;
    table(`${r.family}/${r.table}`).get(r.chain)?.push(nftRule(r.expr ?? [], sets.get(`${r.family}/${r.table}`)));
  }
  for (const c of hooked) c.rules = c.regular.get(c.name) ?? [];
  return hooked;
}

// ---- iptables -S -------------------------------------------------------------

function iptRule(line: string): FwRule {
  const tok = line.trim().split(/\s+/).slice(2); // drop "-A CHAIN"
  const r: FwRule = { conditional: false, verdict: 'other', text: line.trim() };
  for (let i = 0; i < tok.length; i++) {
    const neg = tok[i] === '!';
    if (neg) i++;
    const t = tok[i];
    const v = tok[i + 1];
    if ((t === '-i' || t === '-o') && v && !neg) {
      if (t === '-i') r.iif = [v];
      else r.oif = [v];
      i++;
    } else if (t === '-s' && v && parsePrefix(v)) {
      r.saddr = { prefixes: [parsePrefix(v)!], negated: neg };
      i++;
    } else if (t === '-d' && v && neg) {
      i++;
    } else if (t === '-m' && v === 'physdev' && tok[i + 2] === '--physdev-is-bridged') {
      r.bridged = true;
      i += 2;
    } else if (t === '-m' && (v === 'comment' || v === 'limit')) {
      i++;
      while (tok[i + 1] && tok[i + 1]!.startsWith('--')) i += 2;
    } else if (t === '-j' || t === '-g') {
      const target = v ?? '';
      r.verdict =
        target === 'ACCEPT' ? 'accept'
          : target === 'DROP' || target === 'REJECT' ? 'drop'
            : target === 'RETURN' ? 'return'
              : target === 'MASQUERADE' || target === 'SNAT' ? 'nat'
                : /^[A-Za-z0-9_.-]+$/.test(target) && !['LOG', 'NFLOG', 'MARK', 'CONNMARK', 'CHECKSUM'].includes(target) ? 'jump' : 'other';
      if (r.verdict === 'jump') r.target = target;
      break;
    } else if (t === '-p' && v === 'all') {
      i++;
    } else {
      r.conditional = true;
    }
  }
  return r;
}

/** Parses `iptables -t TABLE -S`; returns the chain hooked at `hook` with the others for jumps. */
export function parseIptablesS(out: string, family: string, table: 'filter' | 'nat'): FwChain | undefined {
  const hookChain = table === 'filter' ? 'FORWARD' : 'POSTROUTING';
  let policy: 'accept' | 'drop' | undefined;
  const regular = new Map<string, FwRule[]>();
  for (const line of out.split('\n')) {
    const t = line.trim();
    const p = new RegExp(`^-P ${hookChain} (\\w+)`).exec(t);
    if (p) {
      policy = p[1] === 'DROP' ? 'drop' : 'accept';
      continue;
    }
    const n = /^-N (\S+)/.exec(t);
    if (n) regular.set(n[1]!, []);
    const a = /^-A (\S+)/.exec(t);
    if (!a) continue;
    if (!regular.has(a[1]!)) regular.set(a[1]!, []);
    regular.get(a[1]!)!.push(iptRule(t));
  }
  if (!policy) return undefined;
  return {
    family, backend: 'legacy', table, name: hookChain, hook: table === 'filter' ? 'forward' : 'postrouting',
    policy, rules: regular.get(hookChain) ?? [], regular,
  };
}

// ---- reading -----------------------------------------------------------------

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
          if (!chains.length) fw.sources.push({ source: 'nft -j list ruleset', observed: 'no chain on the forward or nat postrouting hooks' });
          for (const c of chains) {
            fw.sources.push({ source: 'nft -j list ruleset', observed: `${c.family} ${c.table} ${c.name}: hook ${c.hook}, policy ${c.policy}, ${c.rules.length} rule(s)` });
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
      const tables = text(await ctx.host.readFile(names))?.split('\n') ?? [];
      for (const table of ['filter', 'nat'] as const) {
        if (!tables.includes(table)) continue;
        const r = await ctx.host.exec([prog, '-t', table, '-S']);
        if (r.ok && r.value.exitCode === 0) {
          const chain = parseIptablesS(r.value.stdout, fam, table);
          if (chain) fw.chains.push(chain);
          fw.sources.push({ source: `${prog} -t ${table} -S`, observed: chain ? `${chain.name} policy ${chain.policy.toUpperCase()}, ${chain.rules.length} rule(s)` : `no ${table} hook chain` });
        } else {
          fw.unreadable = `${prog} -t ${table} -S: ${r.ok ? r.value.stderr.trim() : describeError(r)}`;
        }
      }
    }
    return fw;
  });
}

// ---- judging -----------------------------------------------------------------

type Applies = 'yes' | 'no' | 'maybe';

function applies(r: FwRule, f: Flow): Applies {
  if (r.iif && !r.iif.includes(f.iif)) return 'no';
  if (r.oif && (f.oif === undefined ? true : !r.oif.includes(f.oif))) return f.oif === undefined ? 'maybe' : 'no';
  if (r.bridged && !f.bridged) return 'no';
  if (r.saddr) {
    if (!f.src) return 'maybe';
    const src = f.src;
    const inside = r.saddr.prefixes.some((p) => prefixWithin(src, p));
    const outside = r.saddr.prefixes.every((p) => prefixesDisjoint(src, p));
    if (r.saddr.negated ? inside : outside) return 'no';
    if (!(r.saddr.negated ? outside : inside)) return 'maybe';
  }
  return r.conditional ? 'maybe' : 'yes';
}

export type Fate = 'accept' | 'drop' | 'nat' | 'maybe';

function walk(rules: FwRule[], regular: Map<string, FwRule[]>, f: Flow, depth: number): { fate: Fate | 'continue'; why: string } {
  let maybe: string | undefined;
  for (const r of rules) {
    const a = applies(r, f);
    if (a === 'no') continue;
    if (r.verdict === 'jump' && r.target && depth < 16) {
      const sub = walk(regular.get(r.target) ?? [], regular, f, depth + 1);
      if (sub.fate === 'continue') continue;
      if (a === 'yes' && sub.fate !== 'maybe') return maybe && sub.fate !== 'drop' ? { fate: 'maybe', why: maybe } : sub;
      maybe ??= sub.fate === 'maybe' ? sub.why : `rule "${r.text}" may lead to ${sub.fate}`;
      continue;
    }
    if (r.verdict === 'return') {
      if (a === 'yes') break;
      continue;
    }
    if (r.verdict === 'accept' || r.verdict === 'drop' || r.verdict === 'nat') {
      if (a === 'yes') return maybe && r.verdict !== 'drop' ? { fate: 'maybe', why: maybe } : { fate: r.verdict, why: `rule "${r.text}"` };
      maybe ??= `rule "${r.text}" may ${r.verdict === 'nat' ? 'translate' : r.verdict} it`;
    }
  }
  return maybe ? { fate: 'maybe', why: maybe } : { fate: 'continue', why: '' };
}

/**
 * What a hooked chain does with a flow: the first rule that surely applies
 * decides (jumps are followed); a rule that may apply before it makes the
 * answer 'maybe'; otherwise the policy (for nat chains: no translation).
 */
export function chainFate(chain: FwChain, f: Flow): { fate: Fate | 'none'; why: string } {
  const r = walk(chain.rules, chain.regular, f, 0);
  if (r.fate !== 'continue') return r as { fate: Fate; why: string };
  if (chain.hook === 'postrouting') return { fate: 'none', why: 'no rule translates it' };
  return chain.policy === 'drop' ? { fate: 'drop', why: 'policy DROP' } : { fate: 'accept', why: 'policy ACCEPT' };
}

export const chainLabel = (c: FwChain) =>
  c.backend === 'legacy' ? `${c.family === 'ip6' ? 'ip6tables' : 'iptables'}-legacy ${c.name}` : `nft ${c.family} ${c.table} ${c.name}`;
