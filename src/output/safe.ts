// Host data shown to a person: bridge names, host names, os-release fields,
// config lines, error text echoing a file's bytes. Any of it can hold terminal
// control sequences (ESC]0;…BEL retitles the terminal, ESC[2J clears it) or
// Markdown that breaks a report's table. Every renderer passes host-derived text
// through `visible` (terminal) or the `md*` helpers (Markdown) at the point where
// it is printed; JSON output needs neither (JSON.stringify escapes controls).

/**
 * C0 controls (tab and newline included), DEL, C1 controls, and the Unicode
 * format characters that reorder or hide text (bidi overrides and isolates,
 * zero-width joiners, line/paragraph separators, the BOM).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeOne(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const cp = ch.codePointAt(0)!;
  return cp < 0x80 ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/**
 * `s` with every control or invisible format character written out as an escape
 * (`\t`, `\n`, `\r`, `\xHH` for other C0 (ESC is `\x1b`) and DEL, `\uHHHH` for C1 and
 * format characters), so it prints as exactly what it is and cannot move the cursor,
 * retitle the terminal or break a line. A renderer that wants line breaks splits first
 * (see `visibleLines`).
 */
export function visible(s: string): string {
  return s.replace(UNSAFE, escapeOne);
}

/** Does `s` hold a character `visible` would escape? */
export function hasUnsafe(s: string): boolean {
  UNSAFE.lastIndex = 0;
  const hit = UNSAFE.test(s);
  UNSAFE.lastIndex = 0;
  return hit;
}

/** Multi-line text (a diff, a config excerpt): each line made visible; the line breaks are the renderer's. */
export function visibleLines(s: string): string[] {
  return s.split('\n').map(visible);
}

// ---------------------------------------------------------------------------
// Markdown (GitHub-flavoured), for `qnet report`

/** Characters that start Markdown or HTML syntax inline (and `@`, a GitHub mention). */
const MD_SPECIAL = /[\\`*_{}[\]<>|~&@]/g;

/**
 * Host text as literal Markdown inline text: controls made visible, then every
 * character that could start emphasis, a link, HTML, a table cell or a heading
 * backslash-escaped. Renders as exactly the text; nothing in it is markup.
 */
export function mdText(s: string): string {
  return visible(s).replace(MD_SPECIAL, (c) => `\\${c}`);
}

/**
 * Host text as a Markdown code span: controls made visible, fenced with one more
 * backtick than the longest run inside (CommonMark), padded when it starts or ends
 * with a backtick. In a table cell (`cell`), `|` is written `\|`, which GitHub's
 * table parser takes out again inside code spans.
 */
export function mdCode(s: string, opts: { cell?: boolean } = {}): string {
  let body = visible(s);
  if (opts.cell) body = body.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = body.startsWith('`') || body.endsWith('`') || (body.startsWith(' ') && body.endsWith(' ') && body.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

// ---------------------------------------------------------------------------
// Terminal width, for drawing boxes around qnet's own text

const ANSI = /\x1b\[[0-9;]*m/g;

/** East Asian wide and fullwidth ranges, and emoji that are wide by default. */
const WIDE =
  /[\u1100-\u115f\u231a\u231b\u2329\u232a\u23e9-\u23ec\u23f0\u23f3\u25fd\u25fe\u2614\u2615\u2648-\u2653\u267f\u2693\u26a1\u26aa\u26ab\u26bd\u26be\u26c4\u26c5\u26ce\u26d4\u26ea\u26f2\u26f3\u26f5\u26fa\u26fd\u2705\u270a\u270b\u2728\u274c\u274e\u2753-\u2755\u2757\u2795-\u2797\u27b0\u27bf\u2b1b\u2b1c\u2b50\u2b55\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19\ufe30-\ufe6f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f680}-\u{1f6ff}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u;

/**
 * Columns `s` takes in a terminal (colour codes ignored). Characters such as
 * ✔ ✖ ☠ have a text presentation and take one column in terminals, though some
 * width libraries count them as two (emoji); wide CJK and emoji-presentation
 * characters take two, combining marks none.
 */
export function termWidth(s: string): number {
  let w = 0;
  for (const ch of s.replace(ANSI, '')) {
    if (/\p{M}/u.test(ch) || ch === '\ufe0f' || ch === '\u200d') continue;
    w += WIDE.test(ch) ? 2 : 1;
  }
  return w;
}
