// Human output for `qnet doctor`: results grouped by area, causes and evidence
// for anything not passing, fixes as commands and diffs, then a summary box.
// Everything a check derived from the host (summaries, evidence, fix titles,
// previews, the host line) goes through `visible` here, where it is printed.
import pc from 'picocolors';
import type { DoctorReport, Result, Status } from '../types.js';
import { termWidth, visible } from './safe.js';

export interface TextOptions {
  color: boolean;
  verbose: boolean;
}

type Colors = ReturnType<typeof pc.createColors>;

const SYMBOL: Record<Status, string> = { pass: '✔', warn: '!', fail: '✖', skip: '–', error: '☠' };

function paint(c: Colors, status: Status, s: string): string {
  switch (status) {
    case 'pass': return c.green(s);
    case 'warn': return c.yellow(s);
    case 'fail': return c.red(s);
    case 'error': return c.magenta(s);
    case 'skip': return c.dim(s);
  }
}

const AREA_ORDER = ['kernel', 'routing', 'firewall', 'bridge', 'tap', 'config', 'qemu', 'manager', 'lint', 'guest'];

export function renderResult(r: Result, c: Colors, verbose: boolean): string[] {
  const out: string[] = [];
  out.push(`  ${paint(c, r.status, SYMBOL[r.status])} ${c.bold(r.id.padEnd(16))} ${visible(r.summary)}`);
  const showDetail = r.status !== 'pass' && r.status !== 'skip' ? true : verbose;
  if (!showDetail) return out;
  for (const e of r.evidence) out.push(c.dim(`      ${visible(e.source)} → ${visible(e.observed)}`));
  for (const d of r.details ?? []) for (const line of d.split('\n')) out.push(`      ${visible(line)}`);
  if (r.status !== 'pass') {
    for (const f of r.fixes) {
      out.push(`      ${c.cyan('fix')} ${visible(f.id)}: ${visible(f.title)} ${c.dim(`(risk ${f.risk}${f.root ? ', needs root' : ''})`)}`);
      for (const p of f.preview) for (const line of p.split('\n')) out.push(`          ${colorDiff(c, visible(line))}`);
    }
  }
  return out;
}

function colorDiff(c: Colors, line: string): string {
  if (line.startsWith('+') && !line.startsWith('+++')) return c.green(line);
  if (line.startsWith('-') && !line.startsWith('---')) return c.red(line);
  if (line.startsWith('@@')) return c.cyan(line);
  return line;
}

export async function renderText(report: DoctorReport, opts: TextOptions): Promise<string> {
  const c = pc.createColors(opts.color);
  const h = report.host;
  const lines: string[] = [];
  lines.push(
    c.bold(`qnet ${report.qnet} doctor`) +
      c.dim(` · ${visible(h.hostname)} · ${visible(h.distro)} · kernel ${visible(h.kernel)} · judging for ${visible(h.user)} (uid ${h.uid})${h.source === 'snapshot' ? ' · from snapshot' : ''}`),
  );
  const areas = [...new Set(report.results.map((r) => r.area))].sort((a, b) => AREA_ORDER.indexOf(a) - AREA_ORDER.indexOf(b));
  for (const area of areas) {
    lines.push('', c.bold(c.underline(area)));
    for (const r of report.results.filter((x) => x.area === area)) lines.push(...renderResult(r, c, opts.verbose));
  }
  lines.push('', await summaryBox(report, c));
  return lines.join('\n') + '\n';
}

async function summaryBox(report: DoctorReport, c: Colors): Promise<string> {
  const s = report.summary;
  const parts = (['pass', 'warn', 'fail', 'skip', 'error'] as Status[]).map((k) => paint(c, k, `${SYMBOL[k]} ${s[k]} ${k}`));
  const failing = report.results.filter((r) => r.status === 'fail').map((r) => r.id);
  const next = failing.length
    ? [`Failing: ${failing.join(', ')}`, 'The fixes listed under each failing check show what would repair it.']
    : s.warn
      ? ['Nothing failing; the warnings above are worth a look.']
      : ['Nothing failing.'];
  const border = s.fail ? c.red : s.warn || s.error ? c.yellow : c.green;
  return box([parts.join('   '), ...next], border);
}

/**
 * A rounded box around qnet's own lines, measured in terminal columns: ✔ ✖ ☠ take
 * one column in a terminal (general-purpose width libraries count them as emoji,
 * two columns, which bent the box's right edge).
 */
export function box(lines: string[], border: (s: string) => string = (x) => x): string {
  const width = Math.max(...lines.map(termWidth));
  const edge = '─'.repeat(width + 2);
  return [
    border(`╭${edge}╮`),
    ...lines.map((l) => `${border('│')} ${l}${' '.repeat(width - termWidth(l))} ${border('│')}`),
    border(`╰${edge}╯`),
  ].join('\n');
}
