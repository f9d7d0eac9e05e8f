// A caching, recording wrapper around any Host, and the snapshot replay Host.
//
// Every read is keyed by what was asked ("file /etc/passwd", "exec [\"ip\",...]").
// The live run goes through CachingHost, so a file several checks read is read
// once; `qnet snapshot` serialises that cache. SnapshotHost answers from a
// recorded cache and says NOTCAPTURED for anything the record does not hold.
import type { ExecResult, Host, Read, StatInfo } from './host.js';
import { NOT_CAPTURED } from './host.js';

export type ReadKind = 'file' | 'range' | 'stat' | 'lstat' | 'readdir' | 'readlink' | 'exec';

export type ReadRecord =
  | { ok: false; code: string; message: string }
  | { ok: true; text: string }
  | { ok: true; base64: string }
  /** A /proc/PID/cmdline: its NUL-terminated arguments, readable (the bytes are each argument followed by NUL). */
  | { ok: true; argv: string[] }
  | { ok: true; stat: StatInfo }
  | { ok: true; entries: string[] }
  | { ok: true; target: string }
  | { ok: true; exec: ExecResult };

/** How a byte range is named in a snapshot key: `range PATH@OFFSET+LENGTH`. */
const rangeWhat = (path: string, offset: number, length: number) => `${path}@${offset}+${length}`;

export function readKey(kind: ReadKind, what: string | readonly string[]): string {
  return kind === 'exec' ? `exec ${JSON.stringify(what)}` : `${kind} ${what as string}`;
}

function isUtf8(buf: Buffer): boolean {
  // A round trip that changes nothing means the bytes were valid UTF-8 text.
  return Buffer.from(buf.toString('utf8'), 'utf8').equals(buf) && !buf.includes(0);
}

/** A process's command line, by path. */
export const isCmdlinePath = (path: string) => /^\/proc\/(\d+|self)\/cmdline$/.test(path);

/** The bytes of a cmdline record: each argument followed by NUL. */
export const argvBytes = (argv: readonly string[]) => Buffer.from(argv.map((a) => `${a}\0`).join(''), 'utf8');

/** The arguments of a command line, when they give back exactly these bytes. */
export function argvOf(buf: Buffer): string[] | undefined {
  if (buf.length && buf[buf.length - 1] !== 0) return undefined;
  const argv = buf.toString('utf8').split('\0').slice(0, -1);
  return argvBytes(argv).equals(buf) ? argv : undefined;
}

function toRecord(kind: ReadKind, what: string | readonly string[], r: Read<unknown>): ReadRecord {
  if (!r.ok) return { ok: false, code: r.code, message: r.message };
  switch (kind) {
    case 'file':
    case 'range': {
      const buf = r.value as Buffer;
      // A command line is NUL-separated: kept as its arguments, so a person can read (and review) it.
      const argv = isCmdlinePath(what as string) ? argvOf(buf) : undefined;
      if (argv) return { ok: true, argv };
      return isUtf8(buf) ? { ok: true, text: buf.toString('utf8') } : { ok: true, base64: buf.toString('base64') };
    }
    case 'stat':
    case 'lstat':
      return { ok: true, stat: r.value as StatInfo };
    case 'readdir':
      return { ok: true, entries: r.value as string[] };
    case 'readlink':
      return { ok: true, target: r.value as string };
    case 'exec':
      return { ok: true, exec: r.value as ExecResult };
  }
}

function fromRecord<T>(rec: ReadRecord): Read<T> {
  if (!rec.ok) return { ok: false, code: rec.code, message: rec.message };
  if ('text' in rec) return { ok: true, value: Buffer.from(rec.text, 'utf8') as T };
  if ('base64' in rec) return { ok: true, value: Buffer.from(rec.base64, 'base64') as T };
  if ('argv' in rec) return { ok: true, value: argvBytes(rec.argv) as T };
  if ('stat' in rec) return { ok: true, value: rec.stat as T };
  if ('entries' in rec) return { ok: true, value: [...rec.entries] as T };
  if ('target' in rec) return { ok: true, value: rec.target as T };
  return { ok: true, value: rec.exec as T };
}

export class CachingHost implements Host {
  private readonly cache = new Map<string, { kind: ReadKind; what: string | readonly string[]; promise: Promise<Read<unknown>> }>();

  constructor(private readonly inner: Host) {}

  private memo<T>(kind: ReadKind, what: string | readonly string[], run: () => Promise<Read<T>>): Promise<Read<T>> {
    const key = readKey(kind, what);
    let hit = this.cache.get(key);
    if (!hit) {
      hit = { kind, what, promise: run() };
      this.cache.set(key, hit);
    }
    return hit.promise as Promise<Read<T>>;
  }

  readFile(path: string) { return this.memo('file', path, () => this.inner.readFile(path)); }
  stat(path: string) { return this.memo('stat', path, () => this.inner.stat(path)); }
  lstat(path: string) { return this.memo('lstat', path, () => this.inner.lstat(path)); }
  readdir(path: string) { return this.memo('readdir', path, () => this.inner.readdir(path)); }
  readlink(path: string) { return this.memo('readlink', path, () => this.inner.readlink(path)); }
  readRange(path: string, offset: number, length: number) {
    return this.memo('range', rangeWhat(path, offset, length), () => this.inner.readRange(path, offset, length));
  }
  exec(argv: readonly string[]) { return this.memo('exec', argv, () => this.inner.exec(argv)); }

  /** Everything read so far, as snapshot records, keys sorted. */
  async records(): Promise<Record<string, ReadRecord>> {
    const out: Record<string, ReadRecord> = {};
    for (const key of [...this.cache.keys()].sort()) {
      const { kind, what, promise } = this.cache.get(key)!;
      out[key] = toRecord(kind, what, await promise);
    }
    return out;
  }
}

export class SnapshotHost implements Host {
  constructor(private readonly reads: Record<string, ReadRecord>) {}

  private get<T>(kind: ReadKind, what: string | readonly string[]): Promise<Read<T>> {
    const key = readKey(kind, what);
    const rec = Object.prototype.hasOwnProperty.call(this.reads, key) ? this.reads[key] : undefined;
    if (!rec) return Promise.resolve({ ok: false, code: NOT_CAPTURED, message: `${key}: not captured in the snapshot` });
    return Promise.resolve(fromRecord<T>(rec));
  }

  readFile(path: string) { return this.get<Buffer>('file', path); }
  stat(path: string) { return this.get<StatInfo>('stat', path); }
  lstat(path: string) { return this.get<StatInfo>('lstat', path); }
  readdir(path: string) { return this.get<string[]>('readdir', path); }
  readlink(path: string) { return this.get<string>('readlink', path); }
  /** A recorded range, or the slice of a recorded whole file. */
  async readRange(path: string, offset: number, length: number): Promise<Read<Buffer>> {
    const r = await this.get<Buffer>('range', rangeWhat(path, offset, length));
    if (r.ok) return r;
    const whole = await this.readFile(path);
    return whole.ok ? { ok: true, value: whole.value.subarray(offset, offset + length) } : r;
  }
  exec(argv: readonly string[]) { return this.get<ExecResult>('exec', argv); }
}
