// Reads a snapshot file, or the snapshot a qnet report carries (the saved file,
// or its text copied back from a tracker), with one-line errors.
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { decodeEmbedded, hasEmbedded } from './snapshot-embed.js';
import { parseSnapshot, type SnapshotFile } from './snapshot-file.js';

export function readSnapshotFile(path: string): SnapshotFile {
  let body: string;
  try {
    body = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read snapshot ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // A qnet report (the saved file, or its text copied back from a tracker) carries the snapshot of its host.
  if (!body.trimStart().startsWith('{')) {
    if (hasEmbedded(body)) return parseSnapshot(decodeEmbedded(body, path), `the snapshot in ${path}`);
    if (/^#+ qnet \S+ report\s*$/m.test(body)) {
      throw new UsageError(`${path} is a qnet report without a snapshot (it did not fit in the report); ask for the file qnet snapshot -o FILE writes`);
    }
  }
  return parseSnapshot(body, path);
}

