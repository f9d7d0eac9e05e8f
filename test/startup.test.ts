// The entry point and its code cache: the build's cache is one V8 accepts, and a
// cache that does not belong to the bundle (another build, damaged) is never used
// for it: qnet then runs exactly as without one.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
let dir: string;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/qnet.cjs'))) execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT });
  dir = mkdtempSync(join(tmpdir(), 'qnet-startup-'));
  cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const qnet = (...args: string[]) => spawnSync(process.execPath, [join(dir, 'bin/qnet.js'), ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

/** Loads the bundle the way bin/qnet.js does, in a fresh node, and says whether V8 took the cache. */
function cacheVerdict(): string {
  const probe = `
    const fs = require('node:fs'), vm = require('node:vm');
    const file = ${JSON.stringify(join(dir, 'dist/qnet.cjs'))};
    const src = fs.readFileSync(file, 'latin1');
    const first = src.slice(0, src.indexOf('\\n') + 1);
    const c = fs.readFileSync(file + '.cache');
    if (c.subarray(0, first.length).toString('latin1') !== first) { console.log('other build'); process.exit(0); }
    const s = new vm.Script(src, { filename: file, cachedData: c.subarray(first.length) });
    console.log(s.cachedDataRejected ? 'rejected' : 'accepted');`;
  return execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }).trim();
}

describe('start-up', () => {
  it('the build leaves a code cache that V8 accepts for the bundle', () => {
    expect(existsSync(join(dir, 'dist/qnet.cjs.cache'))).toBe(true);
    expect(readFileSync(join(dir, 'dist/qnet.cjs'), 'utf8')).toMatch(/^\/\/qnet-build:[0-9a-f]{32}\n/);
    expect(cacheVerdict()).toBe('accepted');
  });

  it('the bundle is pure ASCII (read as Latin-1) and has no dynamic import() left (it could not run under the cached loader)', () => {
    const text = readFileSync(join(dir, 'dist/qnet.cjs'), 'utf8');
    expect(text).not.toMatch(/[^\x00-\x7f]/);
    expect(text).not.toMatch(/(?<![\w$.])import\(/);
  });

  it('non-ASCII patterns (escaped in the bundle) match as in the sources: explain reads a Chinese, a Russian and a German description', async () => {
    const { diagnose } = await import('../src/explain/diagnose.js');
    for (const text of ['我的无线网卡不能加入网桥', 'виртуальная машина потеряла сеть после установки docker', 'Die virtuelle Maschine bekommt keine Verbindung über die Brücke zum WLAN']) {
      const expected = diagnose(text).map((d) => d.cause.id);
      expect(expected.length, text).toBeGreaterThan(0);
      const r = spawnSync(process.execPath, [join(dir, 'bin/qnet.js'), 'explain', '--json', '-'], { input: text, encoding: 'utf8' });
      const doc = JSON.parse(r.stdout) as { matches: { id: string }[] };
      expect(doc.matches.map((m) => m.id), text).toEqual(expected);
    }
  });

  it('a cache from another build is ignored and qnet still works', () => {
    const cache = readFileSync(join(dir, 'dist/qnet.cjs.cache'));
    const other = Buffer.from(cache);
    other.write('//qnet-build:00000000000000000000000000000000\n', 0, 'latin1');
    writeFileSync(join(dir, 'dist/qnet.cjs.cache'), other);
    try {
      expect(cacheVerdict()).toBe('other build');
      const r = qnet('--version');
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    } finally {
      writeFileSync(join(dir, 'dist/qnet.cjs.cache'), cache);
    }
  });

  it('a damaged cache with the right build line is rejected by V8, and qnet still diagnoses', () => {
    const cache = readFileSync(join(dir, 'dist/qnet.cjs.cache'));
    const first = readFileSync(join(dir, 'dist/qnet.cjs'), 'utf8').split('\n')[0]! + '\n';
    const damaged = Buffer.concat([Buffer.from(first, 'latin1'), Buffer.alloc(4096, 0x5a)]);
    writeFileSync(join(dir, 'dist/qnet.cjs.cache'), damaged);
    try {
      expect(cacheVerdict()).toBe('rejected');
      const r = qnet('doctor', '--json', '--only', 'tun-module');
      expect([0, 1]).toContain(r.status);
      expect(JSON.parse(r.stdout).schema).toBe('qnet.doctor/v1');
    } finally {
      writeFileSync(join(dir, 'dist/qnet.cjs.cache'), cache);
    }
  });

  it('without a cache qnet runs the same, and a missing bundle is one line, exit 2', () => {
    rmSync(join(dir, 'dist/qnet.cjs.cache'));
    const r = qnet('doctor', '--json', '--only', 'tun-module');
    expect(JSON.parse(r.stdout).results[0].id).toBe('tun-module');
    rmSync(join(dir, 'dist'), { recursive: true });
    const m = qnet('--version');
    expect(m.status).toBe(2);
    expect(m.stderr).toBe('qnet: the bundle is missing; run `npm run build` (npm install does it for you)\n');
  });
});
