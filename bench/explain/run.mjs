// npm run bench:explain: how often `qnet explain` names the resolved cause of
// real public reports first (top-1) and among its first three (top-3), on the
// tuning part and the held-out part of bench/explain/corpus.jsonl (split fixed
// in split.mjs), the confusion between causes, and the time `qnet explain`
// takes on a 1 MB log beside `qnet doctor --json`. Prints; asserts nothing.
//   node bench/explain/run.mjs [--part tuning|heldout|all] [--misses] [--no-speed]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { partOf } from './split.mjs';

const args = process.argv.slice(2);
const part = args.includes('--part') ? args[args.indexOf('--part') + 1] : 'all';
const showMisses = args.includes('--misses');
const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'qnet-bench-explain-'));
try {
  await build({ entryPoints: [join(root, 'src/explain/diagnose.ts')], bundle: true, platform: 'node', format: 'esm', outfile: join(dir, 'd.mjs'), logLevel: 'warning' });
  const { diagnose } = await import(join(dir, 'd.mjs'));
  const rows = readFileSync(join(root, 'bench/explain/corpus.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const parts = { tuning: [], heldout: [] };
  for (const r of rows) parts[partOf(r.url)].push(r);
  const confusion = new Map();
  for (const name of ['tuning', 'heldout']) {
    if (part !== 'all' && part !== name) continue;
    const list = parts[name];
    let top1 = 0, top3 = 0;
    const byKind = {};
    for (const r of list) {
      const ids = diagnose(r.text).map((d) => d.cause.id);
      const k = (byKind[r.kind] ??= { n: 0, top1: 0, top3: 0 });
      k.n++;
      if (ids[0] === r.cause) { top1++; k.top1++; }
      if (ids.slice(0, 3).includes(r.cause)) { top3++; k.top3++; }
      if (ids[0] !== r.cause) {
        const key = `${r.cause} -> ${ids[0] ?? '(nothing)'}`;
        confusion.set(key, (confusion.get(key) ?? 0) + 1);
        if (showMisses) console.log(`  miss [${name}] ${r.cause} got ${ids.slice(0, 3).join(',') || '-'}  ${r.url}`);
      }
    }
    const pct = (a, n) => (n ? ((100 * a) / n).toFixed(1) : '-');
    console.log(`${name}: ${list.length} reports  top-1 ${pct(top1, list.length)} %  top-3 ${pct(top3, list.length)} %`);
    // Reports gathered after the matcher was tuned (marked "added"): never seen while tuning.
    const late = list.filter((r) => r.added);
    if (late.length) {
      let l1 = 0, l3 = 0;
      for (const r of late) {
        const ids = diagnose(r.text).map((d) => d.cause.id);
        if (ids[0] === r.cause) l1++;
        if (ids.slice(0, 3).includes(r.cause)) l3++;
      }
      console.log(`  added later ${String(late.length).padStart(3)}  top-1 ${pct(l1, late.length)} %  top-3 ${pct(l3, late.length)} %`);
    }
    for (const [kind, k] of Object.entries(byKind)) console.log(`  ${kind.padEnd(11)} ${String(k.n).padStart(3)}  top-1 ${pct(k.top1, k.n)} %  top-3 ${pct(k.top3, k.n)} %`);
  }
  if (confusion.size) {
    console.log('confusion (resolved cause -> first answer):');
    for (const [k, v] of [...confusion].sort((a, b) => b[1] - a[1])) console.log(`  ${String(v).padStart(3)}  ${k}`);
  }

  if (!args.includes('--no-speed')) {
    // A 1 MB log: real report lines buried in ordinary journal noise.
    const noise = [
      'Nov 30 10:00:01 host systemd[1]: Started Session 42 of user alice.',
      'Nov 30 10:00:02 host kernel: [ 1234.567890] usb 1-2: new high-speed USB device number 5 using xhci_hcd',
      'Nov 30 10:00:03 host NetworkManager[812]: <info>  [1701338403.1234] dhcp4 (eth0): state changed bound -> bound',
      'Nov 30 10:00:04 host libvirtd[1002]: 2023-11-30 10:00:04.123+0000: 1002: info : libvirt version: 9.0.0',
    ];
    const lines = [];
    let size = 0;
    for (let i = 0; size < 1_000_000; i++) {
      const l = noise[i % noise.length];
      lines.push(l);
      size += l.length + 1;
    }
    lines.splice(lines.length >> 1, 0, 'Nov 30 10:00:05 host libvirtd[1002]: error : virNetDevTapCreate:240 : Unable to create tap device vnet0: Device or resource busy');
    const log = join(dir, 'big.log');
    writeFileSync(log, lines.join('\n'));
    const bin = join(root, 'bin/qnet.js');
    const runs = Number(process.env.QNET_BENCH_RUNS ?? 7);
    const time = (argv, input) => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, argv, { input, stdio: ['pipe', 'ignore', 'pipe'] });
      if (r.status !== 0 && r.status !== 1) throw new Error(`${argv.join(' ')}: exit ${r.status} ${r.stderr}`);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
    const doc = [], exp = [];
    const body = readFileSync(log);
    for (let i = 0; i < runs; i++) {
      doc.push(time([bin, 'doctor', '--json']));
      exp.push(time([bin, 'explain', '--json', '-'], body));
    }
    const d = med(doc), e = med(exp);
    console.log(`speed (median of ${runs}): qnet doctor --json ${d.toFixed(0)} ms; qnet explain --json - on a ${(body.length / 1048576).toFixed(2)} MB log ${e.toFixed(0)} ms; ratio ${(e / d).toFixed(2)} (goal ≤ 1.5)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
