// Maps libvirt's translated messages back to English, so the catalogue's
// English patterns match what a user with LANG=de_DE, ru_RU or zh_CN pastes.
// The translations come from Debian's libvirt-l10n catalogues (l10n-data.ts,
// generated); errno texts in every glibc language are part of the patterns
// themselves (catalogue.ts ERRNO). Nothing is read from the user's machine.
import { LIBVIRT_TRANSLATIONS } from './l10n-data.js';

const SINGLE = /[`‘’´′‹›「」]/g;
const DOUBLE = /[“”„″«»]/g;
const QUOTES = /[`‘’´′‹›「」“”„″«»]/;
/** Whitespace other than single spaces. */
const SPACES = /\s\s|[^\S ]/;

/** Lower case, whitespace collapsed, typographic and locale quotes folded to ' and ". */
export function foldText(s: string): string {
  // Most log lines have no odd quote and no run of whitespace: skip those passes.
  if (QUOTES.test(s)) s = s.replace(SINGLE, "'").replace(DOUBLE, '"');
  if (SPACES.test(s)) s = s.replace(/\s+/g, ' ');
  return s.trim().toLowerCase();
}

interface Rule {
  anchor: string;
  re: RegExp;
  english: string;
  /** For each capture group, the index of the English placeholder it fills. */
  order: number[];
}

let rules: Rule[] | undefined;

/** The longer of `best` and the longest run of `lit` without spaces or quotes (what a paste keeps). */
function longestWord(lit: string, best: string): string {
  for (const w of lit.split(/[\s'"]+/)) if (w.length > best.length) best = w;
  return best;
}

/** A fixed text as a regex that forgives dropped spaces and quotes (pastes lose both). */
function lenient(lit: string): string {
  return lit
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/ /g, ' ?')
    .replace(/(['"])/g, '$1?');
}

const PLACEHOLDER = /%(?:(\d)\$)?[-#0 +']*\d*(?:\.\d+)?(?:hh|h|ll|l|z|j|t)?[sdiuxXcp]/g;

function compileRules(): Rule[] {
  const out: Rule[] = [];
  for (const [english, pairs] of Object.entries(LIBVIRT_TRANSLATIONS)) {
    const en = english.toLowerCase();
    for (const [, translated] of pairs) {
      const t = foldText(translated);
      const parts: string[] = [];
      const order: number[] = [];
      let last = 0;
      let n = 0;
      let anchor = '';
      for (const m of t.matchAll(PLACEHOLDER)) {
        const lit = t.slice(last, m.index);
        anchor = longestWord(lit, anchor);
        // A quoted value stops at the quote (the quotes themselves may be lost).
        const quoted = /['"]$/.test(lit);
        parts.push(lenient(lit), quoted ? '([^\'"]{0,200})' : '(.{0,200}?)');
        order.push(m[1] ? Number(m[1]) - 1 : n);
        n++;
        last = m.index! + m[0].length;
      }
      const tail = t.slice(last);
      anchor = longestWord(tail, anchor);
      parts.push(lenient(tail));
      // a trailing placeholder takes the rest of the line
      const src = parts.join('').replace(/\(\.\{0,200\}\?\)$/, '(.{0,400})');
      if (anchor.length < 2 || anchor === en) continue;
      out.push({ anchor, re: new RegExp(src, 'u'), english: en, order });
    }
  }
  // Longer fixed texts first: "unable to create tap device %s" before "internal error: %s".
  return out.sort((a, b) => b.anchor.length - a.anchor.length);
}

/** The line with every libvirt message it holds in a translation rewritten in English. */
export function translateLibvirt(line: string): string {
  rules ??= compileRules();
  let out = line;
  for (const r of rules) {
    if (!out.includes(r.anchor)) continue;
    const m = r.re.exec(out);
    if (!m) continue;
    const values = m.slice(1);
    let k = 0;
    const english = r.english.replace(PLACEHOLDER, () => values[r.order.indexOf(k++)] ?? '');
    out = out.slice(0, m.index) + english + out.slice(m.index + m[0].length);
  }
  return out;
}
