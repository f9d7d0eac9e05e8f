// The built CLI as users and scripts meet it: JSON on stdout only, exit codes,
// one-line errors, snapshot record and replay.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_CHECKS } from '../checks/index.js';
import { fixturePath } from './helpers/fixtures.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/qnet.js');
let dir: string;

function qnet(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const stripDurations = (results: { durationMs?: number }[]) => results.map(({ durationMs: _d, ...rest }) => rest);

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/qnet.cjs'))) execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT });
  dir = mkdtempSync(join(tmpdir(), 'qnet-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('qnet doctor --json', () => {
  it('prints one qnet.doctor/v1 document and nothing else, with every core check', () => {
    const r = qnet(['doctor', '--json']);
    expect([0, 1]).toContain(r.code);
    const doc = JSON.parse(r.stdout);
    expect(doc.schema).toBe('qnet.doctor/v1');
    expect(doc.host.source).toBe('live');
    expect(doc.results.map((x: { id: string }) => x.id)).toEqual(ALL_CHECKS.map((c) => c.id));
    const counted = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 } as Record<string, number>;
    for (const x of doc.results) counted[x.status] = (counted[x.status] ?? 0) + 1;
    expect(doc.summary).toEqual(counted);
    expect(r.code).toBe(counted.fail! > 0 ? 1 : 0);
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });
  it('--only and --skip select checks', () => {
    const only = JSON.parse(qnet(['doctor', '--json', '--only', 'tun-module,tun-perms']).stdout);
    expect(only.results.map((x: { id: string }) => x.id)).toEqual(['tun-module', 'tun-perms']);
    const skip = JSON.parse(qnet(['doctor', '--json', '--skip', 'tun-module']).stdout);
    expect(skip.results.map((x: { id: string }) => x.id)).not.toContain('tun-module');
  });
  it('--user judges for another user', () => {
    const doc = JSON.parse(qnet(['doctor', '--json', '--only', 'tun-perms', '--user', 'nobody']).stdout);
    expect(doc.host.user).toBe('nobody');
    expect(doc.results[0].title).toContain('nobody');
  });
});

describe('usage errors: exit 2, one line on stderr, no stack trace', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown flag', ['doctor', '--bogus'], /unknown option '--bogus'/],
    ['unknown check ID', ['doctor', '--only', 'nope'], /unknown check ID "nope"/],
    ['unknown user', ['doctor', '--user', 'no-such-user-qnet'], /no such user/],
    ['hostile user name', ['doctor', '--user', '$(id);a'], /no such user/],
    ['missing snapshot file', ['doctor', '--snapshot', '/nonexistent/s.json'], /cannot read snapshot .*ENOENT/],
    ['snapshot without -o', ['snapshot'], /required option/],
    ['unknown command', ['frobnicate'], /unknown command|too many arguments/],
    ['explain without text', ['explain'], /explain needs the error text/],
  ];
  for (const [name, args, msg] of cases) {
    it(name, () => {
      const r = qnet(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
  const bad: [string, string, RegExp][] = [
    ['not JSON', '{"schema": "qnet.snap', /invalid JSON/],
    ['another schema', '{"schema": "qnet.snapshot/v9"}', /schema "qnet.snapshot\/v9"; this qnet reads qnet.snapshot\/v1/],
    ['a read of the wrong shape', JSON.stringify({ schema: 'qnet.snapshot/v1', qnet: 'x', createdAt: 'x', invoker: { uid: 0, euid: 0, user: null, sudoUser: null }, host: {}, reads: { 'stat /dev/net/tun': { ok: true, stat: { mode: 'crw' } } } }), /not a valid qnet.snapshot\/v1 file: at reads/],
    ['an array', '[]', /not a valid qnet.snapshot\/v1 file/],
  ];
  for (const [name, body, msg] of bad) {
    it(`malformed snapshot: ${name}`, () => {
      const f = join(dir, `bad-${name.replace(/\W/g, '')}.json`);
      writeFileSync(f, body);
      const r = qnet(['doctor', '--snapshot', f]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    });
  }
});

describe('snapshot and replay', () => {
  it('replaying a snapshot of this host gives the live results, durations aside', () => {
    const file = join(dir, 'live.json');
    const rec = qnet(['snapshot', '-o', file]);
    expect(rec.code).toBe(0);
    expect(rec.stderr).toMatch(/wrote \d+ reads/);
    const live = JSON.parse(qnet(['doctor', '--json']).stdout);
    const replay = JSON.parse(qnet(['doctor', '--json', '--snapshot', file]).stdout);
    expect(replay.host.source).toBe('snapshot');
    expect(stripDurations(replay.results)).toEqual(stripDurations(live.results));
    const { source: _a, ...liveHost } = live.host;
    const { source: _b, ...replayHost } = replay.host;
    expect(replayHost).toEqual(liveHost);
  });
  it('the snapshot carries the results it was recorded with, and replay reproduces them', () => {
    const file = join(dir, 'own.json');
    expect(qnet(['snapshot', '-o', file]).code).toBe(0);
    const snap = JSON.parse(readFileSync(file, 'utf8'));
    const replay = JSON.parse(qnet(['doctor', '--json', '--snapshot', file]).stdout);
    expect(stripDurations(replay.results)).toEqual(stripDurations(snap.results));
  });
  it('a snapshot taken with --guest replays in guest mode without being told again', () => {
    const file = join(dir, 'guest.json');
    expect(qnet(['snapshot', '-o', file, '--guest', '--only', 'guest-route']).code).toBe(0);
    const snap = JSON.parse(readFileSync(file, 'utf8'));
    expect(snap.options).toEqual({ guest: true, only: ['guest-route'] });
    const replayed = JSON.parse(qnet(['doctor', '--json', '--only', 'guest-route', '--snapshot', file]).stdout).results[0];
    expect(replayed.summary).not.toMatch(/not a guest/);
    expect(replayed).toEqual({ ...snap.results[0], durationMs: replayed.durationMs });
    // Without the recorded option, the replay has no way to know: --guest skipped the detection reads.
    delete snap.options;
    writeFileSync(file, JSON.stringify(snap));
    const bare = JSON.parse(qnet(['doctor', '--json', '--only', 'guest-route', '--snapshot', file]).stdout).results[0];
    expect(bare.status).toBe('skip');
    expect(bare.summary).toMatch(/not a guest/);
  });
  it('the bundle reads netplan YAML (yaml is CommonJS: its lazily loaded chunk must still give parseDocument)', () => {
    // Recorded by test/realkernel/managers.test.ts; replayed here through the built CLI, not the sources.
    const fixture = fixturePath('netplan-defined-twice');
    const doc = JSON.parse(qnet(['doctor', '--json', '--only', 'netplan-duplicates', '--snapshot', fixture]).stdout);
    expect(doc.results[0]).toMatchObject({ id: 'netplan-duplicates', status: 'fail' });
    expect(doc.results[0].summary).toMatch(/^enp1s0 is defined in 3 netplan files/);
  });
  it('a read the snapshot lacks is "not captured", never a silent ENOENT', () => {
    const file = join(dir, 'live2.json');
    expect(qnet(['snapshot', '-o', file]).code).toBe(0);
    const snap = JSON.parse(readFileSync(file, 'utf8'));
    delete snap.reads['stat /dev/net/tun'];
    writeFileSync(file, JSON.stringify(snap));
    const doc = JSON.parse(qnet(['doctor', '--json', '--only', 'tun-perms', '--snapshot', file]).stdout);
    expect(doc.results[0].status).toBe('skip');
    expect(doc.results[0].summary).toContain('not captured');
  });
  it("keeps no other process's command line (they can hold passwords)", async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', '--', '--password=qnet-secret-marker'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const file = join(dir, 'procs.json');
      expect(qnet(['snapshot', '-o', file]).code).toBe(0);
      const snap = JSON.parse(readFileSync(file, 'utf8'));
      const rec = snap.reads[`file /proc/${child.pid}/cmdline`];
      expect(rec).toEqual({ ok: true, argv: [] });
      const decoded = Object.values(snap.reads as Record<string, { base64?: string; text?: string; argv?: string[] }>)
        .map((r) => (r.base64 ? Buffer.from(r.base64, 'base64').toString('utf8') : r.argv ? r.argv.join('\n') : (r.text ?? '')))
        .join('\n');
      expect(decoded).not.toContain('qnet-secret-marker');
    } finally {
      child.kill();
    }
  });
  it('a snapshot file is private to its owner (mode 0600)', () => {
    const file = join(dir, 'mode.json');
    expect(qnet(['snapshot', '-o', file]).code).toBe(0);
    const mode = execFileSync('stat', ['-c', '%a', file], { encoding: 'utf8' }).trim();
    expect(mode).toBe('600');
  });
});

describe('qnet explain from the command line', () => {
  it('reads a pasted error from stdin with -, prints qnet.explain/v1, and runs the matching checks', () => {
    const r = spawnSync(process.execPath, [BIN, 'explain', '--json', '-'], {
      input: 'Nov 23 06:00:01 host libvirtd[812]: qemu-system-x86_64: -netdev bridge,id=n0,br=br0: failed to parse default acl file `/etc/qemu/bridge.conf\'\n',
      encoding: 'utf8',
    });
    expect([0, 1]).toContain(r.status);
    const doc = JSON.parse(r.stdout);
    expect(doc.schema).toBe('qnet.explain/v1');
    expect(doc.matches[0].checkIds).toContain('helper-acl');
    expect(doc.results.map((x: { id: string }) => x.id)).toContain('helper-acl');
  });
});

describe('interrupted fixes', () => {
  it('the doctor says when a fix set was left half-applied, and changes nothing', () => {
    const state = join(dir, 'state');
    const set = join(state, 'sets', '20260101T000000-abcdef');
    mkdirSync(join(set, 'backup'), { recursive: true });
    writeFileSync(join(set, 'set.json'), JSON.stringify({ id: '20260101T000000-abcdef', createdAt: 'x', fixes: [], actions: [{ kind: 'note', text: 'x' }] }));
    const journal = JSON.stringify({ event: 'begin', step: 0, undo: { kind: 'none' }, at: 'x' }) + '\n';
    writeFileSync(join(set, 'journal.jsonl'), journal);
    const r = qnet(['doctor', '--json', '--only', 'tun-module'], { QNET_STATE_DIR: state });
    expect(r.stderr).toMatch(/fix set 20260101T000000-abcdef was interrupted half-way/);
    JSON.parse(r.stdout); // stdout still holds only the document
    expect(readFileSync(join(set, 'journal.jsonl'), 'utf8')).toBe(journal);
  });
});

describe('read-only commands never change the journal', () => {
  it('fix --dry-run (as root too) reports an interrupted set and leaves it as it is; undo --list lists it', () => {
    const state = join(dir, 'dry-state');
    const set = join(state, 'sets', '20260101T000000-abcdef');
    mkdirSync(join(set, 'backup'), { recursive: true });
    writeFileSync(join(set, 'set.json'), JSON.stringify({ id: '20260101T000000-abcdef', createdAt: 'x', fixes: [{ checkId: 'tun-perms', planId: 'tun-perms/mode-0666', title: 't', firstStep: 0, steps: 1 }], actions: [{ kind: 'note', text: 'x' }] }));
    const journal = JSON.stringify({ event: 'begin', step: 0, undo: { kind: 'none' }, at: 'x' }) + '\n';
    writeFileSync(join(set, 'journal.jsonl'), journal);
    const dry = qnet(['fix', '--dry-run'], { QNET_STATE_DIR: state });
    expect([0, 1]).toContain(dry.code);
    expect(dry.stdout + dry.stderr).not.toMatch(/rolled back/);
    expect(dry.stdout).toMatch(/fix set 20260101T000000-abcdef was interrupted half-way/);
    expect(readFileSync(join(set, 'journal.jsonl'), 'utf8')).toBe(journal);
    const list = qnet(['undo', '--list'], { QNET_STATE_DIR: state });
    expect(list.stdout).toMatch(/^20260101T000000-abcdef {2}interrupted +tun-perms \(tun-perms\/mode-0666\)$/m);
    expect(readFileSync(join(set, 'journal.jsonl'), 'utf8')).toBe(journal);
  });
  it('undo --list shows a set whose set.json is truncated, as unreadable (never hidden)', () => {
    const state = join(dir, 'torn-state');
    const set = join(state, 'sets', '20260102T000000-abcdef');
    mkdirSync(set, { recursive: true });
    writeFileSync(join(set, 'set.json'), '{"id": "20260102T000000-abcdef", "createdAt": "2026-01-02T00:00:00.000Z", "fix');
    const r = qnet(['undo', '--list'], { QNET_STATE_DIR: state });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^20260102T000000-abcdef {2}unreadable +set\.json is truncated or not JSON$/m);
  });
  it('QNET_STATE_DIR naming a file: one line naming the cause, exit 2, no stack trace', () => {
    const file = join(dir, 'state-is-a-file');
    writeFileSync(file, 'x');
    for (const args of [['undo', '--list'], ['undo'], ['undo', '--forget', '20260101T000000-abcdef']]) {
      const r = qnet(args, { QNET_STATE_DIR: file });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      if ((process.geteuid?.() ?? 1) === 0 || args[1] === '--list') expect(r.stderr, args.join(' ')).toMatch(new RegExp(`^qnet: QNET_STATE_DIR ${file} is not a directory\n$`));
    }
  });
});

describe('output files never follow a planted symlink', () => {
  // A directory someone else could write to, holding symlinks planted where a temp file
  // named after the output and the pid would go: qnet must write only its own file.
  for (const cmd of [['snapshot', '--only', 'tun-module', '-o'], ['report', '--only', 'tun-module', '-o']]) {
    it(`qnet ${cmd[0]} -o DIR/out: the victim behind out.qnet-<pid>.tmp and behind out itself stays untouched`, () => {
      const d = mkdtempSync(join(dir, 'planted-'));
      const victim = join(dir, `victim-${cmd[0]}`);
      writeFileSync(victim, 'root-only content\n', { mode: 0o600 });
      const out = join(d, 'out.json');
      // The shell plants the symlink for its own pid, then becomes qnet (exec keeps the pid).
      const script = `ln -s "$1" "$2.qnet-$$.tmp" && exec "$3" "$4" ${cmd.map((x) => `'${x}'`).join(' ')} "$2"`;
      const r = spawnSync('sh', ['-c', script, 'sh', victim, out, process.execPath, BIN], { encoding: 'utf8', timeout: 60_000 });
      expect([0, 1], r.stderr).toContain(r.status);
      expect(readFileSync(victim, 'utf8')).toBe('root-only content\n');
      expect(readFileSync(out, 'utf8')).toMatch(cmd[0] === 'snapshot' ? /"schema": "qnet\.snapshot\/v1"/ : /tun-module/);
      // And a symlink planted at the output name itself is replaced, not written through.
      rmSync(out);
      symlinkSync(victim, out);
      const again = spawnSync(process.execPath, [BIN, ...cmd, out], { encoding: 'utf8', timeout: 60_000 });
      expect(again.stderr).not.toMatch(/internal error/);
      expect(readFileSync(victim, 'utf8')).toBe('root-only content\n');
      expect(lstatSync(out).isFile()).toBe(true);
      expect(statSync(out).mode & 0o777).toBe(0o600);
    });
  }
});

describe('fix and undo help', () => {
  it('documents the new flags with examples', () => {
    const fix = qnet(['fix', '--help']).stdout;
    for (const f of ['--keep', '--allow-irreversible', '--plan <id>', '--apply-plan <file>', 'Examples:', 'sudo qnet fix --yes tun-perms']) expect(fix).toContain(f);
    const undo = qnet(['undo', '--help']).stdout;
    for (const f of ['--forget <id>', '--list', 'Examples:', 'sudo qnet undo --forget']) expect(undo).toContain(f);
  });
});

describe.skipIf((process.geteuid?.() ?? 1) !== 0)('qnet undo when a file changed after the fix (needs root: undo refuses otherwise)', () => {
  it('lists it and, without a terminal, restores nothing unless --yes; with --yes, restores it', async () => {
    const { Journal } = await import('../src/fixes/executor.js');
    const state = join(dir, 'undo-state');
    const conf = join(dir, 'undo-bridge.conf');
    writeFileSync(conf, 'allow virbr0\n');
    await new Journal(state).apply([{ checkId: 'helper-acl', plan: { id: 'helper-acl/allow', title: 't', risk: 'low', root: true, actions: [{ kind: 'write-file', path: conf, content: 'allow virbr0\nallow br0\n', mode: 0o644 }] } }]);
    writeFileSync(conf, 'allow virbr0\nallow br0\nallow br1 # added by hand later\n');
    const refused = qnet(['undo'], { QNET_STATE_DIR: state });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain(`! ${conf}: changed since qnet wrote it`);
    expect(refused.stderr).toMatch(/files changed since the fix; pass --yes to restore them anyway/);
    expect(readFileSync(conf, 'utf8')).toContain('added by hand later');
    const forced = qnet(['undo', '--yes'], { QNET_STATE_DIR: state });
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(conf, 'utf8')).toBe('allow virbr0\n');
    expect(qnet(['undo', '--list'], { QNET_STATE_DIR: state }).stdout).toMatch(/undone\s+helper-acl \(helper-acl\/allow\)/);
  });
});

describe.skipIf((process.geteuid?.() ?? 1) !== 0)('qnet undo --forget (needs root)', () => {
  it('a set whose set.json is truncated: undo refuses naming --forget; --forget shows what it held, asks for --yes without a terminal, then drops it', async () => {
    const { Journal } = await import('../src/fixes/executor.js');
    const state = join(dir, 'forget-state');
    const conf = join(dir, 'forget-bridge.conf');
    writeFileSync(conf, 'allow virbr0\n');
    const set = await new Journal(state).apply([{ checkId: 'helper-acl', plan: { id: 'helper-acl/allow', title: 'allow br0 in bridge.conf', risk: 'low', root: true, actions: [{ kind: 'write-file', path: conf, content: 'allow virbr0\nallow br0\n', mode: 0o644 }] } }]);
    const id = set.record.id;
    const setJson = join(state, 'sets', id, 'set.json');
    writeFileSync(setJson, readFileSync(setJson, 'utf8').slice(0, 40));
    const undo = qnet(['undo'], { QNET_STATE_DIR: state });
    expect(undo.code).toBe(2);
    expect(undo.stderr).toBe('qnet: nothing to undo: no applied fix set (see qnet undo --list)\n');
    const named = qnet(['undo', id], { QNET_STATE_DIR: state });
    expect(named.code).toBe(2);
    expect(named.stderr).toBe(`qnet: fix set ${id} cannot be undone: set.json is truncated or not JSON; \`qnet undo --forget ${id}\` drops it after showing what it held\n`);
    const asked = qnet(['undo', '--forget', id], { QNET_STATE_DIR: state });
    expect(asked.code).toBe(2);
    expect(asked.stdout).toContain(`Fix set ${id}: unreadable (set.json is truncated or not JSON)`);
    expect(asked.stdout).toMatch(/step 1: \[begin, done \(applied\), complete\]|files kept: .*backup\/0 \(13 bytes\)/);
    expect(asked.stdout).toContain('Its changes stay on the host as they are now');
    expect(asked.stderr).toBe(`qnet: not a terminal; pass --yes to forget fix set ${id}\n`);
    const forgot = qnet(['undo', '--forget', id, '--yes'], { QNET_STATE_DIR: state });
    expect(forgot.code, forgot.stderr).toBe(0);
    expect(forgot.stdout).toContain(`Forgot fix set ${id}.`);
    expect(qnet(['undo', '--list'], { QNET_STATE_DIR: state }).stdout).toBe('No fix sets journaled.\n');
    expect(readFileSync(conf, 'utf8')).toBe('allow virbr0\nallow br0\n'); // the host stays as it is
  });
});

describe('text output', () => {
  it('has no colour when piped or with NO_COLOR, and ends with the summary box', () => {
    for (const env of [{}, { NO_COLOR: '1' }]) {
      const r = qnet(['doctor'], env);
      expect(r.stdout).not.toMatch(/\x1b\[/);
      expect(r.stdout).toMatch(/╭[─]+╮/);
      expect(r.stdout).toMatch(/\d+ pass +. \d+ warn +. \d+ fail/);
    }
  });
});

describe('the version', () => {
  it('comes from package.json alone: --version and the JSON documents agree with it', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(qnet(['--version']).stdout.trim()).toBe(pkg.version);
    expect(JSON.parse(qnet(['doctor', '--json', '--only', 'tun-module']).stdout).qnet).toBe(pkg.version);
  });
});
