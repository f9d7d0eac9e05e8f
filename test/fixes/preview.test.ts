// Previews are what people copy into a shell: the quoting must give back
// exactly the argument, for any string.
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellQuote, showArgv } from '../../src/fixes/preview.js';

describe('shellQuote', () => {
  it('round-trips any argument through a real POSIX shell', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', minLength: 0, maxLength: 20 }).filter((s) => !s.includes('\0')), { minLength: 1, maxLength: 30 }), (args) => {
        const script = `printf '%s\\0' ${args.map(shellQuote).join(' ')}`;
        const out = execFileSync('sh', ['-c', script]).toString('utf8');
        expect(out.split('\0').slice(0, -1)).toEqual(args.map((a) => Buffer.from(a, 'utf8').toString('utf8')));
      }),
      { numRuns: 60 },
    );
  });
  it('quotes hostile interface names so they stay one word', () => {
    expect(showArgv(['ip', 'link', 'set', 'a;b', 'up'])).toBe("ip link set 'a;b' up");
    expect(showArgv(['ip', 'link', 'set', '$(id)'])).toBe("ip link set '$(id)'");
    expect(showArgv(['x', "it's"])).toBe("x 'it'\\''s'");
    expect(showArgv(['-x'])).toBe('-x');
  });
});
