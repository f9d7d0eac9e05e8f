// qnet undo [--list] [ID]: revert the last (or the named) applied fix set.
import { Journal, conflictsOf, ExecError, type SetInfo } from '../fixes/executor.js';
import { UsageError } from '../types.js';
import { visible } from '../output/safe.js';

export interface UndoOptions {
  list?: boolean;
  yes?: boolean;
}

function line(s: SetInfo): string {
  const what = s.record.fixes.map((f) => `${f.checkId} (${f.planId})`).join(', ');
  return visible(`${s.record.id}  ${s.state.padEnd(11)}  ${what}`);
}

export async function runUndo(id: string | undefined, opts: UndoOptions): Promise<number> {
  const journal = new Journal();
  if (opts.list) {
    const sets = await journal.list();
    if (!sets.length) console.log('No fix sets journaled.');
    for (const s of sets) console.log(line(s));
    return 0;
  }
  if ((process.geteuid?.() ?? 0) !== 0) throw new UsageError('undo changes the system and needs root: run it with sudo');
  for (const rid of await journal.recover()) console.log(`qnet: rolled back fix set ${rid}, which an earlier run left half-applied`);
  const sets = await journal.list();
  const target = id ? sets.find((s) => s.record.id === id) : [...sets].reverse().find((s) => s.state === 'applied');
  if (!target) throw new UsageError(id ? `no fix set "${id}" (see qnet undo --list)` : 'nothing to undo: no applied fix set (see qnet undo --list)');
  if (target.state !== 'applied') throw new UsageError(`fix set ${target.record.id} is ${target.state}; only an applied set can be undone`);
  const conflicts = await conflictsOf(target);
  if (conflicts.length) {
    for (const k of conflicts) console.log(visible(`! ${k.path}: ${k.why}`));
    if (!opts.yes) {
      if (!(process.stdin.isTTY && process.stdout.isTTY)) {
        process.stderr.write('qnet: files changed since the fix; pass --yes to restore them anyway\n');
        return 2;
      }
      const { confirm } = await import('../ui/interactive.js');
      if (!(await confirm({ message: 'Undo anyway, restoring the files as they were before the fix?', default: false }))) return 0;
    }
  }
  try {
    await journal.undo(target.record.id);
  } catch (err) {
    if (err instanceof ExecError) {
      process.stderr.write(`qnet: ${visible(err.message)}\n`);
      return 1;
    }
    throw err;
  }
  console.log(`Undone: ${line({ ...target, state: 'undone' })}`);
  return 0;
}
