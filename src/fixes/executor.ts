// The fix executor: applies fix plans, journaling each step before it runs so
// that an interrupted apply (even SIGKILL) is rolled back by the next run, and
// an applied set can be undone byte for byte.
//
// Layout under the state directory (default /var/lib/qnet, root-only 0700):
//   sets/<id>/set.json        what was asked: fixes and their flattened actions
//   sets/<id>/journal.jsonl   one JSON line per event, fsynced before acting
//   sets/<id>/backup/<step>   a file's previous content
// A step is journaled `begin` with everything needed to undo it, then done,
// then journaled `done`. A set without `complete` (nor `rolled-back`/`undone`)
// was interrupted.
import { createHash, randomBytes } from 'node:crypto';
import { constants as FS, promises as fs, closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runArgv } from '../host/live.js';
import type { Action, FixPlan } from '../types.js';
import { parseGroup } from '../facts/users.js';

export const DEFAULT_STATE_DIR = '/var/lib/qnet';

export function stateDir(): string {
  return process.env.QNET_STATE_DIR || DEFAULT_STATE_DIR;
}

export type Undo =
  | { kind: 'file'; path: string; existed: false; afterHash: string; createdDirs: string[] }
  | { kind: 'file'; path: string; existed: true; mode: number; uid: number; gid: number; backup: string; afterHash: string }
  | { kind: 'mode'; path: string; mode: number }
  | { kind: 'owner'; path: string; uid: number; gid: number }
  | { kind: 'node'; path: string; existed: boolean }
  | { kind: 'sysctl'; key: string; value: string | null }
  | { kind: 'run'; inverse?: string[]; files?: Touched[] }
  | { kind: 'none' };

/** A file a run step rewrites, as it was before the step. */
export type Touched =
  | { path: string; existed: false }
  | { path: string; existed: true; mode: number; uid: number; gid: number; backup: string };

export type JournalEvent =
  | { event: 'begin'; step: number; undo: Undo; at: string }
  | { event: 'done'; step: number; outcome: 'applied' | 'unchanged'; at: string; /** touched files right after the step: sha256, or null when absent */ after?: Record<string, string | null> }
  | { event: 'complete'; at: string }
  | { event: 'rolled-back'; at: string; reason: string }
  | { event: 'undone'; at: string };

export interface SetRecord {
  id: string;
  createdAt: string;
  fixes: { checkId: string; planId: string; title: string; firstStep: number; steps: number }[];
  actions: Action[];
}

export type SetState = 'applied' | 'interrupted' | 'rolled-back' | 'undone';

export interface SetInfo {
  record: SetRecord;
  events: JournalEvent[];
  state: SetState;
}

export class ExecError extends Error {}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const now = () => new Date().toISOString();

/** Test hook: die without any cleanup right after journaling step N done (crash-safety tests). */
function crashHook(step: number, phase: 'begin' | 'done'): void {
  const want = process.env.QNET_TEST_CRASH_AT;
  if (want && want === `${phase}:${step}`) process.kill(process.pid, 'SIGKILL');
}

function fsyncDir(path: string): void {
  try {
    const fd = openSync(path, FS.O_RDONLY | FS.O_DIRECTORY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* some filesystems refuse; the rename is still atomic */
  }
}

/** Atomic replace: temp file in the same directory, fsync, chmod/chown, rename, fsync the directory. */
export async function writeFileAtomic(path: string, data: Buffer | string, mode: number, uid?: number, gid?: number): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${path.split('/').pop()}.qnet-${process.pid}-${randomBytes(4).toString('hex')}`);
  const fd = openSync(tmp, FS.O_WRONLY | FS.O_CREAT | FS.O_EXCL, 0o600);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    await fs.chmod(tmp, mode & 0o7777);
    if (uid !== undefined) await fs.chown(tmp, uid, gid ?? uid);
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  fsyncDir(dir);
}

async function appendEvent(setDir: string, ev: JournalEvent): Promise<void> {
  const fd = openSync(join(setDir, 'journal.jsonl'), FS.O_WRONLY | FS.O_APPEND | FS.O_CREAT, 0o600);
  try {
    writeSync(fd, JSON.stringify(ev) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function statOrNull(path: string) {
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

async function run(argv: string[]): Promise<void> {
  const r = await runArgv(argv, 30_000);
  if (!r.ok) throw new ExecError(`${argv[0]}: ${r.code === 'ENOENT' ? 'not installed' : r.message}`);
  if (r.value.timedOut) throw new ExecError(`${argv.join(' ')}: timed out`);
  if (r.value.exitCode !== 0) throw new ExecError(`${argv.join(' ')} exited ${r.value.exitCode}: ${r.value.stderr.trim().split('\n')[0] ?? ''}`);
}

/** Captures what undoing `a` needs, before it runs. */
async function undoFor(a: Action, setDir: string, step: number): Promise<Undo> {
  switch (a.kind) {
    case 'write-file': {
      const st = await statOrNull(a.path);
      const afterHash = sha(a.content);
      if (!st) {
        // Directories the write will create, outermost last, so undo can remove them again.
        const createdDirs: string[] = [];
        for (let d = dirname(a.path); d !== '/' && !(await statOrNull(d)); d = dirname(d)) createdDirs.push(d);
        return { kind: 'file', path: a.path, existed: false, afterHash, createdDirs };
      }
      if (!st.isFile()) throw new ExecError(`${a.path} exists and is not a regular file; refusing to replace it`);
      const backup = join('backup', String(step));
      await writeFileAtomic(join(setDir, backup), await fs.readFile(a.path), 0o600);
      return { kind: 'file', path: a.path, existed: true, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, backup, afterHash };
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
    case 'mknod-char':
      return { kind: 'node', path: a.path, existed: (await statOrNull(a.path)) !== null };
    case 'sysctl':
      return { kind: 'sysctl', key: a.key, value: await readSysctl(a.key) };
    case 'run': {
      const files: Touched[] = [];
      for (const [i, path] of (a.touches ?? []).entries()) {
        const st = await statOrNull(path);
        if (!st) {
          files.push({ path, existed: false });
          continue;
        }
        if (!st.isFile()) throw new ExecError(`${path} is not a regular file; refusing to run ${a.argv[0]}, which rewrites it`);
        const backup = join('backup', `${step}.${i}`);
        await writeFileAtomic(join(setDir, backup), await fs.readFile(path), 0o600);
        files.push({ path, existed: true, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, backup });
      }
      return { kind: 'run', ...(a.inverse ? { inverse: a.inverse } : {}), ...(files.length ? { files } : {}) };
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

/** Performs one action; 'unchanged' when the system is already in the wanted state. */
async function perform(a: Action): Promise<'applied' | 'unchanged'> {
  switch (a.kind) {
    case 'write-file': {
      const st = await statOrNull(a.path);
      if (st?.isFile()) {
        const same = (await fs.readFile(a.path)).equals(Buffer.from(a.content));
        const sameMode = (st.mode & 0o7777) === a.mode;
        const sameOwner = a.uid === undefined || (st.uid === a.uid && st.gid === (a.gid ?? a.uid));
        if (same && sameMode && sameOwner) return 'unchanged';
      }
      await fs.mkdir(dirname(a.path), { recursive: true, mode: 0o755 });
      await writeFileAtomic(a.path, a.content, a.mode, a.uid, a.gid);
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
      const st = await statOrNull(a.path);
      if (st) {
        if (st.isCharacterDevice()) return 'unchanged';
        throw new ExecError(`${a.path} exists and is not a character device`);
      }
      await fs.mkdir(dirname(a.path), { recursive: true, mode: 0o755 });
      await run(['mknod', '-m', (a.mode & 0o7777).toString(8), a.path, 'c', String(a.major), String(a.minor)]);
      return 'applied';
    }
    case 'sysctl': {
      if ((await readSysctl(a.key)) === a.value) return 'unchanged';
      await fs.writeFile(sysctlPath(a.key), a.value);
      return 'applied';
    }
    case 'run':
      if (a.unless) {
        const probe = await runArgv(a.unless, 10_000);
        if (probe.ok && probe.value.exitCode === 0) return 'unchanged';
      }
      await run(a.argv);
      return 'applied';
    case 'note':
      return 'unchanged';
  }
}

export interface UndoConflict {
  path: string;
  why: string;
}

/** Is a file still as the set left it? Undo of something changed since warns and asks. */
export async function conflictsOf(info: SetInfo): Promise<UndoConflict[]> {
  const out: UndoConflict[] = [];
  for (const ev of info.events) {
    if (ev.event !== 'begin' || ev.undo.kind !== 'file') continue;
    const done = info.events.some((e) => e.event === 'done' && e.step === ev.step && e.outcome === 'applied');
    if (!done) continue;
    try {
      const cur = await fs.readFile(ev.undo.path);
      if (sha(cur) !== ev.undo.afterHash) out.push({ path: ev.undo.path, why: 'changed since qnet wrote it' });
    } catch {
      out.push({ path: ev.undo.path, why: 'removed since qnet wrote it' });
    }
  }
  return out;
}

async function revert(setDir: string, u: Undo, wasApplied: boolean, after?: Record<string, string | null>): Promise<void> {
  switch (u.kind) {
    case 'file':
      if (u.existed) {
        const data = await fs.readFile(join(setDir, u.backup));
        await writeFileAtomic(u.path, data, u.mode, u.uid, u.gid);
      } else {
        await fs.rm(u.path, { force: true });
        for (const d of u.createdDirs) await fs.rmdir(d).catch(() => undefined); // only if empty
      }
      return;
    case 'mode':
      await fs.chmod(u.path, u.mode).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
      return;
    case 'owner':
      await fs.chown(u.path, u.uid, u.gid).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
      return;
    case 'node':
      if (!u.existed) await fs.rm(u.path, { force: true });
      return;
    case 'sysctl':
      if (u.value !== null && (await readSysctl(u.key)) !== u.value) await fs.writeFile(sysctlPath(u.key), u.value);
      return;
    case 'run':
      // A step interrupted between begin and done may or may not have run: inverses are
      // written to be harmless when there is nothing to undo, and their failure then is ignored.
      {
        // Touched files still exactly as the step left them are restored after the inverse;
        // one changed since (by someone else) is left to the inverse alone.
        const current = await hashesOf((u.files ?? []).map((f) => f.path));
        const restorable = (u.files ?? []).filter((f) => after && f.path in after && after[f.path] === current[f.path]);
        if (u.inverse) {
          try {
            await run(u.inverse);
          } catch (err) {
            if (wasApplied) throw err;
          }
        }
        for (const f of restorable) {
          if (f.existed) await writeFileAtomic(f.path, await fs.readFile(join(setDir, f.backup)), f.mode, f.uid, f.gid);
          else await fs.rm(f.path, { force: true });
        }
      }
      return;
    case 'none':
      return;
  }
}

export class Journal {
  constructor(readonly dir = stateDir()) {}

  private setsDir() {
    return join(this.dir, 'sets');
  }

  async ensure(): Promise<void> {
    await fs.mkdir(this.setsDir(), { recursive: true, mode: 0o700 });
    await fs.chmod(this.dir, 0o700).catch(() => undefined);
  }

  async list(): Promise<SetInfo[]> {
    let ids: string[];
    try {
      ids = (await fs.readdir(this.setsDir())).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: SetInfo[] = [];
    for (const id of ids) {
      const info = await this.read(id).catch(() => undefined);
      if (info) out.push(info);
    }
    return out;
  }

  async read(id: string): Promise<SetInfo> {
    if (!/^[\w.-]+$/.test(id)) throw new ExecError(`no fix set "${id}"`);
    const setDir = join(this.setsDir(), id);
    let record: SetRecord;
    try {
      record = JSON.parse(await fs.readFile(join(setDir, 'set.json'), 'utf8')) as SetRecord;
    } catch {
      throw new ExecError(`no fix set "${id}"`);
    }
    const body = await fs.readFile(join(setDir, 'journal.jsonl'), 'utf8').catch(() => '');
    const events: JournalEvent[] = [];
    for (const line of body.split('\n')) {
      if (!line.trim()) continue;
      try {
        events.push(JSON.parse(line) as JournalEvent);
      } catch {
        // A torn last line from a crash mid-write: the event did not happen.
      }
    }
    const last = [...events].reverse().find((e) => e.event === 'complete' || e.event === 'rolled-back' || e.event === 'undone');
    const state: SetState = !last ? 'interrupted' : last.event === 'complete' ? 'applied' : last.event === 'undone' ? 'undone' : 'rolled-back';
    return { record, events, state };
  }

  /** Applies plans in order. On any failure, rolls back what this run did and rethrows. */
  async apply(
    fixes: { checkId: string; plan: FixPlan }[],
    onStep?: (step: number, action: Action, phase: 'start' | 'applied' | 'unchanged') => void,
  ): Promise<SetInfo> {
    await this.ensure();
    await this.recover();
    const id = `${now().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(3).toString('hex')}`;
    const setDir = join(this.setsDir(), id);
    await fs.mkdir(join(setDir, 'backup'), { recursive: true, mode: 0o700 });
    const record: SetRecord = { id, createdAt: now(), fixes: [], actions: [] };
    for (const f of fixes) {
      record.fixes.push({ checkId: f.checkId, planId: f.plan.id, title: f.plan.title, firstStep: record.actions.length, steps: f.plan.actions.length });
      record.actions.push(...f.plan.actions);
    }
    await writeFileAtomic(join(setDir, 'set.json'), JSON.stringify(record, null, 1), 0o600);
    try {
      for (let step = 0; step < record.actions.length; step++) {
        const a = record.actions[step]!;
        onStep?.(step, a, 'start');
        const undo = await undoFor(a, setDir, step);
        await appendEvent(setDir, { event: 'begin', step, undo, at: now() });
        crashHook(step, 'begin');
        const outcome = await perform(a);
        const after = a.kind === 'run' && a.touches?.length ? { after: await hashesOf(a.touches) } : {};
        await appendEvent(setDir, { event: 'done', step, outcome, at: now(), ...after });
        crashHook(step, 'done');
        onStep?.(step, a, outcome);
      }
      await appendEvent(setDir, { event: 'complete', at: now() });
    } catch (err) {
      await this.rollback(id, `apply failed: ${(err as Error).message}`);
      throw err;
    }
    return this.read(id);
  }

  /** Reverts every begun step of a set, newest first. */
  private async revertSet(info: SetInfo): Promise<void> {
    const setDir = join(this.setsDir(), info.record.id);
    const begun = info.events.filter((e): e is Extract<JournalEvent, { event: 'begin' }> => e.event === 'begin');
    const errors: string[] = [];
    for (const ev of begun.reverse()) {
      const done = info.events.find((e): e is Extract<JournalEvent, { event: 'done' }> => e.event === 'done' && e.step === ev.step);
      if (done?.outcome === 'unchanged') continue;
      try {
        await revert(setDir, ev.undo, done?.outcome === 'applied', done?.after);
      } catch (err) {
        errors.push(`step ${ev.step + 1}: ${(err as Error).message}`);
      }
    }
    if (errors.length) throw new ExecError(`could not revert everything: ${errors.join('; ')}`);
  }

  async rollback(id: string, reason: string): Promise<void> {
    const info = await this.read(id);
    await this.revertSet(info);
    await appendEvent(join(this.setsDir(), id), { event: 'rolled-back', at: now(), reason });
  }

  /** Rolls back any interrupted set. Returns the ids it rolled back. */
  async recover(): Promise<string[]> {
    const done: string[] = [];
    for (const info of await this.list()) {
      if (info.state !== 'interrupted') continue;
      await this.rollback(info.record.id, 'interrupted apply found on start');
      done.push(info.record.id);
    }
    return done;
  }

  /** Undoes an applied set (the newest by default). */
  async undo(id?: string): Promise<SetInfo> {
    await this.recover();
    const sets = await this.list();
    const info = id ? await this.read(id) : [...sets].reverse().find((s) => s.state === 'applied');
    if (!info) throw new ExecError('nothing to undo: no applied fix set');
    if (info.state !== 'applied') throw new ExecError(`fix set ${info.record.id} is ${info.state}; only an applied set can be undone`);
    await this.revertSet(info);
    await appendEvent(join(this.setsDir(), info.record.id), { event: 'undone', at: now() });
    return this.read(info.record.id);
  }
}
