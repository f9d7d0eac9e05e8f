// Every check's own table of cases (`export function cases()` in checks/ID.ts), replayed
// through the real snapshot replay path: each case must give its status and summary
// (and, where it says, its details, evidence and fix plans).
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CheckCase } from '../src/check-cases.js';
import type { Check, Result } from '../src/types.js';
import { fakeHost, runCheck } from './helpers/fake-host.js';

const DIR = new URL('../checks/', import.meta.url);
const files = readdirSync(DIR).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'ids.ts').sort();

/** A string the text must contain, or a RegExp it must match. */
function expectText(text: string, want: RegExp | string, what: string): void {
  if (typeof want === 'string') expect(text, what).toContain(want);
  else expect(text, what).toMatch(want);
}

function expectCase(r: Result, c: CheckCase): void {
  expect(r.status, r.summary).toBe(c.status);
  expectText(r.summary, c.summary, 'summary');
  if (c.details !== undefined) expectText((r.details ?? []).join('\n'), c.details, 'details');
  if (c.evidence !== undefined) expectText(r.evidence.map((e) => `${e.source} → ${e.observed}`).join('\n'), c.evidence, 'evidence');
  if (c.fixes) expect(r.fixes.map((f) => f.id), 'fix plans').toEqual(c.fixes);
}

for (const f of files) {
  const mod = (await import(new URL(f, DIR).href)) as { default: Check; cases?: () => CheckCase[] };
  if (!mod.cases) continue;
  const cases = mod.cases();
  describe(`${mod.default.id}: its table of cases`, () => {
    it('has a passing and a failing case, each named once', () => {
      expect(cases.some((c) => c.status === 'pass')).toBe(true);
      expect(cases.some((c) => c.status === 'fail' || c.status === 'warn')).toBe(true);
      const names = cases.map((c) => c.name);
      expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    });
    for (const c of cases) {
      it(`${c.status}: ${c.name}`, async () => {
        const r = await runCheck(mod.default, fakeHost(c.host), { user: c.user, guest: c.guest, strict: c.snapshot });
        expectCase(r, c);
      });
    }
  });
}
