// The one home of qnet's shared types: results, evidence, fix plans, checks.
import type { CHECK_IDS } from '../checks/ids.js';
import type { Context } from './context.js';

export type Status = 'pass' | 'warn' | 'fail' | 'skip' | 'error';

/** IDs of the results lint adds beside the host checks. */
export const LINT_IDS = ['hostfwd-port', 'qemu-cmdline'] as const;
/** Check IDs come from the files in checks/ (scripts/gen-registry.mjs); lint adds its own. */
export type CheckId = (typeof CHECK_IDS)[number] | (typeof LINT_IDS)[number];

export type Area =
  | 'kernel' | 'routing' | 'firewall' | 'bridge' | 'tap' | 'config' | 'qemu'
  | 'manager' | 'lint' | 'guest';

/** One fact a check read, shown as "source → observed". */
export interface Evidence {
  source: string;
  observed: string;
}

export type Risk = 'low' | 'medium' | 'high';

/**
 * A read-only command whose exit code answers a yes/no question about the host
 * (is this rule there, is this user in that group). It "holds" when the command
 * exits with one of `holdsOn` (default: 0); any other outcome, a missing program
 * included, means "does not hold". A bare argv is `{ argv }`.
 */
export interface Probe {
  argv: string[];
  holdsOn?: number[];
}

/**
 * A fix is a plan of typed actions. Checks produce plans as data; they never
 * change the system. The executor (src/fixes/executor.ts) previews, applies,
 * journals and undoes them.
 */
export type Action =
  | {
      kind: 'write-file';
      path: string;
      content: string;
      mode: number;
      uid?: number;
      gid?: number;
      /**
       * What the file held when the plan was computed: its sha256 (hex), 'absent', or
       * 'unreadable'. Set by the fix command from the same read the preview's diff shows;
       * the executor refuses the step when the file has changed since.
       */
      base?: string;
    }
  /** Creates a directory and any missing parents; undo removes the ones it created, each only if empty. */
  | { kind: 'mkdir'; path: string; mode: number; uid?: number; gid?: number }
  /** Removes a file, keeping its bytes, mode and owner in the journal; undo puts it back. `base` as for write-file. */
  | { kind: 'remove-file'; path: string; base?: string }
  | { kind: 'chmod'; path: string; mode: number }
  | { kind: 'chown'; path: string; uid: number; gid: number }
  /** Group by name, resolved when applied (the group may be created by an earlier step). */
  | { kind: 'chgrp'; path: string; group: string }
  | { kind: 'mknod-char'; path: string; major: number; minor: number; mode: number }
  | { kind: 'sysctl'; key: string; value: string }
  | {
      kind: 'run';
      argv: string[];
      /** The command that reverts this one; without it (and without `onlyTouches`/`refresh`) the plan cannot be undone. */
      inverse?: string[];
      /** When this probe holds, the step is already done: it is skipped ("unchanged") and never undone. */
      unless?: string[] | Probe;
      /**
       * When this probe holds, the inverse's work is already done (the user was removed from
       * the group by hand, the rule deleted): undo counts the step "unchanged" instead of
       * running an inverse that would fail.
       */
      inverseUnless?: Probe;
      why?: string;
      /**
       * Files the command rewrites besides what its inverse puts back (the tool's own
       * backup copies: /etc/group-, statoverride-old). Undo restores each byte for byte
       * after the inverse, unless something else changed it since the fix.
       */
      touches?: string[];
      /** The command changes nothing but the files in `touches` (update-grub): restoring them undoes it. */
      onlyTouches?: boolean;
      /**
       * The command only makes a service re-read its files (nmcli connection reload): it is
       * run again at the end of an undo, after the files are restored.
       */
      refresh?: boolean;
      /** Time limit (default 120 s). */
      timeoutMs?: number;
    }
  | { kind: 'note'; text: string };

export interface FixPlan {
  id: string;
  title: string;
  risk: Risk;
  root: boolean;
  /** Why one would pick this one, or what it costs. */
  explain?: string;
  /** Touches an interface that carries traffic: confirmation defaults to No. */
  disruptive?: boolean;
  /**
   * Whether `qnet undo` can revert the plan. Derived from the actions when absent
   * (see planUndoability in src/fixes/undoable.ts): a `run` without an inverse makes
   * a plan irreversible. Set it to false for a plan whose steps look reversible but
   * whose effect is not (and say why in `explain`).
   */
  reversible?: boolean;
  actions: Action[];
}

/** A fix as it appears in output: the plan plus its human preview. */
export interface FixView {
  id: string;
  title: string;
  risk: Risk;
  root: boolean;
  preview: string[];
}

/** What a check returns. The engine adds id, area, title and timing. */
export interface Finding {
  status: Status;
  summary: string;
  evidence?: Evidence[];
  fixes?: FixPlan[];
  /** Extra lines shown under the summary in text output (causes, routes, hints). */
  details?: string[];
  /** A title that names the subject more precisely than the check's default. */
  title?: string;
  /**
   * What a non-passing finding is about, for `qnet topology` and the report's diagram:
   * interface names, or `pid:N` for a running VM. Not part of the JSON result. Without
   * it, an evidence source ending in `(NAME)` of an existing interface names NAME.
   */
  subjects?: string[];
}

export interface Result {
  id: CheckId;
  area: Area;
  title: string;
  status: Status;
  summary: string;
  evidence: Evidence[];
  fixes: FixView[];
  details?: string[];
  durationMs: number;
}

export interface Check {
  id: CheckId;
  area: Area;
  /** Place within its area in the registry (lower first; default 50). */
  order?: number;
  /** Default title; may mention the target user through ctx. */
  title: (ctx: Context) => string;
  run: (ctx: Context) => Promise<Finding>;
}

export interface HostInfo {
  hostname: string;
  kernel: string;
  distro: string;
  user: string;
  uid: number;
  groups: string[];
  euid: number;
  guest: boolean;
  source: 'live' | 'snapshot';
}

export interface DoctorReport {
  schema: 'qnet.doctor/v1';
  qnet: string;
  host: HostInfo;
  summary: Record<Status, number>;
  results: Result[];
}

