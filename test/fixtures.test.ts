// Table tests over host records captured from real broken hosts
// (fixtures/real, recorded by the real-kernel suite with
// QNET_RECORD_FIXTURES=1): replaying each gives what the live run gave.
// Runs anywhere: no root, no namespaces.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_CHECKS } from '../checks/index.js';
import { createContext } from '../src/session.js';
import { runChecks } from '../src/engine.js';
import { SnapshotHost } from '../src/host/record.js';
import { parseSnapshot } from '../src/host/snapshot-file.js';
import type { Result } from '../src/types.js';

const DIR = new URL('../fixtures/real/', import.meta.url);
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const strip = ({ durationMs: _d, ...r }: Result) => r;

describe('recorded real hosts replay to their recorded verdicts', () => {
  it('has fixtures', () => expect(files.length).toBeGreaterThan(20));
  for (const f of files) {
    it(f, async () => {
      const snap = parseSnapshot(readFileSync(new URL(f, DIR), 'utf8'), f);
      const recorded = (snap.results ?? []) as Result[];
      expect(recorded.length).toBeGreaterThan(0);
      const user = snap.options?.user ?? (snap.host.user as string | undefined);
      const ctx = await createContext({ host: new SnapshotHost(snap.reads), invoker: snap.invoker, user, source: 'snapshot', guest: snap.options?.guest });
      // Checks added after the recording have no reads in it; compare the ones it recorded.
      const checks = ALL_CHECKS.filter((c) => recorded.some((r) => r.id === c.id));
      const replayed = await runChecks(ctx, checks);
      expect(replayed.map(strip)).toEqual(recorded.filter((r) => checks.some((c) => c.id === r.id)).map(strip));
    });
  }
});
