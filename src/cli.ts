// qnet's command line. Errors a user can act on are one line on stderr and
// exit 2; a bug is the only thing that may print a stack trace.
import { existsSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ALL_CHECKS } from '../checks/index.js';
import { doctor, exitCodeOf, nowMs, selectChecks, VERSION } from './engine.js';
import { SNAPSHOT_SCHEMA, type SnapshotFile } from './host/snapshot-file.js';
import { redactSnapshot } from './host/redact.js';
import { identityUses } from './facts/users.js';
import { writeFileAtomic } from './host/atomic-write.js';
import { checksFor, openSession, type CommandOptions } from './session.js';
import { stateDir } from './fixes/state-dir.js';
import { onSignal } from './signals.js';
import { UsageError } from './errors.js';
import { visible } from './output/safe.js';

type CommonOpts = CommandOptions;

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

/** --format text|json|prom; --json is --format json. */
async function doctorFormat(opts: CommonOpts): Promise<string> {
  if (opts.format === undefined) return opts.json ? 'json' : 'text';
  const { FORMATS, suggestFormat } = await import('./output/prom.js');
  const f = opts.format;
  if (!(FORMATS as readonly string[]).includes(f)) {
    const hint = suggestFormat(f);
    throw new UsageError(`unknown --format ${JSON.stringify(f)}${hint ? ` (did you mean ${hint}?)` : ''}; choose ${FORMATS.join(', ')}`);
  }
  if (opts.json && f !== 'json') throw new UsageError(`--json and --format ${f} ask for different outputs; give one of them`);
  return f;
}

async function runDoctor(opts: CommonOpts): Promise<number> {
  const format = await doctorFormat(opts);
  const started = nowMs();
  const session = await openSession(opts);
  const { ctx, color } = session;
  const report = await doctor(ctx, checksFor(ALL_CHECKS, session, opts));
  if (format === 'json') {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else if (format === 'prom') {
    const { renderProm } = await import('./output/prom.js');
    process.stdout.write(renderProm(report, { durationMs: nowMs() - started, finishedAt: Date.now() }));
  } else {
    const { renderText } = await import('./output/text.js');
    process.stdout.write(await renderText(report, { color, verbose: Boolean(opts.verbose) }));
  }
  if (!opts.snapshot) await warnInterrupted();
  return exitCodeOf(report.results);
}

async function runLint(cmd: string[], opts: CommonOpts & { pid?: string }): Promise<number> {
  const { ctx, c: pc } = await openSession(opts);
  let argv = cmd;
  if (opts.pid !== undefined) {
    if (cmd.length) throw new UsageError('give either --pid or a command line after --, not both');
    if (!/^\d+$/.test(opts.pid)) throw new UsageError(`--pid ${opts.pid}: not a process ID`);
    const r = await ctx.host.readFile(`/proc/${opts.pid}/cmdline`);
    if (!r.ok) throw new UsageError(`--pid ${opts.pid}: cannot read its command line (${r.code})`);
    argv = r.value.toString('utf8').split('\0').filter(Boolean);
  }
  const { lint } = await import('./lint/index.js');
  const { summarize } = await import('./engine.js');
  const report = await lint(ctx, argv);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ schema: 'qnet.lint/v1', qnet: VERSION, kind: report.kind, argv, summary: summarize(report.results), results: report.results }, null, 2) + '\n');
  } else {
    const { renderResult } = await import('./output/text.js');
    const lines = [pc.bold(`qnet lint · ${report.kind === 'qemu' ? 'QEMU' : 'UML'} · ${visible(argv[0] ?? '')}`)];
    for (const r of report.results) lines.push(...renderResult(r, pc, Boolean(opts.verbose)));
    process.stdout.write(lines.join('\n') + '\n');
  }
  return exitCodeOf(report.results);
}

/** The doctor changes nothing, but it says when an earlier fix was left half-applied or its journal is damaged. */
async function warnInterrupted(): Promise<void> {
  if (!existsSync(`${stateDir()}/sets`)) return;
  try {
    const { Journal } = await import('./fixes/executor.js');
    for (const s of await new Journal().list()) {
      const id = s.record.id;
      if (s.state === 'interrupted') process.stderr.write(`qnet: fix set ${id} was interrupted half-way; \`sudo qnet undo\` (or the next \`sudo qnet fix\`) rolls it back\n`);
      if (s.state === 'partly-undone') process.stderr.write(`qnet: fix set ${id} is partly undone; \`sudo qnet undo ${id}\` continues\n`);
      if (s.state === 'unreadable') process.stderr.write(`qnet: fix set ${id} cannot be read (${s.problem}); see qnet undo --list\n`);
    }
  } catch {
    /* not readable as this user */
  }
}

async function runSnapshot(opts: CommonOpts & { output: string }): Promise<number> {
  if (opts.snapshot) throw new UsageError('snapshot records a live host; it cannot read from --snapshot');
  const checks = selectChecks(ALL_CHECKS, { only: opts.only, skip: opts.skip });
  const { ctx, recorder } = await openSession(opts);
  const report = await doctor(ctx, checks);
  const snap: SnapshotFile = redactSnapshot({
    schema: SNAPSHOT_SCHEMA,
    qnet: VERSION,
    createdAt: new Date().toISOString(),
    invoker: ctx.invoker,
    host: { ...report.host },
    ...(opts.user || opts.guest || opts.only?.length
      ? { options: { ...(opts.user ? { user: opts.user } : {}), ...(opts.guest ? { guest: true } : {}), ...(opts.only?.length ? { only: checks.map((c) => c.id) } : {}) } }
      : {}),
    results: report.results,
    reads: await recorder!.records(),
  }, identityUses(ctx));
  const body = JSON.stringify(snap, null, 1) + '\n';
  if (opts.output === '-') process.stdout.write(body);
  else {
    try {
      writeFileAtomic(opts.output, body, { mode: 0o600 });
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
    .option('--guest', 'run the guest-side checks even if no hypervisor is detected')
    .option('--deep', 'also run QEMU to list its network backends (one QEMU start-up)');
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

  addCommon(program.command('doctor').description('run every check and print findings (reads only, changes nothing)'))
    .option('--format <format>', 'text (default), json (same as --json) or prom (Prometheus text for node_exporter\'s textfile collector)')
    .addHelpText('after', '\nExamples:\n  qnet doctor\n  qnet doctor --json --only tun-perms,kvm\n  qnet doctor --format prom     # Prometheus text, for node_exporter\'s textfile collector\n')
    .action(
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

  addCommon(program.command('report').description('the findings, the network diagram and a replayable snapshot as Markdown for a bug tracker, redacted by default'))
    .option('-o, --output <file>', 'write the report to a file (default: stdout)')
    .option('--no-redact', 'keep real addresses, MACs, host and user names')
    .addHelpText(
      'after',
      `
Examples:
  qnet report -o qnet-report.md          redacted Markdown, under GitHub's 65,536-character limit
  qnet report --no-redact | less         real addresses and names, for your own eyes
  qnet doctor --snapshot qnet-report.md  replay the diagnosis a report carries (also pasted back from a tracker)
`,
    )
    .action(async (opts: CommonOpts & { output?: string; redact: boolean }) => {
      const session = await openSession(opts);
      const { ctx, recorder, snapshot } = session;
      const checks = checksFor(ALL_CHECKS, session, opts);
      const report = await doctor(ctx, checks);
      const { buildReport } = await import('./commands/report.js');
      const md = await buildReport(
        { ctx, checks, report, reads: recorder ? () => recorder.records() : snapshot!.reads, ...(snapshot ? { createdAt: snapshot.createdAt } : {}) },
        { redact: opts.redact, allChecks: ALL_CHECKS },
      );
      if (opts.output) {
        try {
          writeFileAtomic(opts.output, md, { mode: 0o600 });
        } catch (err) {
          throw new UsageError(`cannot write ${opts.output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        process.stderr.write(`qnet: wrote ${opts.output}${opts.redact ? ' (redacted)' : ''}\n`);
      } else process.stdout.write(md);
      setExit(exitCodeOf(report.results));
    });

  addCommon(program.command('topology').description('draw uplinks, bridges, ports, taps and the VMs using them, with failing checks marked'))
    .option('--format <format>', 'text (default), json (same as --json: qnet.topology/v1) or mermaid (a Mermaid flowchart)')
    .addHelpText(
      'after',
      `
Examples:
  qnet topology                         the tree in the terminal, problems under the interface they are about
  qnet topology --json                  nodes and edges (qnet.topology/v1) for tools
  qnet topology --format mermaid > net.mmd
  qnet topology --snapshot host.json    the network of a recorded host (or of a qnet report file)
`,
    )
    .action(async (opts: CommonOpts) => {
      const { runTopology } = await import('./commands/topology.js');
      setExit(await runTopology(opts));
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
    .argument('[ids...]', 'check IDs to fix (default: every failing check; named checks include warnings)')
    .option('--user <name>', 'the user the fixes are for (default: SUDO_USER under sudo, else you)')
    .option('-y, --yes', 'apply the recommended fix of each selected check without questions')
    .option('--dry-run', 'print the plans; change nothing (takes no lock, rolls nothing back)')
    .option('--plan <id>', 'apply this fix ID (e.g. tun-perms/mode-0666), as chosen earlier; repeat for several', (v: string, prev: string[] = []) => [...prev, v])
    .option('--keep', 'keep a fix that does not verify (default: roll it back)')
    .option('--allow-irreversible', 'with --yes: also apply plans that qnet undo cannot revert')
    .option('--apply-plan <file>', 'the root side of the sudo hand-off: apply the plans in FILE if this host, read as root, gives exactly the same plans')
    .option('--no-color', 'no colour (also: NO_COLOR)')
    .addHelpText(
      'after',
      `
Examples:
  qnet fix --dry-run                        show every proposed fix: commands, file diffs, whether it can be undone
  sudo qnet fix                             choose, apply, verify (a fix that does not verify is rolled back)
  sudo qnet fix --yes tun-perms             apply the recommended fix for tun-perms without questions
  sudo qnet fix --plan tun-perms/mode-0666  apply that alternative instead
  sudo qnet fix --yes --allow-irreversible helper-setuid   also when it cannot be undone (a package install)
  qnet fix tun-perms                        as a normal user: choose, then qnet offers the apply step through sudo

Only one qnet changes a host at a time: a second apply or undo refuses and names the one
that runs. Every step is journaled under /var/lib/qnet (QNET_STATE_DIR) first; an apply that
was interrupted is rolled back by the next qnet fix or qnet undo.`,
    )
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
    .option('--list', 'list journaled fix sets and their state (reads only)')
    .option('-y, --yes', 'undo even files changed since the fix; with --forget, do not ask')
    .option('--forget <id>', 'drop a fix set from the journal (one that cannot be read or undone), after showing what it held')
    .addHelpText(
      'after',
      `
Examples:
  qnet undo --list                  every fix set: applied, undone, rolled back, interrupted, unreadable
  sudo qnet undo                    revert the newest applied fix set
  sudo qnet undo 20260101T101500-1a2b3c
  sudo qnet undo --forget 20260101T101500-1a2b3c

A step whose work is already undone (the user was removed from the group by hand) counts as
done; an undo that stops half-way keeps its progress, and running it again continues.`,
    )
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
      process.stderr.write(`qnet: ${visible(err.message.replace(/^error: /, ''))}\n`);
      return 2;
    }
    if (err instanceof UsageError) {
      // The reason may quote the input (a malformed snapshot's bytes, a hostile argument).
      process.stderr.write(`qnet: ${visible(err.message)}\n`);
      return 2;
    }
    // A fix or undo step that failed and was reported as such: one line, exit 1.
    if (err instanceof Error && ['ExecError', 'StaleError', 'CommandError'].includes(err.name)) {
      process.stderr.write(`qnet: ${err.message}\n`);
      return 1;
    }
    // Ctrl-C at a prompt (@inquirer/prompts): nothing was applied yet.
    if (err instanceof Error && err.name === 'ExitPromptError') {
      process.stderr.write('qnet: interrupted; nothing was changed\n');
      return 130;
    }
    throw err;
  }
}

process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`qnet: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 3;
  },
);
