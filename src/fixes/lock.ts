// One lock on the state directory: whoever changes the host (qnet fix, qnet
// undo, anything that applies through the executor) holds it from before it
// looks at the journal until it is done. Read-only commands never take it.
//
// The lock is the kernel's: flock(2) on <state>/lock, taken by flock(1) on a
// descriptor this process keeps open, so it is released when the process ends
// however it ends (even SIGKILL), and no stale lock can outlive its holder. The
// file also says who holds it (pid, process start time, command, since when):
// when the lock is free but the file still names someone, that process died
// without releasing it, and the new holder says it took over.
import { spawnSync } from 'node:child_process';
import { closeSync, constants as FS, fstatSync, fsyncSync, ftruncateSync, lstatSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

export interface Holder {
  pid: number;
  /** Start time of the process (clock ticks since boot, /proc/PID/stat field 22): tells a reused pid apart. */
  start?: string;
  command: string;
  since: string;
}

/** The state directory is unusable (a file, read-only, not root's): one line, exit 2. */
export class StateDirError extends UsageError {
  override name = 'StateDirError';
}

/** Another qnet holds the lock: one line naming it, exit 2. */
export class LockBusyError extends UsageError {
  override name = 'LockBusyError';
  constructor(
    message: string,
    readonly holder?: Holder,
  ) {
    super(message);
  }
}

const CODES: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a path component is not a directory',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ELOOP: 'too many levels of symbolic links',
  EIO: 'input/output error',
};

/** "read-only file system (EROFS)" for an error with a code. */
export function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ? `${CODES[e.code] ?? e.message.replace(/^\w+: /, '').replace(/, \w+ '.*$/, '')} (${e.code})` : String((err as Error)?.message ?? err);
}

/** Start time of a process, or undefined when it does not exist. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Is this the same, still running process? A reused pid has another start time. */
export function isAlive(pid: number | undefined, start?: string): boolean {
  if (!pid || pid < 1) return false;
  const now = processStart(pid);
  if (now === undefined) return false;
  return start === undefined || now === start;
}

/** What this process is, for the lock and the journal. */
export function self(command: string): Holder {
  return { pid: process.pid, start: processStart(process.pid), command, since: new Date().toISOString() };
}

/** Creates the state directory (0700) if needed and checks it can hold qnet's journal; throws StateDirError. */
const named = (dir: string) => (process.env.QNET_STATE_DIR ? `QNET_STATE_DIR ${dir}` : `the state directory ${dir}`);

export function ensureStateDir(dir: string): void {
  const name = named(dir);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new StateDirError(`${name} is not a directory`);
    throw new StateDirError(`cannot create ${name}: ${errnoText(err)}`);
  }
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    throw new StateDirError(`cannot use ${name}: ${errnoText(err)}`);
  }
  if (!st.isDirectory()) throw new StateDirError(`${name} is not a directory`);
  const euid = process.geteuid?.() ?? 0;
  // The journal tells root which commands to run on undo: only its owner may write there.
  if (st.uid !== euid) throw new StateDirError(`${name} belongs to uid ${st.uid}, not to uid ${euid} that runs qnet; refusing to keep the journal there`);
  if (st.mode & 0o022) throw new StateDirError(`${name} is writable by others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); refusing to keep the journal there (chmod 0700 it)`);
  for (const sub of ['sets']) {
    try {
      mkdirSync(join(dir, sub), { mode: 0o700 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        if (!lstatSync(join(dir, sub)).isDirectory()) throw new StateDirError(`${join(dir, sub)} is not a directory`);
        continue;
      }
      throw new StateDirError(`cannot write ${name}: ${errnoText(err)}`);
    }
  }
}

function readHolder(fd: number): Holder | undefined {
  try {
    const size = fstatSync(fd).size;
    if (!size || size > 64 * 1024) return undefined;
    const buf = Buffer.alloc(size);
    readSync(fd, buf, 0, size, 0);
    const h = JSON.parse(buf.toString('utf8')) as Partial<Holder>;
    if (typeof h.pid !== 'number' || typeof h.command !== 'string' || typeof h.since !== 'string') return undefined;
    return { pid: h.pid, command: h.command, since: h.since, ...(typeof h.start === 'string' ? { start: h.start } : {}) };
  } catch {
    return undefined;
  }
}

/** "pid 1234 (qnet fix --yes), since 2026-01-01T10:00:00Z" */
export const holderText = (h: Holder) => `pid ${h.pid} (${h.command.replace(/[\x00-\x1f\x7f]/g, '?')}), since ${h.since}`;

/** Locks this process holds, by lock path: a second Journal in the same process shares the first one's. */
const heldHere = new Map<string, { fd: number; count: number }>();

export class StateLock {
  private constructor(
    private fd: number | undefined,
    readonly path: string,
    /** The holder whose lock this one took over (it ended without releasing it). */
    readonly tookOverFrom: Holder | undefined,
  ) {}

  /**
   * Takes the lock of state directory `dir` for `command`, or throws: LockBusyError naming
   * the holder, StateDirError when the directory cannot hold it.
   */
  static acquire(dir: string, command: string): StateLock {
    ensureStateDir(dir);
    const path = join(dir, 'lock');
    const mine = heldHere.get(path);
    if (mine) {
      mine.count++;
      return new StateLock(mine.fd, path, undefined);
    }
    let fd: number;
    try {
      fd = openSync(path, FS.O_RDWR | FS.O_CREAT | FS.O_NOFOLLOW, 0o600);
    } catch (err) {
      throw new StateDirError(`cannot write ${named(dir)}: ${errnoText(err)}`);
    }
    try {
      if (!fstatSync(fd).isFile()) throw new StateDirError(`the lock ${path} is not a regular file`);
      // flock(1) locks the descriptor it inherits as fd 3: the same open file as ours, so
      // the lock stays with this process after flock exits, and goes when it ends.
      const r = spawnSync('flock', ['--nonblock', '--exclusive', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd], timeout: 10_000 });
      if (r.error) {
        const code = (r.error as NodeJS.ErrnoException).code;
        throw new StateDirError(code === 'ENOENT' ? 'cannot lock the state directory: flock(1) is not installed (package util-linux)' : `cannot lock ${path}: ${errnoText(r.error)}`);
      }
      if (r.status === 1) {
        // Held. The holder writes its name right after locking: give it a moment.
        let holder = readHolder(fd);
        for (let i = 0; !holder && i < 20; i++) {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
          holder = readHolder(fd);
        }
        throw new LockBusyError(
          `another qnet is changing this host: ${holder ? holderText(holder) : 'a process that has not said who it is'}; run this again when it has finished`,
          holder,
        );
      }
      if (r.status !== 0) throw new StateDirError(`cannot lock ${path}: flock exited ${r.status}: ${String(r.stderr).trim().split('\n')[0] ?? ''}`);
      const previous = readHolder(fd);
      const me = self(command);
      const body = Buffer.from(JSON.stringify(me) + '\n');
      ftruncateSync(fd, 0);
      writeSync(fd, body, 0, body.length, 0);
      fsyncSync(fd);
      heldHere.set(path, { fd, count: 1 });
      // A name left in the file: its process ended without releasing the lock.
      return new StateLock(fd, path, previous && !(previous.pid === me.pid && previous.start === me.start) ? previous : undefined);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  get held(): boolean {
    return this.fd !== undefined;
  }

  /** Clears the holder's name and releases the lock (closing the last descriptor releases the flock). */
  release(): void {
    if (this.fd === undefined) return;
    const mine = heldHere.get(this.path);
    if (mine && --mine.count > 0) {
      this.fd = undefined;
      return;
    }
    heldHere.delete(this.path);
    try {
      ftruncateSync(this.fd, 0);
    } catch {
      /* the lock goes with the descriptor all the same */
    }
    closeSync(this.fd);
    this.fd = undefined;
  }
}
