// How the executor runs commands that change the host: execa (loaded on first
// use, so `qnet doctor` never pays for it) with argv arrays only, stdin closed,
// a time limit, the child and its group killed on timeout or when qnet exits.
// The doctor's read path keeps src/host/live.ts's lean runner.
import type { Probe } from '../types.js';

export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    message: string,
    readonly exitCode?: number,
  ) {
    super(message);
  }
}

export interface CommandResult {
  exitCode?: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** ENOENT when the program is not installed, ... */
  code?: string;
}

/** PATH with the sbin directories, which a sudo'ed or a normal user's PATH may lack. */
function runPath(): string {
  const base = (process.env.PATH ?? '').split(':').filter(Boolean);
  for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) if (!base.includes(d)) base.push(d);
  return base.join(':');
}

let execaP: Promise<typeof import('execa')> | undefined;

export async function runCommand(argv: readonly string[], timeoutMs: number): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) throw new CommandError('empty command');
  const { execa } = await (execaP ??= import('execa'));
  // reject:false gives a result even on failure; it is still an Error then, so the
  // fields are what count (exitCode is undefined on a timeout or a missing program).
  const r = await execa(file, args, {
    reject: false,
    stdin: 'ignore',
    timeout: timeoutMs,
    forceKillAfterDelay: 2000,
    cleanup: true,
    env: { PATH: runPath(), LC_ALL: 'C', LANG: 'C' },
    extendEnv: true,
    maxBuffer: 16 * 1024 * 1024,
    stripFinalNewline: false,
  });
  return {
    ...(typeof r.exitCode === 'number' ? { exitCode: r.exitCode } : {}),
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    timedOut: Boolean(r.timedOut),
    ...((r as { code?: string }).code ? { code: (r as { code?: string }).code } : {}),
  };
}

const firstLine = (s: string) => s.trim().split('\n')[0] ?? '';

/** Runs a command that must succeed; throws CommandError with one line saying why not. */
export async function runChecked(argv: readonly string[], timeoutMs: number, show: (argv: readonly string[]) => string): Promise<void> {
  const r = await runCommand(argv, timeoutMs);
  if (r.code === 'ENOENT') throw new CommandError(`${argv[0]}: not installed`);
  if (r.timedOut) throw new CommandError(`${show(argv)}: no answer within ${Math.round(timeoutMs / 1000)} s (stopped)`);
  if (r.exitCode === undefined) throw new CommandError(`${show(argv)}: ${r.code ?? 'did not run'}`);
  if (r.exitCode !== 0) throw new CommandError(`${show(argv)} exited ${r.exitCode}${firstLine(r.stderr) ? `: ${firstLine(r.stderr)}` : ''}`, r.exitCode);
}

export const asProbe = (p: string[] | Probe): Probe => (Array.isArray(p) ? { argv: p } : p);

/** Does the probe hold? A probe that cannot run does not. */
export async function probeHolds(p: string[] | Probe, timeoutMs = 10_000): Promise<boolean> {
  const probe = asProbe(p);
  const r = await runCommand(probe.argv, timeoutMs);
  return r.exitCode !== undefined && !r.timedOut && (probe.holdsOn ?? [0]).includes(r.exitCode);
}
