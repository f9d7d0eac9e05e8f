// Previews are what people copy into a shell: the quoting must give back
// exactly the argument, for any string.
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellQuote, showArgv } from '../../src/fixes/preview.js';

// Control characters (C0, DEL, C1, bidi and zero-width format characters).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/;

function roundTrip(shell: string, args: string[]): void {
  const script = `printf '%s\\0' ${args.map(shellQuote).join(' ')}`;
  const out = execFileSync(shell, ['-c', script]).toString('utf8');
  expect(out.split('\0').slice(0, -1)).toEqual(args.map((a) => Buffer.from(a, 'utf8').toString('utf8')));
}

describe('shellQuote', () => {
  it('round-trips any argument, control characters included, through a real shell (bash)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', minLength: 0, maxLength: 20 }).filter((s) => !s.includes('\0')), { minLength: 1, maxLength: 30 }), (args) => {
        roundTrip('bash', args);
        // What is shown holds no raw control character: a terminal shows it as it is.
        expect(args.map(shellQuote).join(' ')).not.toMatch(UNSAFE);
      }),
      { numRuns: 60 },
    );
  });
  it('round-trips any argument without control characters through POSIX sh (dash) too', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', minLength: 0, maxLength: 20 }).filter((s) => !s.includes('\0') && !UNSAFE.test(s)), { minLength: 1, maxLength: 30 }), (args) => {
        roundTrip('sh', args);
      }),
      { numRuns: 60 },
    );
  });
  it('writes control characters as visible $\'…\' escapes', () => {
    expect(shellQuote('br\x1b[2J0')).toBe("$'br\\x1b[2J0'");
    expect(shellQuote("a'b\\\tc")).toBe("$'a\\'b\\\\\\x09c'");
  });
  it('quotes hostile interface names so they stay one word', () => {
    expect(showArgv(['ip', 'link', 'set', 'a;b', 'up'])).toBe("ip link set 'a;b' up");
    expect(showArgv(['ip', 'link', 'set', '$(id)'])).toBe("ip link set '$(id)'");
    expect(showArgv(['x', "it's"])).toBe("x 'it'\\''s'");
    expect(showArgv(['-x'])).toBe('-x');
  });
});
