// Recorded real-kernel scenarios: fixtures/<check>/<scenario>.json, each the
// snapshot of one scenario with the reads of its check alone.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES_DIR = new URL('../../fixtures/', import.meta.url).pathname;

/** Every recorded fixture: its check (the directory), scenario name and path. */
export function allFixtures(): { check: string; scenario: string; path: string }[] {
  if (!existsSync(FIXTURES_DIR)) return [];
  return readdirSync(FIXTURES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(join(FIXTURES_DIR, d.name))
        .filter((f) => f.endsWith('.json'))
        .map((f) => ({ check: d.name, scenario: f.slice(0, -5), path: join(FIXTURES_DIR, d.name, f) })),
    )
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** The path of a scenario's fixture, whichever check recorded it. */
export function fixturePath(scenario: string): string {
  const hit = allFixtures().find((f) => f.scenario === scenario);
  if (!hit) throw new Error(`no recorded fixture named ${scenario} under fixtures/`);
  return hit.path;
}
