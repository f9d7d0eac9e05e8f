// Runs checks concurrently. A check that throws or hangs becomes `error` with
// its message; the run goes on. Results come back in registry order.
import type { Context } from './context.js';
import { previewPlan } from './fixes/preview.js';
import type { Check, CheckId, DoctorReport, FixPlan, Result, Status } from './types.js';
import { NotCaptured, UsageError } from './errors.js';
import { hostInfo } from './facts/system.js';
import pkg from '../package.json' with { type: 'json' };

/** qnet's version: package.json's, and nowhere else. */
export const VERSION: string = pkg.version;
export const CHECK_TIMEOUT_MS = 15000;
const MAX_DETAILS = 12;

export interface Selection {
  only?: string[];
  skip?: string[];
}

export function selectChecks(all: readonly Check[], sel: Selection): Check[] {
  const known = new Set<string>(all.map((c) => c.id));
  for (const id of [...(sel.only ?? []), ...(sel.skip ?? [])]) {
    if (!known.has(id)) throw new UsageError(`unknown check ID "${id}" (known: ${[...known].join(', ')})`);
  }
  return all.filter((c) => (!sel.only?.length || sel.only.includes(c.id)) && !sel.skip?.includes(c.id));
}

class Timeout extends Error {}

/** A result with the fix plans behind its previews (the executor needs the plans). */
export interface Outcome {
  result: Result;
  plans: FixPlan[];
  /** The finding's subjects (interfaces, `pid:N`), for the topology; not part of the result's JSON. */
  subjects?: string[];
}

async function runOne(ctx: Context, check: Check, timeoutMs: number): Promise<Outcome> {
  const started = nowMs();
  let title = check.id as string;
  let timer: NodeJS.Timeout | undefined;
  try {
    title = check.title(ctx);
    const finding = await Promise.race([
      check.run(ctx),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Timeout(`check did not finish within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    const fixes = await Promise.all((finding.fixes ?? []).map((p) => previewPlan(ctx, p)));
    const result: Result = {
      id: check.id,
      area: check.area,
      title: finding.title ?? title,
      status: finding.status,
      summary: finding.summary,
      evidence: finding.evidence ?? [],
      fixes,
      durationMs: 0,
    };
    if (finding.details?.length) {
      // A check about 1,000 taps must not print 1,000 lines: keep the first ones and count the rest.
      const d = finding.details;
      result.details = d.length > MAX_DETAILS ? [...d.slice(0, MAX_DETAILS), `(+${d.length - MAX_DETAILS} more)`] : d;
    }
    result.durationMs = round(nowMs() - started);
    return { result, plans: finding.fixes ?? [], ...(finding.subjects?.length ? { subjects: finding.subjects } : {}) };
  } catch (err) {
    // A UsageError (unknown --user) is the caller's mistake, not the check's.
    if (err instanceof UsageError) throw err;
    // A snapshot without a read the check needs: it cannot judge, which is a skip, not a failure.
    const status = err instanceof NotCaptured ? 'skip' : 'error';
    const summary = err instanceof NotCaptured ? err.message : `the check itself failed: ${err instanceof Error ? err.message : String(err)}`;
    return {
      result: {
        id: check.id,
        area: check.area,
        title,
        status,
        summary,
        evidence: [],
        fixes: [],
        durationMs: round(nowMs() - started),
      },
      plans: [],
    };
  } finally {
    clearTimeout(timer);
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;
/** Milliseconds from a monotonic clock (process.hrtime: the `performance` global would load perf_hooks for it). */
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

export async function runChecksWithPlans(ctx: Context, checks: readonly Check[], timeoutMs = CHECK_TIMEOUT_MS): Promise<Outcome[]> {
  return Promise.all(checks.map((c) => runOne(ctx, c, timeoutMs)));
}

export async function runChecks(ctx: Context, checks: readonly Check[], timeoutMs = CHECK_TIMEOUT_MS): Promise<Result[]> {
  return (await runChecksWithPlans(ctx, checks, timeoutMs)).map((o) => o.result);
}

export function summarize(results: readonly Result[]): Record<Status, number> {
  const s: Record<Status, number> = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const r of results) s[r.status]++;
  return s;
}

export async function doctor(ctx: Context, checks: readonly Check[]): Promise<DoctorReport> {
  return (await doctorOutcomes(ctx, checks)).report;
}

/** The doctor's report and the outcomes behind it (fix plans, the subjects the topology marks). */
export async function doctorOutcomes(ctx: Context, checks: readonly Check[]): Promise<{ report: DoctorReport; outcomes: Outcome[] }> {
  const [host, outcomes] = await Promise.all([hostInfo(ctx), runChecksWithPlans(ctx, checks)]);
  const results = outcomes.map((o) => o.result);
  return { report: { schema: 'qnet.doctor/v1', qnet: VERSION, host, summary: summarize(results), results }, outcomes };
}

/** Exit code of a doctor-like run: 1 when a check failed or broke (a broken check must not look healthy to scripts). */
export function exitCodeOf(results: readonly Result[]): number {
  return results.some((r) => r.status === 'fail' || r.status === 'error') ? 1 : 0;
}

export type { CheckId };
