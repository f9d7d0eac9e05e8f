// npm run bench: median wall time of `qnet doctor --json` beside `node -e 0`,
// on this host and in network namespaces (one empty, one with 1,000 taps and
// 50 bridges), runs interleaved so machine noise hits all alike; and how
// `qnet lint` scales with the length of the command line (10,000 against
// 100,000 arguments). Prints ratios; asserts nothing. Namespaces are created
// here and always removed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = Number(process.env.QNET_BENCH_RUNS ?? 21);
// The seven core checks (the first doctor milestone); the full doctor also reads every tap's owner and all processes.
const CORE = 'tun-module,tun-perms,ifname-mismatch,qemu-ifup,helper-setuid,helper-acl,br-netfilter';
const BIN = new URL('../bin/qnet.js', import.meta.url).pathname;
const node = process.execPath;

function time(argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${argv.slice(0, 8).join(' ')}${argv.length > 8 ? ` ... (${argv.length} arguments)` : ''} exited ${r.status}: ${String(r.stderr).slice(0, 500)}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** Runs every command RUNS times, round-robin; returns medians by label. */
function measure(cmds) {
  const samples = Object.fromEntries(Object.keys(cmds).map((k) => [k, []]));
  for (const argv of Object.values(cmds)) time(argv); // warm the page cache
  for (let i = 0; i < RUNS; i++) for (const [k, argv] of Object.entries(cmds)) samples[k].push(time(argv));
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

const has = (prog) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', prog]).status === 0;
const isRoot = process.getuid?.() === 0;
const nsNames = [`qnet-bench-empty-${process.pid}`, `qnet-bench-big-${process.pid}`];
let created = [];
function cleanup() {
  for (const ns of created) spawnSync('ip', ['netns', 'del', ns]);
  created = [];
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

const cmds = {
  'node -e 0': [node, '-e', '0'],
  'qnet doctor --json': [node, BIN, 'doctor', '--json'],
  'qnet --version (loading the CLI)': [node, BIN, '--version'],
  'qnet doctor --json --deep': [node, BIN, 'doctor', '--json', '--deep'],
};
if (has('virt-host-validate')) cmds['virt-host-validate qemu'] = ['virt-host-validate', 'qemu'];

let nsOk = false;
if (isRoot && has('ip')) {
  const dir = mkdtempSync(join(tmpdir(), 'qnet-bench-'));
  try {
    for (const ns of nsNames) {
      if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) throw new Error(`ip netns add ${ns} failed`);
      created.push(ns);
    }
    const lines = ['link set lo up'];
    for (let b = 0; b < 50; b++) lines.push(`link add br${b} type bridge`);
    for (let t = 0; t < 1000; t++) lines.push(`tuntap add dev tap${t} mode tap`, `link set tap${t} master br${t % 50}`);
    const batch = join(dir, 'batch');
    writeFileSync(batch, lines.join('\n') + '\n');
    const r = spawnSync('ip', ['-n', nsNames[1], '-batch', batch], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building the 1,000-tap namespace failed: ${r.stderr}`);
    spawnSync('ip', ['-n', nsNames[0], 'link', 'set', 'lo', 'up']);
    const inNs = (ns, argv) => ['ip', 'netns', 'exec', ns, ...argv];
    cmds['netns empty: node -e 0'] = inNs(nsNames[0], [node, '-e', '0']);
    cmds['netns empty: qnet doctor --json'] = inNs(nsNames[0], [node, BIN, 'doctor', '--json']);
    cmds['netns 1000 taps/50 bridges: qnet doctor --json'] = inNs(nsNames[1], [node, BIN, 'doctor', '--json']);
    cmds['netns empty: doctor --json --only CORE'] = inNs(nsNames[0], [node, BIN, 'doctor', '--json', '--only', CORE]);
    cmds['netns 1000 taps/50 bridges: doctor --json --only CORE'] = inNs(nsNames[1], [node, BIN, 'doctor', '--json', '--only', CORE]);
    nsOk = true;
  } catch (err) {
    console.log(`bench: namespaces skipped: ${err.message}`);
    cleanup();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  console.log('bench: namespaces skipped: needs root and iproute2');
}

/**
 * A QEMU command line of `n` arguments whose network options exercise every per-option
 * judgement of lint (netdev ids and the NICs naming them, tap scripts, the bridge helper,
 * hostfwd), in short words so that 100,000 of them fit the kernel's argument limit.
 */
function lintArgv(n) {
  const a = ['qemu-system-x86_64'];
  for (let i = 0; a.length < n; i++) {
    const id = i.toString(36);
    const shapes = [
      ['-netdev', `user,id=u${id}`, '-device', `e1000,netdev=u${id}`],
      ['-netdev', `tap,id=t${id},script=no`],
      ['-netdev', `bridge,id=b${id}`],
      ['-nic', 'user,hostfwd=::0-:22'],
    ];
    const group = shapes[i % shapes.length];
    // A last group that does not fit is replaced by options without a value.
    if (a.length + group.length > n) while (a.length < n) a.push('-no-reboot');
    else a.push(...group);
  }
  return a;
}
const LINT_RUNS = Number(process.env.QNET_BENCH_LINT_RUNS ?? 5);
const lintCmds = {
  'lint, 10,000 arguments': [node, BIN, 'lint', '--json', '--', ...lintArgv(10_000)],
  'lint, 100,000 arguments': [node, BIN, 'lint', '--json', '--', ...lintArgv(100_000)],
};

try {
  console.log(`bench: ${RUNS} interleaved runs each, median wall time`);
  const m = measure(cmds);
  const w = Math.max(...Object.keys(m).map((k) => k.length));
  for (const [k, v] of Object.entries(m)) console.log(`  ${k.padEnd(w)}  ${v.toFixed(1).padStart(7)} ms`);
  const ratio = (a, b) => (m[a] / m[b]).toFixed(2);
  console.log('ratios:');
  console.log(`  doctor / node -e 0 (host)                      ${ratio('qnet doctor --json', 'node -e 0')}x   (goal <= 1.5x)`);
  console.log(`  qnet --version / node -e 0 (the bundle alone)  ${ratio('qnet --version (loading the CLI)', 'node -e 0')}x`);
  console.log(`  doctor --deep / doctor (one QEMU start-up)     ${ratio('qnet doctor --json --deep', 'qnet doctor --json')}x`);
  if (nsOk) {
    console.log(`  doctor / node -e 0 (empty netns)               ${ratio('netns empty: qnet doctor --json', 'netns empty: node -e 0')}x`);
    console.log(`  doctor 1000 taps / doctor empty netns          ${ratio('netns 1000 taps/50 bridges: qnet doctor --json', 'netns empty: qnet doctor --json')}x   (all checks; goal <= 1.15x)`);
    console.log(`  core checks: 1000 taps / empty netns           ${ratio('netns 1000 taps/50 bridges: doctor --json --only CORE', 'netns empty: doctor --json --only CORE')}x   (goal <= 1.3x)`);
  }
  if (m['virt-host-validate qemu'] !== undefined) console.log(`  doctor / virt-host-validate qemu               ${ratio('qnet doctor --json', 'virt-host-validate qemu')}x`);
  else console.log('  virt-host-validate: not installed (Debian: libvirt-clients)');

  // Lint's time against the length of the command line: linear work gives at most 10x for
  // 10x the arguments (less, as start-up and the host reads are paid once).
  const lm = (() => {
    const samples = Object.fromEntries(Object.keys(lintCmds).map((k) => [k, []]));
    for (const argv of Object.values(lintCmds)) time(argv);
    for (let i = 0; i < LINT_RUNS; i++) for (const [k, argv] of Object.entries(lintCmds)) samples[k].push(time(argv));
    return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  })();
  console.log(`lint scaling (${LINT_RUNS} interleaved runs each, median):`);
  for (const [k, v] of Object.entries(lm)) console.log(`  ${k.padEnd(w)}  ${v.toFixed(1).padStart(7)} ms`);
  console.log(`  lint 100,000 / 10,000 arguments                ${(lm['lint, 100,000 arguments'] / lm['lint, 10,000 arguments']).toFixed(2)}x   (linear: <= 10x)`);

  // What each library costs to import on its own (a fresh node per import), beside node -e 0:
  // the reason the interactive ones, execa, diff and yaml load only through import().
  const libs = ['commander', 'picocolors', 'valibot', 'diff', 'yaml', 'execa', 'ora', '@inquirer/prompts'];
  const lib = Object.fromEntries([['node -e 0', [node, '-e', '0']], ...libs.map((l) => [l, [node, '--input-type=module', '-e', `await import(${JSON.stringify(l)})`]])]);
  const li = measure(lib);
  console.log('import cost of each library alone (median, minus node -e 0):');
  for (const l of libs) console.log(`  ${l.padEnd(20)} ${(li[l] - li['node -e 0']).toFixed(1).padStart(7)} ms`);
} finally {
  cleanup();
}
