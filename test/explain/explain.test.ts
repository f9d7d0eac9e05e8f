// runExplain end to end: the pasted text is matched, the matching checks run
// on a host read from a snapshot (fake hosts written to a temp dir, and real
// recorded hosts from fixtures/), and the output says which cause applies.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checksToRun, MAX_INPUT, runExplain } from '../../src/commands/explain.js';
import { diagnose } from '../../src/explain/diagnose.js';
import { UsageError } from '../../src/errors.js';
import { fakeHost, type FakeSpec } from '../helpers/fake-host.js';
import { parseSnapshot } from '../../src/host/snapshot-file.js';
import { fixturePath } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'qnet-explain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function snapshotFile(spec: FakeSpec): string {
  const path = join(dir, `host-${n++}.json`);
  writeFileSync(path, JSON.stringify(fakeHost(spec)));
  return path;
}

const MISC = '200 tun\n 61 kvm\n';
const tunHost = (mode: number, gid = 0, group?: string): FakeSpec => ({
  files: { '/proc/misc': MISC, ...(group ? { '/etc/group': group } : {}) },
  stats: { '/dev/net/tun': { type: 'chr', mode, uid: 0, gid, rdev: [10, 200] } },
  exec: { 'getfacl -n -p /dev/net/tun': null, 'ip -j -d addr show': { stdout: '[]' }, 'ip -j addr show': { stdout: '[]' } },
});


let out = '';
beforeEach(() => {
  out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

async function explainJson(text: string, opts: { snapshot?: string; user?: string } = {}) {
  const code = await runExplain(text, { json: true, ...opts });
  return { code, doc: JSON.parse(out) as { schema: string; matches: Record<string, unknown>[]; results: { id: string; status: string; summary: string }[] } };
}

const TUN_EACCES = 'Sep 18 07:52:12 host qemu-system-x86_64[99]: qemu-system-x86_64: -netdev tap,id=n0,script=no,downscript=no: could not open /dev/net/tun: Permission denied';

describe('qnet explain --json', () => {
  it('has exactly the contract shape', async () => {
    const { code, doc } = await explainJson(TUN_EACCES, { snapshot: snapshotFile(tunHost(0o600)) });
    expect(Object.keys(doc).sort()).toEqual(['matches', 'results', 'schema']);
    expect(doc.schema).toBe('qnet.explain/v1');
    expect(doc.matches.length).toBeGreaterThan(0);
    for (const m of doc.matches) {
      // v1 fields stay; qnet 0.2 only added id, lines and words.
      expect(Object.keys(m).sort()).toEqual(['cause', 'checkIds', 'confidence', 'fix', 'id', 'lines', 'words']);
      expect(typeof m.cause).toBe('string');
      expect(typeof m.fix).toBe('string');
      expect(typeof m.confidence).toBe('number');
      expect(Array.isArray(m.checkIds)).toBe(true);
    }
    expect(doc.matches[0]!.id).toBe('tun-perms');
    expect(doc.matches[0]!.lines).toEqual([{ line: 1, text: TUN_EACCES, message: 'could not open /dev/net/tun: Permission denied' }]);
    expect(doc.matches[0]!.checkIds).toEqual(['tun-perms']);
    expect(doc.results.map((r) => r.id)).toEqual(['tun-perms']);
    expect(doc.results[0]!.status).toBe('fail');
    expect(doc.results[0]!.summary).toMatch(/crw------- root:root; alice cannot open it read-write/);
    expect(code).toBe(1);
    // Nothing but the JSON document on stdout.
    expect(out.trim().startsWith('{') && out.trim().endsWith('}')).toBe(true);
  });

  it('the same message on a host where the cause does not apply: the check passes, exit 0', async () => {
    const { code, doc } = await explainJson(TUN_EACCES, { snapshot: snapshotFile(tunHost(0o666)) });
    expect(doc.results.map((r) => [r.id, r.status])).toEqual([['tun-perms', 'pass']]);
    expect(code).toBe(0);
  });

  it('--user decides whom the checks judge', async () => {
    const snap = snapshotFile(tunHost(0o660, 108, 'root:x:0:\nnetdev:x:108:alice\nalice:x:1000:\nbob:x:1001:\n'));
    const alice = await explainJson(TUN_EACCES, { snapshot: snap });
    expect(alice.doc.results[0]!.status).toBe('pass');
    out = '';
    const bob = await explainJson(TUN_EACCES, { snapshot: snap, user: 'bob' });
    expect(bob.doc.results[0]!.status).toBe('fail');
    expect(bob.doc.results[0]!.summary).toMatch(/bob cannot open/);
    expect(bob.code).toBe(1);
  });

  it('unknown text: no matches, no results, exit 0', async () => {
    const { code, doc } = await explainJson('Segmentation fault (core dumped)', { snapshot: snapshotFile(tunHost(0o600)) });
    expect(doc).toEqual({ schema: 'qnet.explain/v1', matches: [], results: [] });
    expect(code).toBe(0);
  });

  it('a cause only a command-line check covers: matches, no host results, exit 0', async () => {
    const { code, doc } = await explainJson("qemu-system-x86_64: -net nic,vlan=0: Invalid parameter 'vlan'", { snapshot: snapshotFile(tunHost(0o600)) });
    expect(doc.matches[0]!.checkIds).toEqual(['qemu-cmdline']);
    expect(doc.results).toEqual([]);
    expect(code).toBe(0);
  });
});

describe('recorded real hosts (fixtures/) say which cause applies', () => {
  // Each fixture is a snapshot of a host built for real, with the results the doctor gave there.
  const recorded = (name: string, id: string) => {
    const snap = parseSnapshot(readFileSync(fixturePath(name.replace(/\.json$/, '')), 'utf8'), name);
    return (snap.results as { id: string; status: string; summary: string }[]).find((r) => r.id === id)!;
  };

  it('"access denied by acl file" on a host whose bridge.conf allows no existing bridge', async () => {
    const paste = 'ERROR    /usr/libexec/qemu-bridge-helper --use-vnet --br=br0 --fd=30: failed to communicate with bridge helper: stderr=access denied by acl file\n: Transport endpoint is not connected';
    const { code, doc } = await explainJson(paste, { snapshot: fixturePath('acl-no-allow') });
    const acl = doc.results.find((r) => r.id === 'helper-acl')!;
    expect(doc.results[0]!.id).toBe('helper-acl');
    expect([acl.status, acl.summary]).toEqual([recorded('acl-no-allow.json', 'helper-acl').status, recorded('acl-no-allow.json', 'helper-acl').summary]);
    expect(acl.status).toBe('fail');
    expect(code).toBe(1);
  });

  it('"network script /etc/qemu-ifup failed with status 256" on a host without /etc/qemu-ifup', async () => {
    const { doc } = await explainJson('qemu-system-x86_64: -netdev tap,id=n0: network script /etc/qemu-ifup failed with status 256', { snapshot: fixturePath('ifup-missing') });
    const r = doc.results.find((x) => x.id === 'qemu-ifup')!;
    expect(r.status).toBe('fail');
    expect(r.summary).toBe(recorded('ifup-missing.json', 'qemu-ifup').summary);
  });

  it('the helper\'s /dev/net/tun failure: checks of the best cause come first', async () => {
    const paste = 'failed to open /dev/net/tun: Permission denied\nqemu-system-x86_64: -netdev bridge,id=n0,br=br0: bridge helper failed';
    const { doc } = await explainJson(paste, { snapshot: fixturePath('tun-0600') });
    expect(doc.results.map((r) => r.id)).toEqual(checksToRun(diagnose(paste).map((d) => d.cause)));
    // The helper's own reason (EACCES on /dev/net/tun) outranks QEMU's generic wrapper line.
    expect(doc.matches.map((m) => m.id).slice(0, 2)).toEqual(['tun-perms', 'helper-acl']);
    expect(doc.results.map((r) => r.id).slice(0, 2)).toEqual(['tun-perms', 'helper-acl']);
    expect(doc.results[0]!.status).toBe(recorded('tun-0600.json', 'tun-perms').status);
    expect(doc.results[0]!.status).toBe('fail');
  });
});

describe('text output', () => {
  it('lists the causes best first with their fixes, then the checks run here', async () => {
    const code = await runExplain(TUN_EACCES, { snapshot: snapshotFile(tunHost(0o600)), color: false });
    expect(code).toBe(1);
    expect(out).not.toMatch(/\x1b\[/);
    expect(out).toMatch(/1 likely cause/);
    expect(out).toContain('cannot open /dev/net/tun read-write');
    expect(out).toMatch(/fix Let the user open \/dev\/net\/tun/);
    expect(out).toContain(`line 1: ${TUN_EACCES}`);
    // No internal references in what users read.
    expect(out).not.toMatch(/captured 7\.2|seed \d|\.test\.ts|net\/tap-linux\.c/);
    expect(out).toMatch(/Which cause applies in snapshot .*host-\d+\.json:/);
    expect(out).toMatch(/✖ tun-perms/);
    expect(out).toContain('Failing here: tun-perms. qnet fix tun-perms previews the repairs.');
  });

  it('pasted lines are shown with control characters made visible', async () => {
    const hostile = 'could not open /dev/net/tun: Permission denied \x1b]0;owned\x07\x1b[2J\u202etxt.exe';
    await runExplain(hostile, { snapshot: snapshotFile(tunHost(0o600)), color: false });
    expect(out).toContain('line 1: could not open /dev/net/tun: Permission denied \\x1b]0;owned\\x07\\x1b[2J\\u202etxt.exe');
    expect(out).not.toMatch(/[\x07\x1b\u202e]/);
  });

  it('says when none of the checks fails here', async () => {
    const code = await runExplain(TUN_EACCES, { snapshot: snapshotFile(tunHost(0o666)), color: false });
    expect(code).toBe(0);
    expect(out).toMatch(/✔ tun-perms/);
    expect(out).toContain('None of these checks fails here');
  });

  it('unknown text says so and points to qnet doctor', async () => {
    const code = await runExplain('hello world', { color: false });
    expect(code).toBe(0);
    expect(out).toContain('does not recognise');
    expect(out).toContain('qnet doctor');
  });

  it('a command-line cause points to qnet lint', async () => {
    await runExplain("qemu-system-x86_64: -netdev user,id=n0,hostfwd=tcp::2222-:22: Could not set up host forwarding rule 'tcp::2222-:22'", { snapshot: snapshotFile(tunHost(0o666)), color: false });
    expect(out).toContain('No host check covers these causes');
    expect(out).toContain('qnet lint -- YOUR QEMU COMMAND LINE');
  });
});

describe('bad input is a usage error (exit 2, one line)', () => {
  const bad: [string, string, RegExp][] = [
    ['empty', '', /nothing to explain/],
    ['only whitespace', '  \n\t \n', /nothing to explain/],
    ['binary', 'ELF\0\0\0\x01\x02\x03', /not text/],
    ['too long', 'x'.repeat(MAX_INPUT + 1), new RegExp(`over ${MAX_INPUT / 1024} KiB`)],
  ];
  for (const [name, text, msg] of bad) {
    it(name, async () => {
      const err = await runExplain(text, { json: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(msg);
      expect((err as Error).message).not.toContain('\n');
      expect(out).toBe('');
    });
  }

  it('an unreadable snapshot', async () => {
    const err = await runExplain(TUN_EACCES, { json: true, snapshot: join(dir, 'nope.json') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/cannot read snapshot .*nope\.json: ENOENT/);
  });

  it('a malformed snapshot', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{"schema": "qnet.snapshot/v1", "reads": 3');
    const err = await runExplain(TUN_EACCES, { json: true, snapshot: path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/not a qnet snapshot/);
  });

  it('a malformed snapshot is refused even when the text is not recognised', async () => {
    const path = join(dir, 'bad2.json');
    writeFileSync(path, 'not json');
    const err = await runExplain('hello world', { json: true, snapshot: path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
  });

  it('an unknown --user', async () => {
    const err = await runExplain(TUN_EACCES, { json: true, snapshot: snapshotFile(tunHost(0o600)), user: 'mallory' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
  });
});

describe('this host, live', () => {
  it('runs the matched checks on the live system', async () => {
    const { doc } = await explainJson('could not open /dev/net/tun: No such file or directory');
    expect(doc.results.map((r) => r.id)).toEqual(['tun-module']);
    expect(['pass', 'warn', 'fail', 'skip']).toContain(doc.results[0]!.status);
  });
});
