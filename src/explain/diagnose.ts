// From pasted text to causes ranked by the evidence: every recognised message
// line (patterns, any errno spelling, any language) votes for the cause its
// errno selects; the words of a description vote through the symptom ranking.
// Messages are strong evidence, words weak; a cause seen in both gets both.
import { causeOf, type Cause, type CauseId } from './causes.js';
import { rankDescription } from './describe.js';
import { scanText, type Match } from './match.js';

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
/** Below this a description score says nothing. */
const MIN_DESCRIPTION = 2.2;

export function diagnose(input: string): Diagnosis[] {
  const hits = scanText(input);
  const rawLines = input.replace(/\r\n?/g, '\n').split('\n');
  const byCause = new Map<CauseId, Match[]>();
  for (const h of hits) {
    const list = byCause.get(h.causeId) ?? [];
    list.push(h);
    byCause.set(h.causeId, list);
  }
  const scores = new Map<CauseId, { msg: number; desc: number; words: string[] }>();
  for (const [id, list] of byCause) {
    const best = Math.max(...list.map((h) => h.confidence));
    const distinct = new Set(list.filter((h) => h.confidence >= 0.6).map((h) => h.entry.id)).size;
    scores.set(id, { msg: Math.min(0.99, best + 0.02 * Math.min(3, Math.max(0, distinct - 1))), desc: 0, words: [] });
  }
  const ranked = rankDescription(input);
  const top = ranked[0]?.score ?? 0;
  if (top >= MIN_DESCRIPTION) {
    const scale = Math.min(1, top / 8);
    for (const r of ranked) {
      const d = DESCRIPTION_CEILING * scale * (r.score / top);
      if (d < 0.12) continue;
      const s = scores.get(r.causeId) ?? { msg: 0, desc: 0, words: [] };
      s.desc = d;
      s.words = r.words;
      scores.set(r.causeId, s);
    }
  }
  const anyMessage = hits.some((h) => h.confidence >= 0.5);
  const out: Diagnosis[] = [];
  for (const [id, s] of scores) {
    // With recognised messages, words only break ties and add alternatives.
    const confidence = s.msg > 0 ? Math.min(0.99, s.msg + 0.1 * s.desc) : anyMessage ? s.desc * 0.5 : s.desc;
    if (confidence < 0.1) continue;
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
