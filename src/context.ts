// What every check receives: the host to read, who runs qnet, whom to judge
// for (resolved once, when the context is made), and a memo so shared facts
// (the network model, users, sysctls) are computed once per run.
import type { Host } from './host/host.js';
import type { Invoker } from './host/snapshot-file.js';

export interface Group {
  name: string;
  gid: number;
  members: string[];
}

/** Whose access the checks judge. */
export interface TargetUser {
  name: string;
  uid: number;
  gid: number;
  /** Every group the user is in: primary and supplementary. */
  groups: Group[];
  /** True when the supplementary groups came from /etc/group (what a fresh login gets). */
  fromFiles: boolean;
}

export interface ContextOptions {
  host: Host;
  invoker: Invoker;
  /** --user NAME */
  user?: string;
  source: 'live' | 'snapshot';
  /** --guest: run the guest-side checks even when no hypervisor is detected. */
  guest?: boolean;
  /** --deep: checks may run programs they otherwise only read about (QEMU's own backend list). */
  deep?: boolean;
}

export class Context {
  readonly host: Host;
  readonly invoker: Invoker;
  readonly userOption: string | undefined;
  readonly source: 'live' | 'snapshot';
  readonly forceGuest: boolean;
  readonly deep: boolean;
  private readonly memos = new Map<string, Promise<unknown>>();
  private target: TargetUser | undefined;

  /** Use createContext() (src/session.ts), which resolves the target user. */
  constructor(opts: ContextOptions) {
    this.host = opts.host;
    this.invoker = opts.invoker;
    this.userOption = opts.user;
    this.source = opts.source;
    this.forceGuest = Boolean(opts.guest);
    this.deep = Boolean(opts.deep);
  }

  /** The user whose access the checks judge. */
  get user(): TargetUser {
    if (!this.target) throw new Error('internal: the context was used before its target user was resolved');
    return this.target;
  }

  /** Called once by createContext(). */
  resolveUser(user: TargetUser): void {
    this.target = user;
  }

  /** Computes `fn` once per key for the whole run; concurrent callers share the promise. */
  memo<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.memos.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      this.memos.set(key, p);
    }
    return p;
  }
}

export function liveInvoker(): Invoker {
  const uid = process.getuid?.() ?? -1;
  const euid = process.geteuid?.() ?? -1;
  const sudoUser = process.env.SUDO_USER && process.env.SUDO_USER !== 'root' ? process.env.SUDO_USER : null;
  return { uid, euid, user: null, sudoUser };
}
