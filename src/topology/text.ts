// `qnet topology` in a terminal: the tree of uplinks, bridges, ports, taps and
// the VMs using them, each failing or warning check printed under the
// interface it is about. Every host string (interface, VM and namespace names,
// owners, addresses, check summaries) goes through `visible` where it is printed.
import pc from 'picocolors';
import type { Problem, TopoNode, Topology } from './graph.js';
import { topologyTree, type TreeItem } from './tree.js';
import { visible } from '../output/safe.js';

type Colors = ReturnType<typeof pc.createColors>;

const SYMBOL: Record<Problem['status'], string> = { warn: '!', fail: '✖', error: '☠' };

function paintProblem(c: Colors, p: Problem): string {
  const s = `${SYMBOL[p.status]} ${p.check}: ${visible(p.summary)}`;
  return p.status === 'fail' ? c.red(s) : p.status === 'warn' ? c.yellow(s) : c.magenta(s);
}

/** Who owns a tap, as the kernel keeps it. */
export function ownerText(o: NonNullable<TopoNode['owner']>): string {
  const who = o.user ?? (o.uid !== undefined ? `uid ${o.uid}` : undefined);
  const grp = o.group ?? (o.gid !== undefined ? `gid ${o.gid}` : undefined);
  const parts = [who ? `owner ${visible(who)}` : grp ? '' : 'no owner', grp ? `group ${visible(grp)}` : ''].filter(Boolean);
  if (o.persist) parts.push('persistent');
  return parts.join(', ');
}

/** The facts of one node on one line (host strings made visible). */
export function describeNode(n: TopoNode, t: Topology, opts: { verbose?: boolean } = {}): string {
  const byId = new Map(t.nodes.map((x) => [x.id, x]));
  const parts: string[] = [];
  if (n.kind === 'vm') {
    const v = n.vm!;
    // A VM without -name is already called "QEMU pid N".
    if (v.name) parts.push(`${v.kind === 'qemu' ? 'QEMU' : 'UML'} pid ${v.pid}`);
    if (v.macs.length) parts.push(`MAC ${v.macs.map(visible).join(', ')}`);
    const uses = t.edges.filter((e) => e.kind === 'uses' && e.from === n.id).map((e) => byId.get(e.to)?.name).filter((x): x is string => Boolean(x));
    if (uses.length > 1) parts.push(`uses ${uses.map(visible).join(', ')}`);
    return parts.join(' · ');
  }
  if (n.kind === 'netns') return `network namespace (id ${n.netns!.id})`;
  parts.push(n.uplink ? `${n.kind}, uplink` : n.kind);
  parts.push(n.state === 'no-carrier' ? 'up, no carrier' : (n.state ?? 'state unknown'));
  if (n.addresses.length) parts.push(n.addresses.map(visible).join(', '));
  if (n.owner) parts.push(ownerText(n.owner));
  if (n.peer) {
    if (n.peer.name !== undefined) parts.push(`peer ${visible(n.peer.name)}`);
    else if (n.peer.netnsId !== undefined) {
      const ns = byId.get(`netns:${n.peer.netnsId}`);
      parts.push(`peer${n.peer.ifindex !== undefined ? ` ifindex ${n.peer.ifindex}` : ''} in ${ns?.netns?.name ? `namespace ${visible(ns.netns.name)}` : `namespace id ${n.peer.netnsId}`}`);
    }
  }
  const lower = t.edges.find((e) => e.kind === 'lower-of' && e.to === n.id);
  if (lower) parts.push(`on ${visible(byId.get(lower.from)?.name ?? '?')}`);
  const users = t.edges.filter((e) => e.kind === 'uses' && e.to === n.id).map((e) => byId.get(e.from)).filter((x): x is TopoNode => Boolean(x));
  if (users.length) parts.push(`used by ${users.map((u) => (u.vm?.name ? `${visible(u.vm.name)} (pid ${u.vm.pid})` : `${u.vm?.kind === 'uml' ? 'UML' : 'QEMU'} pid ${u.vm?.pid}`)).join(', ')}`);
  if (n.wireless) parts.push('wireless');
  if (opts.verbose && n.mac) parts.push(visible(n.mac));
  return parts.join(' · ');
}

export function renderTopologyText(t: Topology, opts: { color: boolean; verbose?: boolean }): string {
  const c = pc.createColors(opts.color);
  const h = t.host;
  const links = t.nodes.filter((n) => n.kind !== 'vm' && n.kind !== 'netns').length;
  const vms = t.nodes.filter((n) => n.kind === 'vm').length;
  const spaces = t.nodes.filter((n) => n.kind === 'netns').length;
  const counts = [`${links} interface${links === 1 ? '' : 's'}`, `${vms} VM${vms === 1 ? '' : 's'}`, ...(spaces ? [`${spaces} other namespace${spaces === 1 ? '' : 's'}`] : [])];
  const lines: string[] = [c.bold(`qnet ${t.qnet} topology`) + c.dim(` · ${visible(h.hostname)} · ${counts.join(', ')}${h.source === 'snapshot' ? ' · from snapshot' : ''}`), ''];
  if (!t.complete) lines.push(c.red(`The interfaces could not be listed: ${visible(t.error ?? 'unknown reason')}`), '');
  else if (t.error) lines.push(c.dim(`(${visible(t.error)}; read from ${visible(t.source)})`), '');
  const walk = (it: TreeItem, prefix: string, last: boolean, top: boolean) => {
    const branch = top ? '' : last ? '└── ' : '├── ';
    const name = it.node.kind === 'vm' || it.node.kind === 'netns' ? c.cyan(visible(it.node.name)) : c.bold(visible(it.node.name));
    lines.push(`${prefix}${branch}${name}  ${c.dim(describeNode(it.node, t, opts))}`);
    const inner = top ? prefix : prefix + (last ? '    ' : '│   ');
    const under = inner + (it.children.length ? '│ ' : '  ');
    for (const p of it.node.problems) lines.push(`${under}  ${paintProblem(c, p)}`);
    it.children.forEach((ch, i) => walk(ch, inner, i === it.children.length - 1, false));
  };
  const tree = topologyTree(t);
  if (!tree.length && t.complete) lines.push(c.dim('No interface besides loopback.'));
  for (const it of tree) walk(it, '', true, true);
  if (t.problems.length) {
    lines.push('', c.bold('Not tied to an interface'));
    for (const p of t.problems) lines.push(`  ${paintProblem(c, p)}`);
  }
  const s = t.summary;
  lines.push('', c.dim(`checks: ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip, ${s.error} error (qnet doctor shows the evidence and fixes)`));
  return lines.join('\n') + '\n';
}
