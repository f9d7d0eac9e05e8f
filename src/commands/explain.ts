// qnet explain: maps a pasted QEMU / UML / libvirt error to its likely causes,
// then runs the checks that tell which cause applies on this host (or on a
// snapshot). Reads only, like the doctor.
import pc from 'picocolors';
import { ALL_CHECKS } from '../../checks/index.js';
import type { Context } from '../context.js';
import { exitCodeOf, runChecks, selectChecks } from '../engine.js';
import { matchText, type Match } from '../explain/match.js';
import { openSession } from '../session.js';
import { renderResult } from '../output/text.js';
import { UsageError, type CheckId, type Result } from '../types.js';

export const EXPLAIN_SCHEMA = 'qnet.explain/v1';
/** Error text, not a log dump: a paste over this is refused. */
export const MAX_INPUT = 1024 * 1024;

export interface ExplainOptions {
  json?: boolean;
  user?: string;
  snapshot?: string;
  color?: boolean;
}

export interface ExplainReport {
  schema: typeof EXPLAIN_SCHEMA;
  matches: { checkIds: CheckId[]; cause: string; fix: string; confidence: number }[];
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

/** Check IDs in order of the best match naming them, keeping only registered checks. */
export function checksToRun(matches: readonly Match[]): CheckId[] {
  const registered = new Set<string>(ALL_CHECKS.map((c) => c.id));
  const ids: CheckId[] = [];
  for (const m of matches) for (const id of m.checkIds) if (registered.has(id) && !ids.includes(id)) ids.push(id);
  return ids;
}

/** Matches and the results of their checks, the checks of the best cause first. */
export async function explain(input: string, opts: ExplainOptions = {}): Promise<{ matches: Match[]; results: Result[]; ctx?: Context }> {
  validate(input);
  // A bad --snapshot is a usage error even when the text is not recognised.
  let ctx = opts.snapshot ? await makeContext(opts) : undefined;
  const matches = matchText(input);
  const ids = checksToRun(matches);
  if (!ids.length) return { matches, results: [], ctx };
  ctx ??= await makeContext(opts);
  const checks = selectChecks(ALL_CHECKS, { only: ids });
  const byId = new Map((await runChecks(ctx, checks)).map((r) => [r.id, r]));
  return { matches, results: ids.map((id) => byId.get(id)!).filter(Boolean), ctx };
}

export function toReport(matches: readonly Match[], results: Result[]): ExplainReport {
  return {
    schema: EXPLAIN_SCHEMA,
    matches: matches.map((m) => ({ checkIds: [...m.checkIds], cause: m.cause, fix: m.fix, confidence: m.confidence })),
    results,
  };
}

function useColor(opts: ExplainOptions): boolean {
  if (opts.color === false || 'NO_COLOR' in process.env) return false;
  return Boolean(process.stdout.isTTY);
}

export function renderExplain(matches: readonly Match[], results: readonly Result[], opts: { color: boolean; snapshot?: string }): string {
  const c = pc.createColors(opts.color);
  const lines: string[] = [];
  if (!matches.length) {
    lines.push(
      c.bold('qnet explain'),
      'qnet does not recognise this text as a QEMU, UML or libvirt networking error.',
      `Run ${c.cyan('qnet doctor')} to check everything on this host; if the message came from QEMU, paste the lines printed just before it too.`,
    );
    return lines.join('\n') + '\n';
  }
  lines.push(c.bold(`qnet explain · ${matches.length === 1 ? '1 likely cause' : `${matches.length} likely causes`}, best first`));
  matches.forEach((m, i) => {
    lines.push('', `${c.bold(`${i + 1}.`)} ${m.cause} ${c.dim(`(confidence ${Math.round(m.confidence * 100)}%)`)}`);
    lines.push(`   ${c.cyan('fix')} ${m.fix}`);
    lines.push(c.dim(`   recognised "${m.entry.message}" (${m.entry.source})`));
    lines.push(c.dim(`   checks: ${m.checkIds.join(', ')}`));
  });
  lines.push('');
  const where = opts.snapshot ? `in snapshot ${opts.snapshot}` : 'on this host';
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
  const ids = new Set(matches.flatMap((m) => m.checkIds));
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
    process.stdout.write(renderExplain(matches, results, { color: useColor(opts), snapshot: opts.snapshot }));
  }
  return exitCodeOf(results);
}
