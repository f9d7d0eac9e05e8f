// Bundles the CLI into one CommonJS file, dist/qnet.cjs, and makes V8's code
// cache for it (dist/qnet.cjs.cache), which bin/qnet.js hands to V8 so that a
// run deserialises compiled code instead of parsing and compiling the bundle.
// Node 20 has no compile cache for ES modules, hence CommonJS. Interactive
// libraries stay behind dynamic import() in the sources: in the bundle their
// code is present but not run (nor compiled) until a command needs them.
//
// The cache is made by one warm-up run over the recorded host fixtures (the
// functions a doctor run compiles are then in it); no host is read. If the
// warm-up fails the build still succeeds: qnet runs without a cache, only slower.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import './gen-registry.mjs';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
const result = await build({
  entryPoints: [join(root, 'src/cli.ts')],
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  write: false,
  outfile: join(dist, 'qnet.cjs'),
});
// Pure ASCII, so that bin/qnet.js can read it as Latin-1 and V8 keeps it as a one-byte
// string: esbuild leaves non-ASCII characters in regular expression literals, and a
// \uXXXX escape means the same character there as in strings and identifiers.
const code = result.outputFiles[0].text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
// bin/qnet.js runs the bundle as a vm.Script, where import() has no loader behind it:
// node: modules are reached with process.getBuiltinModule, everything else is bundled.
const dynamic = /(?<![\w$.])import\(/.exec(code);
if (dynamic) {
  const line = code.slice(0, dynamic.index).split('\n').length;
  throw new Error(`dist/qnet.cjs:${line}: a dynamic import() is left in the bundle; use process.getBuiltinModule('node:...') for built-in modules`);
}
// The first line names this build; the cache carries the same line, so a cache
// left from another build is never used (V8 itself compares only the length).
// The rest is the module already wrapped as CommonJS wraps it.
const id = createHash('sha256').update(code).digest('hex').slice(0, 32);
const bundle = `//qnet-build:${id}\n(function (exports, require, module, __filename, __dirname) {\n${code}\n})\n`;
writeAtomic(join(dist, 'qnet.cjs'), bundle);

const cache = join(dist, 'qnet.cjs.cache');
const warm = warmUpSnapshot();
try {
  const r = spawnSync(process.execPath, [join(root, 'bin/qnet.js'), 'doctor', '--no-color', '--snapshot', warm.file], {
    env: { ...process.env, QNET_WRITE_CODE_CACHE: cache, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 60_000,
  });
  if (!existsSync(cache)) {
    process.stderr.write(`build: no code cache made (warm-up exited ${r.status ?? r.signal}: ${String(r.stderr).trim().split('\n')[0] ?? ''}); qnet works without it, only starts slower\n`);
  }
} finally {
  rmSync(warm.dir, { recursive: true, force: true });
}

function writeAtomic(path, data) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { flag: 'wx' });
  renameSync(tmp, path);
}

/** One snapshot holding the reads of one recorded scenario per check: every check runs its code on it. */
function warmUpSnapshot() {
  const dir = mkdtempSync(join(tmpdir(), 'qnet-build-'));
  const file = join(dir, 'warm-up.json');
  const fixtures = join(root, 'fixtures');
  let merged;
  for (const check of existsSync(fixtures) ? readdirSync(fixtures).sort() : []) {
    const files = readdirSync(join(fixtures, check)).filter((f) => f.endsWith('.json')).sort();
    for (const f of files.slice(0, 2)) {
      let snap;
      try {
        snap = JSON.parse(readFileSync(join(fixtures, check, f), 'utf8'));
      } catch {
        continue;
      }
      if (!merged) merged = { ...snap, options: { ...snap.options, only: undefined }, reads: {} };
      for (const [k, v] of Object.entries(snap.reads ?? {})) if (!(k in merged.reads)) merged.reads[k] = v;
    }
  }
  writeFileSync(file, JSON.stringify(merged ?? {}));
  return { dir, file };
}
