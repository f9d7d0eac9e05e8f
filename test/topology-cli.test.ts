// The built CLI: qnet topology (text, --json, --format mermaid, --snapshot) and
// qnet report written to a file and read back by --snapshot, with exit codes and
// one-line errors.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topology } from '../src/topology/graph.js';
import { fixturePath } from './helpers/fixtures.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/qnet.js');
let dir: string;

function qnet(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/qnet.cjs'))) execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT });
  dir = mkdtempSync(join(tmpdir(), 'qnet-topo-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('qnet topology', () => {
  it('--json: one qnet.topology/v1 document with every interface `ip` lists here (but loopback)', () => {
    const r = qnet(['topology', '--json']);
    expect([0, 1]).toContain(r.code);
    const t = JSON.parse(r.stdout) as Topology;
    expect(t.schema).toBe('qnet.topology/v1');
    const ip = spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' });
    if (ip.status !== 0) return;
    const names = (JSON.parse(ip.stdout) as { ifname: string; link_type?: string }[]).filter((l) => l.link_type !== 'loopback').map((l) => l.ifname);
    expect(t.nodes.filter((n) => n.id.startsWith('link:')).map((n) => n.name).sort()).toEqual(names.sort());
    // The exit code is the doctor's: 1 when a check fails.
    const doc = JSON.parse(qnet(['doctor', '--json']).stdout) as { summary: Record<string, number> };
    expect(t.summary.fail).toBe(doc.summary.fail);
    expect(r.code).toBe(doc.summary.fail! + doc.summary.error! > 0 ? 1 : 0);
  });

  it('--format mermaid prints a flowchart; the default is the tree', () => {
    const m = qnet(['topology', '--format', 'mermaid']);
    expect(m.stdout.split('\n')[0]).toBe('flowchart LR');
    const text = qnet(['topology']);
    expect(text.stdout).toMatch(/^qnet \S+ topology · /);
    expect(text.stdout).not.toMatch(/\x1b\[/);
  });

  it('usage errors exit 2 with one line', () => {
    for (const [args, re] of [
      [['topology', '--format', 'dot'], /unknown --format "dot"; choose text, json, mermaid/],
      [['topology', '--json', '--format', 'mermaid'], /--json and --format mermaid ask for different outputs/],
      [['topology', '--snapshot', join(ROOT, 'package.json')], /is not a valid qnet\.snapshot\/v1 file|has schema/],
    ] as [string[], RegExp][]) {
      const r = qnet(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('help has examples', () => {
    const r = qnet(['topology', '--help']);
    expect(r.stdout).toMatch(/Examples:\n {2}qnet topology/);
  });
});

describe('qnet report → file → --snapshot, through the CLI', () => {
  it('a tap on the wrong bridge: the report replays; topology and doctor read the report like a snapshot', () => {
    const fixture = fixturePath('tap-not-on-its-bridge');
    const out = join(dir, 'report.md');
    const rep = qnet(['report', '--snapshot', fixture, '-o', out]);
    expect(rep.stderr).toMatch(/wrote .*report\.md \(redacted\)/);
    const md = readFileSync(out, 'utf8');
    expect(md.length).toBeLessThan(65_536);
    const orig = qnet(['doctor', '--snapshot', fixture, '--json']);
    const again = qnet(['doctor', '--snapshot', out, '--json']);
    expect(again.code).toBe(orig.code);
    expect(rep.code).toBe(orig.code);
    const statuses = (s: string) => (JSON.parse(s) as { results: { id: string; status: string }[] }).results.map((r) => `${r.id} ${r.status}`);
    expect(statuses(again.stdout)).toEqual(statuses(orig.stdout));
    // The topology of the report is the fixture's: the same interfaces (names are not redacted) and edges.
    const a = JSON.parse(qnet(['topology', '--snapshot', fixture, '--json']).stdout) as Topology;
    const b = JSON.parse(qnet(['topology', '--snapshot', out, '--json']).stdout) as Topology;
    expect(b.nodes.map((n) => [n.id, n.kind, n.state, n.problems.map((p) => p.check)])).toEqual(a.nodes.map((n) => [n.id, n.kind, n.state, n.problems.map((p) => p.check)]));
    expect(b.edges).toEqual(a.edges);
    expect(b.nodes.find((n) => n.name === 'tap0')!.problems.map((p) => p.check)).toEqual(['tap-state']);
  });

  it('a damaged or cut report: exit 2 with one line saying so', () => {
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    const lines = md.split('\n');
    const at = lines.findIndex((l) => l.startsWith('-----BEGIN QNET SNAPSHOT'));
    const damaged = [...lines];
    damaged[at + 2] = damaged[at + 2]!.split('').reverse().join('');
    writeFileSync(join(dir, 'damaged.md'), damaged.join('\n'));
    writeFileSync(join(dir, 'cut.md'), lines.slice(0, at + 3).join('\n'));
    for (const [f, re] of [['damaged.md', /the snapshot in .*damaged\.md is damaged/], ['cut.md', /the snapshot in .*cut\.md is cut off/]] as const) {
      const r = qnet(['doctor', '--snapshot', join(dir, f)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
