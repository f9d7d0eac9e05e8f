// Turns pasted text (one message, or a whole log) into catalogue hits.
//
// Pasted text arrives wrapped by terminals, journals and mail clients, with
// timestamps, program and option prefixes, Markdown quotes, odd quote
// characters, and in the user's language. Each line is cleaned (stripLine),
// folded to lower case, and libvirt's translated messages are mapped back to
// English (errno texts in any glibc language are part of the patterns). Then
// a cheap prefilter (one regex of every pattern's literal anchors) picks the
// lines worth testing, and each candidate pattern is tried on that line joined
// with the next two (a message wrapped over lines still matches). Short pastes
// with no hit get a last try on the whole text with whitespace removed, so a
// word broken by a hard wrap ("Permis\nsion denied") still matches, at a
// slightly lower confidence. Every repetition in the patterns is bounded, so
// a megabyte of log stays linear.
import { CATALOGUE, errnoName, expandPattern, type Entry } from './catalogue.js';
import type { CauseId } from './causes.js';
import { foldText, translateLibvirt } from './l10n.js';
import type { CheckId } from '../types.js';

export interface Match {
  entry: Entry;
  checkIds: CheckId[];
  cause: string;
  fix: string;
  /** 0..1, two decimals. */
  confidence: number;
  /** The part of the normalised text that matched. */
  matched: string;
  /** The cause this hit points at (the errno may pick it). */
  causeId: CauseId;
  /** The errno the message carried, when it has one (EACCES, ENODEV, …). */
  errno?: string;
  /** 1-based line of the input where the match starts. */
  line: number;
}

/** Compact matches (only found with whitespace removed) count for a little less. */
const COMPACT_FACTOR = 0.9;
/** Pastes up to this many lines also get the whole-text and compact tries. */
const SHORT_LINES = 60;

const STAMP_PATTERNS: RegExp[] = [
  // dmesg: "[   12.345678] "
  /^\[\s*\d+\.\d+\]\s*/,
  // ISO 8601 / libvirt log / journalctl -o short-iso: "2019-06-24 08:02:19.491+0000: " or "2024-01-05T10:00:00+01:00 "
  /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:Z|[+-]\d\d:?\d\d)?:?\s+/,
  // syslog / journalctl short: "Sep 18 07:52:12 "
  /^[A-Z][a-z]{2}\s+\d{1,2}\s+\d\d:\d\d:\d\d(?:\.\d+)?\s+/,
];

/** After a syslog-style stamp: "host program[pid]: ". */
const HOST_PROG = /^\S+\s+[\w.@/+-]+(?:\[\d+\])?:\s+/;
/** After a libvirt log stamp: "2463: error : virNetDevTapCreate:240 : ". */
const LIBVIRT_LOG = /^\d+:\s+(?:error|warning|info|debug)\s*:\s*(?:[\w]+:\d+\s*:\s*)?/i;

const LINE_PREFIXES: RegExp[] = [
  // mail / Markdown quotes
  /^(?:>\s?)+/,
  // "libvirt:  error : ", "libvirt: QEMU Driver error : "
  /^libvirt:\s*(?:[\w ]{0,40}?\s)?error\s*:\s*/i,
  // the program's own name: "qemu-system-x86_64: ", "qemu-kvm: ", "libvirtd[505]: "
  /^(?:qemu-system-[\w-]+|qemu-kvm|qemu|kvm|libvirtd?|virsh|virt-install|virt-manager|qemu-bridge-helper)(?:\[\d+\])?:\s+/i,
  // the option QEMU blames: "-netdev tap,id=n0,script=no: ", "-accel kvm: ", "-net nic,vlan=0: "
  /^-{1,2}(?:netdev|net|nic|device|accel|machine|M|object|chardev)(?:\s+\S+)?:\s+/,
];

/** `re` (anchored at ^) removed from the start of `line`, or `line` itself. */
function cut(line: string, re: RegExp): string {
  const m = re.exec(line);
  return m ? line.slice(m[0].length) : line;
}

function stripLine(raw: string): string {
  let line = raw.trimEnd();
  for (let round = 0; round < 8; round++) {
    const before = line;
    line = line.trimStart();
    let stamped = false;
    for (const re of STAMP_PATTERNS) {
      const next = cut(line, re);
      if (next !== line) {
        line = next;
        stamped = true;
      }
    }
    if (stamped) {
      const next = cut(line, LIBVIRT_LOG);
      if (next !== line) line = next;
      else if (line[0] !== '-') line = cut(line, HOST_PROG);
    }
    for (const re of LINE_PREFIXES) line = cut(line, re);
    if (line === before) break;
  }
  return line;
}

const foldLine = foldText;

function preclean(input: string): string {
  return input
    .replace(/\r\n?/g, '\n')
    // ANSI colours from terminals
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    // quoted-printable soft line breaks ("No such file =\nor directory" in mailing-list archives)
    .replace(/=\n/g, '');
}

/** One cleaned, folded line per input line ('' for blank ones), translated back to English where it can be. */
export function normaliseLines(input: string): string[] {
  return preclean(input)
    .split('\n')
    .map((raw) => {
      const line = foldLine(stripLine(raw));
      // eslint-disable-next-line no-control-regex
      return /[^\x00-\x7f]/.test(line) ? translateLibvirt(line) : line;
    });
}

/** The text patterns are matched against: every cleaned line, joined. */
export function normalise(input: string): string {
  return normaliseLines(input).filter((l) => l.length > 0).join(' ');
}

/** Whitespace removed: for words a hard wrap broke in two. */
export function compact(normalised: string): string {
  return normalised.replace(/\s+/g, '');
}

interface Compiled {
  entry: Entry;
  normal: RegExp;
  compact: RegExp;
  anchors: string[];
}

/**
 * Literal texts every match of a pattern contains: its longest run of plain
 * characters outside any group, or none when the pattern alternates at the top.
 */
export function literalAnchor(src: string): string | undefined {
  let depth = 0;
  let cur = '';
  let best = '';
  const flush = () => {
    if (cur.trim().length > best.trim().length) best = cur;
    cur = '';
  };
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (ch === '\\') {
      const next = src[i + 1] ?? '';
      i++;
      if (depth === 0 && /[.()[\]{}|?*+\\/'"^$-]/.test(next)) cur += next;
      else flush();
      continue;
    }
    if (ch === '(' || ch === '[') {
      // the character before a quantified group may be optional: drop it
      depth++;
      flush();
      if (ch === '[') {
        const end = src.indexOf(']', i + 1);
        depth--;
        i = end < 0 ? src.length : end;
        if (/^[?*{]/.test(src[i + 1] ?? '')) cur = '';
      }
      continue;
    }
    if (ch === ')') {
      depth = Math.max(0, depth - 1);
      continue;
    }
    if (ch === '{') {
      // placeholder or quantifier: a quantifier makes the previous char optional/repeated
      const end = src.indexOf('}', i);
      if (/^\{\d/.test(src.slice(i))) cur = cur.slice(0, -1);
      flush();
      i = end < 0 ? src.length : end;
      continue;
    }
    if (depth > 0) continue;
    if (ch === '|') return undefined;
    if (ch === '?' || ch === '*') {
      cur = cur.slice(0, -1);
      flush();
      continue;
    }
    if (ch === '+' || ch === '.' || ch === '^' || ch === '$') {
      flush();
      continue;
    }
    cur += ch;
  }
  flush();
  const a = best.trim();
  return a.length >= 4 ? a : undefined;
}

let compiled: Compiled[] | undefined;

/**
 * An entry's regular expressions are built on first use: with every errno in every
 * language expanded they are large, and a long log tries only the few entries whose
 * anchors it contains.
 */
class LazyCompiled implements Compiled {
  #normal?: RegExp;
  #compact?: RegExp;
  #src?: string;
  readonly anchors: string[];
  constructor(readonly entry: Entry) {
    const anchor = entry.anchors ?? (literalAnchor(entry.pattern) ? [literalAnchor(entry.pattern)!] : []);
    this.anchors = anchor.map((a) => a.toLowerCase());
  }
  private get src(): string {
    return (this.#src ??= expandPattern(this.entry.pattern));
  }
  get normal(): RegExp {
    return (this.#normal ??= new RegExp(this.src, 'u'));
  }
  /** Every literal space in the catalogue's patterns is a separator (they use \s only as \S). */
  get compact(): RegExp {
    return (this.#compact ??= new RegExp(this.src.replace(/ /g, ''), 'u'));
  }
}

function compile(entries: readonly Entry[]): Compiled[] {
  return entries.map((entry) => new LazyCompiled(entry));
}

interface Table {
  list: Compiled[];
  /** Patterns without an anchor: tried on every line. */
  always: Compiled[];
  prefilter: RegExp;
  /** The longest anchor's length: an anchor split over two joined lines lies within this of the join. */
  longest: number;
}

let table: Table | undefined;

function makeTable(list: Compiled[]): Table {
  const anchors = [...new Set(list.flatMap((c) => c.anchors))];
  const esc = anchors.sort((a, b) => b.length - a.length).map((a) => a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return { list, always: list.filter((c) => !c.anchors.length), prefilter: new RegExp(esc.join('|'), 'u'), longest: anchors[0]?.length ?? 0 };
}

function tableFor(entries: readonly Entry[]): Table {
  if (entries === CATALOGUE) return (table ??= makeTable((compiled ??= compile(CATALOGUE))));
  return makeTable(compile(entries));
}

function toMatch(c: Compiled, m: RegExpExecArray, factor: number, line: number): Match {
  const e = c.entry;
  const spelled = m.groups?.['err'];
  const errno = spelled ? errnoName(spelled) : undefined;
  const causeId = (errno && e.errnoCauses?.[errno]) || e.errnoCauses?.['*'] || e.causeId;
  return {
    entry: e,
    checkIds: [...e.checkIds],
    cause: e.cause,
    fix: e.fix,
    confidence: Math.round(e.weight * factor * 100) / 100,
    matched: m[0],
    causeId,
    ...(errno ? { errno } : {}),
    line,
  };
}

/**
 * Which lines, joined with the next (as the patterns see them), contain an anchor:
 * one scan of the whole text for every place an anchor starts, instead of a test
 * per line, so a megabyte of log builds no copy per line. A place whose anchor
 * runs past the next line is settled by testing that line and its pair directly
 * (a shorter anchor starting there may still fit).
 */
function anchoredLines(t: Table, lines: readonly string[]): Uint8Array {
  const marked = new Uint8Array(lines.length);
  if (!t.longest) return marked;
  const starts: number[] = [];
  let at = 0;
  for (const l of lines) {
    starts.push(at);
    at += l.length + 1;
  }
  const endOf = (i: number) => starts[i]! + lines[i]!.length;
  const lineAt = (pos: number) => {
    let lo = 0, hi = lines.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const joined = lines.join(' ');
  const re = new RegExp(t.prefilter.source, 'gu');
  for (let m = re.exec(joined); m; m = re.exec(joined)) {
    const p = m.index, e = p + m[0].length;
    re.lastIndex = p + 1;
    const a = lineAt(p);
    if (e <= endOf(a)) {
      marked[a] = 1;
      if (a > 0) marked[a - 1] = 1;
    } else if (a + 1 < lines.length && lines[a + 1] && e <= endOf(a + 1)) {
      marked[a] = 1;
    } else {
      const line = lines[a]!, next = lines[a + 1] ?? '';
      if (t.prefilter.test(line)) {
        marked[a] = 1;
        if (a > 0) marked[a - 1] = 1;
      } else if (next && t.prefilter.test(`${line} ${next}`)) marked[a] = 1;
    }
  }
  return marked;
}

/** Every hit in the text, in line order (one per pattern and starting line). */
export function scanLines(lines: readonly string[], entries: readonly Entry[] = CATALOGUE): Match[] {
  const t = tableFor(entries);
  const hits: Match[] = [];
  const marked = anchoredLines(t, lines);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const next = lines[i + 1] ?? '';
    const anchored = marked[i] === 1;
    if (!anchored && !t.always.length) continue;
    const pair = next ? `${line} ${next}` : line;
    const window = lines[i + 2] ? `${pair} ${lines[i + 2]}` : pair;
    const candidates = anchored ? t.list.filter((c) => !c.anchors.length || c.anchors.some((a) => pair.includes(a))) : t.always;
    for (const c of candidates) {
      const m = c.normal.exec(window);
      // A match must start on this line; later lines get their own turn.
      if (!m || m.index > line.length) continue;
      hits.push(toMatch(c, m, 1, i + 1));
    }
  }
  return hits;
}

/** Hits for pasted text: the line scan, then (short pastes) the whole-text and compact tries. */
export function scanText(input: string, entries: readonly Entry[] = CATALOGUE): Match[] {
  const lines = normaliseLines(input);
  const hits = scanLines(lines, entries);
  const nonEmpty = lines.filter(Boolean);
  if (nonEmpty.length <= SHORT_LINES) {
    const seen = new Set(hits.map((h) => h.entry.id));
    const norm = nonEmpty.join(' ');
    const tight = compact(norm);
    const firstLine = lines.findIndex(Boolean) + 1;
    for (const c of tableFor(entries).list) {
      if (seen.has(c.entry.id)) continue;
      let m = c.normal.exec(norm);
      let factor = 1;
      if (!m) {
        m = c.compact.exec(tight);
        factor = COMPACT_FACTOR;
      }
      if (m) hits.push(toMatch(c, m, factor, lineOf(lines, m.index, factor === 1 ? norm : tight) || firstLine));
    }
  }
  return hits;
}

/** The 1-based input line a position of the joined (or compact) text falls on. */
function lineOf(lines: readonly string[], pos: number, joined: string): number {
  const sep = joined.includes(' ') ? 1 : 0;
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (!l) continue;
    const len = sep ? l.length : l.replace(/\s+/g, '').length;
    if (pos < at + len + sep) return i + 1;
    at += len + sep;
  }
  return 0;
}

/** Catalogue matches for pasted text, best first, one per message; empty when nothing is recognised. */
export function matchText(input: string, entries: readonly Entry[] = CATALOGUE): Match[] {
  const best = new Map<string, Match>();
  for (const h of scanText(input, entries)) {
    const had = best.get(h.entry.id);
    if (!had || h.confidence > had.confidence) best.set(h.entry.id, h);
  }
  const order = new Map(entries.map((e, i) => [e.id, i]));
  // Stable: equal confidence keeps catalogue order (specific entries come first there).
  return [...best.values()].sort((a, b) => b.confidence - a.confidence || order.get(a.entry.id)! - order.get(b.entry.id)!);
}
