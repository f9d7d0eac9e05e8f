// qnet fix [ID...]: propose, preview, apply, verify. A fix counts as done only
// when its check passes afterwards; otherwise its changes stay journaled and
// `qnet undo` reverts them.
import pc from 'picocolors';
import { ALL_CHECKS } from '../../checks/index.js';
import { liveInvoker, type Context } from '../context.js';
import { createContext } from '../session.js';
import { runChecksWithPlans, selectChecks, type Outcome } from '../engine.js';
import { Journal, ExecError } from '../fixes/executor.js';
import { previewPlan, shellQuote, showArgv } from '../fixes/preview.js';
import { LiveHost } from '../host/live.js';
import { CachingHost } from '../host/record.js';
import type { Action, CheckId, FixPlan } from '../types.js';
import { UsageError } from '../types.js';
import { visible } from '../output/safe.js';

export interface FixOptions {
  yes?: boolean;
  dryRun?: boolean;
  user?: string;
  plan?: string[];
  color?: boolean;
}

type Colors = ReturnType<typeof pc.createColors>;

const interactive = () => Boolean(process.stdin.isTTY && process.stdout.isTTY);

function liveContext(user?: string): Promise<Context> {
  return createContext({ host: new CachingHost(new LiveHost()), invoker: liveInvoker(), user, source: 'live' });
}

function describeAction(a: Action): string {
  switch (a.kind) {
    case 'write-file': return `write ${shellQuote(a.path)}`;
    case 'chmod': return showArgv(['chmod', (a.mode & 0o7777).toString(8), a.path]);
    case 'chown': return showArgv(['chown', `${a.uid}:${a.gid}`, a.path]);
    case 'chgrp': return showArgv(['chgrp', a.group, a.path]);
    case 'mknod-char': return showArgv(['mknod', a.path, 'c', String(a.major), String(a.minor)]);
    case 'sysctl': return `sysctl ${a.key}=${a.value}`;
    case 'run': return showArgv(a.argv);
    case 'note': return a.text;
  }
}

async function printPlan(ctx: Context, c: Colors, o: Outcome, chosen?: FixPlan): Promise<void> {
  const r = o.result;
  console.log(`\n${c.red('✖')} ${c.bold(r.id)}  ${visible(r.summary)}`);
  const plans = chosen ? [chosen] : o.plans;
  for (const [i, p] of plans.entries()) {
    const v = await previewPlan(ctx, p);
    const tag = !chosen && i === 0 ? c.green(' (recommended)') : '';
    console.log(`  ${c.cyan(visible(p.id))}${tag}: ${visible(p.title)} ${c.dim(`[risk ${p.risk}${p.root ? ', needs root' : ''}${p.disruptive ? ', touches a live interface' : ''}]`)}`);
    for (const line of v.preview.flatMap((x) => x.split('\n'))) console.log(`      ${visible(line)}`);
  }
}

/** Picks one plan per failing check: --plan IDs, --yes (recommended), or prompts. */
async function choose(fixable: Outcome[], opts: FixOptions): Promise<{ checkId: CheckId; plan: FixPlan }[]> {
  const byPlanId = new Map(fixable.flatMap((o) => o.plans.map((p) => [p.id, { o, p }] as const)));
  if (opts.plan?.length) {
    return opts.plan.map((id) => {
      const hit = byPlanId.get(id);
      if (!hit) throw new UsageError(`--plan ${id}: no such fix for a failing check (have: ${[...byPlanId.keys()].join(', ') || 'none'})`);
      return { checkId: hit.o.result.id, plan: hit.p };
    });
  }
  if (opts.yes) return fixable.map((o) => ({ checkId: o.result.id, plan: o.plans[0]! }));
  const { checkbox, select } = await import('../ui/interactive.js');
  const picked = await checkbox({
    message: 'Which problems should qnet fix?',
    choices: fixable.map((o) => ({ name: `${o.result.id}: ${o.result.summary}`, value: o.result.id, checked: true })),
  });
  const out: { checkId: CheckId; plan: FixPlan }[] = [];
  for (const o of fixable.filter((x) => picked.includes(x.result.id))) {
    const plan =
      o.plans.length === 1
        ? o.plans[0]!
        : await select({
            message: `How should ${o.result.id} be fixed?`,
            choices: o.plans.map((p, i) => ({ name: `${p.title} (risk ${p.risk})${i === 0 ? ' — recommended' : ''}`, value: p, description: p.explain })),
          });
    out.push({ checkId: o.result.id, plan });
  }
  return out;
}

function sudoArgv(chosen: { plan: FixPlan }[], opts: FixOptions, user: string): string[] {
  const argv = [process.execPath, process.argv[1]!, 'fix', '--yes', '--user', user, '--plan', chosen.map((c) => c.plan.id).join(',')];
  if (opts.color === false) argv.push('--no-color');
  return ['sudo', ...argv];
}

export async function runFix(ids: string[], opts: FixOptions): Promise<number> {
  const color = opts.color !== false && !('NO_COLOR' in process.env) && Boolean(process.stdout.isTTY);
  const c = pc.createColors(color);
  const checks = selectChecks(ALL_CHECKS, ids.length ? { only: ids } : {});
  const root = liveInvoker().euid === 0;
  const journal = new Journal();
  if (root) {
    for (const id of await journal.recover()) console.log(c.yellow(`qnet: rolled back fix set ${id}, which an earlier run left half-applied`));
  }

  const ctx = await liveContext(opts.user);
  const outcomes = await runChecksWithPlans(ctx, checks);
  // --plan FIX-ID for a check that already passes: applying it again is a no-op, not an error.
  if (opts.plan?.length) {
    const passing = new Set(outcomes.filter((o) => o.result.status === 'pass').map((o) => o.result.id as string));
    const done = opts.plan.filter((p) => passing.has(p.split('/')[0]!));
    for (const p of done) console.log(`${p.split('/')[0]} already passes: ${p} is not needed.`);
    opts = { ...opts, plan: opts.plan.filter((p) => !done.includes(p)) };
    if (!opts.plan!.length) {
      console.log('Nothing to fix.');
      return 0;
    }
  }
  // Failing checks; with explicit IDs, warnings that have fixes too.
  const fixable = outcomes.filter((o) => o.plans.length && (o.result.status === 'fail' || (ids.length > 0 && o.result.status === 'warn')));
  const unfixable = outcomes.filter((o) => o.result.status === 'fail' && !o.plans.length);
  if (!fixable.length) {
    console.log(unfixable.length ? `Nothing qnet can fix automatically. Failing without a fix: ${unfixable.map((o) => o.result.id).join(', ')}` : 'Nothing to fix: no check is failing.');
    return unfixable.length ? 1 : 0;
  }

  if (opts.dryRun || (!opts.yes && !opts.plan?.length)) {
    for (const o of fixable) await printPlan(ctx, c, o);
  }
  if (opts.dryRun) {
    console.log(`\n${c.dim('--dry-run: nothing was changed.')}`);
    return 0;
  }
  if (!opts.yes && !opts.plan?.length && !interactive()) {
    process.stderr.write('qnet: not a terminal, so nothing was applied; pass --yes to apply the recommended fixes (or --dry-run to only preview)\n');
    return 2;
  }

  const chosen = await choose(fixable, opts);
  if (!chosen.length) {
    console.log('Nothing chosen; nothing changed.');
    return 0;
  }
  const user = (await import('../facts/users.js')).targetUser;
  const target = await user(ctx);

  if (chosen.some((x) => x.plan.root) && !root) {
    const argv = sudoArgv(chosen, opts, target.name);
    if (!interactive()) {
      process.stderr.write(`qnet: these fixes need root; run: ${showArgv(argv)}\n`);
      return 2;
    }
    const { confirm } = await import('../ui/interactive.js');
    console.log(`\nThese fixes need root. qnet can run the apply step through sudo:\n  ${showArgv(argv)}`);
    if (!(await confirm({ message: 'Run it through sudo?', default: true }))) return 2;
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    return r.status ?? 1;
  }

  if (!opts.yes && !opts.plan?.length) {
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

  // Apply, step by step, with a spinner on a terminal.
  const { spinner } = await import('../ui/interactive.js');
  const spin = spinner('applying', color && Boolean(process.stderr.isTTY));
  let set;
  try {
    set = await journal.apply(chosen, (step, a, phase) => {
      const text = `step ${step + 1}: ${visible(describeAction(a))}`;
      if (phase === 'start') {
        if (spin.isEnabled) spin.start(text);
      } else if (spin.isEnabled) spin.succeed(`${text}${phase === 'unchanged' ? c.dim(' (already so)') : ''}`);
      else console.log(`${phase === 'unchanged' ? '=' : '✔'} ${text}${phase === 'unchanged' ? ' (already so)' : ''}`);
    });
  } catch (err) {
    if (spin.isSpinning) spin.fail();
    if (err instanceof ExecError || (err as NodeJS.ErrnoException).code) {
      process.stderr.write(`qnet: the fix failed and was rolled back: ${visible((err as Error).message)}\n`);
      return 1;
    }
    throw err;
  }

  // Verify: a fresh read of the host, the same checks.
  const after = await runChecksWithPlans(await liveContext(opts.user), checks.filter((ch) => chosen.some((x) => x.checkId === ch.id)));
  // Fixed = the check passes; or, for a check that failed, it no longer fails (a warning
  // the plan was not about may remain, e.g. bridge.conf also allowing a bridge not yet created).
  const wasFailing = new Set(fixable.filter((o) => o.result.status === 'fail').map((o) => o.result.id));
  const fixed = (o: Outcome) => o.result.status === 'pass' || (o.result.status === 'warn' && wasFailing.has(o.result.id));
  const failed = after.filter((o) => !fixed(o));
  console.log('');
  for (const o of after) {
    const mark = !fixed(o) ? c.red('✖ not verified') : o.result.status === 'pass' ? c.green('✔ verified') : `${c.green('✔ verified')}${c.yellow(', no longer failing; a warning remains:')}`;
    console.log(`${mark} ${o.result.id}: ${visible(o.result.summary)}`);
  }
  console.log(c.dim(`Journaled as fix set ${set.record.id}; \`qnet undo\` reverts it.`));
  if (failed.length) {
    console.log(c.yellow(`The changes are kept. To revert them: qnet undo ${set.record.id}`));
    return 1;
  }
  return 0;
}
