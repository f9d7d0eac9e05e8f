// The GFM harness: what it finds in Markdown written to trip it, then `qnet report` read
// through it (every recorded host and a live run): one table, one row per check.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/types.js';
import { codeBlocks, detailsBlocks, headings, parseGfm, tables } from '../helpers/gfm.js';
import { allFixtures } from '../helpers/fixtures.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/qnet.js');

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/qnet.cjs'))) execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT });
});

describe('parseGfm and its listings', () => {
  it('tables: cells as text, escaped pipes and inline code kept, one row per line', () => {
    const md = ['| | check | result |', '|---|:---|---:|', '| ✖ | `tun-perms` | a \\| b and `x\\|y` |', '| ✔ | `kvm` | **ok** |', ''].join('\n');
    const [t, ...more] = tables(parseGfm(md));
    expect(more).toEqual([]);
    expect(t!.header).toEqual(['', 'check', 'result']);
    expect(t!.align).toEqual([null, 'left', 'right']);
    expect(t!.rows).toEqual([
      ['✖', 'tun-perms', 'a | b and x|y'],
      ['✔', 'kvm', 'ok'],
    ]);
  });

  it('a table whose delimiter row does not match its header is no table, as on GitHub', () => {
    expect(tables(parseGfm('| a | b |\n|---|\n| c | d |\n'))).toEqual([]);
    // An unescaped pipe in a cell adds a cell, which GitHub drops; a short row is padded.
    const [t] = tables(parseGfm('| a | b |\n|---|---|\n| c | d \\| e | f |\n| g |\n'));
    expect(t!.rows).toEqual([
      ['c', 'd | e'],
      ['g', ''],
    ]);
    expect(t!.cellCounts).toEqual([3, 1]);
  });

  it('details: summary, Markdown inside when a blank line follows, raw HTML when not, nesting, unclosed', () => {
    const md = [
      '<details><summary>Replayable <b>snapshot</b></summary>',
      '',
      '```qnet-snapshot',
      'H4sIAAAA',
      '```',
      '',
      '<details open>',
      '<summary>inner</summary>',
      '',
      '- one',
      '',
      '</details>',
      '',
      '</details>',
      '',
      '<details><summary>raw</summary>',
      'not markdown *here*',
      '</details>',
      '',
      '<details><summary>never closed</summary>',
      '',
      'text',
      '',
    ].join('\n');
    const d = detailsBlocks(parseGfm(md));
    expect(d.map((b) => [b.summary, b.depth, b.closed, b.open, b.line])).toEqual([
      ['Replayable snapshot', 0, true, false, 1],
      ['inner', 1, true, true, 7],
      ['raw', 0, true, false, 16],
      ['never closed', 0, false, false, 20],
    ]);
    expect(d[0]!.children.map((c) => c.type)).toEqual(['code', 'list']);
    expect(d[1]!.children.map((c) => c.type)).toEqual(['list']);
    expect(d[2]!.children).toEqual([]);
    expect(d[2]!.html).toContain('not markdown *here*');
    expect(codeBlocks(parseGfm(md))).toEqual([{ lang: 'qnet-snapshot', meta: null, value: 'H4sIAAAA', line: 3 }]);
  });

  it('headings and code blocks with info strings', () => {
    const tree = parseGfm('## qnet report\n\n### ✖ `tun-perms`: no\n\n```mermaid title\nflowchart LR\n  a --> b\n```\n');
    expect(headings(tree)).toEqual([
      [2, 'qnet report'],
      [3, '✖ tun-perms: no'],
    ]);
    expect(codeBlocks(tree)).toEqual([{ lang: 'mermaid', meta: 'title', value: 'flowchart LR\n  a --> b', line: 5 }]);
  });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The report of a host read through the harness agrees with the doctor's JSON of the same host. */
async function reportAgrees(args: string[]): Promise<void> {
  const [rep, json] = await Promise.all([run(['report', ...args]), run(['doctor', '--json', ...args])]);
  const doc = JSON.parse(json.stdout) as DoctorReport;
  expect(rep.code).toBe(json.code);
  const tree = parseGfm(rep.stdout);
  const ts = tables(tree);
  expect(ts, 'exactly one table').toHaveLength(1);
  const t = ts[0]!;
  expect(t.rows, 'one row per check').toHaveLength(doc.results.length);
  // No summary cut its row with an unescaped | (GitHub would drop the rest of the cell).
  expect(t.cellCounts).toEqual(t.rows.map(() => t.header.length));
  // Some column holds the check IDs, in the doctor's order.
  const ids = doc.results.map((r) => r.id);
  const col = t.header.findIndex((_, i) => t.rows.every((row, j) => row[i] === ids[j]));
  expect(col, `a column of check IDs in ${JSON.stringify(t.rows.slice(0, 3))}`).toBeGreaterThanOrEqual(0);
  for (const d of detailsBlocks(tree)) expect(d.closed, `<details> "${d.summary}" is closed`).toBe(true);
}

const fixtures = allFixtures().map((f) => f.path);

describe('qnet report read as GFM', () => {
  it('every recorded host (replayed with --snapshot)', async () => {
    const queue = [...fixtures];
    const worker = async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        try {
          await reportAgrees(['--snapshot', f]);
        } catch (err) {
          throw new Error(`${f}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all([worker(), worker()]);
  }, 300_000);

  it('a live run on this machine', async () => {
    await reportAgrees([]);
  });
});
