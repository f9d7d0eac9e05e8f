// qnet fix [ID...]: propose, preview, apply, verify. A fix counts as done only
// when its check passes afterwards; one that does not is rolled back (unless
// --keep). As root an apply holds the state directory's lock from before it
// looks at the journal until it has verified; a dry run takes no lock and
// changes nothing. As a normal user the chosen plans are handed to a root
// process through a plan file, which that process accepts only when it derives
// exactly the same plans itself.
import { createHash } from 'node:crypto';
import { closeSync, constants as FS, fstatSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pc from 'picocolors';
import { ALL_CHECKS } from '../../checks/index.js';
import { liveInvoker, type Context } from '../context.js';
import { colorFor, createContext } from '../session.js';
import { runChecksWithPlans, selectChecks, type Outcome } from '../engine.js';
import { ExecError, InterruptedError, Journal, StaleError, type SetInfo } from '../fixes/executor.js';
import { errnoText, holderText } from '../fixes/lock.js';
import { actionLine, previewPlan, showArgv } from '../fixes/preview.js';
import { CommandError } from '../fixes/run.js';
import { irreversibleWhy, planUndoability } from '../fixes/undoable.js';
import { writeFileAtomic } from '../host/atomic-write.js';
import { LiveHost } from '../host/live.js';
import { CachingHost } from '../host/record.js';
import { holdSignals } from '../signals.js';
import type { Action, CheckId, FixPlan } from '../types.js';
import { UsageError } from '../errors.js';
import { CHECK_IDS } from '../../checks/index.js';
import { visible } from '../output/safe.js';

export interface FixOptions {
  yes?: boolean;
  dryRun?: boolean;
  user?: string;
  /** --plan ID, repeatable. */
  plan?: string[];
  color?: boolean;
  /** Keep a fix that does not verify instead of rolling it back. */
  keep?: boolean;
  /** Apply plans that qnet undo cannot revert without the second question (needed with --yes). */
  allowIrreversible?: boolean;
  /** A plan file written by a non-root `qnet fix` (the sudo hand-off). */
  applyPlan?: string;
}

type Colors = ReturnType<typeof pc.createColors>;
type Chosen = { checkId: CheckId; plan: FixPlan };

const HANDOFF_SCHEMA = 'qnet.fix-plan/v1';
const MAX_HANDOFF = 1024 * 1024;

const interactive = () => Boolean(process.stdin.isTTY && process.stdout.isTTY);

function liveContext(user?: string): Promise<Context> {
  return createContext({ host: new CachingHost(new LiveHost()), invoker: liveInvoker(), user, source: 'live' });
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');


/**
 * Each file a plan rewrites or removes carries what it held when the plan was
 * computed: the same read (through the caching host) that the check used and that
 * the preview's diff shows. The executor refuses the step if the file changed since.
 */
async function bindBases(ctx: Context, outcomes: Outcome[]): Promise<void> {
  for (const o of outcomes) {
    for (const p of o.plans) {
      for (const a of p.actions) {
        if (a.kind !== 'write-file' && a.kind !== 'remove-file') continue;
        const r = await ctx.host.readFile(a.path);
        a.base = r.ok ? sha(r.value) : r.code === 'ENOENT' ? 'absent' : 'unreadable';
      }
    }
  }
}

function planTags(c: Colors, p: FixPlan): string {
  const tags = [`risk ${p.risk}`, ...(p.root ? ['needs root'] : []), ...(p.disruptive ? ['touches a live interface'] : [])];
  const t = c.dim(`[${tags.join(', ')}`) + (planUndoability(p).reversible ? '' : `${c.dim(', ')}${c.yellow('cannot be undone')}`) + c.dim(']');
  return t;
}

async function printPlans(ctx: Context, c: Colors, o: Outcome, plans: FixPlan[], recommend: boolean): Promise<void> {
  const r = o.result;
  const mark = r.status === 'warn' ? c.yellow('!') : c.red('✖');
  console.log(`\n${mark} ${c.bold(r.id)}  ${visible(r.summary)}`);
  for (const [i, p] of plans.entries()) {
    const v = await previewPlan(ctx, p);
    const tag = recommend && i === 0 ? c.green(' (recommended)') : '';
    console.log(`  ${c.cyan(visible(p.id))}${tag}: ${visible(p.title)} ${planTags(c, p)}`);
    for (const line of v.preview.flatMap((x) => x.split('\n'))) console.log(`      ${visible(line)}`);
  }
}

/**
 * --plan IDs as given, each one whole (a bridge named `a,b` makes `bridge-state/up-a,b`);
 * an ID that is no plan but whose comma-separated parts all are is the older list form.
 */
function planIds(requested: string[], known: Set<string>): string[] {
  return requested.flatMap((r) => (known.has(r) || !r.includes(',') ? [r] : r.split(',').every((x) => known.has(x.trim())) ? r.split(',').map((x) => x.trim()) : [r]));
}

/** Picks one plan per failing check: --plan IDs, --yes (recommended), or prompts. */
async function choose(fixable: Outcome[], opts: FixOptions): Promise<Chosen[]> {
  const byPlanId = new Map(fixable.flatMap((o) => o.plans.map((p) => [p.id, { o, p }] as const)));
  if (opts.plan?.length) {
    return planIds(opts.plan, new Set(byPlanId.keys())).map((id) => {
      const hit = byPlanId.get(id);
      if (!hit) throw new UsageError(`--plan ${id}: no such fix for a failing or warning check here (have: ${[...byPlanId.keys()].join(', ') || 'none'})`);
      return { checkId: hit.o.result.id, plan: hit.p };
    });
  }
  if (opts.yes) return fixable.map((o) => ({ checkId: o.result.id, plan: o.plans[0]! }));
  const { checkbox, select } = await import('../ui/interactive.js');
  const picked = await checkbox({
    message: 'Which problems should qnet fix?',
    choices: fixable.map((o) => ({ name: `${o.result.id}: ${o.result.summary}`, value: o.result.id, checked: o.result.status === 'fail' || fixable.length === 1 })),
  });
  const out: Chosen[] = [];
  for (const o of fixable.filter((x) => picked.includes(x.result.id))) {
    const plan =
      o.plans.length === 1
        ? o.plans[0]!
        : await select({
            message: `How should ${o.result.id} be fixed?`,
            choices: o.plans.map((p, i) => ({
              name: `${p.title} (risk ${p.risk}${planUndoability(p).reversible ? '' : ', cannot be undone'})${i === 0 ? ' — recommended' : ''}`,
              value: p,
              description: p.explain,
            })),
          });
    out.push({ checkId: o.result.id, plan });
  }
  return out;
}

/** Irreversible plans: a second question in a terminal, --allow-irreversible unattended. Returns false to stop. */
async function confirmIrreversible(chosen: Chosen[], opts: FixOptions, c: Colors, unattended: boolean): Promise<boolean> {
  const bad = chosen.filter((x) => !planUndoability(x.plan).reversible);
  if (!bad.length || opts.allowIrreversible) return true;
  const why = bad.map((x) => `${x.plan.id} (${planUndoability(x.plan).why.join('; ')})`).join(', ');
  if (unattended || !interactive()) {
    throw new UsageError(`qnet undo could not revert ${why}; pass --allow-irreversible with --yes to apply it anyway`);
  }
  console.log(c.yellow(`\nqnet undo cannot revert ${why}.`));
  const { confirm } = await import('../ui/interactive.js');
  return confirm({ message: 'Apply it anyway, knowing it cannot be undone?', default: false });
}

// ---------------------------------------------------------------------------
// The sudo hand-off

interface Handoff {
  schema: typeof HANDOFF_SCHEMA;
  user: string;
  plans: Chosen[];
}

/** Writes the chosen plans for the root process; returns the file and its sha256. */
function writeHandoff(chosen: Chosen[], user: string): { file: string; hash: string } {
  const body: Handoff = { schema: HANDOFF_SCHEMA, user, plans: chosen.map((x) => ({ checkId: x.checkId, plan: x.plan })) };
  const text = JSON.stringify(body, null, 1) + '\n';
  let file: string;
  try {
    file = join(mkdtempSync(join(tmpdir(), 'qnet-plan-')), 'plan.json');
    writeFileAtomic(file, text, { mode: 0o644 });
  } catch (err) {
    throw new UsageError(`cannot write the plan for the root process in ${tmpdir()}: ${errnoText(err)} (set TMPDIR to a directory you can write)`);
  }
  return { file, hash: sha(text) };
}

/** Reads a hand-off file without trusting it: a regular file, at most 1 MiB, the right shape. */
function readHandoff(path: string): { handoff: Handoff; hash: string } {
  let fd: number;
  try {
    fd = openSync(path, FS.O_RDONLY | FS.O_NONBLOCK);
  } catch (err) {
    throw new UsageError(`--apply-plan ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let buf: Buffer;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`--apply-plan ${path}: not a regular file`);
    if (st.size > MAX_HANDOFF) throw new UsageError(`--apply-plan ${path}: larger than a qnet plan file can be`);
    buf = Buffer.alloc(st.size);
    for (let off = 0; off < st.size; ) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
  } finally {
    closeSync(fd);
  }
  const notOurs = new UsageError(`--apply-plan ${path}: not a plan file written by qnet fix`);
  let parsed: Handoff;
  try {
    parsed = JSON.parse(buf.toString('utf8')) as Handoff;
  } catch {
    throw notOurs;
  }
  const ids = new Set<string>(CHECK_IDS);
  if (
    parsed?.schema !== HANDOFF_SCHEMA || typeof parsed.user !== 'string' || !Array.isArray(parsed.plans) || !parsed.plans.length ||
    !parsed.plans.every((x) => ids.has(x?.checkId) && typeof x.plan?.id === 'string')
  ) {
    throw notOurs;
  }
  return { handoff: parsed, hash: sha(buf) };
}

const short = (hash: string) => `sha256:${hash.slice(0, 16)}`;

function sudoArgv(file: string, opts: FixOptions, user: string): string[] {
  const argv = [process.execPath, process.argv[1]!, 'fix', '--apply-plan', file, '--user', user];
  if (opts.keep) argv.push('--keep');
  if (opts.allowIrreversible) argv.push('--allow-irreversible');
  if (opts.color === false) argv.push('--no-color');
  return ['sudo', ...argv];
}

/**
 * Root's side of the hand-off: the plans in the file are compared with those this
 * process derives from its own diagnosis; only an exact match (byte for byte) is
 * applied, and what is applied is this process's own plan, never the file's.
 */
function matchHandoff(handoff: Handoff, outcomes: Outcome[], c: Colors): { chosen: Chosen[]; passing: string[] } {
  const chosen: Chosen[] = [];
  const passing: string[] = [];
  for (const entry of handoff.plans) {
    const o = outcomes.find((x) => x.result.id === entry.checkId);
    if (o?.result.status === 'pass') {
      passing.push(entry.plan.id);
      continue;
    }
    const mine = o?.plans.find((p) => p.id === entry.plan.id);
    if (!mine) throw new UsageError(`the host changed since the plan was shown: qnet no longer proposes ${entry.plan.id} here; nothing was applied: run qnet fix again`);
    if (JSON.stringify(mine) !== JSON.stringify(entry.plan)) {
      const unreadable = entry.plan.actions?.some((a) => (a.kind === 'write-file' || a.kind === 'remove-file') && a.base === 'unreadable');
      throw new UsageError(
        unreadable
          ? `${entry.plan.id} was planned from files you cannot read, and differs from what qnet derives as root; nothing was applied: run sudo qnet fix to see and choose the plan as root`
          : `the host changed since the plan was shown: ${entry.plan.id} differs from what qnet derives now as root; nothing was applied: run qnet fix again`,
      );
    }
    chosen.push({ checkId: entry.checkId as CheckId, plan: mine });
  }
  void c;
  return { chosen, passing };
}

// ---------------------------------------------------------------------------

/** What a read-only run can say about the journal without changing it. */
async function journalNotes(journal: Journal, c: Colors): Promise<void> {
  let sets: SetInfo[];
  try {
    sets = await journal.list();
  } catch {
    return; // not readable as this user
  }
  for (const s of sets) {
    const id = s.record.id;
    if (s.state === 'interrupted') console.log(c.yellow(`qnet: fix set ${id} was interrupted half-way; \`qnet fix\` or \`qnet undo\` (as root) rolls it back`));
    if (s.state === 'in-progress') console.log(c.yellow(`qnet: fix set ${id} is being applied right now by ${s.record.by ? holderText(s.record.by) : 'another qnet'}`));
    if (s.state === 'partly-undone') console.log(c.yellow(`qnet: fix set ${id} is partly undone; \`qnet undo ${id}\` continues`));
    if (s.state === 'unreadable') console.log(c.yellow(`qnet: fix set ${id} cannot be read (${s.problem}); see qnet undo --list`));
  }
}

export async function runFix(ids: string[], opts: FixOptions): Promise<number> {
  const color = colorFor(opts);
  const c = pc.createColors(color);
  if (opts.applyPlan && (opts.plan?.length || opts.dryRun)) throw new UsageError('--apply-plan cannot be combined with --plan or --dry-run');
  const root = liveInvoker().euid === 0;
  if (opts.applyPlan && !root) throw new UsageError('--apply-plan is the root side of the sudo hand-off: run it with sudo');
  const handed = opts.applyPlan ? readHandoff(opts.applyPlan) : undefined;
  if (handed && opts.user && opts.user !== handed.handoff.user) throw new UsageError(`--user ${opts.user} differs from the user the plan was made for (${handed.handoff.user})`);
  const user = handed ? handed.handoff.user : opts.user;
  const checkIds = handed ? [...new Set(handed.handoff.plans.map((x) => x.checkId))] : ids;
  const checks = selectChecks(ALL_CHECKS, checkIds.length ? { only: checkIds } : {});
  const journal = new Journal();

  if (opts.dryRun) {
    await journalNotes(journal, c);
  } else if (root) {
    // From here to the end, no other qnet changes this host (a second one refuses, naming us).
    const lock = journal.lock();
    if (lock.tookOverFrom) console.log(c.dim(`qnet: took over the lock of ${holderText(lock.tookOverFrom)}, which ended without releasing it`));
    try {
      for (const id of await journal.recover()) console.log(c.yellow(`qnet: rolled back fix set ${id}, which an earlier run left half-applied`));
    } catch (err) {
      journal.unlock();
      if (!(err instanceof ExecError)) throw err;
      process.stderr.write(`qnet: an earlier run left a fix set half-applied, and rolling it back failed: ${err.message}\n`);
      return 1;
    }
    for (const s of await journal.list()) {
      if (s.state === 'unreadable') console.log(c.yellow(`qnet: fix set ${s.record.id} cannot be read (${s.problem}); see qnet undo --list`));
      if (s.state === 'partly-undone') console.log(c.yellow(`qnet: fix set ${s.record.id} is partly undone; \`qnet undo ${s.record.id}\` continues`));
    }
  }
  try {
    return await fixRun(ids, opts, { c, color, root, journal, checks, user, handed });
  } finally {
    journal.unlock();
  }
}

async function fixRun(
  ids: string[],
  opts: FixOptions,
  env: { c: Colors; color: boolean; root: boolean; journal: Journal; checks: ReturnType<typeof selectChecks>; user: string | undefined; handed: { handoff: Handoff; hash: string } | undefined },
): Promise<number> {
  const { c, color, root, journal, checks, user, handed } = env;
  const ctx = await liveContext(user);
  const outcomes = await runChecksWithPlans(ctx, checks);
  await bindBases(ctx, outcomes);

  let chosen: Chosen[];
  let fixable: Outcome[];
  if (handed) {
    const m = matchHandoff(handed.handoff, outcomes, c);
    for (const p of m.passing) console.log(`${p.split('/')[0]} already passes: ${p} is not needed.`);
    if (!m.chosen.length) {
      console.log('Nothing to fix.');
      return 0;
    }
    chosen = m.chosen;
    fixable = outcomes.filter((o) => chosen.some((x) => x.checkId === o.result.id));
    console.log(`Applying the plan you confirmed (${short(handed.hash)}), derived again here as root and identical:`);
    for (const x of chosen) await printPlans(ctx, c, outcomes.find((o) => o.result.id === x.checkId)!, [x.plan], false);
    if (!(await confirmIrreversible(chosen, opts, c, true))) return 0;
  } else {
    let planOpt = opts.plan;
    // --plan FIX-ID for a check that already passes: applying it again is a no-op, not an error.
    if (planOpt?.length) {
      const passing = new Set(outcomes.filter((o) => o.result.status === 'pass').map((o) => o.result.id as string));
      const known = new Set(outcomes.flatMap((o) => o.plans.map((p) => p.id)));
      const wanted = planIds(planOpt, known);
      const done = wanted.filter((p) => !known.has(p) && passing.has(p.split('/')[0]!));
      for (const p of done) console.log(`${p.split('/')[0]} already passes: ${p} is not needed.`);
      planOpt = wanted.filter((p) => !done.includes(p));
      if (!planOpt.length) {
        console.log('Nothing to fix.');
        return 0;
      }
    }
    const o2 = { ...opts, plan: planOpt };
    // Failing checks; with explicit IDs or plans, warnings that have fixes too.
    const withWarnings = ids.length > 0 || Boolean(planOpt?.length);
    fixable = outcomes.filter((o) => o.plans.length && (o.result.status === 'fail' || (withWarnings && o.result.status === 'warn')));
    const unfixable = outcomes.filter((o) => o.result.status === 'fail' && !o.plans.length);
    if (!fixable.length) {
      console.log(unfixable.length ? `Nothing qnet can fix automatically. Failing without a fix: ${unfixable.map((o) => o.result.id).join(', ')}` : 'Nothing to fix: no check is failing.');
      return unfixable.length ? 1 : 0;
    }
    const unattended = Boolean(opts.yes || planOpt?.length);
    if (opts.dryRun || !unattended) {
      for (const o of fixable) await printPlans(ctx, c, o, o.plans, true);
    }
    if (opts.dryRun) {
      console.log(`\n${c.dim('--dry-run: nothing was changed.')}`);
      return 0;
    }
    if (!unattended && !interactive()) {
      process.stderr.write('qnet: not a terminal, so nothing was applied; pass --yes to apply the recommended fixes (or --dry-run to only preview)\n');
      return 2;
    }
    chosen = await choose(fixable, o2);
    if (!chosen.length) {
      console.log('Nothing chosen; nothing changed.');
      return 0;
    }

    if (chosen.some((x) => x.plan.root) && !root) {
      // Asked here, where the user reads the plans; the root process is told by flag.
      if (!(await confirmIrreversible(chosen, opts, c, unattended))) {
        console.log('Nothing changed.');
        return 0;
      }
      const allowIrreversible = opts.allowIrreversible || chosen.some((x) => !planUndoability(x.plan).reversible);
      const target = ctx.user;
      const { file, hash } = writeHandoff(chosen, target.name);
      const argv = sudoArgv(file, { ...opts, allowIrreversible }, target.name);
      if (!interactive()) {
        process.stderr.write(`qnet: these fixes need root; the plan (${short(hash)}) is in ${file}; run: ${showArgv(argv)}\n`);
        return 2;
      }
      const { confirm } = await import('../ui/interactive.js');
      console.log(`\nThese fixes need root. qnet can run the apply step through sudo:\n  ${showArgv(argv)}`);
      console.log(c.dim(`The root process applies only this plan (${short(hash)}), and only if it derives exactly the same plan itself.`));
      try {
        if (!(await confirm({ message: 'Run it through sudo?', default: true }))) return 2;
        const { spawnSync } = process.getBuiltinModule('node:child_process');
        const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit' });
        return r.status ?? (r.signal === 'SIGINT' ? 130 : 1);
      } finally {
        rmSync(join(file, '..'), { recursive: true, force: true });
      }
    }

    if (!unattended) {
      const { confirm } = await import('../ui/interactive.js');
      const risky = chosen.some((x) => x.plan.disruptive || x.plan.risk === 'high');
      const ok = await confirm({
        message: risky ? 'Apply? One of these touches an interface that carries traffic.' : `Apply ${chosen.length} fix${chosen.length > 1 ? 'es' : ''}?`,
        default: !risky,
      });
      if (!ok) {
        console.log('Nothing changed.');
        return 0;
      }
    }
    if (!(await confirmIrreversible(chosen, opts, c, unattended))) {
      console.log('Nothing changed.');
      return 0;
    }
  }
  return applyAndVerify(chosen, fixable, { opts, c, color, journal, user, checks });
}

async function applyAndVerify(
  chosen: Chosen[],
  fixable: Outcome[],
  env: { opts: FixOptions; c: Colors; color: boolean; journal: Journal; user: string | undefined; checks: ReturnType<typeof selectChecks> },
): Promise<number> {
  const { opts, c, color, journal, user, checks } = env;
  // SIGINT/SIGTERM from here on: finish the step under way, roll back, exit 130.
  let stop: NodeJS.Signals | undefined;
  const release = holdSignals((sig) => {
    if (!stop) process.stderr.write(`\nqnet: ${sig === 'SIGINT' ? 'interrupted' : 'terminated'}; rolling back what was applied…\n`);
    stop ??= sig;
  });
  try {
    const { spinner } = await import('../ui/interactive.js');
    const spin = spinner('applying', color && Boolean(process.stderr.isTTY));
    let set: SetInfo;
    try {
      set = await journal.apply(
        chosen,
        (step, a, phase) => {
          const text = `step ${step + 1}: ${visible(actionLine(a))}`;
          if (phase === 'start') {
            if (spin.isEnabled) spin.start(text);
          } else if (spin.isEnabled) spin.succeed(`${text}${phase === 'unchanged' ? c.dim(' (already so)') : ''}`);
          else console.log(`${phase === 'unchanged' ? '=' : '✔'} ${text}${phase === 'unchanged' ? ' (already so)' : ''}`);
        },
        { shouldStop: () => stop !== undefined },
      );
    } catch (err) {
      if (spin.isSpinning) spin.fail();
      if (err instanceof InterruptedError) {
        process.stderr.write('qnet: interrupted; what was applied has been rolled back\n');
        return 130;
      }
      if (err instanceof StaleError) {
        process.stderr.write(`qnet: ${visible(err.message)}\n`);
        return 2;
      }
      if (err instanceof ExecError || err instanceof CommandError || (err as NodeJS.ErrnoException).code) {
        process.stderr.write(`qnet: the fix failed and was rolled back: ${visible((err as Error).message)}\n`);
        return 1;
      }
      throw err;
    }

    // Verify: a fresh read of the host, the same checks.
    const after = await runChecksWithPlans(await liveContext(user), checks.filter((ch) => chosen.some((x) => x.checkId === ch.id)));
    if (stop) {
      await journal.rollback(set.record.id, 'interrupted while verifying');
      process.stderr.write('qnet: interrupted; what was applied has been rolled back\n');
      return 130;
    }
    // Fixed = the check passes; or, for a check that failed, it no longer fails (a warning
    // the plan was not about may remain, e.g. bridge.conf also allowing a bridge not yet created).
    const wasFailing = new Set(fixable.filter((o) => o.result.status === 'fail').map((o) => o.result.id));
    const fixed = (o: Outcome) => o.result.status === 'pass' || (o.result.status === 'warn' && wasFailing.has(o.result.id));
    const failedIdx = set.record.fixes.map((f, i) => ({ f, i, o: after.find((x) => x.result.id === f.checkId) })).filter((x) => !x.o || !fixed(x.o));
    console.log('');
    for (const o of after) {
      if (!fixed(o)) continue;
      const mark = o.result.status === 'pass' ? c.green('✔ verified') : `${c.green('✔ verified')}${c.yellow(', no longer failing; a warning remains:')}`;
      console.log(`${mark} ${o.result.id}: ${visible(o.result.summary)}`);
    }
    if (!failedIdx.length) {
      console.log(c.dim(`Journaled as fix set ${set.record.id}; \`qnet undo\` reverts it.`));
      return 0;
    }
    if (opts.keep) {
      for (const x of failedIdx) console.log(`${c.red('✖ not verified')} ${x.f.checkId}: ${visible(x.o?.result.summary ?? 'no result')} (kept, as --keep asks)`);
      console.log(c.yellow(`The changes are kept. To revert them: qnet undo ${set.record.id}`));
      return 1;
    }
    try {
      await journal.rollbackFixes(set.record.id, failedIdx.map((x) => x.i), 'not verified');
      for (const x of failedIdx) {
        console.log(`${c.red('✖ not verified')} ${x.f.checkId}: ${visible(x.o?.result.summary ?? 'no result')}; rolled back (--keep keeps a fix that does not verify)`);
        // What a rollback cannot take back, said plainly.
        for (let s = x.f.firstStep; s < x.f.firstStep + x.f.steps; s++) {
          const why = irreversibleWhy(set.record.actions[s]!);
          if (why && set.events.some((e) => e.event === 'done' && e.step === s && e.outcome === 'applied')) console.log(c.yellow(`  ! step ${s + 1}: ${why}; left as it is`));
        }
      }
    } catch (err) {
      process.stderr.write(`qnet: ${failedIdx.map((x) => x.f.checkId).join(', ')} did not verify, and rolling back failed: ${(err as Error).message}\n`);
      return 1;
    }
    if (failedIdx.length < set.record.fixes.length) console.log(c.dim(`The verified fixes are journaled as fix set ${set.record.id}; \`qnet undo\` reverts them.`));
    return 1;
  } finally {
    release();
  }
}
