// Table tests over host records captured from real broken hosts: each fixture
// (fixtures/<check>/<scenario>.json, recorded by the real-kernel suite with
// QNET_RECORD_FIXTURES=1, holding only that check's reads) replays to the result
// the live run gave. Runs anywhere: no root, no namespaces.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_CHECKS } from '../checks/index.js';
import { runChecks } from '../src/engine.js';
import { SnapshotHost } from '../src/host/record.js';
import { parseSnapshot } from '../src/host/snapshot-file.js';
import { createContext } from '../src/session.js';
import type { Result } from '../src/types.js';
import { allFixtures } from './helpers/fixtures.js';

const fixtures = allFixtures();
const strip = ({ durationMs: _d, ...r }: Result) => r;

describe('recorded real hosts replay to their recorded verdicts', () => {
  it('has fixtures', () => expect(fixtures.length).toBeGreaterThan(20));
  for (const f of fixtures) {
    it(`${f.check}/${f.scenario}`, async () => {
      const snap = parseSnapshot(readFileSync(f.path, 'utf8'), f.scenario);
      const recorded = (snap.results ?? []) as Result[];
      // A fixture holds its own check's result, recorded with --only.
      expect(recorded.map((r) => r.id)).toEqual([f.check]);
      expect(snap.options?.only).toEqual([f.check]);
      const user = snap.options?.user ?? (snap.host.user as string | undefined);
      const ctx = await createContext({ host: new SnapshotHost(snap.reads), invoker: snap.invoker, user, source: 'snapshot', guest: snap.options?.guest });
      const replayed = await runChecks(ctx, ALL_CHECKS.filter((c) => c.id === f.check));
      expect(replayed.map(strip)).toEqual(recorded.map(strip));
    });
  }
});
