// The topology as a tree, shared by the renderers (terminal and Mermaid):
// uplinks first, then bridges with their ports, then everything else at the top
// level; lower devices carry their macvtaps; taps and macvtaps carry the VMs
// using them; a veth carries the namespace of its peer.
import type { EdgeKind, NodeKind, TopoNode, Topology } from './graph.js';

export interface TreeItem {
  node: TopoNode;
  /** How it hangs under its parent. */
  via?: EdgeKind;
  children: TreeItem[];
}

const RANK: Partial<Record<NodeKind, number>> = { bridge: 1, bond: 2, nic: 3, vxlan: 4, veth: 5, tap: 6, tun: 6, macvtap: 7, macvlan: 7, vlan: 7, dummy: 8, other: 9, netns: 10, vm: 11 };

export function topologyTree(t: Topology): TreeItem[] {
  const byId = new Map(t.nodes.map((n) => [n.id, n]));
  const children = new Map<string, { id: string; via: EdgeKind }[]>();
  const hasParent = new Set<string>();
  const attach = (parent: string, child: string, via: EdgeKind) => {
    if (hasParent.has(child)) return;
    hasParent.add(child);
    children.set(parent, [...(children.get(parent) ?? []), { id: child, via }]);
  };
  for (const e of t.edges) if (e.kind === 'port-of') attach(e.to, e.from, e.kind);
  for (const e of t.edges) if (e.kind === 'lower-of') attach(e.from, e.to, e.kind);
  // A VM hangs under the first tap it uses; further taps mention it.
  for (const e of t.edges) if (e.kind === 'uses') attach(e.to, e.from, e.kind);
  // A namespace hangs under its first veth.
  for (const e of t.edges) if (e.kind === 'peer-of' && byId.get(e.to)?.kind === 'netns') attach(e.from, e.to, e.kind);
  const seen = new Set<string>();
  const item = (id: string, via?: EdgeKind): TreeItem => {
    seen.add(id);
    const kids = (children.get(id) ?? []).filter((c) => !seen.has(c.id)).map((c) => item(c.id, c.via));
    return { node: byId.get(id)!, ...(via ? { via } : {}), children: kids };
  };
  const order = (n: TopoNode) => (n.uplink ? 0 : (RANK[n.kind] ?? 9));
  const roots = t.nodes.filter((n) => !hasParent.has(n.id)).sort((a, b) => order(a) - order(b));
  const out: TreeItem[] = [];
  for (const r of roots) if (!seen.has(r.id)) out.push(item(r.id));
  // Anything left in a cycle (a bond of bridges, a bad model) is shown at the top level.
  for (const n of t.nodes) if (!seen.has(n.id)) out.push(item(n.id));
  return out;
}

