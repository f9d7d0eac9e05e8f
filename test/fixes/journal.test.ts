// The executor's journal and lock against real files and real processes in a
// temp directory: the lock (held, refused with the holder's name, taken over
// from a dead holder), undo that never gets stuck (inverseUnless, progress kept
// step by step), damaged sets listed and forgotten, base hashes, typed mkdir
// and remove-file, reloads after an undo, failed commands, partial rollback.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Journal, StaleError } from '../../src/fixes/executor.js';
import { LockBusyError, StateDirError } from '../../src/fixes/lock.js';
import { planUndoability } from '../../src/fixes/undoable.js';
import type { Action, FixPlan } from '../../src/types.js';

let root: string;
let state: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'qnet-journal-'));
  state = join(root, 'state');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const plan = (actions: Action[], id = 'demo/plan'): FixPlan => ({ id, title: id, risk: 'low', root: false, actions });
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const lines = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean) : []);

// A child process that takes the lock (through a Journal) and waits: bundled once.
let driverDir = '';
let driver = '';
beforeAll(async () => {
  driverDir = mkdtempSync(join(tmpdir(), 'qnet-journal-driver-'));
  const src = join(driverDir, 'driver.ts');
  writeFileSync(
    src,
    `import { Journal } from ${JSON.stringify(new URL('../../src/fixes/executor.ts', import.meta.url).pathname)};\n` +
      `const [dir, ms] = process.argv.slice(2);\nconst j = new Journal(dir);\nj.lock('qnet fix --yes tun-perms');\nconsole.log('locked');\nsetTimeout(() => { j.unlock(); }, Number(ms));\n`,
  );
  driver = join(driverDir, 'driver.mjs');
  await build({ entryPoints: [src], outfile: driver, bundle: true, platform: 'node', format: 'esm', logLevel: 'silent' });
});
afterAll(() => rmSync(driverDir, { recursive: true, force: true }));

function holdLock(ms: number): Promise<ReturnType<typeof spawn>> {
  const p = spawn(process.execPath, [driver, state, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    p.stdout!.setEncoding('utf8').on('data', (d: string) => d.includes('locked') && resolve(p));
    p.on('exit', (code) => reject(new Error(`the lock holder exited ${code}`)));
  });
}

describe('the state directory lock', () => {
  it('a second taker is refused with the holder named (pid, command, since); released when the holder ends, even by SIGKILL', async () => {
    const holder = await holdLock(60_000);
    try {
      const j = new Journal(state);
      let err: unknown;
      try {
        j.lock();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LockBusyError);
      expect((err as Error).message).toMatch(new RegExp(`^another qnet is changing this host: pid ${holder.pid} \\(qnet fix --yes tun-perms\\), since \\d{4}-\\d\\d-\\d\\dT`));
      // Changing methods take the lock themselves: they refuse too, and change nothing.
      writeFileSync(join(root, 'f'), 'old\n');
      await expect(j.apply([{ checkId: 'x', plan: plan([{ kind: 'write-file', path: join(root, 'f'), content: 'new\n', mode: 0o644 }]) }])).rejects.toBeInstanceOf(LockBusyError);
      expect(readFileSync(join(root, 'f'), 'utf8')).toBe('old\n');
      await expect(j.undo()).rejects.toBeInstanceOf(LockBusyError);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    // The holder died without releasing: its name is still in the file, the lock is free.
    const j = new Journal(state);
    const lock = j.lock('qnet undo');
    expect(lock.tookOverFrom?.pid).toBe(holder.pid);
    expect(lock.tookOverFrom?.command).toBe('qnet fix --yes tun-perms');
    j.unlock();
    // Released cleanly: nobody to take over from.
    expect(new Journal(state).lock().tookOverFrom).toBeUndefined();
  });

  it('within one process a second Journal shares the lock instead of refusing itself', async () => {
    const a = new Journal(state);
    a.lock();
    try {
      const b = new Journal(state);
      const set = await b.apply([{ checkId: 'x', plan: plan([{ kind: 'write-file', path: join(root, 'g'), content: 'x\n', mode: 0o644 }]) }]);
      expect(set.state).toBe('applied');
    } finally {
      a.unlock();
    }
  });

  it('a state directory that is a file, or writable by others, is refused with one line', async () => {
    writeFileSync(join(root, 'file'), '');
    expect(() => new Journal(join(root, 'file')).lock()).toThrow(StateDirError);
    expect(() => new Journal(join(root, 'file')).lock()).toThrow(/is not a directory$/);
    await expect(new Journal(join(root, 'file')).list()).rejects.toThrow(/is not a directory$/);
    mkdirSync(join(root, 'open'), { mode: 0o777 });
    spawnSync('chmod', ['0777', join(root, 'open')]);
    expect(() => new Journal(join(root, 'open')).lock()).toThrow(/writable by others/);
  });
});

describe('undo that never gets stuck', () => {
  it("an inverse whose work is already done (inverseUnless holds) counts as unchanged, and the set is undone", async () => {
    const marker = join(root, 'member');
    const j = new Journal(state);
    await j.apply([{ checkId: 'x', plan: plan([{ kind: 'run', argv: ['touch', marker], inverse: ['rm', marker], inverseUnless: { argv: ['test', '-e', marker], holdsOn: [1] } }]) }]);
    rmSync(marker); // undone by hand: `rm` would now fail
    const undone = await j.undo();
    expect(undone.state).toBe('undone');
    expect(undone.events.filter((e) => e.event === 'reverted')).toMatchObject([{ step: 0, outcome: 'unchanged' }]);
  });

  it('an undo that stops at a failing step keeps its progress; run again, it continues and redoes nothing', async () => {
    const counter = join(root, 'counter');
    const blocker = join(root, 'blocker');
    writeFileSync(blocker, '');
    const j = new Journal(state);
    const set = await j.apply([
      {
        checkId: 'x',
        plan: plan([
          { kind: 'run', argv: ['true'], inverse: ['sh', '-c', 'echo reverted >> "$0"', counter] },
          { kind: 'run', argv: ['true'], inverse: ['rm', blocker] },
        ]),
      },
    ]);
    // The second step's inverse fails (rm of a directory) until the cause is fixed.
    rmSync(blocker);
    mkdirSync(blocker);
    await expect(j.undo()).rejects.toThrow(/step 2: rm .* exited 1.*run `qnet undo \S+` again to continue/);
    // Step 1 was put back anyway, and journaled.
    expect(lines(counter)).toEqual(['reverted']);
    const half = await j.read(set.record.id);
    expect(half.state).toBe('partly-undone');
    // The newest applied-or-partly-undone set is what `undo` takes.
    rmSync(blocker, { recursive: true });
    writeFileSync(blocker, '');
    const undone = await j.undo();
    expect(undone.record.id).toBe(set.record.id);
    expect(undone.state).toBe('undone');
    expect(existsSync(blocker)).toBe(false);
    expect(lines(counter)).toEqual(['reverted']); // step 1 not reverted twice
  });

  it('a failed command is not "undone" by its inverse on rollback (it changed nothing)', async () => {
    const log = join(root, 'log');
    const j = new Journal(state);
    await expect(
      j.apply([{ checkId: 'x', plan: plan([{ kind: 'run', argv: ['sh', '-c', 'exit 9'], inverse: ['sh', '-c', 'echo inverse >> "$0"', log] }]) }]),
    ).rejects.toThrow(/exited 9/);
    expect(existsSync(log)).toBe(false);
    expect((await j.list())[0]!.state).toBe('rolled-back');
  });

  it('a torn last journal line (crash mid-write) stays alone: later events are still read', async () => {
    const j = new Journal(state);
    const set = await j.apply([{ checkId: 'x', plan: plan([{ kind: 'write-file', path: join(root, 'h'), content: 'x\n', mode: 0o644 }]) }]);
    const journal = join(state, 'sets', set.record.id, 'journal.jsonl');
    appendFileSync(journal, '{"event":"undo-be'); // a write cut short, no newline
    const undone = await j.undo();
    expect(undone.state).toBe('undone');
    expect(existsSync(join(root, 'h'))).toBe(false);
    expect((await j.read(set.record.id)).state).toBe('undone');
  });
});

describe('damaged sets: listed, never hidden; forgotten on request', () => {
  async function appliedSet(j: Journal) {
    return j.apply([{ checkId: 'tun-perms', plan: plan([{ kind: 'write-file', path: join(root, 'i'), content: 'x\n', mode: 0o644 }], 'tun-perms/mode-0666') }]);
  }
  it('a truncated set.json is listed as unreadable, cannot be undone, and --forget drops it', async () => {
    const j = new Journal(state);
    const set = await appliedSet(j);
    const file = join(state, 'sets', set.record.id, 'set.json');
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const [listed] = await j.list();
    expect(listed).toMatchObject({ state: 'unreadable', problem: 'set.json is truncated or not JSON', record: { id: set.record.id } });
    await expect(j.undo(set.record.id)).rejects.toThrow(/cannot be undone: set\.json is truncated or not JSON; `qnet undo --forget/);
    expect((await j.contents(set.record.id)).map((f) => f.path)).toEqual(['journal.jsonl', 'set.json']);
    await j.forget(set.record.id);
    expect(await j.list()).toEqual([]);
  });
  it('a journal with lines missing in the middle is unreadable (never half-undone from a partial record)', async () => {
    const j = new Journal(state);
    const set = await j.apply([
      { checkId: 'x', plan: plan([{ kind: 'write-file', path: join(root, 'a'), content: 'a\n', mode: 0o644 }, { kind: 'write-file', path: join(root, 'b'), content: 'b\n', mode: 0o644 }]) },
    ]);
    const journal = join(state, 'sets', set.record.id, 'journal.jsonl');
    const kept = lines(journal).filter((l) => !/"event":"begin","step":0/.test(l));
    writeFileSync(journal, kept.join('\n') + '\n');
    expect((await j.read(set.record.id)).state).toBe('unreadable');
    expect((await j.read(set.record.id)).problem).toMatch(/journal\.jsonl is damaged/);
  });
});

describe('plans bound to what was previewed', () => {
  it('a write-file whose file changed since the plan was made is refused before anything is applied', async () => {
    const f = join(root, 'conf');
    writeFileSync(f, 'as previewed\n');
    const other = join(root, 'other');
    const j = new Journal(state);
    const p = plan([
      { kind: 'write-file', path: other, content: 'first step\n', mode: 0o644, base: 'absent' },
      { kind: 'write-file', path: f, content: 'new\n', mode: 0o644, base: sha('as previewed\n') },
    ]);
    writeFileSync(f, 'edited meanwhile\n');
    await expect(j.apply([{ checkId: 'x', plan: p }])).rejects.toThrow(StaleError);
    await expect(j.apply([{ checkId: 'x', plan: p }])).rejects.toThrow(/conf changed since the plan was made.*run qnet fix again/);
    expect(readFileSync(f, 'utf8')).toBe('edited meanwhile\n');
    expect(existsSync(other)).toBe(false);
    // Unchanged since: applied.
    writeFileSync(f, 'as previewed\n');
    expect((await j.apply([{ checkId: 'x', plan: p }])).state).toBe('applied');
    expect(readFileSync(f, 'utf8')).toBe('new\n');
  });
});

describe('typed actions', () => {
  it('mkdir creates what is missing; undo removes only the directories it created, each only if empty', async () => {
    mkdirSync(join(root, 'dev'));
    const j = new Journal(state);
    await j.apply([{ checkId: 'x', plan: plan([{ kind: 'mkdir', path: join(root, 'dev/net/deep'), mode: 0o750 }]) }]);
    expect(statSync(join(root, 'dev/net/deep')).mode & 0o777).toBe(0o750);
    writeFileSync(join(root, 'dev/net/kept'), ''); // someone else's file in a directory qnet created
    await j.undo();
    expect(existsSync(join(root, 'dev/net/deep'))).toBe(false);
    expect(existsSync(join(root, 'dev/net/kept'))).toBe(true);
    rmSync(join(root, 'dev/net'), { recursive: true });
    await j.apply([{ checkId: 'x', plan: plan([{ kind: 'mkdir', path: join(root, 'dev/net'), mode: 0o755 }]) }]);
    await j.undo();
    expect(readdirSync(join(root, 'dev'))).toEqual([]);
  });
  it('mknod-char into a missing directory: undo removes the node and the directory', async () => {
    const j = new Journal(state);
    await j.apply([{ checkId: 'x', plan: plan([{ kind: 'mknod-char', path: join(root, 'devnet/tun'), major: 1, minor: 3, mode: 0o666 }]) }]);
    expect(statSync(join(root, 'devnet/tun')).isCharacterDevice()).toBe(true);
    await j.undo();
    expect(existsSync(join(root, 'devnet'))).toBe(false);
  });
  it('remove-file keeps the file in the journal; undo puts it back, then runs the reload last', async () => {
    const f = join(root, 'Wired connection 1.nmconnection');
    writeFileSync(f, '[connection]\nid=Wired connection 1\n', { mode: 0o600 });
    const log = join(root, 'reload.log');
    const reload = ['sh', '-c', 'if [ -e "$0" ]; then echo present; else echo absent; fi >> "$1"', f, log];
    const p = plan([{ kind: 'remove-file', path: f }, { kind: 'run', argv: reload, refresh: true }]);
    expect(planUndoability(p).reversible).toBe(true);
    const j = new Journal(state);
    await j.apply([{ checkId: 'nm-conflict', plan: p }]);
    expect(existsSync(f)).toBe(false);
    await j.undo();
    expect(readFileSync(f, 'utf8')).toBe('[connection]\nid=Wired connection 1\n');
    expect(statSync(f).mode & 0o777).toBe(0o600);
    // The reload saw the file gone after the apply, and back after the undo.
    expect(lines(log)).toEqual(['absent', 'present']);
  });
  it('a run without inverse makes a plan irreversible; onlyTouches and refresh do not', () => {
    expect(planUndoability(plan([{ kind: 'run', argv: ['apt-get', 'install', '-y', 'qemu-system-common'] }]))).toEqual({ reversible: false, why: ['apt-get install -y qemu-system-common has no inverse'] });
    expect(planUndoability(plan([{ kind: 'run', argv: ['update-grub'], touches: ['/boot/grub/grub.cfg'], onlyTouches: true }])).reversible).toBe(true);
    expect(planUndoability(plan([{ kind: 'mkdir', path: '/dev/net', mode: 0o755 }])).reversible).toBe(true);
    expect(planUndoability({ ...plan([]), reversible: false, explain: 'deletes data' })).toEqual({ reversible: false, why: ['deletes data'] });
  });
});

describe('rolling back the fixes of a set that did not verify', () => {
  it('reverts only those fixes, newest first; the set stays applied for the rest', async () => {
    const [a, b] = [join(root, 'a'), join(root, 'b')];
    const j = new Journal(state);
    const set = await j.apply([
      { checkId: 'one', plan: plan([{ kind: 'write-file', path: a, content: 'a\n', mode: 0o644 }], 'one/p') },
      { checkId: 'two', plan: plan([{ kind: 'write-file', path: b, content: 'b\n', mode: 0o644 }], 'two/p') },
    ]);
    const after = await j.rollbackFixes(set.record.id, [1], 'not verified');
    expect(after.state).toBe('applied');
    expect(after.rolledBackFixes).toEqual([1]);
    expect(existsSync(a)).toBe(true);
    expect(existsSync(b)).toBe(false);
    await j.undo();
    expect(existsSync(a)).toBe(false);
    // Both rolled back: the whole set is.
    const s2 = await j.apply([{ checkId: 'one', plan: plan([{ kind: 'write-file', path: a, content: 'a\n', mode: 0o644 }], 'one/p') }]);
    expect((await j.rollbackFixes(s2.record.id, [0], 'not verified')).state).toBe('rolled-back');
  });
});
