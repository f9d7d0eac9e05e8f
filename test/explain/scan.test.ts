// The log scanner picks the lines worth testing with one pass over the whole
// text. It must find exactly what testing every line joined with the next finds,
// wherever lines break (inside an anchor, at its edges, around blank lines).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, type Entry } from '../../src/explain/catalogue.js';
import { literalAnchor, scanLines } from '../../src/explain/match.js';

const ENTRIES: Entry[] = [
  { id: 'a', message: '', source: '', pattern: 'device or resource busy', checkIds: [], cause: 'a', fix: '', weight: 1, causeId: 'tap-conflict' },
  { id: 'b', message: '', source: '', pattern: 'could not open /dev/net/tun: \\S{1,20}', checkIds: [], cause: 'b', fix: '', weight: 1, causeId: 'tun-missing' },
  { id: 'c', message: '', source: '', pattern: 'tap', checkIds: [], cause: 'c', fix: '', weight: 1, causeId: 'tap-conflict', anchors: ['tapx', 'tap'] },
  { id: 'd', message: '', source: '', pattern: 'busy device', checkIds: [], cause: 'd', fix: '', weight: 1, causeId: 'tap-conflict', anchors: ['busy dev'] },
  // The anchor comes late: a match can start a line before the one holding it.
  { id: 'e', message: '', source: '', pattern: 'noise \\S{1,8} busy', checkIds: [], cause: 'e', fix: '', weight: 1, causeId: 'tap-conflict', anchors: ['busy'] },
  // A short anchor that begins a longer one: where the longer runs past the next line, the short one still counts.
  { id: 'f', message: '', source: '', pattern: 'open', checkIds: [], cause: 'f', fix: '', weight: 1, causeId: 'tap-conflict', anchors: ['open the door', 'open'] },
];

/** What the scanner must find: every line, joined with the next two, tried by every pattern whose anchor is in the line and the next. */
function reference(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const next = lines[i + 1] ?? '';
    const pair = next ? `${line} ${next}` : line;
    const window = lines[i + 2] ? `${pair} ${lines[i + 2]}` : pair;
    for (const e of ENTRIES) {
      const anchors = e.anchors ?? [literalAnchor(e.pattern)!];
      if (!anchors.some((a) => pair.includes(a))) continue;
      const m = new RegExp(e.pattern, 'u').exec(window);
      if (m && m.index <= line.length) out.push(`${e.id}@${i + 1}`);
    }
  }
  return out;
}

describe('the log scanner', () => {
  it('finds what a line-by-line test of every pair finds, however the text is broken into lines', () => {
    const text = fc.array(fc.constantFrom('device or resource busy', 'could not open /dev/net/tun: no such device', 'tapx', 'busy device', 'noise', ' ', 'de', 'vice', 'busy', 'tap', '', 'open the door', 'open', 'the', 'door'), { maxLength: 12 });
    fc.assert(
      fc.property(text, fc.array(fc.nat(400), { maxLength: 8 }), (parts, cuts) => {
        const flat = parts.join(' ');
        // Break the text into lines at the chosen offsets; blank lines where two cuts meet.
        const at = [...new Set(cuts.map((c) => c % (flat.length + 1)))].sort((a, b) => a - b);
        const lines: string[] = [];
        let from = 0;
        for (const c of at) {
          lines.push(flat.slice(from, c).trim());
          from = c;
        }
        lines.push(flat.slice(from).trim());
        const got = scanLines(lines, ENTRIES).map((h) => `${h.entry.id}@${h.line}`);
        expect(got).toEqual(reference(lines));
      }),
      { numRuns: 2000 },
    );
  });

  it('every catalogue entry has an anchor, so a long log is not tried line by line against it', () => {
    const none = CATALOGUE.filter((e) => !(e.anchors?.length || literalAnchor(e.pattern)));
    expect(none.map((e) => e.id)).toEqual([]);
  });
});
