// qnet topology over host records: the graph (nodes, edges, problems marked where
// they are), its Mermaid text, the terminal tree, and host strings that try to
// break out of a Mermaid label or a terminal line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_CHECKS } from '../checks/index.js';
import { topologyOf, type Topology } from '../src/topology/graph.js';
import { SnapshotHost } from '../src/host/record.js';
import { mermaidText, renderMermaid } from '../src/topology/mermaid.js';
import { renderTopologyText } from '../src/topology/text.js';
import { createContext } from '../src/session.js';
import { fakeHost, ipJson, type FakeSpec } from './helpers/fake-host.js';
import { MermaidRenderer, whyNoMermaid } from './helpers/mermaid-render.js';
import { mermaidClass, mermaidEdges } from './helpers/mermaid-text.js';
import type { LinkSpec } from '../src/check-cases.js';

const ROUTE_HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';
const route = (dev: string, gw: string) => `${ROUTE_HEADER}${dev}\t00000000\t${gw}\t0003\t0\t0\t0\t00000000\t0\t0\t0\n`;
const argv = (...a: string[]) => a.join('\0') + '\0';
const TAP = (user: string, persist = true) => ({ type: 'tap', pi: false, vnet_hdr: true, persist, user });

/** A host: uplink, a bridge with a tap a QEMU holds, a stale tap, a bridge that is down, a macvtap another QEMU holds, veths. */
function host(links: LinkSpec[], extra: { netnsOf?: Record<string, number>; spec?: FakeSpec } = {}): FakeSpec {
  const list = JSON.parse(ipJson(links)) as Record<string, unknown>[];
  for (const l of list) {
    const ns = extra.netnsOf?.[l.ifname as string];
    if (ns !== undefined) Object.assign(l, { link_netnsid: ns, link_index: 2 });
  }
  return {
    ...extra.spec,
    files: { '/proc/net/route': route('eth0', '0102000A'), ...extra.spec?.files },
    exec: { 'ip -j -d addr show': { stdout: JSON.stringify(list) }, ...extra.spec?.exec },
  };
}

const LINKS: LinkSpec[] = [
  { name: 'lo' },
  { name: 'eth0', addrs: ['10.0.2.15/24'] },
  { name: 'br0', kind: 'bridge', addrs: ['10.77.0.1/24'] },
  { name: 'tap0', kind: 'tun', master: 'br0', info: TAP('alice') },
  { name: 'tap1', kind: 'tun', up: false, info: TAP('alice') },
  { name: 'br1', kind: 'bridge', up: false },
  { name: 'macvtap0', kind: 'macvtap', link: 'eth0' },
  { name: 'vA', kind: 'veth', link: 'vB' },
  { name: 'vB', kind: 'veth', link: 'vA' },
  { name: 'v0', kind: 'veth' },
];

const PROCS: FakeSpec = {
  dirs: { '/proc': ['1', '100', '101'], '/proc/100/fd': ['0', '3'], '/proc/101/fd': ['5'] },
  files: {
    '/proc/1/cmdline': argv('/sbin/init'),
    '/proc/100/cmdline': argv('qemu-system-x86_64', '-name', 'vm1,debug-threads=on', '-netdev', 'tap,id=n0,ifname=tap0,script=no,downscript=no', '-device', 'virtio-net-pci,netdev=n0,mac=52:54:00:00:00:a1'),
    '/proc/100/fdinfo/3': 'pos:\t0\nflags:\t0100002\nmnt_id:\t25\nino:\t1\niff:\ttap0\n',
    '/proc/101/cmdline': argv('qemu-system-x86_64', '-netdev', 'tap,id=n0,fd=5', '-device', 'virtio-net-pci,netdev=n0,mac=52:54:00:00:00:b2'),
  },
  readlinks: { '/proc/100/fd/0': '/dev/null', '/proc/100/fd/3': '/dev/net/tun', '/proc/101/fd/5': '/dev/tap7' },
  // The macvtap's node, usable by alice.
  stats: { '/dev/tap7': { type: 'chr', mode: 0o600, uid: 1000, gid: 1000, rdev: [246, 1] } },
  exec: { 'ip -j netns list-id': { stdout: '[{"nsid":0,"name":"far1"}]' } },
};

async function topologyOfSpec(spec: FakeSpec): Promise<Topology> {
  const snap = fakeHost(spec);
  const ctx = await createContext({ host: new SnapshotHost(snap.reads), invoker: snap.invoker, source: 'snapshot' });
  return (await topologyOf(ctx, ALL_CHECKS)).topology;
}

describe('the graph of a host', () => {
  let t: Topology;
  beforeAll(async () => {
    t = await topologyOfSpec(host(LINKS, { netnsOf: { v0: 0 }, spec: PROCS }));
  });

  it('has every interface but loopback, the VMs, and the namespace of a veth peer, with their facts', () => {
    const view = t.nodes.map((n) => [n.id, n.kind, n.state ?? '-', n.uplink ?? false]);
    expect(view).toEqual([
      ['link:eth0', 'nic', 'up', true],
      ['link:br0', 'bridge', 'up', false],
      ['link:tap0', 'tap', 'up', false],
      ['link:tap1', 'tap', 'down', false],
      ['link:br1', 'bridge', 'down', false],
      ['link:macvtap0', 'macvtap', 'up', false],
      ['link:vA', 'veth', 'up', false],
      ['link:vB', 'veth', 'up', false],
      ['link:v0', 'veth', 'up', false],
      ['netns:0', 'netns', '-', false],
      ['vm:100', 'vm', '-', false],
      ['vm:101', 'vm', '-', false],
    ]);
    const node = (id: string) => t.nodes.find((n) => n.id === id)!;
    expect(node('link:br0').addresses).toEqual(['10.77.0.1/24']);
    expect(node('link:tap0').owner).toEqual({ user: 'alice', persist: true });
    expect(node('link:v0').peer).toEqual({ ifindex: 2, netnsId: 0 });
    expect(node('netns:0')).toMatchObject({ name: 'far1', netns: { id: 0, name: 'far1' } });
    expect(node('vm:100')).toMatchObject({ name: 'vm1', vm: { pid: 100, kind: 'qemu', name: 'vm1', macs: ['52:54:00:00:00:a1'] } });
    expect(node('vm:101')).toMatchObject({ name: 'QEMU pid 101', vm: { pid: 101, macs: ['52:54:00:00:00:b2'] } });
  });

  it('joins ports to bridges, lower devices to macvtaps, veth peers, and VMs to what they hold', () => {
    expect(t.edges).toEqual([
      { from: 'link:tap0', to: 'link:br0', kind: 'port-of' },
      { from: 'link:eth0', to: 'link:macvtap0', kind: 'lower-of' },
      { from: 'link:vA', to: 'link:vB', kind: 'peer-of' },
      { from: 'link:v0', to: 'netns:0', kind: 'peer-of' },
      { from: 'vm:100', to: 'link:tap0', kind: 'uses' },
      { from: 'vm:101', to: 'link:macvtap0', kind: 'uses' },
    ]);
  });

  it('marks each failing or warning check on the interfaces it names, with its line about that interface', () => {
    const marked = Object.fromEntries(t.nodes.filter((n) => n.problems.length).map((n) => [n.name, n.problems.map((p) => [p.check, p.status])]));
    expect(marked).toEqual({
      // A routed VM network (an address, no NIC port) without NAT: nothing here masquerades it.
      br0: [['nat-masquerade', 'fail']],
      tap0: [['tap-state', 'warn']],
      tap1: [['tap-state', 'warn']],
      br1: [['bridge-state', 'fail']],
    });
    const line = (name: string) => t.nodes.find((n) => n.name === name)!.problems[0]!.summary;
    expect(line('tap0')).toMatch(/^tap0 is in use by pid 100/);
    expect(line('tap1')).toMatch(/^tap1 is persistent, used by no process/);
    expect(line('br1')).toBe('br1 is down');
    expect(line('br0')).toMatch(/^no MASQUERADE\/SNAT towards eth0 for br0 10\.77\.0\.0\/24/);
    // Nothing about the healthy ones.
    for (const name of ['eth0', 'macvtap0', 'vA', 'vB', 'v0']) expect(t.nodes.find((n) => n.name === name)!.problems).toEqual([]);
  });

  it('draws the same graph in Mermaid: uplink and bridge ports, macvtap on its lower device, peers, VMs; problems as classes', () => {
    const m = renderMermaid(t).text;
    expect(m.split('\n')[0]).toBe('flowchart LR');
    expect(mermaidEdges(m)).toEqual([
      ['br0', '---', 'tap0'],
      ['eth0', '-.-', 'macvtap0'],
      ['vA', '<-->', 'vB'],
      ['v0', '<-->', 'far1'],
      ['tap0', '---', 'vm1'],
      ['macvtap0', '---', 'QEMU pid 101'],
    ]);
    expect(mermaidClass(m, 'fail')).toEqual(['br0', 'br1']);
    expect(mermaidClass(m, 'warn')).toEqual(['tap0', 'tap1']);
    expect(m).toMatch(/"tap1<br\/>tap · down<br\/>owner alice, persistent<br\/>! tap-state"/);
  });

  it('prints the tree: uplink first, ports and their VMs under bridges, problems under their interface', () => {
    const text = renderTopologyText(t, { color: false });
    const lines = text.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(at(/^eth0 {2}nic, uplink · up · 10\.0\.2\.15\/24/)).toBeGreaterThan(0);
    expect(at(/^br0 {2}bridge · up · 10\.77\.0\.1\/24/)).toBeGreaterThan(at(/^eth0 /));
    expect(lines[at(/^br0 /) + 1]).toMatch(/^│ {3}✖ nat-masquerade: no MASQUERADE/);
    expect(lines[at(/^br0 /) + 2]).toMatch(/^└── tap0 {2}tap · up · owner alice, persistent · used by vm1 \(pid 100\)$/);
    expect(lines[at(/^br0 /) + 3]).toMatch(/^ {4}│ {3}! tap-state: tap0 is in use by pid 100/);
    expect(lines[at(/^br0 /) + 4]).toMatch(/^ {4}└── vm1 {2}QEMU pid 100 · MAC 52:54:00:00:00:a1$/);
    expect(lines[at(/^br1 /) + 1]).toMatch(/^ {4}✖ bridge-state: br1 is down$/);
    expect(lines[at(/^v0 /)]).toMatch(/peer ifindex 2 in namespace far1/);
    expect(lines[at(/^v0 /) + 1]).toMatch(/^└── far1 {2}network namespace \(id 0\)$/);
    expect(lines[at(/^eth0 /) + 1]).toMatch(/^└── macvtap0 {2}macvtap · up · on eth0 · used by QEMU pid 101$/);
    expect(lines[at(/^eth0 /) + 2]).toMatch(/^ {4}└── QEMU pid 101 {2}MAC 52:54:00:00:00:b2$/);
  });
});

const HOSTILE: LinkSpec[] = [
  { name: 'lo' },
  { name: 'eth0', addrs: ['10.0.2.15/24'] },
  { name: 'x];y', kind: 'bridge', addrs: ['10.9.0.1/24'] },
  { name: 'a"b', kind: 'tun', master: 'x];y', info: TAP('alice') },
  { name: '<script>', kind: 'tun', master: 'x];y', info: TAP('alice') },
  { name: 'p#quot;q', kind: 'tun', master: 'x];y', info: TAP('alice') },
  { name: 'e`f&g', kind: 'tun', master: 'x];y', info: TAP('alice') },
  { name: 'm\x1b]0;t\x07n', kind: 'tun', master: 'x];y', info: TAP('alice') },
  { name: '%%c\\d', kind: 'tun', master: 'x];y', info: TAP('alice') },
];
const HOSTILE_VM: FakeSpec = {
  dirs: { '/proc': ['100'], '/proc/100/fd': ['3'] },
  files: {
    '/proc/100/cmdline': argv('qemu-system-x86_64', '-name', 'v"m</text><script>alert(1)</script>', '-netdev', 'tap,id=n0,ifname=a"b', '-device', 'e1000,netdev=n0'),
    '/proc/100/fdinfo/3': 'iff:\ta"b\n',
  },
  readlinks: { '/proc/100/fd/3': '/dev/net/tun' },
};

describe('host strings cannot break the diagram or the terminal', () => {
  let t: Topology;
  beforeAll(async () => {
    t = await topologyOfSpec(host(HOSTILE, { spec: HOSTILE_VM }));
  });

  it('escapes what could end a quoted label, start an entity, open HTML or close a code fence', () => {
    expect(mermaidText('a"b')).toBe('a#quot;b');
    expect(mermaidText('p#quot;q')).toBe('p#35;quot;q');
    expect(mermaidText('<script>')).toBe('#lt;script#gt;');
    expect(mermaidText('e`f&g\\')).toBe('e#96;f#amp;g#92;');
    expect(mermaidText('m\x1b]0;t\x07n')).toBe('m\\x1b]0;t\\x07n'.replace(/\\/g, '#92;'));
    const m = renderMermaid(t).text;
    // Every label is one quoted string: no raw quote, angle bracket, backtick or control character inside.
    for (const line of m.split('\n').filter((l) => /^ {2}[nm]\d+[[({]/.test(l)).map((l) => l.replace(/<br\/>/g, ' '))) {
      expect(line).toMatch(/^ {2}[nm]\d+(\["|\[\["|\(\["|\{\{")[^"<>`\x00-\x1f]*("\]|"\]\]|"\]\)|"\}\})$/);
    }
    // Read back, the labels are the names exactly as the terminal shows them.
    expect(mermaidEdges(m).map((e) => e[2])).toEqual(['a"b', '<script>', 'p#quot;q', 'e`f&g', 'm\\x1b]0;t\\x07n', '%%c\\d', 'v"m</text><script>alert(1)</script>']);
  });

  it('the terminal tree shows control characters as text', () => {
    const text = renderTopologyText(t, { color: false });
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(text).toContain('m\\x1b]0;t\\x07n');
    expect(text).toContain('v"m</text><script>alert(1)</script>');
  });

  const why = whyNoMermaid();
  if (why) console.log(`Mermaid rendering of hostile names skipped: ${why}`);
  describe.skipIf(why !== '')('in a real headless Chromium', () => {
    let r: MermaidRenderer;
    beforeAll(async () => {
      r = await MermaidRenderer.start();
    }, 120_000);
    afterAll(async () => {
      await r?.close();
    });
    it('the diagram renders, every name shown as literal text, no element injected', async () => {
      const out = await r.render(renderMermaid(t).text);
      expect(out.ok, out.ok ? '' : out.error).toBe(true);
      if (!out.ok) return;
      expect(out.svg).not.toMatch(/<script|<text>|alert\(1\)<\/script>/i);
      expect(out.svg).toContain('x];y');
      expect(out.svg).toContain('&lt;script&gt;');
      // A name that looks like an entity code stays the text it is.
      expect(out.svg).toContain('p#quot;q');
      expect(out.svg).toMatch(/a(&quot;|")b/);
      expect(out.svg).toContain('e`f&amp;g');
      expect(out.svg).toContain('%%c\\d');
      // Every tap is drawn, joined to the bridge.
      expect(out.svg.match(/class="[^"]*flowchart-link[^"]*"/g)?.length).toBe(7);
    });
  });
});
