// The graph of the host's virtual network: nodes (links, VMs, other namespaces)
// and edges (port-of, lower-of, peer-of, uses) built from the one network model,
// with each non-passing result of the doctor attached to what it is about.
import type { Context } from '../context.js';
import { doctorOutcomes, VERSION, type Outcome } from '../engine.js';
import { netnsIds, network, vms as runningVms, type Link, type LinkKind } from '../model/network.js';
import type { Check, DoctorReport, HostInfo, Result, Status } from '../types.js';

export const TOPOLOGY_SCHEMA = 'qnet.topology/v1';

export type NodeKind = LinkKind | 'vm' | 'netns';

/** A non-passing check, as marked on a node (or listed apart when it names none). */
export interface Problem {
  check: string;
  status: Extract<Status, 'warn' | 'fail' | 'error'>;
  /** The finding's line about this node: its summary, or the detail that names the node. */
  summary: string;
}

export interface TopoNode {
  /** `link:NAME`, `vm:PID` or `netns:ID`; unique. */
  id: string;
  kind: NodeKind;
  name: string;
  /** Interfaces: up (with carrier), no-carrier (up, nothing behind it), down. */
  state?: 'up' | 'no-carrier' | 'down';
  /** Addresses with their prefix length (`10.0.0.1/24`, `fe80::1/64`). */
  addresses: string[];
  mac?: string;
  /** Carries a default route. */
  uplink?: boolean;
  /** A NIC (or stands for one). */
  physical?: boolean;
  wireless?: boolean;
  /** A tap's owner and group as the kernel keeps them (uid, or the name iproute2 resolved). */
  owner?: { uid?: number; user?: string; gid?: number; group?: string; persist?: boolean };
  /** A veth's peer: its name when it is here, its ifindex and namespace when it is not. */
  peer?: { name?: string; ifindex?: number; netnsId?: number };
  /** The running QEMU or UML process (kind `vm`). */
  vm?: { pid: number; kind: 'qemu' | 'uml'; name?: string; macs: string[] };
  /** Another network namespace (kind `netns`): the id this one gives it, and its name under /run/netns. */
  netns?: { id: number; name?: string };
  problems: Problem[];
}

export type EdgeKind = 'port-of' | 'lower-of' | 'peer-of' | 'uses';

/**
 * port-of: from a port to its bridge (or bond); lower-of: from a lower device to
 * the macvtap/macvlan/vlan on it; peer-of: from a veth to its peer (or to the
 * namespace its peer is in); uses: from a VM to the tap or macvtap it holds.
 */
export interface TopoEdge {
  from: string;
  to: string;
  kind: EdgeKind;
}

export interface Topology {
  schema: typeof TOPOLOGY_SCHEMA;
  qnet: string;
  host: HostInfo;
  /** How the interfaces were read. */
  source: string;
  /** False when not even the fallback could list the interfaces. */
  complete: boolean;
  error?: string;
  nodes: TopoNode[];
  edges: TopoEdge[];
  /** Non-passing checks that name no node here (the kernel, QEMU, configuration). */
  problems: Problem[];
  summary: Record<Status, number>;
}

const linkId = (name: string) => `link:${name}`;
const vmId = (pid: number) => `vm:${pid}`;
const nsId = (id: number) => `netns:${id}`;

function stateOf(l: Link): TopoNode['state'] {
  if (!l.up) return 'down';
  return l.lowerUp ? 'up' : 'no-carrier';
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Does `text` name `name` as a whole word (not inside tap10 when looking for tap1)? */
export function names(text: string, name: string): boolean {
  return new RegExp(`(?<![\\w.-])${escapeRe(name)}(?![\\w-])`).test(text);
}

/** An evidence source's trailing `(NAME)`, as checks write `ip -j -d addr show (br0)`. */
const SOURCE_SUBJECT = /\(([^()]+)\)$/;

/**
 * The node ids a non-passing result is about: the subjects its check named, or
 * else the interfaces its evidence sources name as `(NAME)`.
 */
export function subjectIds(result: Result, subjects: string[] | undefined, has: (id: string) => boolean): string[] {
  const raw = subjects ?? result.evidence.map((e) => SOURCE_SUBJECT.exec(e.source)?.[1]).filter((x): x is string => Boolean(x));
  const ids = raw.map((s) => (/^pid:\d+$/.test(s) ? vmId(Number(s.slice(4))) : linkId(s))).filter(has);
  return [...new Set(ids)];
}

/** The line of a finding that is about `name`: the summary if it names it, else the first detail that does. */
function lineAbout(r: Result, name: string | undefined): string {
  if (!name || names(r.summary, name)) return r.summary;
  return (r.details ?? []).find((d) => names(d, name)) ?? r.summary;
}

/** The graph of the host network from the model, with the outcomes of the checks marked on it. */
export async function buildTopology(ctx: Context, report: DoctorReport, outcomes: readonly Outcome[]): Promise<Topology> {
  const net = await network(ctx);
  const [running, spaces] = await Promise.all([runningVms(ctx), net.links.some((l) => l.veth?.peerNetnsId !== undefined) ? netnsIds(ctx) : Promise.resolve(new Map())]);
  const nodes: TopoNode[] = [];
  const edges: TopoEdge[] = [];
  const byId = new Map<string, TopoNode>();
  const add = (n: TopoNode) => {
    if (byId.has(n.id)) return;
    byId.set(n.id, n);
    nodes.push(n);
  };
  const links = net.links.filter((l) => l.kind !== 'loopback');
  for (const l of links) {
    const n: TopoNode = {
      id: linkId(l.name),
      kind: l.kind,
      name: l.name,
      state: stateOf(l),
      addresses: l.addrs.map((a) => `${a.local}/${a.prefixlen}`),
      problems: [],
    };
    if (l.mac) n.mac = l.mac;
    if (net.uplinks.includes(l.name)) n.uplink = true;
    if (l.physical) n.physical = true;
    if (l.wireless) n.wireless = true;
    if (l.tun) {
      const o: NonNullable<TopoNode['owner']> = {};
      if (l.tun.owner !== undefined) o.uid = l.tun.owner;
      if (l.tun.ownerName !== undefined) o.user = l.tun.ownerName;
      if (l.tun.group !== undefined) o.gid = l.tun.group;
      if (l.tun.groupName !== undefined) o.group = l.tun.groupName;
      if (l.tun.persist !== undefined) o.persist = l.tun.persist;
      n.owner = o;
    }
    if (l.veth) {
      const p: NonNullable<TopoNode['peer']> = {};
      if (l.veth.peerName !== undefined) p.name = l.veth.peerName;
      if (l.veth.peerIndex !== undefined) p.ifindex = l.veth.peerIndex;
      if (l.veth.peerNetnsId !== undefined) p.netnsId = l.veth.peerNetnsId;
      n.peer = p;
    }
    add(n);
  }
  const here = new Set(links.map((l) => l.name));
  for (const l of links) {
    if (l.master && here.has(l.master)) edges.push({ from: linkId(l.name), to: linkId(l.master), kind: 'port-of' });
    if (l.lower && here.has(l.lower)) edges.push({ from: linkId(l.lower), to: linkId(l.name), kind: 'lower-of' });
    if (l.veth?.peerName && here.has(l.veth.peerName)) {
      // One edge per pair, from the lower ifindex.
      const peer = net.link(l.veth.peerName)!;
      if (l.index < peer.index || (l.index === peer.index && l.name < peer.name)) edges.push({ from: linkId(l.name), to: linkId(peer.name), kind: 'peer-of' });
    } else if (l.veth?.peerNetnsId !== undefined) {
      const id = l.veth.peerNetnsId;
      const ns = spaces.get(id);
      add({ id: nsId(id), kind: 'netns', name: ns?.name ?? `netns id ${id}`, addresses: [], netns: { id, ...(ns?.name ? { name: ns.name } : {}) }, problems: [] });
      edges.push({ from: linkId(l.name), to: nsId(id), kind: 'peer-of' });
    }
  }
  const byIndex = new Map(links.map((l) => [l.index, l]));
  for (const v of running) {
    const n: TopoNode = {
      id: vmId(v.pid),
      kind: 'vm',
      name: v.name ?? `${v.kind === 'qemu' ? 'QEMU' : 'UML'} pid ${v.pid}`,
      addresses: [],
      vm: { pid: v.pid, kind: v.kind, ...(v.name ? { name: v.name } : {}), macs: v.nics.map((m) => m.mac).filter((m): m is string => Boolean(m)) },
      problems: [],
    };
    add(n);
    for (const t of v.taps) if (here.has(t)) edges.push({ from: n.id, to: linkId(t), kind: 'uses' });
    for (const i of v.macvtapIndexes ?? []) {
      const l = byIndex.get(i);
      if (l?.kind === 'macvtap') edges.push({ from: n.id, to: linkId(l.name), kind: 'uses' });
    }
  }
  const loose: Problem[] = [];
  for (const o of outcomes) {
    const r = o.result;
    if (r.status !== 'warn' && r.status !== 'fail' && r.status !== 'error') continue;
    const ids = subjectIds(r, o.subjects, (id) => byId.has(id));
    if (!ids.length) {
      loose.push({ check: r.id, status: r.status, summary: r.summary });
      continue;
    }
    for (const id of ids) {
      const n = byId.get(id)!;
      n.problems.push({ check: r.id, status: r.status, summary: lineAbout(r, n.kind === 'vm' ? undefined : n.name) });
    }
  }
  return {
    schema: TOPOLOGY_SCHEMA,
    qnet: VERSION,
    host: report.host,
    source: net.source,
    complete: net.complete,
    ...(net.error ? { error: net.error } : {}),
    nodes,
    edges,
    problems: loose,
    summary: report.summary,
  };
}

/** Runs the checks and draws the graph: what `qnet topology` and the report share. */
export async function topologyOf(ctx: Context, checks: readonly Check[]): Promise<{ topology: Topology; report: DoctorReport; outcomes: Outcome[] }> {
  const { report, outcomes } = await doctorOutcomes(ctx, checks);
  return { topology: await buildTopology(ctx, report, outcomes), report, outcomes };
}

// ---------------------------------------------------------------------------
// The command

