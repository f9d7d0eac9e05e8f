// Confirm-or-revert, like `netplan try`: apply the plan as one journaled set,
// then keep it only when the reachability probe passes, the proof passes, and
// (in a terminal, unless --yes) the user confirms within the time limit. No
// answer, a lost terminal (SIGHUP), Ctrl-C, SIGTERM, or a failed probe roll
// everything back.
//
// For a plan that can cut the user off (it moves the host's address or default
// route, or touches the SSH session's interface) a watchdog runs beside qnet:
// a detached process (its own session, so a dying SSH session does not take it
// along) that rolls the set back if qnet dies before the user confirmed (even
// by SIGKILL, when no "next run" may ever come), or if qnet hangs past the
// deadline. It watches a marker file in the state directory that qnet removes
// once the set is kept or rolled back.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InterruptedError, Journal, stateDir, type SetInfo } from '../fixes/executor.js';
import { holdSignals } from '../signals.js';
import { ensureStateDir } from '../fixes/lock.js';
import type { Action, FixPlan } from '../types.js';
import { probeNeighbour } from './probe.js';
import type { Proof } from './prove.js';
import type { ProbeTarget } from './types.js';

export const MARKER = 'setup-try.json';
const GRACE_MS = 30_000;

export interface Marker {
  parentPid: number;
  parentStart: string;
  createdAt: string;
  /** Epoch ms after which the watchdog acts even though qnet lives (qnet itself rolls back at deadline − grace). */
  deadline: number | null;
  setId: string | null;
  watchdogPid?: number;
}

export const markerPath = () => join(stateDir(), MARKER);

/** Field 22 of /proc/PID/stat: the start time, so a reused PID is not taken for qnet. */
export function startTimeOf(pid: number): string | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Is the process that wrote the marker still alive? kill(pid, 0) asks in our own PID
 * namespace (the one the pid came from); the start time, when /proc could tell it,
 * rules out a reused pid.
 */
function alive(pid: number, start: string): boolean {
  // A zombie has died (nobody has reaped it yet).
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3) === 'Z') return false;
  } catch {
    /* no /proc entry: kill(0) below decides */
  }
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return start === '' || startTimeOf(pid) === undefined || startTimeOf(pid) === start;
}

function readMarker(path: string): Marker | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

/** The marker, replaced atomically (the state directory is root's, 0700). */
async function writeMarker(path: string, m: Marker): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(m), { mode: 0o600, flag: 'w' });
  renameSync(tmp, path);
}

/** Sets of setup made since the marker was written and not settled: the ones a dead qnet left. */
async function pendingSets(journal: Journal, m: Marker): Promise<SetInfo[]> {
  const sets = await journal.list();
  if (m.setId) return sets.filter((s) => s.record.id === m.setId && (s.state === 'applied' || s.state === 'interrupted'));
  return sets.filter((s) => s.record.createdAt >= m.createdAt && s.record.fixes.some((f) => f.checkId === 'setup') && (s.state === 'applied' || s.state === 'interrupted'));
}

/**
 * The watchdog's body (`qnet setup-watchdog MARKER`, started detached). Polls the marker:
 * gone → qnet settled it, exit. qnet dead, or the deadline long past → roll back.
 */
export async function runWatchdog(path: string): Promise<number> {
  for (;;) {
    const m = readMarker(path);
    if (!m || !existsSync(path)) return 0;
    const parentAlive = alive(m.parentPid, m.parentStart);
    const late = m.deadline !== null && Date.now() > m.deadline + GRACE_MS;
    if (!parentAlive || late) {
      const journal = new Journal();
      for (const s of await pendingSets(journal, m)) {
        await journal.rollback(s.record.id, parentAlive ? 'not confirmed: qnet setup did not finish in time' : 'not confirmed: qnet setup ended before the change was confirmed').catch(() => undefined);
      }
      rmSync(path, { force: true });
      return 0;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits for a watchdog of an earlier run to finish its work (it holds the journal meanwhile). */
export async function waitForWatchdog(timeoutMs = 15_000): Promise<boolean> {
  const path = markerPath();
  const end = Date.now() + timeoutMs;
  while (existsSync(path) && Date.now() < end) {
    const m = readMarker(path);
    const dogAlive = m?.watchdogPid !== undefined && alive(m.watchdogPid, '');
    const parentAlive = m ? alive(m.parentPid, m.parentStart) : false;
    if (!dogAlive && !parentAlive) {
      // Nobody is left to settle it: the journal's own recovery (interrupted sets) covers the rest.
      if (m) {
        const journal = new Journal();
        for (const s of await pendingSets(journal, m)) await journal.rollback(s.record.id, 'not confirmed: found unsettled on start').catch(() => undefined);
      }
      rmSync(path, { force: true });
      return true;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return !existsSync(path);
}

function startWatchdog(path: string): number | undefined {
  const env = { ...process.env };
  delete env.QNET_TEST_CRASH_AT;
  const child = spawn(process.execPath, [process.argv[1]!, 'setup-watchdog', path], { detached: true, stdio: 'ignore', env, cwd: '/' });
  child.unref();
  return child.pid;
}

export type TryOutcome =
  | { kept: true; set: SetInfo; proof: Proof; probes: string[] }
  | { kept: false; set?: SetInfo; proof?: Proof; probes: string[]; reason: string; exit: 1 | 130; rollbackError?: string };

export interface TryOptions {
  fixes: { checkId: string; plan: FixPlan }[];
  /** Needs the watchdog and the probes (confirm-or-revert). */
  risky: boolean;
  probes: ProbeTarget[];
  timeoutS: number;
  /** Ask the user to confirm (a terminal, no --yes). */
  ask: boolean;
  keep: boolean;
  prove: () => Promise<Proof>;
  onStep?: (step: number, action: Action, phase: 'start' | 'applied' | 'unchanged') => void;
  say: (line: string) => void;
}

/** Probes before the change: only neighbours that answer now are required to answer afterwards. */
export async function preProbe(targets: ProbeTarget[], devNow: (t: ProbeTarget) => string): Promise<{ keep: ProbeTarget[]; said: string[] }> {
  const keep: ProbeTarget[] = [];
  const said: string[] = [];
  for (const t of targets) {
    const r = await probeNeighbour({ ...t, dev: devNow(t) }, 4000);
    if (r.ok) keep.push(t);
    else said.push(`${t.what} does not answer even now; it is not used to judge the change`);
  }
  return { keep, said };
}

export async function tryApply(journal: Journal, o: TryOptions): Promise<TryOutcome> {
  const marker = markerPath();
  let signal: NodeJS.Signals | undefined;
  const abort = new AbortController();
  const onSignal = (s: NodeJS.Signals) => {
    if (!signal) signal = s;
    abort.abort();
  };
  // Ctrl-C and SIGTERM come through qnet's signal guard; a lost terminal (SIGHUP) too.
  const release = holdSignals(onSignal);
  const onHup = () => onSignal('SIGHUP');
  process.on('SIGHUP', onHup);
  // A terminal that went away makes the prompt's readline fail (setRawMode EIO) outside any
  // promise: that is a lost terminal too, and must roll back rather than crash.
  const onCrash = (err: Error) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EIO' || code === 'EPIPE' || code === 'ENXIO' || code === 'EBADF') onSignal('SIGHUP');
    else throw err;
  };
  process.on('uncaughtException', onCrash);
  const restore = () => {
    process.removeListener('uncaughtException', onCrash);
    process.removeListener('SIGHUP', onHup);
    release();
  };

  let set: SetInfo | undefined;
  const probes: string[] = [];
  const rollback = async (reason: string, exit: 1 | 130, proof?: Proof): Promise<TryOutcome> => {
    let rollbackError: string | undefined;
    // The watchdog may have rolled it back already (qnet stuck past the deadline): never twice.
    const state = set ? (await journal.read(set.record.id).catch(() => undefined))?.state : undefined;
    if (set && (state === 'applied' || state === 'interrupted')) {
      try {
        await journal.rollback(set.record.id, reason);
      } catch (err) {
        rollbackError = (err as Error).message;
      }
    }
    rmSync(marker, { force: true });
    return { kept: false, ...(set ? { set } : {}), ...(proof ? { proof } : {}), probes, reason, exit, ...(rollbackError ? { rollbackError } : {}) };
  };
  const interrupted = () => `interrupted (${signal})`;

  try {
    let m: Marker | undefined;
    if (o.risky) {
      ensureStateDir(stateDir());
      m = { parentPid: process.pid, parentStart: startTimeOf(process.pid) ?? '', createdAt: new Date().toISOString(), deadline: null, setId: null };
      await writeMarker(marker, m);
      const pid = startWatchdog(marker);
      if (pid !== undefined) await writeMarker(marker, { ...m, watchdogPid: pid });
      m = { ...m, ...(pid !== undefined ? { watchdogPid: pid } : {}) };
    }
    try {
      set = await journal.apply(o.fixes, o.onStep, { shouldStop: () => signal !== undefined });
    } catch (err) {
      rmSync(marker, { force: true });
      // The executor rolled back what it did (after the step under way, when stopped).
      if (err instanceof InterruptedError) return { kept: false, probes, reason: interrupted(), exit: 130 };
      throw err;
    }
    const deadline = Date.now() + o.timeoutS * 1000;
    if (m) await writeMarker(marker, { ...m, setId: set.record.id, deadline: deadline + 1000 });
    if (signal) return await rollback(interrupted(), 130);

    for (const t of o.probes) {
      const r = await probeNeighbour(t);
      probes.push(r.said);
      o.say(`${r.ok ? '✔' : '✖'} ${r.said}`);
      if (signal) return await rollback(interrupted(), 130);
      if (!r.ok) return await rollback(`the reachability probe failed: ${r.said}`, 1);
    }
    const proof = await o.prove();
    if (signal) return await rollback(interrupted(), 130, proof);
    if (!proof.ok && !o.keep) return await rollback('not verified: the proof failed', 1, proof);

    if (o.ask) {
      const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      if (left === 0) return await rollback(`not confirmed within ${o.timeoutS} s`, 1, proof);
      const timer = setTimeout(() => abort.abort(), deadline - Date.now());
      let yes = false;
      try {
        const { confirm } = await import('../ui/interactive.js');
        yes = await confirm({ message: `Keep the new network configuration? Answer y within ${left} s, or it is rolled back`, default: false }, { signal: abort.signal });
      } catch {
        yes = false;
      } finally {
        clearTimeout(timer);
      }
      if (signal) return await rollback(interrupted(), 130, proof);
      if (!yes) return await rollback(Date.now() >= deadline ? `not confirmed within ${o.timeoutS} s` : 'not confirmed', 1, proof);
    }
    rmSync(marker, { force: true });
    if (!proof.ok) return { kept: false, set, proof, probes, reason: 'not verified (kept: --keep)', exit: 1 };
    return { kept: true, set, proof, probes };
  } finally {
    restore();
  }
}
