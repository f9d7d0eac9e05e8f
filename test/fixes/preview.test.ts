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

describe('one rendering of an action', () => {
  it('the step label is the first line of the preview, for every kind of action', async () => {
    const { actionLine, previewAction } = await import('../../src/fixes/preview.js');
    const { createContext } = await import('../../src/session.js');
    const { SnapshotHost } = await import('../../src/host/record.js');
    const ctx = await createContext({ host: new SnapshotHost({}), invoker: { uid: 0, euid: 0, user: 'root', sudoUser: null }, source: 'snapshot' });
    const actions = [
      { kind: 'write-file', path: '/etc/x y', content: 'a\n', mode: 0o644, uid: 0, gid: 0 },
      { kind: 'mkdir', path: '/dev/net', mode: 0o755 },
      { kind: 'remove-file', path: '/etc/NetworkManager/system-connections/w.nmconnection' },
      { kind: 'chmod', path: '/dev/net/tun', mode: 0o666 },
      { kind: 'chown', path: '/dev/tap3', uid: 1000, gid: 1000 },
      { kind: 'chgrp', path: '/dev/kvm', group: 'kvm' },
      { kind: 'mknod-char', path: '/dev/net/tun', major: 10, minor: 200, mode: 0o666 },
      { kind: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
      { kind: 'run', argv: ['ip', 'link', 'set', 'dev', '$(id)', 'up'], why: 'bring it up' },
      { kind: 'note', text: 'do this by hand' },
    ] as const;
    for (const a of actions) {
      const line = actionLine(a as never);
      expect((await previewAction(ctx, a as never)).split('\n')[0]!.startsWith(line), a.kind).toBe(true);
    }
    expect(actionLine(actions[7] as never)).toBe('sysctl -w net.ipv4.ip_forward=1');
  });
});
