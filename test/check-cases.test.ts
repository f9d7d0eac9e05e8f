// Every check's own table of cases (`export const cases` in checks/ID.ts), replayed
// through the real snapshot replay path: each case must give its status and summary.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CheckCase } from '../src/check-cases.js';
import type { Check } from '../src/types.js';
import { fakeHost, runCheck } from './helpers/fake-host.js';

const DIR = new URL('../checks/', import.meta.url);
const files = readdirSync(DIR).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'ids.ts').sort();

for (const f of files) {
  const mod = (await import(new URL(f, DIR).href)) as { default: Check; cases?: () => CheckCase[] };
  if (!mod.cases) continue;
  const cases = mod.cases();
  describe(`${mod.default.id}: its table of cases`, () => {
    it('has a passing and a failing case', () => {
      expect(cases.some((c) => c.status === 'pass')).toBe(true);
      expect(cases.some((c) => c.status === 'fail' || c.status === 'warn')).toBe(true);
    });
    for (const c of cases) {
      it(`${c.status}: ${c.name}`, async () => {
        const r = await runCheck(mod.default, fakeHost(c.host), { user: c.user, guest: c.guest });
        expect(r.status, r.summary).toBe(c.status);
        if (typeof c.summary === 'string') expect(r.summary).toContain(c.summary);
        else expect(r.summary).toMatch(c.summary);
      });
    }
  });
}
