// Runs the whole suite (type check, bundle, vitest) and ends with the plain
// "N passed, N failed, N skipped" line CI reads. Exit code is vitest's.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;

// The check registry is generated from checks/ before anything reads it.
if (run('node', ['scripts/gen-registry.mjs']) !== 0 || run('npx', ['tsc', '--noEmit']) !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
if (run('node', ['scripts/build.mjs']) !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'qnet-vitest-'));
const out = join(dir, 'results.json');
const status = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)]);
let line = '0 passed, 1 failed';
try {
  const r = JSON.parse(readFileSync(out, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  line = `${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : '');
} catch {
  /* vitest died before writing results */
}
rmSync(dir, { recursive: true, force: true });
console.log(line);
process.exit(status);
