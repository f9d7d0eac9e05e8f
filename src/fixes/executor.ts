// The fix executor: applies fix plans, journaling each step before it runs so
// that an interrupted apply (even SIGKILL) is rolled back by the next run, and
// an applied set can be undone byte for byte.
//
// Layout under the state directory (default /var/lib/qnet, root-only 0700):
//   lock                      who changes the host right now (src/fixes/lock.ts)
//   sets/<id>/set.json        what was asked: fixes and their flattened actions, who asked
//   sets/<id>/journal.jsonl   one JSON line per event, fsynced before acting
//   sets/<id>/backup/<step>   a file's previous content
// A step is journaled `begin` with everything needed to undo it, then done,
// then journaled `done` (or `failed`). Reverting a step (rollback or undo) is
// journaled `reverted` step by step, so a revert that stops half-way continues
// where it stopped. A set without `complete` (nor `rolled-back`) whose process
// is gone was interrupted.
//
// Everything that changes the host (apply, recover, rollback, undo, forget)
// holds the state directory's lock; reading (list, read) never takes it and
// never changes anything.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants as FS, fstatSync, fsyncSync, openSync, promises as fs, readSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Action, FixPlan, Probe } from '../types.js';
import { parseGroup } from '../facts/users.js';
import { fsyncDir, writeFileAtomic } from '../host/atomic-write.js';
import { errnoText, isAlive, self, StateDirError, StateLock, type Holder } from './lock.js';
import { showArgv } from './preview.js';
import { CommandError, probeHolds, runChecked } from './run.js';

import { stateDir } from './state-dir.js';

export { DEFAULT_STATE_DIR, stateDir } from './state-dir.js';
/** A file as it was before a step: enough to put it back byte for byte. */
interface Saved {
  mode: number;
  uid: number;
  gid: number;
  /** Path of the copy, relative to the set's directory. */
  backup: string;
}

export type Undo =
  | { kind: 'file'; path: string; existed: false; afterHash: string; createdDirs: string[] }
  | ({ kind: 'file'; path: string; existed: true; afterHash: string } & Saved)
  | { kind: 'dirs'; path: string; createdDirs: string[] }
  | ({ kind: 'removed'; path: string; existed: true } & Saved)
  | { kind: 'removed'; path: string; existed: false }
  | { kind: 'mode'; path: string; mode: number }
  | { kind: 'owner'; path: string; uid: number; gid: number }
  | { kind: 'node'; path: string; existed: boolean; createdDirs?: string[] }
  | { kind: 'sysctl'; key: string; value: string | null }
  | { kind: 'run'; argv?: string[]; inverse?: string[]; inverseUnless?: Probe; files?: Touched[]; refresh?: boolean }
  | { kind: 'none' };

/** A file a run step rewrites, as it was before the step. */
export type Touched = { path: string; existed: false } | ({ path: string; existed: true } & Saved);

type Outcome = 'applied' | 'unchanged';

export type JournalEvent =
  | { event: 'begin'; step: number; undo: Undo; at: string }
  | { event: 'done'; step: number; outcome: Outcome; at: string; /** touched files right after the step: sha256, or null when absent */ after?: Record<string, string | null> }
  /** The step's action threw: a typed action changed nothing it keeps; a command is taken to have failed as a whole. */
  | { event: 'failed'; step: number; at: string; error: string }
  | { event: 'complete'; at: string }
  /** A step put back (by a rollback or an undo); 'unchanged' when there was nothing left to put back. */
  | { event: 'reverted'; step: number; outcome: Outcome; at: string }
  /** One fix of the set rolled back (it did not verify), the others kept. */
  | { event: 'fix-rolled-back'; fix: number; at: string; reason: string }
  | { event: 'rolled-back'; at: string; reason: string }
  | { event: 'undo-begin'; at: string; pid: number; start?: string }
  /** An undo stopped at a step it could not put back; the steps before are journaled `reverted`. */
  | { event: 'undo-stopped'; at: string; error: string }
  | { event: 'undone'; at: string };

export interface SetRecord {
  id: string;
  createdAt: string;
  fixes: { checkId: string; planId: string; title: string; firstStep: number; steps: number }[];
  actions: Action[];
  /** The process that applies it (pid, start time, command): a set whose process is gone and that never completed was interrupted. */
  by?: Holder;
}

export type SetState =
  | 'applied'
  /** being applied right now by a live process */
  | 'in-progress'
  | 'interrupted'
  | 'rolled-back'
  /** being undone right now by a live process */
  | 'undoing'
  /** an undo stopped half-way (a step failed, or it was killed): `qnet undo ID` continues it */
  | 'partly-undone'
  | 'undone'
  /** set.json or the journal cannot be read or makes no sense: listed, never acted on; `qnet undo --forget ID` */
  | 'unreadable';

export interface SetInfo {
  record: SetRecord;
  events: JournalEvent[];
  state: SetState;
  /** Why the set is unreadable. */
  problem?: string;
  /** Fixes of the set rolled back on their own (indexes into record.fixes). */
  rolledBackFixes: number[];
}

export class ExecError extends Error {
  override name = 'ExecError';
}

/** The host changed since the plan was made: nothing is applied; re-plan. */
export class StaleError extends ExecError {
  override name = 'StaleError';
}

/** The apply was asked to stop (SIGINT, SIGTERM): what it did was rolled back. */
export class InterruptedError extends ExecError {
  override name = 'InterruptedError';
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const now = () => new Date().toISOString();
const RUN_TIMEOUT_MS = 120_000;

/** Test hook: die without any cleanup right after journaling step N begun or done (crash-safety tests). */
function crashHook(step: number, phase: 'begin' | 'done'): void {
  const want = process.env.QNET_TEST_CRASH_AT;
  if (want && want === `${phase}:${step}`) process.kill(process.pid, 'SIGKILL');
}

/** Appends one event and fsyncs it; a torn last line from an earlier crash is ended first so it stays alone. */
function appendEvent(setDir: string, ev: JournalEvent): void {
  const fd = openSync(join(setDir, 'journal.jsonl'), FS.O_RDWR | FS.O_APPEND | FS.O_CREAT | FS.O_NOFOLLOW, 0o600);
  try {
    let prefix = '';
    const size = fstatSync(fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    writeSync(fd, prefix + JSON.stringify(ev) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function lstatOrNull(path: string) {
  try {
    return await fs.lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

const sysctlPath = (key: string) => `/proc/sys/${key.replace(/\./g, '/')}`;

async function readSysctl(key: string): Promise<string | null> {
  try {
    return (await fs.readFile(sysctlPath(key), 'utf8')).trim();
  } catch {
    return null;
  }
}

/** What a file holds now, as a plan's `base` says it: sha256, 'absent', or 'unreadable'. */
export async function baseOf(path: string): Promise<string> {
  try {
    return sha(await fs.readFile(path));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : 'unreadable';
  }
}

/** Refuses a step whose file changed since the plan was computed (unless it already holds what the step wants). */
async function checkBase(a: Action): Promise<void> {
  if ((a.kind !== 'write-file' && a.kind !== 'remove-file') || a.base === undefined) return;
  const cur = await baseOf(a.path);
  if (cur === a.base) return;
  if (a.kind === 'write-file' && cur === sha(a.content)) return; // already as wanted: the step is "unchanged"
  if (a.kind === 'remove-file' && cur === 'absent') return;
  const was = a.base === 'absent' ? 'absent' : a.base === 'unreadable' ? 'unreadable' : 'read';
  throw new StaleError(
    `${a.path} ${cur === 'absent' ? 'was removed' : was === 'absent' ? 'was created' : 'changed'} since the plan was made${was === 'unreadable' ? ' (it could not be read then)' : ''}; nothing of this fix was kept: run qnet fix again to see the new plan`,
  );
}

/** Directories missing on the way to `dir`, innermost first. */
async function missingDirs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (let d = dir; d !== '/' && d !== '.' && !(await lstatOrNull(d)); d = dirname(d)) out.push(d);
  return out;
}

/** Keeps a copy of `path` in the set's backup directory. */
async function save(setDir: string, path: string, name: string): Promise<Saved> {
  const st = await fs.lstat(path);
  const backup = join('backup', name);
  writeFileAtomic(join(setDir, backup), await fs.readFile(path), { mode: 0o600 });
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, backup };
}

const run = (argv: readonly string[], timeoutMs = RUN_TIMEOUT_MS) => runChecked(argv, timeoutMs, showArgv);

/** Captures what undoing `a` needs, before it runs. */
async function undoFor(a: Action, setDir: string, step: number): Promise<Undo> {
  switch (a.kind) {
    case 'write-file': {
      const st = await lstatOrNull(a.path);
      const afterHash = sha(a.content);
      if (!st) return { kind: 'file', path: a.path, existed: false, afterHash, createdDirs: await missingDirs(dirname(a.path)) };
      if (!st.isFile()) throw new ExecError(`${a.path} exists and is not a regular file; refusing to replace it`);
      return { kind: 'file', path: a.path, existed: true, afterHash, ...(await save(setDir, a.path, String(step))) };
    }
    case 'mkdir':
      return { kind: 'dirs', path: a.path, createdDirs: await missingDirs(a.path) };
    case 'remove-file': {
      const st = await lstatOrNull(a.path);
      if (!st) return { kind: 'removed', path: a.path, existed: false };
      if (!st.isFile()) throw new ExecError(`${a.path} is not a regular file; refusing to remove it`);
      return { kind: 'removed', path: a.path, existed: true, ...(await save(setDir, a.path, String(step))) };
    }
    case 'chmod': {
      const st = await fs.stat(a.path);
      return { kind: 'mode', path: a.path, mode: st.mode & 0o7777 };
    }
    case 'chown':
    case 'chgrp': {
      const st = await fs.stat(a.path);
      return { kind: 'owner', path: a.path, uid: st.uid, gid: st.gid };
    }
    case 'mknod-char': {
      const existed = (await lstatOrNull(a.path)) !== null;
      return { kind: 'node', path: a.path, existed, ...(existed ? {} : { createdDirs: await missingDirs(dirname(a.path)) }) };
    }
    case 'sysctl':
      return { kind: 'sysctl', key: a.key, value: await readSysctl(a.key) };
    case 'run': {
      const files: Touched[] = [];
      for (const [i, path] of (a.touches ?? []).entries()) {
        const st = await lstatOrNull(path);
        if (!st) {
          files.push({ path, existed: false });
          continue;
        }
        if (!st.isFile()) throw new ExecError(`${path} is not a regular file; refusing to run ${a.argv[0]}, which rewrites it`);
        files.push({ path, existed: true, ...(await save(setDir, path, `${step}.${i}`)) });
      }
      return {
        kind: 'run',
        argv: a.argv,
        ...(a.inverse ? { inverse: a.inverse } : {}),
        ...(a.inverseUnless ? { inverseUnless: a.inverseUnless } : {}),
        ...(files.length ? { files } : {}),
        ...(a.refresh ? { refresh: true } : {}),
      };
    }
    case 'note':
      return { kind: 'none' };
  }
}

/** sha256 of each touched file now (null: absent). */
async function hashesOf(paths: readonly string[]): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const p of paths) out[p] = await fs.readFile(p).then(sha, () => null);
  return out;
}

async function mkdirs(dirs: string[], mode: number, uid?: number, gid?: number): Promise<void> {
  for (const d of [...dirs].reverse()) {
    await fs.mkdir(d, { mode });
    await fs.chmod(d, mode); // mkdir(2) applies the umask
    if (uid !== undefined) await fs.chown(d, uid, gid ?? uid);
  }
}

/** Performs one action; 'unchanged' when the system is already in the wanted state. */
async function perform(a: Action): Promise<Outcome> {
  await checkBase(a);
  switch (a.kind) {
    case 'write-file': {
      const st = await lstatOrNull(a.path);
      if (st?.isFile()) {
        const same = (await fs.readFile(a.path)).equals(Buffer.from(a.content));
        const sameMode = (st.mode & 0o7777) === a.mode;
        const sameOwner = a.uid === undefined || (st.uid === a.uid && st.gid === (a.gid ?? a.uid));
        if (same && sameMode && sameOwner) return 'unchanged';
      }
      await mkdirs(await missingDirs(dirname(a.path)), 0o755);
      writeFileAtomic(a.path, a.content, { mode: a.mode, ...(a.uid !== undefined ? { uid: a.uid, gid: a.gid ?? a.uid } : {}) });
      return 'applied';
    }
    case 'mkdir': {
      const st = await lstatOrNull(a.path);
      if (st) {
        if (!st.isDirectory()) throw new ExecError(`${a.path} exists and is not a directory`);
        return 'unchanged';
      }
      await mkdirs(await missingDirs(a.path), a.mode, a.uid, a.gid);
      return 'applied';
    }
    case 'remove-file': {
      const st = await lstatOrNull(a.path);
      if (!st) return 'unchanged';
      await fs.unlink(a.path);
      fsyncDir(dirname(a.path));
      return 'applied';
    }
    case 'chmod': {
      const st = await fs.stat(a.path);
      if ((st.mode & 0o7777) === a.mode) return 'unchanged';
      await fs.chmod(a.path, a.mode);
      return 'applied';
    }
    case 'chown': {
      const st = await fs.stat(a.path);
      if (st.uid === a.uid && st.gid === a.gid) return 'unchanged';
      await fs.chown(a.path, a.uid, a.gid);
      return 'applied';
    }
    case 'chgrp': {
      const gid = parseGroup(await fs.readFile('/etc/group', 'utf8')).find((g) => g.name === a.group)?.gid;
      if (gid === undefined) throw new ExecError(`group ${a.group} does not exist`);
      const st = await fs.stat(a.path);
      if (st.gid === gid) return 'unchanged';
      await fs.chown(a.path, st.uid, gid);
      return 'applied';
    }
    case 'mknod-char': {
      const st = await lstatOrNull(a.path);
      if (st) {
        if (st.isCharacterDevice()) return 'unchanged';
        throw new ExecError(`${a.path} exists and is not a character device`);
      }
      await mkdirs(await missingDirs(dirname(a.path)), 0o755);
      await run(['mknod', '-m', (a.mode & 0o7777).toString(8), a.path, 'c', String(a.major), String(a.minor)]);
      return 'applied';
    }
    case 'sysctl': {
      if ((await readSysctl(a.key)) === a.value) return 'unchanged';
      await fs.writeFile(sysctlPath(a.key), a.value);
      return 'applied';
    }
    case 'run':
      if (a.unless && (await probeHolds(a.unless))) return 'unchanged';
      await run(a.argv, a.timeoutMs);
      return 'applied';
    case 'note':
      return 'unchanged';
  }
}

export interface UndoConflict {
  path: string;
  why: string;
}

const begins = (info: SetInfo) => info.events.filter((e): e is Extract<JournalEvent, { event: 'begin' }> => e.event === 'begin');
const doneOf = (info: SetInfo, step: number) => info.events.find((e): e is Extract<JournalEvent, { event: 'done' }> => e.event === 'done' && e.step === step);
const isReverted = (info: SetInfo, step: number) => info.events.some((e) => e.event === 'reverted' && e.step === step);

/** Is a file still as the set left it? Undo of something changed since warns and asks. Steps already reverted are not looked at. */
export async function conflictsOf(info: SetInfo): Promise<UndoConflict[]> {
  const out: UndoConflict[] = [];
  for (const ev of begins(info)) {
    if (ev.undo.kind !== 'file' || isReverted(info, ev.step) || doneOf(info, ev.step)?.outcome !== 'applied') continue;
    try {
      const cur = await fs.readFile(ev.undo.path);
      if (sha(cur) !== ev.undo.afterHash) out.push({ path: ev.undo.path, why: 'changed since qnet wrote it' });
    } catch {
      out.push({ path: ev.undo.path, why: 'removed since qnet wrote it' });
    }
  }
  return out;
}

async function sameAsSaved(setDir: string, path: string, s: Saved): Promise<boolean> {
  const st = await lstatOrNull(path);
  if (!st?.isFile() || (st.mode & 0o7777) !== s.mode || st.uid !== s.uid || st.gid !== s.gid) return false;
  const [cur, old] = await Promise.all([fs.readFile(path), fs.readFile(join(setDir, s.backup))]);
  return cur.equals(old);
}

async function restore(setDir: string, path: string, s: Saved): Promise<Outcome> {
  if (await sameAsSaved(setDir, path, s)) return 'unchanged';
  writeFileAtomic(path, await fs.readFile(join(setDir, s.backup)), { mode: s.mode, uid: s.uid, gid: s.gid });
  return 'applied';
}

/** Removes the directories a step created, innermost first, each only if it is empty. */
async function removeDirs(dirs: readonly string[]): Promise<Outcome> {
  let outcome: Outcome = 'unchanged';
  for (const d of dirs) {
    try {
      await fs.rmdir(d);
      outcome = 'applied';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return outcome; // someone keeps something there: leave it and its parents
      throw err;
    }
  }
  return outcome;
}

/**
 * Puts one step back. Each revert first looks whether its work is already done
 * (the file already as it was, the user already out of the group) and then
 * changes nothing: 'unchanged'.
 * `ran`: the step finished ('done'); false when it was interrupted (it may or may not
 * have run) or failed (a command that failed is taken to have changed nothing).
 */
async function revert(setDir: string, u: Undo, ran: 'done' | 'unknown' | 'failed', after?: Record<string, string | null>): Promise<Outcome> {
  switch (u.kind) {
    case 'file':
      if (u.existed) return restore(setDir, u.path, u);
      {
        const st = await lstatOrNull(u.path);
        if (st) await fs.rm(u.path, { force: true });
        const dirs = await removeDirs(u.createdDirs);
        return st || dirs === 'applied' ? 'applied' : 'unchanged';
      }
    case 'dirs':
      return removeDirs(u.createdDirs);
    case 'removed':
      return u.existed ? restore(setDir, u.path, u) : 'unchanged';
    case 'mode': {
      const st = await lstatOrNull(u.path);
      if (!st || (st.mode & 0o7777) === u.mode) return 'unchanged';
      await fs.chmod(u.path, u.mode);
      return 'applied';
    }
    case 'owner': {
      const st = await lstatOrNull(u.path);
      if (!st || (st.uid === u.uid && st.gid === u.gid)) return 'unchanged';
      await fs.chown(u.path, u.uid, u.gid);
      return 'applied';
    }
    case 'node': {
      if (u.existed) return 'unchanged';
      const st = await lstatOrNull(u.path);
      if (st) await fs.rm(u.path, { force: true });
      const dirs = await removeDirs(u.createdDirs ?? []);
      return st || dirs === 'applied' ? 'applied' : 'unchanged';
    }
    case 'sysctl':
      if (u.value === null || (await readSysctl(u.key)) === u.value) return 'unchanged';
      await fs.writeFile(sysctlPath(u.key), u.value);
      return 'applied';
    case 'run': {
      let outcome: Outcome = 'unchanged';
      // Touched files still exactly as the step left them are restored after the inverse;
      // one changed since (by someone else) is left to the inverse alone.
      const current = await hashesOf((u.files ?? []).map((f) => f.path));
      const restorable = (u.files ?? []).filter((f) => after && f.path in after && after[f.path] === current[f.path]);
      if (u.inverse && ran !== 'failed') {
        if (u.inverseUnless && (await probeHolds(u.inverseUnless))) {
          // Already undone (by hand, or by the tool itself): nothing to run.
        } else {
          try {
            await run(u.inverse);
            outcome = 'applied';
          } catch (err) {
            // An interrupted step may not have run at all: its inverse may then fail harmlessly.
            if (ran === 'done') throw err;
          }
        }
      }
      for (const f of restorable) {
        if (f.existed) {
          if ((await restore(setDir, f.path, f)) === 'applied') outcome = 'applied';
        } else if ((await lstatOrNull(f.path)) !== null) {
          await fs.rm(f.path, { force: true });
          outcome = 'applied';
        }
      }
      return outcome;
    }
    case 'none':
      return 'unchanged';
  }
}

const ID_RE = /^[\w.-]+$/;

function validRecord(x: unknown, id: string): x is SetRecord {
  const r = x as SetRecord;
  return (
    typeof r === 'object' && r !== null && r.id === id && Array.isArray(r.fixes) && Array.isArray(r.actions) &&
    r.fixes.every((f) => typeof f?.checkId === 'string' && typeof f.planId === 'string' && Number.isInteger(f.firstStep) && Number.isInteger(f.steps)) &&
    r.actions.every((a) => typeof a?.kind === 'string')
  );
}

const EVENTS = new Set(['begin', 'done', 'failed', 'complete', 'reverted', 'fix-rolled-back', 'rolled-back', 'undo-begin', 'undo-stopped', 'undone']);

/** Reads journal lines; a line that does not parse is a write torn by a crash (the event never happened). */
function parseEvents(body: string): { events: JournalEvent[]; bad: string | undefined } {
  const events: JournalEvent[] = [];
  for (const line of body.split('\n')) {
    if (!line.trim()) continue;
    let ev: JournalEvent;
    try {
      ev = JSON.parse(line) as JournalEvent;
    } catch {
      continue;
    }
    if (typeof ev !== 'object' || ev === null || !EVENTS.has((ev as { event: string }).event)) return { events, bad: 'an event qnet does not know' };
    if ('step' in ev && !Number.isInteger(ev.step)) return { events, bad: 'an event without a step number' };
    if (ev.event === 'begin' && (typeof ev.undo !== 'object' || ev.undo === null || typeof ev.undo.kind !== 'string')) return { events, bad: 'a step without its undo record' };
    events.push(ev);
  }
  return { events, bad: undefined };
}

/** Steps are begun in order, each at most once, and a complete set has all of them done. */
function consistency(record: SetRecord, events: JournalEvent[]): string | undefined {
  const begun = events.filter((e) => e.event === 'begin').map((e) => (e as { step: number }).step);
  if (begun.some((s, i) => s !== i)) return 'its steps are not journaled in order (lines are missing)';
  if (begun.length > record.actions.length) return 'it journals more steps than set.json lists';
  for (const e of events) {
    if ((e.event === 'done' || e.event === 'failed' || e.event === 'reverted') && e.step >= begun.length) return `step ${e.step + 1} is ${e.event} but was never begun`;
  }
  if (events.some((e) => e.event === 'complete')) {
    if (begun.length !== record.actions.length || begun.some((s) => !events.some((e) => e.event === 'done' && e.step === s))) return 'it says complete, but not every step is done';
  }
  return undefined;
}

function stateOf(record: SetRecord, events: JournalEvent[]): { state: SetState; rolledBackFixes: number[] } {
  const rolledBackFixes = [...new Set(events.filter((e) => e.event === 'fix-rolled-back').map((e) => (e as { fix: number }).fix))];
  const has = (name: JournalEvent['event']) => events.some((e) => e.event === name);
  if (has('undone')) return { state: 'undone', rolledBackFixes };
  if (has('rolled-back')) return { state: 'rolled-back', rolledBackFixes };
  if (!has('complete')) return { state: isAlive(record.by?.pid, record.by?.start) ? 'in-progress' : 'interrupted', rolledBackFixes };
  const undo = [...events].reverse().find((e) => e.event === 'undo-begin' || e.event === 'undo-stopped');
  if (undo) return { state: undo.event === 'undo-begin' && isAlive(undo.pid, undo.start) ? 'undoing' : 'partly-undone', rolledBackFixes };
  return { state: 'applied', rolledBackFixes };
}

export class Journal {
  private lockHandle: StateLock | undefined;

  constructor(readonly dir = stateDir()) {}

  private setsDir() {
    return join(this.dir, 'sets');
  }

  private setDir(id: string) {
    return join(this.setsDir(), id);
  }

  /**
   * Takes the state directory's lock for this Journal until unlock(); throws LockBusyError
   * (naming the holder) or StateDirError. Every changing method takes it by itself when
   * the caller has not.
   */
  lock(command = `qnet ${process.argv.slice(2).join(' ')}`.trim()): StateLock {
    if (!this.lockHandle?.held) this.lockHandle = StateLock.acquire(this.dir, command);
    return this.lockHandle;
  }

  unlock(): void {
    this.lockHandle?.release();
    this.lockHandle = undefined;
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    if (this.lockHandle?.held) return fn();
    this.lock();
    try {
      return await fn();
    } finally {
      this.unlock();
    }
  }

  /** Every set, damaged ones included (state 'unreadable'), oldest first. Reads only. */
  async list(): Promise<SetInfo[]> {
    let ids: string[];
    try {
      ids = (await fs.readdir(this.setsDir())).sort();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return [];
      if (code === 'ENOTDIR') throw new StateDirError(`${process.env.QNET_STATE_DIR ? `QNET_STATE_DIR ${this.dir}` : this.dir} is not a directory`);
      throw new StateDirError(`cannot read the fix sets in ${this.dir}: ${errnoText(err)}`);
    }
    const out: SetInfo[] = [];
    for (const id of ids) {
      if (!ID_RE.test(id)) continue; // not a set qnet made (an editor's leftover)
      out.push(await this.read(id));
    }
    // Oldest first; IDs name the second only, so sets made within one second go by createdAt.
    return out.sort((a, b) => (a.record.createdAt && b.record.createdAt && a.record.createdAt !== b.record.createdAt ? (a.record.createdAt < b.record.createdAt ? -1 : 1) : a.record.id < b.record.id ? -1 : 1));
  }

  /** One set; a damaged one comes back as 'unreadable' with the problem, never as an error. */
  async read(id: string): Promise<SetInfo> {
    if (!ID_RE.test(id)) throw new ExecError(`no fix set "${id}"`);
    const setDir = this.setDir(id);
    const st = await lstatOrNull(setDir).catch(() => null);
    if (!st) throw new ExecError(`no fix set "${id}"`);
    const unreadable = (problem: string, record?: SetRecord, events: JournalEvent[] = []): SetInfo => ({
      record: record ?? { id, createdAt: '', fixes: [], actions: [] },
      events,
      state: 'unreadable',
      problem,
      rolledBackFixes: [],
    });
    if (!st.isDirectory()) return unreadable('not a fix set directory');
    // The journal first: even when set.json is damaged, its events say what the set did.
    let body = '';
    let journalProblem: string | undefined;
    try {
      body = await fs.readFile(join(setDir, 'journal.jsonl'), 'utf8');
    } catch (err) {
      // No journal: the apply died before its first step; nothing was changed.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') journalProblem = `journal.jsonl cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
    }
    const { events, bad } = parseEvents(body);
    let raw: string;
    try {
      raw = await fs.readFile(join(setDir, 'set.json'), 'utf8');
    } catch (err) {
      return unreadable(`set.json cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, undefined, events);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return unreadable(raw.trim() ? 'set.json is truncated or not JSON' : 'set.json is empty', undefined, events);
    }
    if (!validRecord(parsed, id)) return unreadable('set.json is not a fix set record', undefined, events);
    const record = parsed;
    if (journalProblem) return unreadable(journalProblem, record);
    if (bad) return unreadable(`journal.jsonl holds ${bad}`, record, events);
    const broken = consistency(record, events);
    if (broken) return unreadable(`journal.jsonl is damaged: ${broken}`, record, events);
    return { record, events, ...stateOf(record, events) };
  }

  /**
   * Applies plans in order, under the lock. On any failure (or when `shouldStop` says so
   * between steps) rolls back what this run did and rethrows. Before the first step it
   * checks that every file a plan rewrites is still as the plan saw it (StaleError).
   */
  async apply(
    fixes: { checkId: string; plan: FixPlan }[],
    onStep?: (step: number, action: Action, phase: 'start' | 'applied' | 'unchanged') => void,
    opts: { shouldStop?: () => boolean } = {},
  ): Promise<SetInfo> {
    return this.locked(async () => {
      await this.recover();
      const actions = fixes.flatMap((f) => f.plan.actions);
      for (const a of actions) await checkBase(a);
      const id = `${now().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(3).toString('hex')}`;
      const setDir = this.setDir(id);
      await fs.mkdir(join(setDir, 'backup'), { recursive: true, mode: 0o700 });
      const record: SetRecord = { id, createdAt: now(), fixes: [], actions: [], by: self(`qnet ${process.argv.slice(2).join(' ')}`.trim()) };
      for (const f of fixes) {
        record.fixes.push({ checkId: f.checkId, planId: f.plan.id, title: f.plan.title, firstStep: record.actions.length, steps: f.plan.actions.length });
        record.actions.push(...f.plan.actions);
      }
      writeFileAtomic(join(setDir, 'set.json'), JSON.stringify(record, null, 1), { mode: 0o600 });
      try {
        for (let step = 0; step < record.actions.length; step++) {
          if (opts.shouldStop?.()) throw new InterruptedError('interrupted');
          const a = record.actions[step]!;
          onStep?.(step, a, 'start');
          const undo = await undoFor(a, setDir, step);
          appendEvent(setDir, { event: 'begin', step, undo, at: now() });
          crashHook(step, 'begin');
          let outcome: Outcome;
          try {
            outcome = await perform(a);
          } catch (err) {
            appendEvent(setDir, { event: 'failed', step, at: now(), error: (err as Error).message });
            throw err;
          }
          const after = a.kind === 'run' && a.touches?.length ? { after: await hashesOf(a.touches) } : {};
          appendEvent(setDir, { event: 'done', step, outcome, at: now(), ...after });
          crashHook(step, 'done');
          onStep?.(step, a, outcome);
        }
        if (opts.shouldStop?.()) throw new InterruptedError('interrupted');
        appendEvent(setDir, { event: 'complete', at: now() });
      } catch (err) {
        await this.rollbackUnlocked(id, err instanceof InterruptedError ? 'interrupted' : `apply failed: ${(err as Error).message}`);
        throw err;
      }
      return this.read(id);
    });
  }

  /**
   * Reverts the given steps of a set (all begun ones by default), newest first, each
   * journaled as it is put back; steps already put back are skipped, so a revert that
   * stopped half-way continues. Reloads (refresh steps) run once at the end.
   */
  private async revertSteps(info: SetInfo, only?: Set<number>): Promise<void> {
    const setDir = this.setDir(info.record.id);
    const errors: string[] = [];
    const refresh: { step: number; argv: string[] }[] = [];
    for (const ev of begins(info).reverse()) {
      if (only && !only.has(ev.step)) continue;
      if (isReverted(info, ev.step)) continue;
      const done = doneOf(info, ev.step);
      if (done?.outcome === 'unchanged') continue; // it changed nothing: nothing to put back
      const failed = info.events.some((e) => e.event === 'failed' && e.step === ev.step);
      if (ev.undo.kind === 'run' && ev.undo.refresh && ev.undo.argv) {
        refresh.push({ step: ev.step, argv: ev.undo.argv });
        continue;
      }
      try {
        const outcome = await revert(setDir, ev.undo, done ? 'done' : failed ? 'failed' : 'unknown', done?.after);
        appendEvent(setDir, { event: 'reverted', step: ev.step, outcome, at: now() });
      } catch (err) {
        errors.push(`step ${ev.step + 1}: ${(err as Error).message}`);
      }
    }
    const ranRefresh = new Set<string>();
    for (const r of refresh) {
      const key = JSON.stringify(r.argv);
      try {
        if (!ranRefresh.has(key)) await run(r.argv);
        ranRefresh.add(key);
        appendEvent(setDir, { event: 'reverted', step: r.step, outcome: 'applied', at: now() });
      } catch (err) {
        errors.push(`step ${r.step + 1}: ${(err as Error).message}`);
      }
    }
    if (errors.length) throw new ExecError(`could not revert everything: ${errors.join('; ')}`);
  }

  private async rollbackUnlocked(id: string, reason: string): Promise<void> {
    const info = await this.read(id);
    if (info.state === 'unreadable') throw new ExecError(`fix set ${id} cannot be rolled back: ${info.problem}`);
    await this.revertSteps(info);
    appendEvent(this.setDir(id), { event: 'rolled-back', at: now(), reason });
  }

  /** Rolls a whole set back (what an apply did), under the lock. */
  async rollback(id: string, reason: string): Promise<void> {
    return this.locked(() => this.rollbackUnlocked(id, reason));
  }

  /**
   * Rolls back some fixes of an applied set (those that did not verify), newest first, and
   * keeps the others. When none is left, the whole set is rolled back.
   */
  async rollbackFixes(id: string, fixIndexes: number[], reason: string): Promise<SetInfo> {
    return this.locked(async () => {
      const info = await this.read(id);
      if (info.state !== 'applied') throw new ExecError(`fix set ${id} is ${info.state}`);
      const steps = new Set<number>();
      for (const i of fixIndexes) {
        const f = info.record.fixes[i];
        if (f) for (let s = f.firstStep; s < f.firstStep + f.steps; s++) steps.add(s);
      }
      await this.revertSteps(info, steps);
      for (const i of [...fixIndexes].sort((a, b) => b - a)) appendEvent(this.setDir(id), { event: 'fix-rolled-back', fix: i, at: now(), reason });
      const left = info.record.fixes.filter((_f, i) => !fixIndexes.includes(i) && !info.rolledBackFixes.includes(i));
      if (!left.length) appendEvent(this.setDir(id), { event: 'rolled-back', at: now(), reason });
      return this.read(id);
    });
  }

  /**
   * Rolls back every set an earlier run left half-applied (its process gone). Only a
   * command that holds the lock does this: fix and undo. Returns the ids rolled back.
   */
  async recover(): Promise<string[]> {
    return this.locked(async () => {
      const done: string[] = [];
      for (const info of await this.list()) {
        // Under the lock no other qnet is applying: whatever never completed was interrupted.
        if (info.state !== 'interrupted' && info.state !== 'in-progress') continue;
        await this.rollbackUnlocked(info.record.id, 'interrupted apply found on start');
        done.push(info.record.id);
      }
      return done;
    });
  }

  /** Undoes an applied (or partly undone) set, the newest by default, under the lock. */
  async undo(id?: string): Promise<SetInfo> {
    return this.locked(async () => {
      await this.recover();
      const info = id ? await this.read(id) : [...(await this.list())].reverse().find((s) => s.state === 'applied' || s.state === 'partly-undone');
      if (!info) throw new ExecError('nothing to undo: no applied fix set');
      if (info.state === 'unreadable') throw new ExecError(`fix set ${info.record.id} cannot be undone: ${info.problem}; \`qnet undo --forget ${info.record.id}\` drops it after showing what it held`);
      if (info.state !== 'applied' && info.state !== 'partly-undone' && info.state !== 'undoing') {
        throw new ExecError(`fix set ${info.record.id} is ${info.state}; only an applied set can be undone`);
      }
      const me = self('');
      appendEvent(this.setDir(info.record.id), { event: 'undo-begin', at: now(), pid: me.pid, ...(me.start ? { start: me.start } : {}) });
      try {
        await this.revertSteps(await this.read(info.record.id));
      } catch (err) {
        appendEvent(this.setDir(info.record.id), { event: 'undo-stopped', at: now(), error: (err as Error).message });
        throw new ExecError(
          `${(err as Error).message}. The steps put back so far are journaled: fix the cause and run \`qnet undo ${info.record.id}\` again to continue, or \`qnet undo --forget ${info.record.id}\` to drop the set and keep the host as it is`,
        );
      }
      appendEvent(this.setDir(info.record.id), { event: 'undone', at: now() });
      return this.read(info.record.id);
    });
  }

  /** Files in a set's directory with their sizes (what --forget shows of a set it cannot read). */
  async contents(id: string): Promise<{ path: string; size: number }[]> {
    if (!ID_RE.test(id)) throw new ExecError(`no fix set "${id}"`);
    const out: { path: string; size: number }[] = [];
    const walk = async (rel: string): Promise<void> => {
      const abs = join(this.setDir(id), rel);
      for (const name of (await fs.readdir(abs).catch(() => [] as string[])).sort()) {
        const st = await lstatOrNull(join(abs, name)).catch(() => null);
        if (st?.isDirectory()) await walk(join(rel, name));
        else out.push({ path: join(rel, name), size: st?.size ?? 0 });
      }
    };
    await walk('');
    return out;
  }

  /** Drops a set's journal (under the lock), leaving the host as it is. */
  async forget(id: string): Promise<void> {
    return this.locked(async () => {
      const info = await this.read(id);
      if (info.state === 'in-progress' || info.state === 'undoing') throw new ExecError(`fix set ${id} is ${info.state} by a running qnet`);
      await fs.rm(this.setDir(id), { recursive: true, force: true });
      fsyncDir(this.setsDir());
    });
  }
}
