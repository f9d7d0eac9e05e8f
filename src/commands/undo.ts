// qnet undo [--list] [ID] | --forget ID: revert the last (or the named) applied
// fix set; list the journal (reads only); drop a set that cannot be undone.
import { conflictsOf, ExecError, Journal, type JournalEvent, type SetInfo, type Undo } from '../fixes/executor.js';
import { holderText } from '../fixes/lock.js';
import { actionLine, showArgv } from '../fixes/preview.js';
import { irreversibleWhy } from '../fixes/undoable.js';
import type { Action } from '../types.js';
import { UsageError } from '../errors.js';
import { visible } from '../output/safe.js';

export interface UndoOptions {
  list?: boolean;
  yes?: boolean;
  forget?: string;
}


function what(s: SetInfo): string {
  return s.record.fixes
    .map((f, i) => `${f.checkId} (${f.planId})${s.rolledBackFixes.includes(i) && s.state !== 'rolled-back' ? ' [rolled back: not verified]' : ''}`)
    .join(', ');
}

function line(s: SetInfo): string {
  if (s.state === 'unreadable') return `${s.record.id}  ${'unreadable'.padEnd(13)}  ${s.problem ?? ''}${s.record.fixes.length ? `; ${what(s)}` : ''}`;
  const by = s.state === 'in-progress' && s.record.by ? ` by ${holderText(s.record.by)}` : '';
  return `${s.record.id}  ${s.state.padEnd(13)}  ${what(s)}${by}`;
}

/** What a journaled step changed, from its undo record. */
function undoText(u: Undo): string {
  switch (u.kind) {
    case 'file': return u.existed ? `rewrote ${u.path} (its old content is kept)` : `created ${u.path}`;
    case 'dirs': return `created ${u.createdDirs.join(', ') || u.path}`;
    case 'removed': return `removed ${u.path}${u.existed ? ' (its content is kept)' : ''}`;
    case 'mode': return `changed the mode of ${u.path} (was ${u.mode.toString(8).padStart(4, '0')})`;
    case 'owner': return `changed the owner of ${u.path} (was ${u.uid}:${u.gid})`;
    case 'node': return u.existed ? `left ${u.path}` : `created the node ${u.path}`;
    case 'sysctl': return `set ${u.key} (was ${u.value ?? 'unset'})`;
    case 'run': return `ran ${u.argv ? showArgv(u.argv) : 'a command'}${u.inverse ? `, undone by ${showArgv(u.inverse)}` : ''}`;
    case 'none': return 'nothing';
  }
}


const needRoot = (what: string) => {
  if ((process.geteuid?.() ?? 0) !== 0) throw new UsageError(`${what} changes the system and needs root: run it with sudo`);
};

const askable = () => Boolean(process.stdin.isTTY && process.stdout.isTTY);

/** What a set held, as far as it can be read: its fixes, its steps and how far each got, its files. */
async function show(journal: Journal, s: SetInfo): Promise<void> {
  console.log(`Fix set ${s.record.id}: ${s.state}${s.problem ? ` (${s.problem})` : ''}`);
  if (s.record.createdAt) console.log(`  made ${s.record.createdAt}${s.record.by ? ` by pid ${s.record.by.pid} (${visible(s.record.by.command)})` : ''}`);
  for (const f of s.record.fixes) console.log(`  fix ${f.checkId}: ${visible(f.title)} (${f.planId})`);
  const steps = new Map<number, string[]>();
  for (const e of s.events) if ('step' in e) steps.set(e.step, [...(steps.get(e.step) ?? []), e.event === 'done' || e.event === 'reverted' ? `${e.event} (${e.outcome})` : e.event]);
  s.record.actions.forEach((a, i) => console.log(`  step ${i + 1}: ${visible(actionLine(a))}  [${(steps.get(i) ?? ['not begun']).join(', ')}]`));
  // Steps set.json does not list (it is damaged): what their journal entries say they changed.
  for (const [step, evs] of steps) {
    if (step >= s.record.actions.length) {
      const begin = s.events.find((e) => e.event === 'begin' && e.step === step) as Extract<JournalEvent, { event: 'begin' }> | undefined;
      console.log(`  step ${step + 1}: ${begin ? visible(undoText(begin.undo)) : 'unknown'}  [${evs.join(', ')}]`);
    }
  }
  const files = await journal.contents(s.record.id);
  if (files.length) console.log(`  files kept: ${files.map((f) => `${visible(f.path)} (${f.size} bytes)`).join(', ')}`);
}

async function forget(journal: Journal, id: string, opts: UndoOptions): Promise<number> {
  needRoot('undo --forget');
  const lock = journal.lock();
  if (lock.tookOverFrom) console.log(`qnet: took over the lock of ${holderText(lock.tookOverFrom)}, which ended without releasing it`);
  let s: SetInfo;
  try {
    s = await journal.read(id);
  } catch {
    throw new UsageError(`no fix set "${id}" (see qnet undo --list)`);
  }
  await show(journal, s);
  if (s.state === 'applied' || s.state === 'partly-undone' || s.state === 'unreadable') {
    console.log('Its changes stay on the host as they are now; once forgotten, qnet undo cannot revert them.');
  }
  if (!opts.yes) {
    if (!askable()) {
      process.stderr.write(`qnet: not a terminal; pass --yes to forget fix set ${id}\n`);
      return 2;
    }
    const { confirm } = await import('../ui/interactive.js');
    if (!(await confirm({ message: `Forget fix set ${id}?`, default: false }))) {
      console.log('Kept.');
      return 0;
    }
  }
  try {
    await journal.forget(id);
  } catch (err) {
    if (!(err instanceof ExecError)) throw err;
    process.stderr.write(`qnet: ${err.message}\n`);
    return 1;
  }
  console.log(`Forgot fix set ${id}.`);
  return 0;
}

export async function runUndo(id: string | undefined, opts: UndoOptions): Promise<number> {
  const journal = new Journal();
  if (opts.list) {
    if (id || opts.forget) throw new UsageError('--list takes no fix set ID');
    const sets = await journal.list();
    if (!sets.length) console.log('No fix sets journaled.');
    for (const s of sets) console.log(visible(line(s)));
    return 0;
  }
  if (opts.forget) {
    if (id) throw new UsageError('give the fix set ID once: qnet undo --forget ID');
    try {
      return await forget(journal, opts.forget, opts);
    } finally {
      journal.unlock();
    }
  }
  needRoot('undo');
  const lock = journal.lock();
  try {
    if (lock.tookOverFrom) console.log(`qnet: took over the lock of ${holderText(lock.tookOverFrom)}, which ended without releasing it`);
    try {
      for (const rid of await journal.recover()) console.log(`qnet: rolled back fix set ${rid}, which an earlier run left half-applied`);
    } catch (err) {
      if (!(err instanceof ExecError)) throw err;
      process.stderr.write(`qnet: an earlier run left a fix set half-applied, and rolling it back failed: ${err.message}\n`);
      return 1;
    }
    const sets = await journal.list();
    const target = id ? sets.find((s) => s.record.id === id) : [...sets].reverse().find((s) => s.state === 'applied' || s.state === 'partly-undone');
    if (!target) throw new UsageError(id ? `no fix set "${id}" (see qnet undo --list)` : 'nothing to undo: no applied fix set (see qnet undo --list)');
    if (target.state === 'unreadable') {
      throw new UsageError(`fix set ${target.record.id} cannot be undone: ${target.problem}; \`qnet undo --forget ${target.record.id}\` drops it after showing what it held`);
    }
    if (target.state !== 'applied' && target.state !== 'partly-undone') throw new UsageError(`fix set ${target.record.id} is ${target.state}; only an applied set can be undone`);
    const conflicts = await conflictsOf(target);
    if (conflicts.length) {
      for (const k of conflicts) console.log(`! ${visible(k.path)}: ${k.why}`);
      if (!opts.yes) {
        if (!askable()) {
          process.stderr.write('qnet: files changed since the fix; pass --yes to restore them anyway\n');
          return 2;
        }
        const { confirm } = await import('../ui/interactive.js');
        if (!(await confirm({ message: 'Undo anyway, restoring the files as they were before the fix?', default: false }))) return 0;
      }
    }
    let done: SetInfo;
    try {
      done = await journal.undo(target.record.id);
    } catch (err) {
      if (err instanceof ExecError) {
        process.stderr.write(`qnet: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
    // Steps with nothing left to put back (done by hand already) and those that cannot be undone.
    const unchanged = done.events.filter((e) => e.event === 'reverted' && e.outcome === 'unchanged').map((e) => (e as { step: number }).step);
    for (const step of unchanged.filter((st) => !irreversibleWhy(done.record.actions[st]!))) console.log(`= step ${step + 1}: ${visible(actionLine(done.record.actions[step]!))} (already undone)`);
    done.record.actions.forEach((a, i) => {
      const why = irreversibleWhy(a);
      const ran = done.events.some((e) => e.event === 'done' && e.step === i && e.outcome === 'applied');
      if (why && ran) console.log(`! step ${i + 1}: ${visible(why)}; left as it is`);
    });
    console.log(`Undone: ${visible(line({ ...done, state: 'undone' }))}`);
    return 0;
  } finally {
    journal.unlock();
  }
}
