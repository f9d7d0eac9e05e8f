// The one way qnet writes a file: a temporary file beside the target, created
// exclusively (O_CREAT|O_EXCL|O_NOFOLLOW) under an unpredictable name, written,
// given its mode and owner through its descriptor, fsynced, renamed over the
// target, and the directory fsynced. Nothing is ever opened through a symlink
// someone planted: not the temporary (O_EXCL refuses any existing name, a
// dangling symlink included) and not the target (rename replaces a symlink
// itself, never what it points to). Used for fix-applied files, journal
// backups, snapshots and reports alike.
import { closeSync, constants as FS, fchmodSync, fchownSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface WriteOptions {
  /** Permission bits of the result (default 0600). */
  mode?: number;
  uid?: number;
  gid?: number;
}

/** fsync a directory so that a rename in it survives a crash; some file systems refuse, which is harmless. */
export function fsyncDir(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, FS.O_RDONLY | FS.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    /* the rename is atomic all the same */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Creates a fresh temporary file next to `path`; returns its name and an open descriptor. */
function createTemp(path: string): { tmp: string; fd: number } {
  const dir = dirname(path);
  for (let attempt = 0; ; attempt++) {
    // crypto is loaded only when a file is written (the doctor writes none).
    const tmp = join(dir, `.${basename(path)}.qnet-${process.getBuiltinModule('node:crypto').randomBytes(12).toString('hex')}.tmp`);
    try {
      return { tmp, fd: openSync(tmp, FS.O_WRONLY | FS.O_CREAT | FS.O_EXCL | FS.O_NOFOLLOW, 0o600) };
    } catch (err) {
      // A name taken (by chance, or by someone guessing): draw another.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 8) throw err;
    }
  }
}

/** Atomically replaces `path` with `data`. Throws the underlying error (with its code) on failure. */
export function writeFileAtomic(path: string, data: Buffer | string, opts: WriteOptions = {}): void {
  const { tmp, fd } = createTemp(path);
  let renamed = false;
  try {
    try {
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
      // Through the descriptor: the name could have been swapped since it was created.
      if (opts.uid !== undefined) fchownSync(fd, opts.uid, opts.gid ?? opts.uid);
      fchmodSync(fd, (opts.mode ?? 0o600) & 0o7777);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    renamed = true;
  } finally {
    if (!renamed) {
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
    }
  }
  fsyncDir(dirname(path));
}
