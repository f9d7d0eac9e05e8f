// Turns pasted error text into catalogue matches, best first.
//
// Pasted text arrives wrapped by terminals, journals and mail clients, with
// timestamps, program and option prefixes, Markdown quotes and odd quote
// characters. normalise() strips those per line, joins the lines, folds case
// and whitespace. Each pattern is tried on that text; if it does not match, a
// compact form (all whitespace removed, in text and pattern) is tried too, so
// a word broken by a hard wrap ("Permis\nsion denied") still matches, at a
// slightly lower confidence.
import { CATALOGUE, expandPattern, type Entry } from './catalogue.js';
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
}

/** Compact matches (only found with whitespace removed) count for a little less. */
const COMPACT_FACTOR = 0.9;

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

function stripLine(raw: string): string {
  let line = raw.replace(/\s+$/, '');
  for (let round = 0; round < 8; round++) {
    const before = line;
    line = line.replace(/^\s+/, '');
    let stamped = false;
    for (const re of STAMP_PATTERNS) {
      if (re.test(line)) {
        line = line.replace(re, '');
        stamped = true;
      }
    }
    if (stamped) {
      if (LIBVIRT_LOG.test(line)) line = line.replace(LIBVIRT_LOG, '');
      else if (HOST_PROG.test(line) && !/^-/.test(line)) line = line.replace(HOST_PROG, '');
    }
    for (const re of LINE_PREFIXES) line = line.replace(re, '');
    if (line === before) break;
  }
  return line;
}

/** The text patterns are matched against. */
export function normalise(input: string): string {
  const text = input
    .replace(/\r\n?/g, '\n')
    // ANSI colours from terminals
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    // quoted-printable soft line breaks ("No such file =\nor directory" in mailing-list archives)
    .replace(/=\n/g, '');
  const lines = text.split('\n').map(stripLine).filter((l) => l.length > 0);
  return lines
    .join(' ')
    .replace(/[`‘’´′]/g, "'")
    .replace(/[“”„″]/g, '"')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/** Whitespace removed: for words a hard wrap broke in two. */
export function compact(normalised: string): string {
  return normalised.replace(/\s+/g, '');
}

interface Compiled {
  entry: Entry;
  normal: RegExp;
  compact: RegExp;
}

let compiled: Compiled[] | undefined;

function compile(entries: readonly Entry[]): Compiled[] {
  return entries.map((entry) => {
    const src = expandPattern(entry.pattern);
    // Every literal space in the catalogue's patterns is a separator (they use \s only as \S).
    return { entry, normal: new RegExp(src, 'u'), compact: new RegExp(src.replace(/ /g, ''), 'u') };
  });
}

/** Catalogue matches for pasted text, best first; empty when nothing is recognised. */
export function matchText(input: string, entries: readonly Entry[] = CATALOGUE): Match[] {
  const table = entries === CATALOGUE ? (compiled ??= compile(CATALOGUE)) : compile(entries);
  const norm = normalise(input);
  if (!norm) return [];
  const tight = compact(norm);
  const found: Match[] = [];
  for (const c of table) {
    let m = c.normal.exec(norm);
    let factor = 1;
    if (!m) {
      m = c.compact.exec(tight);
      factor = COMPACT_FACTOR;
    }
    if (!m) continue;
    found.push({
      entry: c.entry,
      checkIds: [...c.entry.checkIds],
      cause: c.entry.cause,
      fix: c.entry.fix,
      confidence: Math.round(c.entry.weight * factor * 100) / 100,
      matched: m[0],
    });
  }
  // Stable: equal confidence keeps catalogue order (specific entries come first there).
  return found
    .map((f, i) => ({ f, i }))
    .sort((a, b) => b.f.confidence - a.f.confidence || a.i - b.i)
    .map(({ f }) => f);
}
