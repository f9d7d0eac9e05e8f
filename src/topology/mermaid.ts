// The topology as a Mermaid flowchart (`qnet topology --format mermaid`, and the
// report's diagram, which GitHub renders). Host strings never reach Mermaid's
// syntax: node ids are qnet's own (n0, n1, …) and every label is quoted, with
// the characters that could end the label, start an entity, open HTML or close
// the report's code fence written as Mermaid entity codes.
//
// Shapes: interfaces are boxes, bridges double boxes, VMs stadiums, other
// namespaces hexagons. Lines: a bridge to its ports (an uplink port on its left),
// a lower device to its macvtap (dotted), a veth to its peer or the peer's
// namespace (<-->), a tap to the VM using it. Nodes with a failing check are in
// class `fail`, with a warning in class `warn`, and their labels name the checks.
import type { Problem, TopoNode, Topology } from './graph.js';
import { topologyTree, type TreeItem } from './tree.js';
import { ownerText } from './text.js';
import { visible } from '../output/safe.js';

const ENTITY: Record<string, string> = {
  '#': '#35;',
  '"': '#quot;',
  '&': '#amp;',
  '<': '#lt;',
  '>': '#gt;',
  '`': '#96;',
  '\\': '#92;',
};

/**
 * Host text as the inside of a quoted Mermaid label: controls made visible, then
 * `#`, `"`, `&`, `<`, `>`, backtick and backslash as entity codes (`#quot;`…).
 * Brackets, pipes and semicolons are harmless inside quotes.
 */
export function mermaidText(s: string): string {
  return visible(s).replace(/[#"&<>`\\]/g, (ch) => ENTITY[ch]!);
}

const SYMBOL: Record<Problem['status'], string> = { warn: '!', fail: '✖', error: '☠' };

export interface MermaidOptions {
  /** Most nodes to draw; beyond it, ports and taps without problems are counted in a "+N more" node. Default 60. */
  maxNodes?: number;
  /** Applied to every host string before escaping (the report's redaction). */
  text?: (s: string) => string;
  /** Add each problem's summary (cut to this many characters) under its check id. Default: ids only. */
  problemText?: number;
}

export interface MermaidResult {
  text: string;
  /** Nodes not drawn (counted in "+N more" nodes), by kind. */
  omitted: Record<string, number>;
}

const MAX_ADDRS = 3;

function label(n: TopoNode, t: Topology, tx: (s: string) => string, problemText: number | undefined): string {
  const lines: string[] = [mermaidText(tx(n.name))];
  if (n.kind === 'vm') {
    // A VM without -name is already called "QEMU pid N".
    if (n.vm!.name) lines.push(`${n.vm!.kind === 'qemu' ? 'QEMU' : 'UML'} pid ${n.vm!.pid}`);
    if (n.vm!.macs.length) lines.push(n.vm!.macs.slice(0, 2).map((m) => mermaidText(tx(m))).join(', ') + (n.vm!.macs.length > 2 ? ` +${n.vm!.macs.length - 2}` : ''));
  } else if (n.kind === 'netns') {
    lines.push(`network namespace (id ${n.netns!.id})`);
  } else {
    lines.push(`${n.uplink ? `${n.kind}, uplink` : n.kind} · ${n.state === 'no-carrier' ? 'no carrier' : (n.state ?? '?')}`);
    const addrs = n.addresses.filter((a) => !a.startsWith('fe80:'));
    if (addrs.length) lines.push(addrs.slice(0, MAX_ADDRS).map((a) => mermaidText(tx(a))).join(', ') + (addrs.length > MAX_ADDRS ? ` +${addrs.length - MAX_ADDRS}` : ''));
    if (n.owner) lines.push(mermaidText(tx(ownerText(n.owner))));
    if (n.peer?.netnsId !== undefined && n.peer.ifindex !== undefined) lines.push(`peer ifindex ${n.peer.ifindex}`);
  }
  for (const p of n.problems) {
    const more = problemText ? `: ${mermaidText(tx(p.summary.length > problemText ? `${p.summary.slice(0, problemText - 1)}…` : p.summary))}` : '';
    lines.push(`${SYMBOL[p.status]} ${mermaidText(p.check)}${more}`);
  }
  return lines.join('<br/>');
}

function shape(n: TopoNode, id: string, text: string): string {
  if (n.kind === 'vm') return `${id}(["${text}"])`;
  if (n.kind === 'netns') return `${id}{{"${text}"}}`;
  if (n.kind === 'bridge') return `${id}[["${text}"]]`;
  return `${id}["${text}"]`;
}

const hasProblem = (it: TreeItem): boolean => it.node.problems.length > 0 || it.children.some(hasProblem);
const size = (it: TreeItem): number => 1 + it.children.reduce((a, c) => a + size(c), 0);

interface Cut {
  keep: TreeItem[];
  more: TreeItem[];
}

/** Which children of one parent are drawn: those with problems first (up to `p`), then the first `k` others. */
function cut(list: TreeItem[], k: number, p: number): Cut {
  const withProblems = list.filter(hasProblem).slice(0, p);
  const others = list.filter((x) => !withProblems.includes(x) && !hasProblem(x)).slice(0, k);
  const keep = list.filter((x) => withProblems.includes(x) || others.includes(x));
  return { keep, more: list.filter((x) => !keep.includes(x)) };
}

/** Prunes the forest to at most `max` nodes (plus "more" nodes), keeping problems first. */
function prune(roots: TreeItem[], max: number): { roots: TreeItem[]; more: Map<TreeItem | null, TreeItem[]> } {
  const total = roots.reduce((a, r) => a + size(r), 0);
  if (total <= max) return { roots, more: new Map() };
  for (const [k, p] of [[8, 20], [5, 15], [3, 10], [2, 6], [1, 4], [1, 2], [0, 1], [0, 0]] as const) {
    const more = new Map<TreeItem | null, TreeItem[]>();
    let count = 0;
    const visit = (list: TreeItem[], parent: TreeItem | null): TreeItem[] => {
      const c = cut(list, k, p);
      if (c.more.length) {
        more.set(parent, c.more);
        count++;
      }
      return c.keep.map((it) => {
        count++;
        return { ...it, children: visit(it.children, it) };
      });
    };
    // Roots keep more room: they are the uplinks and bridges.
    const top = cut(roots, Math.max(k, 12), Math.max(p, 12));
    if (top.more.length) {
      more.set(null, top.more);
      count++;
    }
    const kept = top.keep.map((it) => {
      count++;
      return { ...it, children: visit(it.children, it) };
    });
    if (count <= max || (k === 0 && p === 0)) {
      // `more` is keyed by the original items; map them to the copies.
      const remap = new Map<TreeItem | null, TreeItem[]>();
      const byNode = new Map<string, TreeItem>();
      const index = (it: TreeItem) => {
        byNode.set(it.node.id, it);
        it.children.forEach(index);
      };
      kept.forEach(index);
      for (const [parent, items] of more) remap.set(parent ? (byNode.get(parent.node.id) ?? null) : null, items);
      return { roots: kept, more: remap };
    }
  }
  return { roots, more: new Map() };
}

function countKinds(items: TreeItem[], into: Record<string, number>): void {
  for (const it of items) {
    into[it.node.kind] = (into[it.node.kind] ?? 0) + 1;
    countKinds(it.children, into);
  }
}

const PLURAL: Record<string, string> = { vm: 'VMs', netns: 'namespaces', bridge: 'bridges', tap: 'taps', veth: 'veths', nic: 'NICs', macvtap: 'macvtaps' };
const kindWord = (k: string, n: number) => (n === 1 ? (k === 'vm' ? 'VM' : k === 'netns' ? 'namespace' : k) : (PLURAL[k] ?? `${k}s`));

export function renderMermaid(t: Topology, opts: MermaidOptions = {}): MermaidResult {
  const tx = opts.text ?? ((s: string) => s);
  const max = opts.maxNodes ?? 60;
  const { roots, more } = prune(topologyTree(t), max);
  const ids = new Map<string, string>();
  const out: string[] = ['flowchart LR'];
  const fail: string[] = [];
  const warn: string[] = [];
  const omitted: Record<string, number> = {};
  let n = 0;
  const declare = (it: TreeItem) => {
    const id = `n${n++}`;
    ids.set(it.node.id, id);
    out.push(`  ${shape(it.node, id, label(it.node, t, tx, opts.problemText))}`);
    if (it.node.problems.some((p) => p.status === 'fail' || p.status === 'error')) fail.push(id);
    else if (it.node.problems.length) warn.push(id);
    it.children.forEach(declare);
  };
  roots.forEach(declare);
  if (!roots.length) out.push(`  n0["${t.complete ? 'no interface besides loopback' : 'the interfaces could not be listed'}"]`);
  let m = 0;
  const moreIds: [string, string | undefined][] = [];
  for (const [parent, items] of more) {
    const kinds: Record<string, number> = {};
    countKinds(items, kinds);
    for (const [k, v] of Object.entries(kinds)) omitted[k] = (omitted[k] ?? 0) + v;
    const total = Object.values(kinds).reduce((a, b) => a + b, 0);
    const problems = items.filter(hasProblem).length;
    const id = `m${m++}`;
    const what = Object.entries(kinds).map(([k, v]) => `${v} ${kindWord(k, v)}`).join(', ');
    out.push(`  ${id}["+${total} more: ${what}${problems ? `<br/>${problems} with problems, see the findings` : ''}"]`);
    moreIds.push([id, parent ? ids.get(parent.node.id) : undefined]);
    if (problems) warn.push(id);
  }
  const edge = (a: string, b: string, kind: string) => {
    const [x, y] = [ids.get(a), ids.get(b)];
    if (!x || !y) return;
    if (kind === 'port-of') {
      const port = t.nodes.find((q) => q.id === a);
      // An uplink or NIC port stands left of its bridge; other ports to its right.
      out.push(port?.uplink || port?.physical ? `  ${x} --- ${y}` : `  ${y} --- ${x}`);
    } else if (kind === 'lower-of') out.push(`  ${x} -.- ${y}`);
    else if (kind === 'peer-of') out.push(`  ${x} <--> ${y}`);
    else out.push(`  ${y} --- ${x}`); // uses: tap --- VM
  };
  for (const e of t.edges) edge(e.from, e.to, e.kind);
  for (const [id, parent] of moreIds) if (parent) out.push(`  ${parent} -.- ${id}`);
  out.push('  classDef fail stroke:#c00,stroke-width:3px,color:#c00');
  out.push('  classDef warn stroke:#c80,stroke-width:2px');
  if (fail.length) out.push(`  class ${fail.join(',')} fail`);
  if (warn.length) out.push(`  class ${warn.join(',')} warn`);
  return { text: out.join('\n') + '\n', omitted };
}
