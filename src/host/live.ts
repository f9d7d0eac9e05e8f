// Live host access: node:fs for files and a small argv-only process runner.
// The runner is node:child_process rather than execa on purpose: `doctor --json`
// runs it on its hot path and execa's import costs more than the reads it does
// (see README, "Start-up"). No shell is ever involved.
import { spawn } from 'node:child_process';
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFile as readFileCb, readlinkSync, readSync, statSync } from 'node:fs';
import type { ExecResult, Host, Read, StatInfo } from './host.js';

const MAX_FILE = 8 * 1024 * 1024;
const MAX_OUTPUT = 64 * 1024 * 1024;
export const EXEC_TIMEOUT_MS = 4000;

function fail<T>(err: unknown): Read<T> {
  const e = err as NodeJS.ErrnoException;
  return { ok: false, code: e?.code ?? 'EIO', message: e?.message ?? String(err) };
}

function toStat(s: import('node:fs').BigIntStats | import('node:fs').Stats): StatInfo {
  const rdev = Number(s.rdev);
  // Linux encodes dev_t as major (bits 8-19, 32-43) and minor (bits 0-7, 20-31).
  const major = ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  const minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xff);
  return { mode: Number(s.mode), uid: Number(s.uid), gid: Number(s.gid), size: Number(s.size), rdevMajor: major, rdevMinor: minor };
}

/** PATH for the programs qnet reads with: sbin directories are often missing for normal users. */
function runPath(): string {
  const base = (process.env.PATH ?? '').split(':').filter(Boolean);
  for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (!base.includes(d)) base.push(d);
  }
  return base.join(':');
}

/** Another process's /proc entries (not /proc/self): reading them can block while that process is stuck. */
const PROC_PID = /^\/proc\/\d+\//;
/** Never wait on a FIFO's writer nor take a terminal as the controlling one. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

const notRegular = (path: string): Read<Buffer> => ({ ok: false, code: 'EINVAL', message: `${path} is not a regular file` });
const tooBig = (path: string): Read<Buffer> => ({ ok: false, code: 'EFBIG', message: `${path} is larger than ${MAX_FILE} bytes` });

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* nothing to do */
  }
}

/** The callback form: a third of the main-thread work of a FileHandle's reads. */
function readFileAsync(path: string): Promise<Read<Buffer>> {
  return new Promise((resolve) => {
    readFileCb(path, (err, data) => {
      if (err) resolve(fail(err));
      else if (data.length > MAX_FILE) resolve(tooBig(path));
      else resolve({ ok: true, value: data });
    });
  });
}

export class LiveHost implements Host {
  constructor(private readonly timeoutMs = EXEC_TIMEOUT_MS) {}

  // Reads are synchronous on purpose: the doctor makes a few hundred small reads of
  // /proc, /sys and /etc, and each asynchronous one costs several thread-pool round
  // trips; synchronously they take microseconds. Two guards keep a read from hanging
  // the run: files are opened O_NONBLOCK and anything that is not a regular file
  // (a FIFO or a device planted where a config file should be) is refused, and
  // another process's /proc/PID files, which can block while that process is stuck
  // in the kernel, are read asynchronously so the check's timeout still applies.
  async readFile(path: string): Promise<Read<Buffer>> {
    if (PROC_PID.test(path)) return readFileAsync(path);
    let fd: number | undefined;
    try {
      fd = openSync(path, READ_FLAGS);
      if (!fstatSync(fd).isFile()) return notRegular(path);
      // /proc and /sys files report size 0: read in chunks up to a cap.
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const buf = Buffer.allocUnsafe(total ? 64 * 1024 : 16 * 1024);
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        chunks.push(buf.subarray(0, n));
        total += n;
        if (total > MAX_FILE) return tooBig(path);
      }
      return { ok: true, value: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) };
    } catch (err) {
      return fail(err);
    } finally {
      if (fd !== undefined) closeQuietly(fd);
    }
  }

  async readRange(path: string, offset: number, length: number): Promise<Read<Buffer>> {
    let fd: number | undefined;
    try {
      fd = openSync(path, READ_FLAGS);
      if (!fstatSync(fd).isFile()) return notRegular(path);
      const buf = Buffer.alloc(Math.min(length, MAX_FILE));
      const n = readSync(fd, buf, 0, buf.length, offset);
      return { ok: true, value: buf.subarray(0, n) };
    } catch (err) {
      return fail(err);
    } finally {
      if (fd !== undefined) closeQuietly(fd);
    }
  }

  async stat(path: string): Promise<Read<StatInfo>> {
    try {
      return { ok: true, value: toStat(statSync(path)) };
    } catch (err) {
      return fail(err);
    }
  }

  async lstat(path: string): Promise<Read<StatInfo>> {
    try {
      return { ok: true, value: toStat(lstatSync(path)) };
    } catch (err) {
      return fail(err);
    }
  }

  async readdir(path: string): Promise<Read<string[]>> {
    try {
      return { ok: true, value: readdirSync(path).sort() };
    } catch (err) {
      return fail(err);
    }
  }

  async readlink(path: string): Promise<Read<string>> {
    try {
      return { ok: true, value: readlinkSync(path) };
    } catch (err) {
      return fail(err);
    }
  }

  exec(argv: readonly string[]): Promise<Read<ExecResult>> {
    return runArgv(argv, this.timeoutMs);
  }
}

export function runArgv(argv: readonly string[], timeoutMs: number): Promise<Read<ExecResult>> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    if (!file) {
      resolve({ ok: false, code: 'EINVAL', message: 'empty argv' });
      return;
    }
    let child;
    try {
      child = spawn(file, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PATH: runPath(), LC_ALL: 'C', LANG: 'C' },
        shell: false,
      });
    } catch (err) {
      resolve(fail(err));
      return;
    }
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    let settled = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const collect = (into: Buffer[]) => (b: Buffer) => {
      size += b.length;
      if (size > MAX_OUTPUT) child.kill('SIGKILL');
      else into.push(b);
    };
    child.stdout!.on('data', collect(out));
    child.stderr!.on('data', collect(errOut));
    child.on('error', (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(fail(err));
    });
    child.on('close', (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        ok: true,
        value: {
          exitCode: code,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(errOut).toString('utf8'),
          timedOut,
        },
      });
    });
  });
}
