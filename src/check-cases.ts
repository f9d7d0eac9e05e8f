// The shape of a check's table of cases (ESLint RuleTester style): host records
// that pass and that fail, each with the status and summary the check must give.
// A check file may export `function cases(): CheckCase[]` (a function, so the
// CLI bundle drops it); test/check-cases.test.ts replays
// every case through the real snapshot replay path. Types only: nothing here runs
// in the CLI, and the bundle drops the tables.
import type { Status } from './types.js';

export interface StatSpec {
  type?: 'file' | 'dir' | 'chr' | 'link';
  /** Permission bits, e.g. 0o600 or 0o4755. */
  mode: number;
  uid?: number;
  gid?: number;
  rdev?: [number, number];
  size?: number;
}

export interface ExecSpec {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

/** An interface as `ip -j -d addr show` would list it. */
export interface LinkSpec {
  name: string;
  /** linkinfo.info_kind: bridge, tun, veth, macvtap...; none for a NIC or loopback. */
  kind?: string;
  mac?: string;
  up?: boolean;
  master?: string;
  /** The lower device of a macvlan/macvtap/vlan, the peer of a veth (iproute2's "link"). */
  link?: string;
  addrs?: string[];
  /** linkinfo.info_data (bridge options, tun owner, macvtap mode...). */
  info?: Record<string, unknown>;
}

/**
 * A host record. `null` means the thing does not exist (ENOENT); `{ error }` is that
 * error. Reads a case does not list are ENOENT too, so a case names only what matters.
 */
export interface HostSpec {
  files?: Record<string, string | null | { error: string }>;
  stats?: Record<string, StatSpec | null | { error: string }>;
  lstats?: Record<string, StatSpec | null | { error: string }>;
  dirs?: Record<string, string[] | null | { error: string }>;
  readlinks?: Record<string, string | null>;
  /** Keyed by argv joined with single spaces. `null`: the program is not installed. */
  exec?: Record<string, ExecSpec | null>;
  /** The interfaces (the one `ip` listing qnet makes). */
  links?: LinkSpec[];
  /** Who runs qnet; default alice (uid 1000), not root. */
  invoker?: { uid?: number; euid?: number; user?: string | null; sudoUser?: string | null };
}

export interface CheckCase {
  name: string;
  host: HostSpec;
  /** --user */
  user?: string;
  /** --guest */
  guest?: boolean;
  /** The host is a recorded snapshot: a read it does not list was not captured (instead of ENOENT). */
  snapshot?: boolean;
  status: Status;
  /** The summary, or words it must contain. */
  summary: RegExp | string;
  /** The details, one per line, or words they must contain. */
  details?: RegExp | string;
  /** The evidence, one `source → observed` per line, or words it must contain. */
  evidence?: RegExp | string;
  /** The IDs of the fix plans offered, in order (`[]`: none). */
  fixes?: string[];
}
