// qnet's command line. Errors a user can act on are one line on stderr and
// exit 2; a bug is the only thing that may print a stack trace.
import { existsSync, readFileSync, renameSync, openSync, closeSync, fsyncSync, writeSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ALL_CHECKS } from '../checks/index.js';
import { Context, liveInvoker } from './context.js';
import { doctor, exitCodeOf, selectChecks, VERSION } from './engine.js';
import { LiveHost } from './host/live.js';
import { CachingHost, SnapshotHost } from './host/record.js';
import { parseSnapshot, SNAPSHOT_SCHEMA, type SnapshotFile } from './host/snapshot-file.js';
import { redactReads } from './host/redact.js';
import { UsageError } from './types.js';

interface CommonOpts {
  json?: boolean;
  user?: string;
  snapshot?: string;
  only?: string[];
  skip?: string[];
  verbose?: boolean;
  color?: boolean;
  guest?: boolean;
}

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

function useColor(opts: CommonOpts): boolean {
  if (opts.color === false || 'NO_COLOR' in process.env) return false;
  return Boolean(process.stdout.isTTY);
}

function loadSnapshot(path: string): SnapshotFile {
  let body: string;
  try {
    body = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read snapshot ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseSnapshot(body, path);
}

function makeContext(opts: CommonOpts): { ctx: Context; caching?: CachingHost } {
  if (opts.snapshot) {
    const snap = loadSnapshot(opts.snapshot);
    // Judge the user the recording judged, unless told otherwise.
    const user = opts.user ?? snap.options?.user;
    const ctx = new Context({ host: new SnapshotHost(snap.reads), invoker: snap.invoker, user, source: 'snapshot', guest: opts.guest || snap.options?.guest });
    return { ctx };
  }
  const caching = new CachingHost(new LiveHost());
  return { ctx: new Context({ host: caching, invoker: liveInvoker(), user: opts.user, source: 'live', guest: opts.guest }), caching };
}

async function runDoctor(opts: CommonOpts): Promise<number> {
  const checks = selectChecks(ALL_CHECKS, { only: opts.only, skip: opts.skip });
  const { ctx } = makeContext(opts);
  const report = await doctor(ctx, checks);
  if (opts.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    const color = useColor(opts);
    if (!color) process.env.FORCE_COLOR = '0';
    const { renderText } = await import('./output/text.js');
    process.stdout.write(await renderText(report, { color, verbose: Boolean(opts.verbose) }));
  }
  if (!opts.snapshot) await warnInterrupted();
  return exitCodeOf(report.results);
}

async function runLint(cmd: string[], opts: CommonOpts & { pid?: string }): Promise<number> {
  const { ctx } = makeContext(opts);
  let argv = cmd;
  if (opts.pid !== undefined) {
    if (cmd.length) throw new UsageError('give either --pid or a command line after --, not both');
    if (!/^\d+$/.test(opts.pid)) throw new UsageError(`--pid ${opts.pid}: not a process ID`);
    const r = await ctx.host.readFile(`/proc/${opts.pid}/cmdline`);
    if (!r.ok) throw new UsageError(`--pid ${opts.pid}: cannot read its command line (${r.code})`);
    argv = r.value.toString('utf8').split('\0').filter(Boolean);
  }
  const { lint } = await import('./commands/lint.js');
  const { summarize } = await import('./engine.js');
  const report = await lint(ctx, argv);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ schema: 'qnet.lint/v1', qnet: VERSION, kind: report.kind, argv, summary: summarize(report.results), results: report.results }, null, 2) + '\n');
  } else {
    const color = useColor(opts);
    const pc = (await import('picocolors')).default.createColors(color);
    const { renderResult } = await import('./output/text.js');
    const lines = [pc.bold(`qnet lint · ${report.kind === 'qemu' ? 'QEMU' : 'UML'} · ${argv[0]}`)];
    for (const r of report.results) lines.push(...renderResult(r, pc, Boolean(opts.verbose)));
    process.stdout.write(lines.join('\n') + '\n');
  }
  return exitCodeOf(report.results);
}

/** The doctor changes nothing, but it says when an earlier fix was left half-applied. */
async function warnInterrupted(): Promise<void> {
  const { stateDir } = await import('./fixes/executor.js');
  if (!existsSync(`${stateDir()}/sets`)) return;
  try {
    const { Journal } = await import('./fixes/executor.js');
    const stuck = (await new Journal().list()).filter((s) => s.state === 'interrupted');
    for (const s of stuck) {
      process.stderr.write(`qnet: fix set ${s.record.id} was interrupted half-way; \`sudo qnet undo\` (or the next \`qnet fix\`) rolls it back\n`);
    }
  } catch {
    /* not readable as this user */
  }
}

/** Writes a file atomically: temp file, fsync, rename. Mode 0600: a snapshot describes the host. */
function writeAtomic(path: string, body: string): void {
  const tmp = `${path}.qnet-${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

async function runSnapshot(opts: CommonOpts & { output: string }): Promise<number> {
  if (opts.snapshot) throw new UsageError('snapshot records a live host; it cannot read from --snapshot');
  const checks = selectChecks(ALL_CHECKS, { only: opts.only, skip: opts.skip });
  const { ctx, caching } = makeContext(opts);
  const report = await doctor(ctx, checks);
  const snap: SnapshotFile = {
    schema: SNAPSHOT_SCHEMA,
    qnet: VERSION,
    createdAt: new Date().toISOString(),
    invoker: ctx.invoker,
    host: { ...report.host },
    ...(opts.user || opts.guest ? { options: { ...(opts.user ? { user: opts.user } : {}), ...(opts.guest ? { guest: true } : {}) } } : {}),
    results: report.results,
    reads: redactReads(await caching!.records()),
  };
  const body = JSON.stringify(snap, null, 1) + '\n';
  if (opts.output === '-') process.stdout.write(body);
  else {
    try {
      writeAtomic(opts.output, body);
    } catch (err) {
      throw new UsageError(`cannot write ${opts.output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    process.stderr.write(`qnet: wrote ${Object.keys(snap.reads).length} reads to ${opts.output} (replay: qnet doctor --snapshot ${opts.output})\n`);
  }
  return 0;
}

function addCommon(cmd: Command, withSnapshot = true): Command {
  cmd
    .option('--json', 'machine-readable output on stdout, nothing else there')
    .option('--user <name>', 'judge access for this user (default: SUDO_USER under sudo, else you)')
    .option('--only <ids>', 'run only these check IDs (comma-separated)', list)
    .option('--skip <ids>', 'skip these check IDs (comma-separated)', list)
    .option('-v, --verbose', 'show the evidence of passing checks too')
    .option('--no-color', 'no colour (also: NO_COLOR)')
    .option('--guest', 'run the guest-side checks even if no hypervisor is detected');
  if (withSnapshot) cmd.option('--snapshot <file>', 'read the host from a qnet snapshot instead of this system');
  return cmd;
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('qnet')
    .description('Finds and fixes what breaks QEMU/KVM and User-Mode Linux host networking')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });

  addCommon(program.command('doctor').description('run every check and print findings (reads only, changes nothing)')).action(
    async (opts: CommonOpts) => setExit(await runDoctor(opts)),
  );

  addCommon(program.command('snapshot').description('record what the checks read from this host, for replay elsewhere'), false)
    .addOption(new Option('-o, --output <file>', 'where to write the snapshot (- for stdout)').makeOptionMandatory())
    .action(async (opts: CommonOpts & { output: string }) => setExit(await runSnapshot(opts)));

  addCommon(
    program
      .command('lint')
      .description('check a QEMU or UML command line (given after --, or of a running process) against this host')
      .argument('[cmd...]', 'the command line, after --')
      .option('--pid <pid>', 'lint the command line of this running process'),
  ).action(async (cmd: string[], opts: CommonOpts & { pid?: string }) => {
    setExit(await runLint(cmd, opts));
  });

  addCommon(program.command('report').description('the findings as Markdown for a bug tracker, redacted by default'))
    .option('-o, --output <file>', 'write the report to a file (default: stdout)')
    .option('--no-redact', 'keep real addresses, MACs, host and user names')
    .action(async (opts: CommonOpts & { output?: string; redact: boolean }) => {
      const checks = selectChecks(ALL_CHECKS, { only: opts.only, skip: opts.skip });
      const { ctx } = makeContext(opts);
      const report = await doctor(ctx, checks);
      const passwd = (await ctx.host.readFile('/etc/passwd'));
      const users = passwd.ok
        ? passwd.value.toString('utf8').split('\n').map((l) => l.split(':')).filter((f) => Number(f[2]) >= 1000 && Number(f[2]) < 65534).map((f) => f[0]!)
        : [];
      const { reportMarkdown } = await import('./commands/report.js');
      const md = reportMarkdown(report, { redact: opts.redact, users });
      if (opts.output) {
        try {
          writeAtomic(opts.output, md);
        } catch (err) {
          throw new UsageError(`cannot write ${opts.output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        process.stderr.write(`qnet: wrote ${opts.output}${opts.redact ? ' (redacted)' : ''}\n`);
      } else process.stdout.write(md);
      setExit(exitCodeOf(report.results));
    });

  program
    .command('explain')
    .description('map a pasted QEMU / UML / libvirt error to its causes, then run the matching checks here')
    .argument('[text...]', 'the error text, or - to read it from standard input')
    .option('--json', 'machine-readable output on stdout, nothing else there')
    .option('--user <name>', 'judge access for this user')
    .option('--snapshot <file>', 'run the matching checks on a qnet snapshot instead of this system')
    .option('--no-color', 'no colour (also: NO_COLOR)')
    .action(async (text: string[], opts: { json?: boolean; user?: string; snapshot?: string; color?: boolean }) => {
      let input = text.join(' ');
      if (input === '-' || (!text.length && !process.stdin.isTTY)) {
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        input = Buffer.concat(chunks).toString('utf8');
      }
      if (!input.trim()) throw new UsageError('explain needs the error text: qnet explain "…" or qnet explain - < error.txt');
      const { runExplain } = await import('./commands/explain.js');
      setExit(await runExplain(input, opts));
    });

  program
    .command('fix')
    .description('propose fixes for failing checks, preview them, apply the chosen ones, and verify')
    .argument('[ids...]', 'check IDs to fix (default: every failing check)')
    .option('--user <name>', 'the user the fixes are for (default: SUDO_USER under sudo, else you)')
    .option('-y, --yes', 'apply the recommended fix of each selected check without questions')
    .option('--dry-run', 'print the plan; change nothing')
    .option('--plan <ids>', 'apply these fix IDs (e.g. tun-perms/mode-0666), as chosen earlier', list)
    .option('--no-color', 'no colour (also: NO_COLOR)')
    .action(async (ids: string[], opts) => {
      const { runFix } = await import('./commands/fix.js');
      setExit(await runFix(ids, opts));
    });

  program
    .command('setup')
    .description('guided first-time VM networking (user, bridge, isolated or nat), applied reversibly and proven by QEMU')
    .option('--mode <mode>', 'user, bridge, isolated or nat')
    .option('--uplink <if>', 'the network card to bridge (bridge) or to masquerade out of (nat)')
    .option('--bridge <name>', 'the bridge to create (default qbr0)')
    .option('--subnet <cidr>', 'isolated/nat: the host\'s address on the bridge, e.g. 10.77.0.1/24 (default: a free private /24)')
    .option('--backend <name>', 'where it persists: auto, runtime, ifupdown, networkmanager, networkd or netplan')
    .option('--user <name>', 'who runs the VMs (default: SUDO_USER under sudo, else you)')
    .option('--vms <n>', 'how many VMs (distinct MACs and options for each)')
    .option('--vm-kind <kind>', 'qemu or uml')
    .option('--access <how>', 'how the user reaches the bridge: helper (qemu-bridge-helper) or taps (persistent, user-owned)')
    .option('--hostfwd <rule>', 'user mode: forward a host port, tcp:HOSTPORT-:GUESTPORT (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--confirm-timeout <seconds>', 'how long to wait for confirmation before rolling back (default 120)')
    .option('--keep', 'keep the changes even when the proof fails')
    .option('--dry-run', 'print the plan; change nothing')
    .option('-y, --yes', 'no questions: apply with the given (or recommended) answers')
    .option('--json', 'one qnet.setup/v1 document on stdout, nothing else there')
    .option('--no-color', 'no colour (also: NO_COLOR)')
    .addHelpText(
      'after',
      `
Examples:
  sudo qnet setup                                   ask, show the plan, apply, prove
  sudo qnet setup --mode nat --vms 2 --yes          a NAT network for two VMs, no questions
  sudo qnet setup --mode bridge --uplink enp2s0 --dry-run
  qnet setup --mode user --hostfwd tcp:2222-:22     nothing changes; prints the options
  sudo qnet setup --mode isolated --vm-kind uml --user alice --yes`,
    )
    .action(async (opts) => {
      const { runSetup } = await import('./commands/setup.js');
      setExit(await runSetup(opts));
    });

  // Started detached by `qnet setup` for a change that could cut the user off: rolls it
  // back if setup dies (or hangs) before the change was confirmed.
  program
    .command('setup-watchdog', { hidden: true })
    .argument('<marker>')
    .action(async (marker: string) => {
      const { runWatchdog } = await import('./setup/confirm.js');
      setExit(await runWatchdog(marker));
    });

  program
    .command('undo')
    .description('revert the last (or the named) applied fix set')
    .argument('[id]', 'a fix set ID from --list')
    .option('--list', 'list journaled fix sets')
    .option('-y, --yes', 'undo even files changed since the fix')
    .action(async (id: string | undefined, opts) => {
      const { runUndo } = await import('./commands/undo.js');
      setExit(await runUndo(id, opts));
    });

  // No subcommand: the wizard in a terminal, else the doctor.
  program.action(async () => {
    if (process.stdin.isTTY && process.stdout.isTTY) {
      const { runWizard } = await import('./commands/wizard.js');
      setExit(await runWizard());
    } else setExit(await runDoctor({}));
  });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      process.stderr.write(`qnet: ${err.message.replace(/^error: /, '')}\n`);
      return 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`qnet: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

process.on('SIGINT', () => process.exit(130));
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`qnet: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 3;
  },
);
