// From pasted text to causes ranked by the evidence: every recognised message
// line (patterns, any errno spelling, any language) votes for the cause its
// errno selects; the words of a description vote through the symptom ranking.
// Messages are strong evidence, words weak; a cause seen in both gets both.
import { causeOf, type Cause, type CauseId } from './causes.js';
import { rankDescription } from './describe.js';
import { scanText, type Match } from './match.js';
import { structuralHits } from './structure.js';

export interface Evidence {
  /** 1-based line number in the pasted text. */
  line: number;
  /** The pasted line, as given (trimmed; shown to users through visible()). */
  text: string;
  /** The catalogue message it was recognised as. */
  message: string;
  errno?: string;
}

export interface Diagnosis {
  cause: Cause;
  /** 0..1, two decimals. */
  confidence: number;
  /** Recognised message lines, in input order. */
  lines: Evidence[];
  /** Description words that pointed at this cause. */
  words: string[];
  /** The catalogue hits behind `lines`, best first. */
  matches: Match[];
}

/** Causes shown at most. */
const MAX_CAUSES = 5;
/** A description alone reaches at most this confidence. */
const DESCRIPTION_CEILING = 0.8;
/** An alternative cause of a message gets this share of its confidence. */
const ALTERNATIVE_FACTOR = 0.5;
/** Below this a description score says nothing. */
const MIN_DESCRIPTION = 2.2;

export function diagnose(input: string): Diagnosis[] {
  // Recognised messages, and what the shape of the paste shows (a config naming an absent NIC).
  const found = [...scanText(input), ...structuralHits(input)];
  // A message that is often the visible end of other causes also votes for them, at half its weight.
  const hits = found.concat(
    found.flatMap((h) => (h.entry.alternatives ?? []).filter((id) => id !== h.causeId).map((id) => ({ ...h, causeId: id, confidence: Math.round(h.confidence * ALTERNATIVE_FACTOR * 100) / 100 }))),
  );
  const rawLines = input.replace(/\r\n?/g, '\n').split('\n');
  // On one line the most specific message speaks: a generic wrapper matched on
  // the same line ("network script … failed") counts for half.
  const bestOnLine = new Map<number, number>();
  for (const h of hits) bestOnLine.set(h.line, Math.max(bestOnLine.get(h.line) ?? 0, h.confidence));
  const weightOf = (h: Match) => (h.confidence < (bestOnLine.get(h.line) ?? 0) && h.causeId !== hits.find((x) => x.line === h.line && x.confidence === bestOnLine.get(h.line))?.causeId ? h.confidence / 2 : h.confidence);
  const byCause = new Map<CauseId, Match[]>();
  for (const h of hits) {
    const list = byCause.get(h.causeId) ?? [];
    list.push(h);
    byCause.set(h.causeId, list);
  }
  const scores = new Map<CauseId, { msg: number; desc: number; words: string[] }>();
  for (const [id, list] of byCause) {
    const best = Math.max(...list.map(weightOf));
    const distinct = new Set(list.filter((h) => h.confidence >= 0.6).map((h) => h.entry.id)).size;
    scores.set(id, { msg: Math.min(0.99, best + 0.02 * Math.min(3, Math.max(0, distinct - 1))), desc: 0, words: [] });
  }
  // A long log with recognised lines is judged by its lines; its other words are noise.
  const longLog = hits.length > 0 && input.split('\n').length > 60;
  const ranked = longLog ? [] : rankDescription(input);
  const top = ranked[0]?.score ?? 0;
  if (top >= MIN_DESCRIPTION) {
    const scale = Math.min(1, top / 8);
    for (const r of ranked) {
      // One word is not a description.
      if (r.words.length < 2) continue;
      const d = DESCRIPTION_CEILING * scale * (r.score / top);
      if (d < 0.12) continue;
      const s = scores.get(r.causeId) ?? { msg: 0, desc: 0, words: [] };
      s.desc = d;
      s.words = r.words;
      scores.set(r.causeId, s);
    }
  }
  const anyMessage = hits.length > 0;
  const strongest = Math.max(0, ...hits.map((h) => h.confidence));
  const out: Diagnosis[] = [];
  for (const [id, s] of scores) {
    // With recognised messages, words only break ties and add alternatives.
    const confidence = s.msg > 0 ? Math.min(0.99, s.msg + 0.05 * s.desc) : anyMessage ? s.desc * 0.5 : s.desc;
    // Beside recognised messages, a cause only the words suggest must be well supported.
    // A specific message (≥ 0.85) leaves no room for guesses from its words.
    if (confidence < (s.msg > 0 || !anyMessage ? 0.1 : strongest >= 0.85 ? 1 : 0.25)) continue;
    const matches = (byCause.get(id) ?? []).slice().sort((a, b) => b.confidence - a.confidence || a.line - b.line);
    const seen = new Set<number>();
    const lines: Evidence[] = [];
    for (const m of (byCause.get(id) ?? []).slice().sort((a, b) => a.line - b.line)) {
      if (seen.has(m.line)) continue;
      seen.add(m.line);
      lines.push({ line: m.line, text: (rawLines[m.line - 1] ?? '').trim().slice(0, 300), message: m.entry.message, ...(m.errno ? { errno: m.errno } : {}) });
    }
    out.push({ cause: causeOf(id), confidence: Math.round(confidence * 100) / 100, lines: lines.slice(0, 8), words: s.words, matches });
  }
  return out
    .sort((a, b) => b.confidence - a.confidence || (b.matches[0]?.confidence ?? 0) - (a.matches[0]?.confidence ?? 0) || a.cause.id.localeCompare(b.cause.id))
    .slice(0, MAX_CAUSES);
}
