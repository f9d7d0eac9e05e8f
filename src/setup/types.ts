// Shared types of `qnet setup`: the answers, what the host looks like, and the plan.
import type { Action } from '../types.js';

export const MODES = ['user', 'bridge', 'isolated', 'nat'] as const;
export type Mode = (typeof MODES)[number];
export const BACKENDS = ['runtime', 'ifupdown', 'networkmanager', 'networkd', 'netplan'] as const;
export type Backend = (typeof BACKENDS)[number];
export type VmKind = 'qemu' | 'uml';
/** How the target user reaches the bridge without root. */
export type Access = 'helper' | 'taps';

export interface HostFwd {
  proto: 'tcp' | 'udp';
  hostPort: number;
  guestPort: number;
}

/** Every answer, from flags or from the questions. */
export interface Answers {
  mode: Mode;
  backend: Backend | 'auto';
  uplink?: string;
  bridge: string;
  subnet?: string;
  user: string;
  vms: number;
  vmKind: VmKind;
  access: Access;
  hostfwd: HostFwd[];
  confirmTimeoutS: number;
}

/** One step of the plan as the user reads it and the executor runs it. */
export interface Step {
  id: string;
  title: string;
  actions: Action[];
  /** Moves the host's address or default route, or touches the SSH session's interface. */
  risky?: string;
}

export interface VmOut {
  name: string;
  mac: string;
  qemuArgs?: string[];
  umlArgs?: string[];
  /** Without DHCP on the network: the address to give the guest by hand. */
  staticAddr?: string;
  tap?: string;
}

export interface SetupPlan {
  mode: Mode;
  backend: Backend | 'none';
  bridge: string | null;
  subnet: string | null;
  user: string;
  access: Access | null;
  steps: Step[];
  vms: VmOut[];
  /** What the user should know: lost at reboot, DHCP, Docker... */
  notes: string[];
  /** A step needs confirm-or-revert: why. */
  risky: string[];
  /** Probe targets that answered before the change: they must answer after it. */
  probes: ProbeTarget[];
  /** The bridge exists already, as built by an earlier setup with the same answers. */
  existing: boolean;
  /** Check IDs the proof runs for the target user. */
  checks: string[];
  /** Where guests get their address: 'dhcp' (whose), or 'static'. */
  dhcp: string | null;
}

export interface ProbeTarget {
  /** IPv4 or IPv6 address (a link-local one with %DEV). */
  addr: string;
  /** The interface the neighbour is reached through after the change. */
  dev: string;
  what: string;
}

/** The plan could not be made: the reason, and the flag that would change it. */
export class Refusal extends Error {
  override name = 'Refusal';
}
