// The host-access interface: every read a check makes of the system goes
// through here, so it can be served live, recorded, or replayed from a snapshot.

export type Read<T> =
  | { ok: true; value: T }
  | { ok: false; code: string; message: string };

import { NotCaptured } from '../errors.js';

/** Error code for a read that a snapshot does not hold. */
export const NOT_CAPTURED = 'NOTCAPTURED';

/**
 * The read, unless the snapshot did not capture it: then the check cannot judge,
 * and NotCaptured (which the engine turns into skip) is thrown.
 */
export function captured<T>(r: Read<T>, what: string): Read<T> {
  if (!r.ok && r.code === NOT_CAPTURED) throw new NotCaptured(what);
  return r;
}

export interface StatInfo {
  /** Full st_mode (type and permission bits). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** For device nodes: major and minor of st_rdev. */
  rdevMajor: number;
  rdevMinor: number;
}

export interface ExecResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface Host {
  readFile(path: string): Promise<Read<Buffer>>;
  stat(path: string): Promise<Read<StatInfo>>;
  lstat(path: string): Promise<Read<StatInfo>>;
  readdir(path: string): Promise<Read<string[]>>;
  readlink(path: string): Promise<Read<string>>;
  /** Up to `length` bytes of a file from `offset` (fewer at its end): for headers of large binaries. */
  readRange(path: string, offset: number, length: number): Promise<Read<Buffer>>;
  /** Runs a program by argv (never a shell). A missing program is code ENOENT. */
  exec(argv: readonly string[]): Promise<Read<ExecResult>>;
}

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFCHR = 0o020000;
export const S_IFLNK = 0o120000;
export const S_ISUID = 0o4000;

export const isDir = (s: StatInfo) => (s.mode & S_IFMT) === S_IFDIR;
export const isFile = (s: StatInfo) => (s.mode & S_IFMT) === S_IFREG;
export const isChar = (s: StatInfo) => (s.mode & S_IFMT) === S_IFCHR;
export const isSymlink = (s: StatInfo) => (s.mode & S_IFMT) === S_IFLNK;

/** `ls -l` style mode string: crw-rw-rw-, -rwsr-xr-x, ... */
export function modeString(mode: number): string {
  const t = mode & S_IFMT;
  const type =
    t === S_IFDIR ? 'd' : t === S_IFCHR ? 'c' : t === S_IFLNK ? 'l' : t === 0o060000 ? 'b'
      : t === 0o010000 ? 'p' : t === 0o140000 ? 's' : '-';
  const rwx = (bits: number, special: boolean, sChar: string) => {
    const r = bits & 4 ? 'r' : '-';
    const w = bits & 2 ? 'w' : '-';
    const x = bits & 1;
    const last = special ? (x ? sChar : sChar.toUpperCase()) : x ? 'x' : '-';
    return r + w + last;
  };
  return (
    type +
    rwx((mode >> 6) & 7, (mode & 0o4000) !== 0, 's') +
    rwx((mode >> 3) & 7, (mode & 0o2000) !== 0, 's') +
    rwx(mode & 7, (mode & 0o1000) !== 0, 't')
  );
}

export function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Text of a successful read, or undefined. */
export function text(r: Read<Buffer>): string | undefined {
  return r.ok ? r.value.toString('utf8') : undefined;
}

export function describeError(r: { code: string; message: string }): string {
  if (r.code === NOT_CAPTURED) return 'not captured in the snapshot';
  return r.code;
}
