// The executor against real files in a temp directory: apply, idempotence,
// rollback on failure, byte-for-byte undo with modes, conflicts, crash recovery.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, conflictsOf } from '../../src/fixes/executor.js';
import type { FixPlan } from '../../src/types.js';

let root: string;
let state: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'qnet-exec-'));
  state = join(root, 'state');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o7777;

function plan(): FixPlan {
  return {
    id: 'demo/plan', title: 'demo', risk: 'low', root: false,
    actions: [
      { kind: 'write-file', path: join(root, 'etc/existing.conf'), content: 'new content\n', mode: 0o644 },
      { kind: 'write-file', path: join(root, 'etc/qemu/bridge.conf'), content: 'allow br0\n', mode: 0o644 },
      { kind: 'chmod', path: join(root, 'dev-tun'), mode: 0o666 },
    ],
  };
}

function seed() {
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/existing.conf'), 'old content\n');
  chmodSync(join(root, 'etc/existing.conf'), 0o640);
  writeFileSync(join(root, 'dev-tun'), '');
  chmodSync(join(root, 'dev-tun'), 0o600);
}

function expectOriginal() {
  expect(readFileSync(join(root, 'etc/existing.conf'), 'utf8')).toBe('old content\n');
  expect(mode(join(root, 'etc/existing.conf'))).toBe(0o640);
  expect(existsSync(join(root, 'etc/qemu/bridge.conf'))).toBe(false);
  expect(existsSync(join(root, 'etc/qemu'))).toBe(false);
  expect(mode(join(root, 'dev-tun'))).toBe(0o600);
}

describe('executor', () => {
  it('applies a plan, and undo restores files byte for byte with their modes, removing what it created', async () => {
    seed();
    const j = new Journal(state);
    const set = await j.apply([{ checkId: 'helper-acl', plan: plan() }]);
    expect(set.state).toBe('applied');
    expect(readFileSync(join(root, 'etc/existing.conf'), 'utf8')).toBe('new content\n');
    expect(mode(join(root, 'etc/existing.conf'))).toBe(0o644);
    expect(readFileSync(join(root, 'etc/qemu/bridge.conf'), 'utf8')).toBe('allow br0\n');
    expect(mode(join(root, 'dev-tun'))).toBe(0o666);
    const undone = await j.undo();
    expect(undone.state).toBe('undone');
    expectOriginal();
  });

  it('applying twice changes nothing the second time', async () => {
    seed();
    const j = new Journal(state);
    await j.apply([{ checkId: 'helper-acl', plan: plan() }]);
    const before = statSync(join(root, 'etc/existing.conf')).ino;
    const second = await j.apply([{ checkId: 'helper-acl', plan: plan() }]);
    const outcomes = second.events.filter((e) => e.event === 'done').map((e) => (e as { outcome: string }).outcome);
    expect(outcomes).toEqual(['unchanged', 'unchanged', 'unchanged']);
    // Not rewritten: same inode (an atomic rewrite would give a new one).
    expect(statSync(join(root, 'etc/existing.conf')).ino).toBe(before);
  });

  it('rolls back the steps already done when a later step fails', async () => {
    seed();
    const p = plan();
    p.actions.push({ kind: 'run', argv: ['false'] });
    const j = new Journal(state);
    await expect(j.apply([{ checkId: 'x', plan: p }])).rejects.toThrow(/false exited 1/);
    expectOriginal();
    const [set] = await j.list();
    expect(set!.state).toBe('rolled-back');
  });

  it('finds files changed since the apply before undoing them', async () => {
    seed();
    const j = new Journal(state);
    const set = await j.apply([{ checkId: 'x', plan: plan() }]);
    writeFileSync(join(root, 'etc/qemu/bridge.conf'), 'allow br0\nallow br1\n');
    expect(await conflictsOf(set)).toEqual([{ path: join(root, 'etc/qemu/bridge.conf'), why: 'changed since qnet wrote it' }]);
  });

  it('runs inverses of commands on undo', async () => {
    const marker = join(root, 'marker');
    const j = new Journal(state);
    await j.apply([{ checkId: 'x', plan: { id: 'p', title: 't', risk: 'low', root: false, actions: [{ kind: 'run', argv: ['touch', marker], inverse: ['rm', '-f', marker] }] } }]);
    expect(existsSync(marker)).toBe(true);
    await j.undo();
    expect(existsSync(marker)).toBe(false);
  });

  // A command that rewrites a backup copy beside the file it edits, as usermod does /etc/group-.
  const toolPlan = (): FixPlan => {
    const [db, old] = [join(root, 'db'), join(root, 'db-old')];
    return {
      id: 'demo/tool', title: 'tool', risk: 'low', root: false,
      actions: [{ kind: 'run', argv: ['sh', '-c', 'cp "$0" "$1" && echo added >> "$0"', db, old], inverse: ['sed', '-i', '/^added$/d', db], touches: [old] }],
    };
  };
  it("undo puts back what a command's own backup copy was (or removes it when the command created it)", async () => {
    writeFileSync(join(root, 'db'), 'line\n');
    for (const before of ['previous\n', undefined]) {
      if (before === undefined) rmSync(join(root, 'db-old'), { force: true });
      else writeFileSync(join(root, 'db-old'), before, { mode: 0o640 });
      const j = new Journal(state);
      await j.apply([{ checkId: 'x', plan: toolPlan() }]);
      expect(readFileSync(join(root, 'db-old'), 'utf8')).toBe('line\n');
      await j.undo();
      expect(readFileSync(join(root, 'db'), 'utf8')).toBe('line\n');
      if (before === undefined) expect(existsSync(join(root, 'db-old'))).toBe(false);
      else {
        expect(readFileSync(join(root, 'db-old'), 'utf8')).toBe(before);
        expect(mode(join(root, 'db-old'))).toBe(0o640);
      }
    }
  });
  it('leaves a touched file alone when something else changed it after the fix', async () => {
    writeFileSync(join(root, 'db'), 'line\n');
    writeFileSync(join(root, 'db-old'), 'previous\n');
    const j = new Journal(state);
    await j.apply([{ checkId: 'x', plan: toolPlan() }]);
    writeFileSync(join(root, 'db-old'), 'written later by someone else\n');
    await j.undo();
    expect(readFileSync(join(root, 'db'), 'utf8')).toBe('line\n');
    expect(readFileSync(join(root, 'db-old'), 'utf8')).toBe('written later by someone else\n');
  });
  it('a plan step killed with SIGKILL at any point is rolled back by the next run', async () => {
    // Bundle a tiny driver that applies plan() in a child process we can kill.
    const driver = join(root, 'driver.mjs');
    const src = join(root, 'driver.ts');
    writeFileSync(src, `import { Journal } from ${JSON.stringify(new URL('../../src/fixes/executor.ts', import.meta.url).pathname)};\nconst [state, plan] = process.argv.slice(2);\nawait new Journal(state).apply([{ checkId: 'x', plan: JSON.parse(plan) }]);\n`);
    await build({ entryPoints: [src], outfile: driver, bundle: true, platform: 'node', format: 'esm', logLevel: 'silent' });
    const steps = plan().actions.length;
    for (let step = 0; step < steps; step++) {
      for (const phase of ['begin', 'done']) {
        rmSync(state, { recursive: true, force: true });
        seed();
        const r = spawnSync(process.execPath, [driver, state, JSON.stringify(plan())], { env: { ...process.env, QNET_TEST_CRASH_AT: `${phase}:${step}` } });
        expect(r.signal).toBe('SIGKILL');
        const j = new Journal(state);
        expect((await j.list())[0]!.state).toBe('interrupted');
        expect(await j.recover()).toHaveLength(1);
        expectOriginal();
        expect((await j.list())[0]!.state).toBe('rolled-back');
      }
    }
  });
});
