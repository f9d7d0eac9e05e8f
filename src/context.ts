// What every check receives: the host to read, who runs qnet, whom to judge
// for, and a memo so shared facts (links, users, sysctls) are computed once.
import type { Host } from './host/host.js';
import type { Invoker } from './host/snapshot-file.js';

export interface ContextOptions {
  host: Host;
  invoker: Invoker;
  /** --user NAME */
  user?: string;
  source: 'live' | 'snapshot';
  /** --guest: run the guest-side checks even when no hypervisor is detected. */
  guest?: boolean;
}

export class Context {
  readonly host: Host;
  readonly invoker: Invoker;
  readonly userOption: string | undefined;
  readonly source: 'live' | 'snapshot';
  readonly forceGuest: boolean;
  private readonly memos = new Map<string, Promise<unknown>>();

  constructor(opts: ContextOptions) {
    this.host = opts.host;
    this.invoker = opts.invoker;
    this.userOption = opts.user;
    this.source = opts.source;
    this.forceGuest = Boolean(opts.guest);
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
