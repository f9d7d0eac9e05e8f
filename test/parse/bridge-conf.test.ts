import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/session.js';
import { SnapshotHost } from '../../src/host/record.js';
import { aclAllows, splitAclLine, type AclRule } from '../../src/parse/bridge-conf.js';
import { readBridgeAcl } from '../../src/facts/bridge-helper.js';
import { fakeHost } from '../helpers/fake-host.js';

const CONF = '/etc/qemu/bridge.conf';

/** Parses `files` (path → content; null = ENOENT) the way the helper would; unlisted reads are "not captured". */
async function parse(files: Record<string, string | null>) {
  const snap = fakeHost({ files });
  const ctx = await createContext({ host: new SnapshotHost(snap.reads), invoker: snap.invoker, source: 'snapshot' });
  return readBridgeAcl(ctx, CONF);
}
const rule = (type: 'allow' | 'deny', iface: string): AclRule => ({ type, iface, file: CONF, line: 1 });

describe('splitAclLine', () => {
  const cases: [string, ReturnType<typeof splitAclLine>][] = [
    ['allow br0', { cmd: 'allow', arg: 'br0' }],
    ['allow\tbr0', { cmd: 'allow', arg: 'br0' }],
    ['   allow    br0   ', { cmd: 'allow', arg: 'br0' }],
    // The helper looks for a space first, then a tab: "allow\tbr0 x" splits at the space.
    ['allow\tbr0 x', { cmd: 'allow\tbr0', arg: 'x' }],
    ['allow br0\r', { cmd: 'allow', arg: 'br0' }],
    ['allow ', { cmd: 'allow', arg: '' }],
    ['allow', 'invalid'],
    ['allow\r', 'invalid'],
    ['', 'blank'],
    ['   ', 'blank'],
    ['# allow br0', 'blank'],
    ['  # indented comment', 'blank'],
  ];
  for (const [line, want] of cases) {
    it(JSON.stringify(line), () => expect(splitAclLine(line)).toEqual(want));
  }
});

describe('readBridgeAcl', () => {
  it('reads allow and deny rules with their file and line', async () => {
    const acl = await parse({ [CONF]: '# comment\n\nallow br0\ndeny\tbr1\n' });
    expect(acl.unusable).toBe(false);
    expect(acl.problems).toEqual([]);
    expect(acl.rules).toEqual([
      { type: 'allow', iface: 'br0', file: CONF, line: 3 },
      { type: 'deny', iface: 'br1', file: CONF, line: 4 },
    ]);
  });
  it('a command without an argument makes the whole file unusable, with its line', async () => {
    const acl = await parse({ [CONF]: 'allow br0\nallow\n' });
    expect(acl.unusable).toBe(true);
    expect(acl.problems[0]).toMatchObject({ file: CONF, line: 2, fatal: true });
    expect(acl.problems[0]!.message).toMatch(/needs an argument/);
  });
  it('commands are case-sensitive: "Allow" is unknown and fatal', async () => {
    const acl = await parse({ [CONF]: 'Allow br0\n' });
    expect(acl.unusable).toBe(true);
    expect(acl.problems[0]).toMatchObject({ line: 1, fatal: true });
    expect(acl.problems[0]!.message).toMatch(/unknown command "Allow"/);
  });
  it('an unknown command is fatal', async () => {
    const acl = await parse({ [CONF]: 'permit br0\n' });
    expect(acl.unusable).toBe(true);
  });
  it('a name of 16 bytes is refused (IFNAMSIZ), 15 bytes is fine', async () => {
    const ok = await parse({ [CONF]: 'allow 0123456789abcde\n' });
    expect(ok.unusable).toBe(false);
    expect(ok.rules[0]!.iface).toBe('0123456789abcde');
    const bad = await parse({ [CONF]: 'allow br0\ndeny 0123456789abcdef\n' });
    expect(bad.unusable).toBe(true);
    expect(bad.problems[0]).toMatchObject({ line: 2, fatal: true });
    expect(bad.problems[0]!.message).toMatch(/16 bytes/);
  });
  it('counts bytes, not characters', async () => {
    // 8 two-byte characters: 16 bytes.
    const acl = await parse({ [CONF]: 'allow éééééééé\n' });
    expect(acl.unusable).toBe(true);
  });
  it('keeps names with shell characters as plain data', async () => {
    const acl = await parse({ [CONF]: 'allow a;b\nallow $(x)\n' });
    expect(acl.unusable).toBe(false);
    expect(acl.rules.map((r) => r.iface)).toEqual(['a;b', '$(x)']);
    expect(aclAllows(acl.rules, 'a;b')).toBe(true);
    expect(aclAllows(acl.rules, 'a')).toBe(false);
  });
  it('an argument of only spaces is accepted and matches nothing (as the helper does)', async () => {
    const acl = await parse({ [CONF]: 'allow br0\nallow \n' });
    expect(acl.unusable).toBe(false);
    expect(aclAllows(acl.rules, '')).toBe(true);
    expect(aclAllows(acl.rules, 'br1')).toBe(false);
  });
  it('a missing include is skipped, not fatal', async () => {
    const acl = await parse({ [CONF]: 'include /etc/qemu/nope.conf\nallow br0\n', '/etc/qemu/nope.conf': null });
    expect(acl.unusable).toBe(false);
    expect(acl.problems).toHaveLength(1);
    expect(acl.problems[0]).toMatchObject({ file: '/etc/qemu/nope.conf', fatal: false });
    expect(aclAllows(acl.rules, 'br0')).toBe(true);
  });
  it('rules of an include read before its error stay; the error is not fatal', async () => {
    const acl = await parse({ [CONF]: 'include /etc/qemu/bad.conf\n', '/etc/qemu/bad.conf': 'allow br0\nbogus x\nallow br1\n' });
    expect(acl.unusable).toBe(false);
    expect(acl.problems[0]).toMatchObject({ file: '/etc/qemu/bad.conf', line: 2, fatal: false });
    expect(aclAllows(acl.rules, 'br0')).toBe(true);
    expect(aclAllows(acl.rules, 'br1')).toBe(false);
  });
  it('an include loop is reported with the chain and does not hang', async () => {
    const acl = await parse({ [CONF]: 'include /etc/qemu/a.conf\nallow br0\n', '/etc/qemu/a.conf': `include ${CONF}\n` });
    expect(acl.unusable).toBe(true);
    expect(acl.problems[0]!.message).toBe(`include loop: ${CONF} → /etc/qemu/a.conf → ${CONF}`);
  });
  it('the same file included twice is not a loop', async () => {
    const acl = await parse({ [CONF]: 'include /etc/qemu/a.conf\ninclude /etc/qemu/a.conf\n', '/etc/qemu/a.conf': 'allow br0\n' });
    expect(acl.unusable).toBe(false);
    expect(acl.rules).toHaveLength(2);
  });
  it('a missing top file is unusable', async () => {
    const acl = await parse({ [CONF]: null });
    expect(acl.unusable).toBe(true);
    expect(acl.files[0]).toEqual({ path: CONF, readError: 'ENOENT' });
  });
  it('a top file not in the snapshot says so', async () => {
    const acl = await parse({});
    expect(acl.files[0]!.readError).toMatch(/not captured/);
  });
});

describe('aclAllows: deny wins over allow, in any order', () => {
  const cases: [string, AclRule[], string, boolean][] = [
    ['allow br0', [rule('allow', 'br0')], 'br0', true],
    ['allow br0, other bridge', [rule('allow', 'br0')], 'br1', false],
    ['allow then deny', [rule('allow', 'br0'), rule('deny', 'br0')], 'br0', false],
    ['deny then allow', [rule('deny', 'br0'), rule('allow', 'br0')], 'br0', false],
    ['allow all', [rule('allow', 'all')], 'anything', true],
    ['allow all, deny br0', [rule('allow', 'all'), rule('deny', 'br0')], 'br0', false],
    ['allow all, deny br0, asking br1', [rule('allow', 'all'), rule('deny', 'br0')], 'br1', true],
    ['deny all, allow br0', [rule('deny', 'all'), rule('allow', 'br0')], 'br0', false],
    ['no rules', [], 'br0', false],
    ['deny only', [rule('deny', 'br1')], 'br0', false],
  ];
  for (const [name, rules, br, want] of cases) it(name, () => expect(aclAllows(rules, br)).toBe(want));
});
