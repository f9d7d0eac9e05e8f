// The topology and the report of real hosts, built in namespaces:
// - bridges, taps held by real QEMU processes (run as the test user), a stale tap,
//   a bridge that is down, a local veth pair, a veth whose peer is in a named
//   namespace (ip netns add) and an uplink whose peer is in an unnamed one. The
//   drawing is judged against the kernel (`ip -j`, `ip netns list-id`) and the
//   QEMU processes themselves (/proc/PID: cmdline and the tap in fdinfo), as JSON
//   and as Mermaid text, which renders in Chromium; the report of that host
//   replays, from the file and from a tracker's copy, to the live verdicts.
// - 1,000 taps on 50 bridges: the report stays under 65,536 characters, says what
//   it trimmed, and its snapshot still replays to the live verdicts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topology } from '../../src/topology/graph.js';
import { codeBlocks, parseGfm, tables } from '../helpers/gfm.js';
import { MermaidRenderer, whyNoMermaid } from '../helpers/mermaid-render.js';
import { mermaidClass, mermaidEdges } from '../helpers/mermaid-text.js';
import { trackerCopy } from '../helpers/tracker-copy.js';
import { bundleCopy, run, Scenario, skipReason } from './harness.js';

const SETUP = `
tun 0666
# A private /run, so ip netns add names its namespace here and nowhere else.
mount -t tmpfs -o mode=0755 qnet-run /run
mkdir -p /run/netns
ip netns add far1
ip link add v0 type veth peer name v0p netns far1
ip link set v0 up
ip -n far1 link set v0p up
ip link add vA type veth peer name vB
ip link set vA up
ip link set vB up
ip link add br0 type bridge
ip addr add 10.77.0.1/24 dev br0
ip link set br0 up
ip tuntap add dev tap0 mode tap user qnetuser
ip link set tap0 master br0
ip link set tap0 up
ip link add br2 type bridge
ip addr add 10.78.0.1/24 dev br2
ip link set br2 up
ip tuntap add dev tap2 mode tap user qnetuser
ip link set tap2 master br2
ip link set tap2 up
ip tuntap add dev tap1 mode tap user qnetuser
ip link add br1 type bridge
ip addr add 198.51.100.2/24 dev eth0
ip route add default via 198.51.100.1
`;

const vmArgs = (name: string, tap: string, mac: string) => ['-name', name, '-netdev', `tap,id=n0,ifname=${tap},script=no,downscript=no`, '-device', `virtio-net-pci,netdev=n0,mac=${mac}`];

const reason = skipReason(['qemu']);
if (reason) console.log(`real-kernel topology tests skipped: ${reason}`);
const mermaidWhy = whyNoMermaid();
if (mermaidWhy) console.log(`Mermaid rendering in the real-kernel topology test skipped: ${mermaidWhy}`);

const statuses = (json: string) => (JSON.parse(json) as { results: { id: string; status: string }[] }).results.map((r) => `${r.id} ${r.status}`);

describe.skipIf(reason !== '')('topology and report of real hosts', () => {
  let copyDir = '';
  let bin = '';
  beforeAll(async () => {
    copyDir = mkdtempSync(join(tmpdir(), 'qnet-rk-bundle-'));
    bin = await bundleCopy(copyDir);
  }, 120_000);
  afterAll(() => {
    if (copyDir) rmSync(copyDir, { recursive: true, force: true });
  });

  it('bridges, taps held by QEMU, veths and two other namespaces are drawn as the kernel and QEMU have them', async () => {
    const sc = await Scenario.start('topology');
    try {
      await sc.nic('eth0', '198.51.100.1/24');
      await sc.sh(SETUP, 'the network');
      await sc.startVm({ args: vmArgs('vm1', 'tap0', '52:54:00:77:00:01') });
      await sc.startVm({ args: vmArgs('vm2', 'tap2', '52:54:00:77:00:02') });

      const r = await sc.qnet(bin, ['topology', '--json']);
      expect([0, 1], r.stderr).toContain(r.code);
      const t = JSON.parse(r.stdout) as Topology;
      const byName = new Map(t.nodes.map((n) => [n.name, n]));

      // The interfaces and their masters are the kernel's.
      const kernel = JSON.parse((await sc.inNs(['ip', '-j', '-d', 'link', 'show'])).stdout) as { ifname: string; ifindex: number; master?: string; link_netnsid?: number }[];
      const links = kernel.filter((l) => l.ifname !== 'lo');
      expect(t.nodes.filter((n) => n.id.startsWith('link:')).map((n) => n.name).sort()).toEqual(links.map((l) => l.ifname).sort());
      expect(t.edges.filter((e) => e.kind === 'port-of').map((e) => `${e.from} ${e.to}`).sort()).toEqual(
        links.filter((l) => l.master).map((l) => `link:${l.ifname} link:${l.master}`).sort(),
      );
      expect(byName.get('eth0')).toMatchObject({ uplink: true, state: 'up', addresses: expect.arrayContaining(['198.51.100.2/24']) });
      expect(byName.get('br1')!.state).toBe('down');
      expect(byName.get('tap1')!.state).toBe('down');
      expect(byName.get('tap0')!.owner).toMatchObject({ persist: true });

      // The namespaces of the veth peers: far1 by name, the uplink's by the id the kernel gives it.
      const ids = JSON.parse((await sc.inNs(['ip', '-j', 'netns', 'list-id'])).stdout) as { nsid: number; name?: string }[];
      const far1 = ids.find((i) => i.name === 'far1')!;
      const eth0ns = links.find((l) => l.ifname === 'eth0')!.link_netnsid!;
      expect(t.edges).toContainEqual({ from: 'link:v0', to: `netns:${far1.nsid}`, kind: 'peer-of' });
      expect(t.edges).toContainEqual({ from: 'link:eth0', to: `netns:${eth0ns}`, kind: 'peer-of' });
      expect(byName.get('far1')).toMatchObject({ kind: 'netns', netns: { id: far1.nsid, name: 'far1' } });
      expect(t.nodes.find((n) => n.id === `netns:${eth0ns}`)).toMatchObject({ name: `netns id ${eth0ns}` });
      // One edge for the local pair, from the end with the lower ifindex.
      const index = (name: string) => links.find((l) => l.ifname === name)!.ifindex;
      const [lo, hi] = index('vA') < index('vB') ? ['vA', 'vB'] : ['vB', 'vA'];
      expect(t.edges.filter((e) => e.kind === 'peer-of' && e.from.startsWith('link:v'))).toEqual([
        { from: 'link:v0', to: `netns:${far1.nsid}`, kind: 'peer-of' },
        { from: `link:${lo}`, to: `link:${hi}`, kind: 'peer-of' },
      ]);

      // Each VM node is the QEMU process holding its tap (its own /proc says so).
      for (const [vm, tap] of [['vm1', 'tap0'], ['vm2', 'tap2']] as const) {
        const node = byName.get(vm)!;
        expect(node.kind).toBe('vm');
        expect(t.edges).toContainEqual({ from: `vm:${node.vm!.pid}`, to: `link:${tap}`, kind: 'uses' });
        const cmd = (await sc.inNs(['cat', `/proc/${node.vm!.pid}/cmdline`])).stdout.split('\0');
        expect(cmd[0]).toMatch(/qemu-system-x86_64$/);
        expect(cmd).toContain(vm);
        const held = await sc.inNs(['sh', '-c', 'cat /proc/"$1"/fdinfo/*', 'sh', String(node.vm!.pid)]);
        expect(held.stdout).toMatch(new RegExp(`^iff:\\s+${tap}$`, 'm'));
        expect(node.vm!.macs).toEqual([vm === 'vm1' ? '52:54:00:77:00:01' : '52:54:00:77:00:02']);
      }

      // Problems where they are.
      const checks = (name: string) => byName.get(name)!.problems.map((p) => `${p.check} ${p.status}`);
      expect(checks('br1')).toContain('bridge-state fail');
      expect(checks('tap1')).toContain('tap-state warn');
      expect(byName.get('tap1')!.problems[0]!.summary).toMatch(/^tap1 is persistent, used by no process/);
      const forward = (await sc.inNs(['cat', '/proc/sys/net/ipv4/ip_forward'])).stdout.trim();
      if (forward === '0') for (const br of ['br0', 'br2']) expect(checks(br)).toContain('ip-forward fail');
      expect(checks('vA')).toEqual([]);

      // The same graph as Mermaid text, rendered by a real browser.
      const m = (await sc.qnet(bin, ['topology', '--format', 'mermaid'])).stdout;
      const edges = mermaidEdges(m).map((e) => e.join(' '));
      for (const e of ['br0 --- tap0', 'br2 --- tap2', 'tap0 --- vm1', 'tap2 --- vm2', `${lo} <--> ${hi}`, 'v0 <--> far1', `eth0 <--> netns id ${eth0ns}`]) expect(edges).toContain(e);
      expect(edges).toHaveLength(t.edges.length);
      expect(mermaidClass(m, 'fail')).toContain('br1');
      expect(mermaidClass(m, 'warn')).toContain('tap1');
      if (!mermaidWhy) {
        const browser = await MermaidRenderer.start();
        try {
          const out = await browser.render(m);
          expect(out.ok, out.ok ? '' : out.error).toBe(true);
          if (out.ok) for (const label of ['br0', 'tap0', 'vm1', 'far1', 'eth0']) expect(out.svg).toContain(label);
        } finally {
          await browser.close();
        }
      }

      // The report of this host replays to the live verdicts, from the file and from a tracker's copy.
      const live = await sc.qnet(bin, ['doctor', '--json']);
      const file = join(sc.dir, 'report.md');
      const rep = await sc.qnet(bin, ['report', '-o', file]);
      expect(rep.code, rep.stderr).toBe(live.code);
      const md = readFileSync(file, 'utf8');
      expect(md.length).toBeLessThan(65_536);
      const tree = parseGfm(md);
      expect(tables(tree)).toHaveLength(1);
      const diagram = codeBlocks(tree).find((c) => c.lang === 'mermaid')!.value;
      // Pseudonyms in the report; the interfaces and VMs are the same.
      for (const e of ['br0 --- tap0', 'tap0 --- vm1', 'v0 <--> far1']) expect(mermaidEdges(diagram).map((x) => x.join(' '))).toContain(e);
      expect(diagram).not.toContain('198.51.100.2');
      const copy = join(sc.dir, 'copy.md');
      writeFileSync(copy, trackerCopy(md));
      for (const f of [file, copy]) {
        const again = await run([process.execPath, bin, 'doctor', '--snapshot', f, '--json'], { timeoutMs: 60_000 });
        expect(again.code, again.stderr).toBe(live.code);
        expect(statuses(again.stdout)).toEqual(statuses(live.stdout));
      }
    } finally {
      await sc.dispose();
    }
  }, 180_000);

  it('1,000 taps on 50 bridges: the report fits 65,536 characters, says what it trimmed, and replays', async () => {
    const sc = await Scenario.start('report-1000');
    try {
      const lines: string[] = [];
      for (let b = 0; b < 50; b++) lines.push(`link add br${b} type bridge`, `link set br${b} up`);
      for (let i = 0; i < 1000; i++) lines.push(`tuntap add dev tap${i} mode tap user qnetuser`, `link set tap${i} master br${i % 50}`);
      writeFileSync(join(sc.dir, 'batch'), lines.join('\n') + '\n');
      await sc.sh('tun 0666', 'tun');
      const batch = await sc.inNs(['ip', '-batch', join(sc.dir, 'batch')], { timeoutMs: 120_000 });
      expect(batch.code, batch.stderr).toBe(0);
      const count = (JSON.parse((await sc.inNs(['ip', '-j', 'link', 'show', 'type', 'tun'])).stdout) as unknown[]).length;
      expect(count).toBe(1000);

      const live = await sc.qnet(bin, ['doctor', '--json']);
      const file = join(sc.dir, 'report.md');
      const rep = await sc.qnet(bin, ['report', '-o', file]);
      expect(rep.code, rep.stderr).toBe(live.code);
      const md = readFileSync(file, 'utf8');
      expect(md.length).toBeLessThan(65_536);
      const trimmed = /^- trimmed to fit a tracker's 65,536 characters: (.*)$/m.exec(md);
      expect(trimmed, 'the report says what it trimmed').not.toBeNull();
      expect(trimmed![1]).toMatch(/\d+ taps .*from the diagram/);
      // Every check is still in the table, and the snapshot replays to the live verdicts.
      expect(tables(parseGfm(md))[0]!.rows).toHaveLength(statuses(live.stdout).length);
      expect(md).toContain('-----BEGIN QNET SNAPSHOT-----');
      const again = await run([process.execPath, bin, 'doctor', '--snapshot', file, '--json'], { timeoutMs: 120_000 });
      expect(again.code, again.stderr).toBe(live.code);
      expect(statuses(again.stdout)).toEqual(statuses(live.stdout));
      const topo = JSON.parse((await run([process.execPath, bin, 'topology', '--snapshot', file, '--json'], { timeoutMs: 120_000 })).stdout) as Topology;
      expect(topo.nodes.filter((n) => n.kind === 'tap')).toHaveLength(1000);
    } finally {
      await sc.dispose();
    }
  }, 300_000);
});
