// One session per command: the context (live or from a snapshot, the target
// user resolved once), the colour decision, and where output goes. Every
// command opens its session here; none builds a context or decides colour
// another way.
import pc from 'picocolors';
import { Context, liveInvoker, type ContextOptions } from './context.js';
import { UsageError } from './errors.js';
import { resolveTargetUser } from './facts/users.js';
import { LiveHost } from './host/live.js';
import { CachingHost, SnapshotHost } from './host/record.js';
import type { SnapshotFile } from './host/snapshot-file.js';
import { selectChecks } from './engine.js';
import type { Check } from './types.js';

export type Colors = ReturnType<typeof pc.createColors>;

/** Makes a context and resolves its target user (UsageError for an unknown --user). */
export async function createContext(opts: ContextOptions): Promise<Context> {
  const ctx = new Context(opts);
  ctx.resolveUser(await resolveTargetUser(ctx));
  return ctx;
}

/** The options every command that diagnoses takes (doctor, report, lint, snapshot, topology). */
export interface CommandOptions {
  json?: boolean;
  user?: string;
  snapshot?: string;
  only?: string[];
  skip?: string[];
  verbose?: boolean;
  color?: boolean;
  guest?: boolean;
  deep?: boolean;
  format?: string;
}

export interface SessionOptions {
  json?: boolean;
  user?: string;
  snapshot?: string;
  guest?: boolean;
  deep?: boolean;
  /** commander's --no-color gives color: false. */
  color?: boolean;
}

export interface Session {
  ctx: Context;
  /** The recording host of a live session (what `qnet snapshot` serialises). */
  recorder?: CachingHost;
  /** The snapshot a replay reads, when --snapshot was given. */
  snapshot?: SnapshotFile;
  /** Colour on stdout: a terminal, no --no-color, no NO_COLOR, never for --json. */
  color: boolean;
  c: Colors;
}

/**
 * Colour for stdout, decided once: never for machine output, never when NO_COLOR
 * is set and not empty or --no-color is given, otherwise only on a terminal.
 */
export function colorFor(opts: { json?: boolean; color?: boolean }, stream: { isTTY?: boolean } = process.stdout): boolean {
  if (opts.json || opts.color === false) return false;
  if (process.env.NO_COLOR) return false;
  return Boolean(stream.isTTY);
}

/**
 * The checks a command runs: --only/--skip; a snapshot recorded with --only replays
 * those checks unless told otherwise (its other checks have nothing to read).
 */
export function checksFor(all: readonly Check[], session: Session, opts: { only?: string[]; skip?: string[] }): Check[] {
  return selectChecks(all, { only: opts.only?.length ? opts.only : session.snapshot?.options?.only, skip: opts.skip });
}

export async function openSession(opts: SessionOptions): Promise<Session> {
  const color = colorFor(opts);
  // Libraries that colour on their own (ora, boxen's chalk) follow the same decision.
  if (!color) process.env.FORCE_COLOR = '0';
  const c = pc.createColors(color);
  if (opts.snapshot) {
    // The snapshot parser (and its schema library) loads only when a snapshot is read.
    const { readSnapshotFile } = await import('./host/snapshot-load.js');
    const snapshot = readSnapshotFile(opts.snapshot);
    // Judge the user and the mode the recording judged, unless told otherwise.
    const ctx = await createContext({
      host: new SnapshotHost(snapshot.reads),
      invoker: snapshot.invoker,
      user: opts.user ?? snapshot.options?.user,
      source: 'snapshot',
      guest: opts.guest || snapshot.options?.guest,
      deep: opts.deep,
    });
    return { ctx, snapshot, color, c };
  }
  const recorder = new CachingHost(new LiveHost());
  const ctx = await createContext({ host: recorder, invoker: liveInvoker(), user: opts.user, source: 'live', guest: opts.guest, deep: opts.deep });
  return { ctx, recorder, color, c };
}
