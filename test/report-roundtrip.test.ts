// A report carries its host: for every recorded host (fixtures/), `qnet report`
// made from it, saved, and read back with `--snapshot` replays to the results the
// report shows; so does a copy of it as a tracker gives it back (lines re-wrapped
// at 80 columns, CRLF line ends, extra whitespace, quoted). The Markdown parses as
// GitHub-flavoured Markdown, and its Mermaid diagram renders to SVG in a real
// headless Chromium (skipped, saying why, where there is none).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_CHECKS } from '../checks/index.js';
import { buildReport, GITHUB_LIMIT } from '../src/commands/report.js';
import { doctor } from '../src/engine.js';
import { decodeEmbedded, EMBED_BEGIN, EMBED_END, encodeEmbedded } from '../src/host/snapshot-embed.js';
import { checksFor, openSession } from '../src/session.js';
import { readSnapshotFile } from '../src/host/snapshot-load.js';
import { visible } from '../src/output/safe.js';
import type { DoctorReport, Result } from '../src/types.js';
import { allFixtures, fixturePath } from './helpers/fixtures.js';
import { trackerCopy } from './helpers/tracker-copy.js';
import { codeBlocks, detailsBlocks, parseGfm, tables } from './helpers/gfm.js';
import { MermaidRenderer, whyNoMermaid } from './helpers/mermaid-render.js';

const fixtures = allFixtures();
const dir = mkdtempSync(join(tmpdir(), 'qnet-report-rt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const strip = (rs: readonly Result[]) => rs.map(({ durationMs: _d, ...r }) => r);
const ICON: Record<string, string> = { pass: '✔', warn: '!', fail: '✖', skip: '–', error: '☠' };

/** `qnet report [--no-redact] --snapshot FILE`, as the CLI makes it. */
async function reportOf(file: string, redact: boolean): Promise<{ md: string; doctor: DoctorReport }> {
  const session = await openSession({ snapshot: file });
  const checks = checksFor(ALL_CHECKS, session, {});
  const report = await doctor(session.ctx, checks);
  const md = await buildReport({ ctx: session.ctx, checks, report, reads: session.snapshot!.reads, createdAt: session.snapshot!.createdAt }, { redact, allChecks: ALL_CHECKS });
  return { md, doctor: report };
}

/** `qnet doctor --snapshot FILE --json`, as the CLI runs it. */
async function replay(file: string): Promise<DoctorReport> {
  const session = await openSession({ snapshot: file, json: true });
  return doctor(session.ctx, checksFor(ALL_CHECKS, session, {}));
}

const mermaidWhy = whyNoMermaid();
if (mermaidWhy) console.log(`Mermaid rendering of the reports' diagrams skipped: ${mermaidWhy}`);
let renderer: MermaidRenderer | undefined;
let rendered = 0;
beforeAll(async () => {
  if (!mermaidWhy) renderer = await MermaidRenderer.start();
}, 120_000);
afterAll(async () => {
  await renderer?.close();
});

describe('the snapshot block', () => {
  // Text that does not compress away: several lines of base64 to cut and damage.
  const json = JSON.stringify({ schema: 'qnet.snapshot/v1', note: Array.from({ length: 400 }, (_, i) => (i * 7919 % 10007).toString(36)).join(',') + 'é ✔' });
  const lines = encodeEmbedded(json);
  it('is BEGIN, lines of at most 76 base64 characters, END', () => {
    expect(lines.length).toBeGreaterThan(10);
    expect(lines[0]).toBe(EMBED_BEGIN);
    expect(lines[lines.length - 1]).toBe(EMBED_END);
    for (const l of lines.slice(1, -1)) expect(l).toMatch(/^[A-Za-z0-9+/=]{1,76}$/);
  });
  it('decodes from the block, from the block joined into one line, and from a re-wrapped, quoted CRLF copy', () => {
    expect(decodeEmbedded(lines.join('\n'), 't')).toBe(json);
    expect(decodeEmbedded(lines.join(' '), 't')).toBe(json);
    expect(decodeEmbedded(trackerCopy(['text before', ...lines, 'after'].join('\n')), 't')).toBe(json);
    // Markers whose words a re-wrap split over two lines.
    expect(decodeEmbedded(lines.join('\n').replace('BEGIN QNET', 'BEGIN\r\nQNET').replace('END QNET', 'END  QNET'), 't')).toBe(json);
  });
  it('says in one line what is wrong with a cut or damaged block', () => {
    expect(() => decodeEmbedded(lines.slice(0, -4).join('\n'), 'r.md')).toThrow(/snapshot in r\.md is cut off \(no END line\)/);
    const damaged = [...lines];
    damaged[3] = damaged[3]!.replace(/[A-Z]/, (c) => (c === 'A' ? 'B' : 'A'));
    expect(() => decodeEmbedded(damaged.join('\n'), 'r.md')).toThrow(/snapshot in r\.md is damaged/);
    expect(() => decodeEmbedded(lines.slice(0, 4).join('\n') + '\n' + EMBED_END, 'r.md')).toThrow(/snapshot in r\.md is damaged/);
  });
  it('a report without a snapshot is refused saying so, not as invalid JSON', () => {
    const f = join(dir, 'no-snapshot.md');
    writeFileSync(f, '## qnet 0.1.0 report\n\n- host: h\n\nNo snapshot in this report.\n');
    expect(() => readSnapshotFile(f)).toThrow(/is a qnet report without a snapshot/);
  });
});

describe('every recorded host: report → --snapshot report.md replays the same results', () => {
  it('has fixtures', () => expect(fixtures.length).toBeGreaterThan(20));
  for (const f of fixtures) {
    it(`${f.check}/${f.scenario}`, async () => {
      const original = await replay(f.path);
      for (const redact of [true, false]) {
        const { md } = await reportOf(f.path, redact);
        expect(md.length).toBeLessThan(GITHUB_LIMIT);
        const file = join(dir, `${f.check}-${f.scenario}-${redact ? 'r' : 'p'}.md`);
        writeFileSync(file, md);
        const again = await replay(file);
        // The verdicts are the host's.
        expect(again.results.map((r) => [r.id, r.status])).toEqual(original.results.map((r) => [r.id, r.status]));
        if (!redact) expect(strip(again.results)).toEqual(strip(original.results));
        // The results are what the report shows: its table, row by row (summaries as a reader sees them).
        const tree = parseGfm(md);
        const [table, ...more] = tables(tree);
        expect(more).toEqual([]);
        expect(table!.rows).toEqual(again.results.map((r) => [ICON[r.status], r.id, visible(r.summary)]));
        // The same from the copy a tracker gives back.
        const copy = join(dir, `${f.check}-${f.scenario}-${redact ? 'r' : 'p'}-copy.md`);
        writeFileSync(copy, trackerCopy(readFileSync(file, 'utf8')));
        expect(strip((await replay(copy)).results)).toEqual(strip(again.results));
        // GFM: every <details> closed; the snapshot sits in one; the diagram is a mermaid code block.
        const details = detailsBlocks(tree);
        for (const d of details) expect(d.closed, d.summary).toBe(true);
        const snap = details.find((d) => /Replayable snapshot/.test(d.summary));
        expect(snap, 'a collapsed snapshot block').toBeDefined();
        expect(snap!.children.some((c) => c.type === 'code' && c.value.startsWith(EMBED_BEGIN))).toBe(true);
        const diagrams = codeBlocks(tree).filter((c) => c.lang === 'mermaid');
        expect(diagrams).toHaveLength(1);
        if (renderer && redact) {
          const r = await renderer.render(diagrams[0]!.value);
          expect(r.ok, r.ok ? '' : r.error).toBe(true);
          rendered++;
        }
      }
    }, 60_000);
  }
  it.skipIf(Boolean(mermaidWhy))('rendered every report\'s diagram in Chromium', () => {
    expect(rendered).toBe(fixtures.length);
  });
});

describe('where replacing addresses would change a verdict', () => {
  it('the report shows the real verdict, with addresses replaced in its text, and carries no snapshot, saying why', async () => {
    // A MASQUERADE rule for 172.16.0.0/12 does not cover the VM network 10.66.0.0/24. Replaced /24 by /24,
    // both land in 198.18.0.0/15, where the /12 would cover the other: the verdict would flip to pass.
    const text = readFileSync(fixturePath('nat-absent'), 'utf8').replace('\\"addr\\": \\"10.99.0.0\\", \\"len\\": 24', '\\"addr\\": \\"172.16.0.0\\", \\"len\\": 12');
    const file = join(dir, 'nat-wide-rule.json');
    writeFileSync(file, text);
    expect(text).toContain('172.16.0.0');
    const { md, doctor: real } = await reportOf(file, true);
    expect(real.results.map((r) => r.status)).toEqual(['fail']);
    expect(tables(parseGfm(md))[0]!.rows.map((r) => r[0])).toEqual(['✖']);
    expect(md).toMatch(/No snapshot in this report: with its addresses replaced, the host record would give other verdicts \(nat-masquerade\)/);
    expect(md).not.toContain('-----BEGIN QNET SNAPSHOT-----');
    for (const a of ['10.66.0', '172.16.0.0', '192.0.2.2']) expect(md).not.toContain(a);
    expect(md).toMatch(/virbr9 198\.18\.\d+\.0\/24/);
    // Unredacted, the same host carries its snapshot.
    expect((await reportOf(file, false)).md).toContain('-----BEGIN QNET SNAPSHOT-----');
  });
});
