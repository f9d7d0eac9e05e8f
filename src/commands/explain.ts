// qnet explain: maps a pasted QEMU / UML / libvirt error to its likely causes,
// then runs the checks that tell which cause applies on this host (or on a
// snapshot). Reads only, like the doctor.
import pc from 'picocolors';
import { visible } from '../output/safe.js';
import { ALL_CHECKS } from '../../checks/index.js';
import type { Context } from '../context.js';
import { exitCodeOf, runChecks, selectChecks } from '../engine.js';
import { diagnose, type Diagnosis } from '../explain/diagnose.js';
import { colorFor, openSession } from '../session.js';
import { renderResult } from '../output/text.js';
import { UsageError } from '../errors.js';
import type { CheckId, Result } from '../types.js';

export const EXPLAIN_SCHEMA = 'qnet.explain/v1';
/** Whole logs are welcome (the scanner is linear); past this a paste is refused. */
export const MAX_INPUT = 8 * 1024 * 1024;

export interface ExplainOptions {
  json?: boolean;
  user?: string;
  snapshot?: string;
  color?: boolean;
}

export interface ExplainMatch {
  checkIds: CheckId[];
  cause: string;
  fix: string;
  confidence: number;
  /** Added in qnet 0.2 (same schema: fields only added): the cause's stable id. */
  id: string;
  /** The pasted lines recognised as messages of this cause (1-based line numbers). */
  lines: { line: number; text: string; message: string; errno?: string }[];
  /** Description words that pointed at this cause. */
  words: string[];
}

export interface ExplainReport {
  schema: typeof EXPLAIN_SCHEMA;
  matches: ExplainMatch[];
  results: Result[];
}

/** Checks that judge a command line, not the host: `qnet lint` runs them. */
const LINT_ONLY = new Set<CheckId>(['qemu-cmdline', 'hostfwd-port']);

function validate(input: string): void {
  if (input.length > MAX_INPUT) throw new UsageError(`the text to explain is over ${MAX_INPUT / 1024} KiB; paste the error lines only`);
  // NUL or many control characters: a binary file, not error text.
  const control = input.match(/[\x00-\x08\x0e-\x1a\x1c-\x1f]/g)?.length ?? 0;
  if (input.includes('\0') || control > Math.max(8, input.length / 100)) {
    throw new UsageError('the input is not text (it holds binary data); paste the error message itself');
  }
  if (!input.trim()) throw new UsageError('nothing to explain: give the error text as an argument, or - to read it from stdin');
}

async function makeContext(opts: ExplainOptions): Promise<Context> {
  return (await openSession({ user: opts.user, snapshot: opts.snapshot, json: opts.json, color: opts.color })).ctx;
}

/** Check IDs in order of the best cause naming them, keeping only registered checks. */
export function checksToRun(matches: readonly { checkIds: readonly CheckId[] }[]): CheckId[] {
  const registered = new Set<string>(ALL_CHECKS.map((c) => c.id));
  const ids: CheckId[] = [];
  for (const m of matches) for (const id of m.checkIds) if (registered.has(id) && !ids.includes(id)) ids.push(id);
  return ids;
}

/** Matches and the results of their checks, the checks of the best cause first. */
export async function explain(input: string, opts: ExplainOptions = {}): Promise<{ matches: Diagnosis[]; results: Result[]; ctx?: Context }> {
  validate(input);
  // A bad --snapshot is a usage error even when the text is not recognised.
  let ctx = opts.snapshot ? await makeContext(opts) : undefined;
  const matches = diagnose(input);
  const ids = checksToRun(matches.map((m) => m.cause));
  if (!ids.length) return { matches, results: [], ctx };
  ctx ??= await makeContext(opts);
  const checks = selectChecks(ALL_CHECKS, { only: ids });
  const byId = new Map((await runChecks(ctx, checks)).map((r) => [r.id, r]));
  return { matches, results: ids.map((id) => byId.get(id)!).filter(Boolean), ctx };
}

export function toReport(matches: readonly Diagnosis[], results: Result[]): ExplainReport {
  return {
    schema: EXPLAIN_SCHEMA,
    matches: matches.map((m) => ({
      checkIds: [...m.cause.checkIds],
      cause: m.cause.title,
      fix: m.cause.fix,
      confidence: m.confidence,
      id: m.cause.id,
      lines: m.lines.map((l) => ({ ...l })),
      words: [...m.words],
    })),
    results,
  };
}

/**
 * Pasted text shown back to the user: control characters made visible (\e, \t,
 * \u202e …) so a paste cannot move the cursor or recolour the terminal.
 */
export const shown = (s: string): string => visible(s);

export function renderExplain(matches: readonly Diagnosis[], results: readonly Result[], opts: { color: boolean; snapshot?: string }): string {
  const c = pc.createColors(opts.color);
  const lines: string[] = [];
  if (!matches.length) {
    lines.push(
      c.bold('qnet explain'),
      'qnet does not recognise this text as a QEMU, UML or libvirt networking error, nor as a description of a known networking problem.',
      `Run ${c.cyan('qnet doctor')} to check everything on this host; if the message came from QEMU, paste the lines printed just before it too.`,
    );
    return lines.join('\n') + '\n';
  }
  lines.push(c.bold(`qnet explain · ${matches.length === 1 ? '1 likely cause' : `${matches.length} likely causes`}, best first`));
  matches.forEach((m, i) => {
    lines.push('', `${c.bold(`${i + 1}.`)} ${m.cause.title} ${c.dim(`(confidence ${Math.round(m.confidence * 100)}%)`)}`);
    lines.push(`   ${c.cyan('fix')} ${m.cause.fix}`);
    for (const l of m.lines.slice(0, 3)) {
      const text = l.text.length > 160 ? `${l.text.slice(0, 157)}…` : l.text;
      lines.push(c.dim(`   line ${l.line}: ${shown(text)}${l.errno ? ` (${l.errno})` : ''}`));
    }
    if (m.lines.length > 3) lines.push(c.dim(`   … and ${m.lines.length - 3} more matching lines`));
    if (!m.lines.length && m.words.length) lines.push(c.dim(`   from the words: ${m.words.map(shown).join(', ')}`));
    if (m.cause.checkIds.length) lines.push(c.dim(`   checks: ${m.cause.checkIds.join(', ')}`));
  });
  lines.push('');
  const where = opts.snapshot ? `in snapshot ${shown(opts.snapshot)}` : 'on this host';
  if (results.length) {
    lines.push(c.bold(`Which cause applies ${where}:`));
    for (const r of results) lines.push(...renderResult(r, c, false));
    const failing = results.filter((r) => r.status === 'fail').map((r) => r.id);
    lines.push(
      '',
      failing.length
        ? `Failing here: ${failing.join(', ')}. ${c.cyan(`qnet fix ${failing.join(' ')}`)} previews the repairs.`
        : 'None of these checks fails here: the cause may lie elsewhere (another host, the guest, or the command line).',
    );
  } else lines.push(`No host check covers these causes ${where}.`);
  const ids = new Set(matches.flatMap((m) => m.cause.checkIds));
  if ([...LINT_ONLY].some((id) => ids.has(id))) {
    lines.push(`${c.cyan('qnet lint -- YOUR QEMU COMMAND LINE')} checks the command line itself against this host.`);
  }
  return lines.join('\n') + '\n';
}

/**
 * `qnet explain [TEXT|-]`: `input` is the pasted text (the CLI reads the
 * argument, or stdin for `-`). Returns the exit code: 1 when a run check
 * fails, else 0 (also when nothing is recognised). Bad input throws UsageError.
 */
export async function runExplain(input: string, opts: ExplainOptions): Promise<number> {
  const { matches, results } = await explain(input, opts);
  if (opts.json) {
    process.stdout.write(JSON.stringify(toReport(matches, results), null, 2) + '\n');
  } else {
    process.stdout.write(renderExplain(matches, results, { color: colorFor(opts), snapshot: opts.snapshot }));
  }
  return exitCodeOf(results);
}
