// The one home of qnet's shared types: results, evidence, fix plans, checks.
import type { Context } from './context.js';

export type Status = 'pass' | 'warn' | 'fail' | 'skip' | 'error';

export const CHECK_IDS = [
  'tun-module', 'tun-perms', 'vhost-net', 'kvm', 'br-netfilter', 'ip-forward',
  'nat-masquerade', 'forward-policy', 'bridge-state', 'tap-state', 'ifname-mismatch',
  'qemu-ifup', 'helper-setuid', 'helper-acl', 'qemu-netdev', 'mac-duplicate',
  'nm-conflict', 'netplan-duplicates', 'hostfwd-port', 'qemu-cmdline',
  'guest-ifname', 'guest-dhcp', 'guest-route',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

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
 * A fix is a plan of typed actions. Checks produce plans as data; they never
 * change the system. The executor (issue 3) previews, applies and undoes them.
 */
export type Action =
  | { kind: 'write-file'; path: string; content: string; mode: number; uid?: number; gid?: number }
  | { kind: 'chmod'; path: string; mode: number }
  | { kind: 'chown'; path: string; uid: number; gid: number }
  /** Group by name, resolved when applied (the group may be created by an earlier step). */
  | { kind: 'chgrp'; path: string; group: string }
  | { kind: 'mknod-char'; path: string; major: number; minor: number; mode: number }
  | { kind: 'sysctl'; key: string; value: string }
  /** `unless`: a read-only probe; when it exits 0 the step is already done and is skipped. */
  | {
      kind: 'run';
      argv: string[];
      inverse?: string[];
      unless?: string[];
      why?: string;
      /**
       * Files the command rewrites besides what its inverse puts back (the tool's own
       * backup copies: /etc/group-, statoverride-old). Undo restores each byte for byte
       * after the inverse, unless something else changed it since the fix.
       */
      touches?: string[];
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

export { UsageError } from './errors.js';
