// Shared by the lint-vs-real-QEMU/UML tests: a network namespace per test file,
// and per case a private mount namespace (tmpfs /tmp, overlay /etc, overlay
// /usr/lib/qemu) where a small shell setup builds what the case needs (a tap,
// a bridge, a script, a helper, an ACL). lint and the real program run in the
// same namespace after the same setup, so they judge the same host.
import { spawn, spawnSync } from 'node:child_process';

const ROOT = new URL('../..', import.meta.url).pathname;
/**
 * Inside a case's mount namespace the repository is bind-mounted at REPO (on a private
 * tmpfs over /mnt): the case's own /tmp hides the checkout when it lives under /tmp
 * (a CI clone in /tmp/ci, say).
 */
const REPO = '/mnt/qnet-repo';
export const BIN = `${REPO}/bin/qnet.js`;

/** Why the namespaces these tests build cannot be made here ('' when they can). */
export function whyNotNs(): string {
  if (process.getuid?.() !== 0) return 'not root';
  if (spawnSync('ip', ['-V']).status !== 0) return 'ip is not installed (Debian: iproute2)';
  if (spawnSync('unshare', ['-n', 'true']).status !== 0) return 'no network namespaces';
  return '';
}

/** As whyNotNs, and QEMU, the judge, must be installed. */
export function whyNotQemu(): string {
  return whyNotNs() || (spawnSync('qemu-system-x86_64', ['--version']).status !== 0 ? 'qemu-system-x86_64 is not installed (Debian: qemu-system-x86)' : '');
}

export interface LintOut {
  code: number | null;
  stderr: string;
  results: { id: string; status: string; summary: string; details?: string[] }[];
}

// Every case starts from this: a private /tmp, /etc and /usr/lib/qemu, all overlays
// on a tmpfs, so nothing written here reaches the host.
const PRELUDE = [
  'set -e',
  'mount -t tmpfs qnet-lint-repo /mnt',
  `mkdir ${REPO}`,
  `mount --bind "$QNET_ROOT" ${REPO}`,
  'mount -t tmpfs qnet-lint /tmp',
  'mkdir -p /tmp/.o/etc-up /tmp/.o/etc-work /tmp/.o/lq-up /tmp/.o/lq-work',
  'mount -t overlay overlay -o lowerdir=/etc,upperdir=/tmp/.o/etc-up,workdir=/tmp/.o/etc-work /etc',
  // (/usr/lib/qemu comes with qemu-system-common; UML cases run without it)
  'if [ -d /usr/lib/qemu ]; then mount -t overlay overlay -o lowerdir=/usr/lib/qemu,upperdir=/tmp/.o/lq-up,workdir=/tmp/.o/lq-work /usr/lib/qemu; fi',
].join('\n');

export class LintNs {
  readonly name: string;
  constructor(tag: string) {
    this.name = `qnet-lint-${tag}-${process.pid}`;
  }
  create(): void {
    spawnSync('ip', ['netns', 'add', this.name]);
    spawnSync('ip', ['-n', this.name, 'link', 'set', 'lo', 'up']);
  }
  destroy(): void {
    spawnSync('ip', ['netns', 'del', this.name]);
  }
  /** argv run inside the namespace after PRELUDE and `setup` (shell, run as root). */
  wrap(setup: string, argv: string[]): string[] {
    // The repository's path reaches the shell as data (an environment variable), not as script text.
    return ['ip', 'netns', 'exec', this.name, 'env', `QNET_ROOT=${ROOT}`, 'unshare', '-m', '--propagation', 'private', 'sh', '-c', `${PRELUDE}\n${setup}\nset +e\nexec "$@"`, 'sh', ...argv];
  }
  /** Runs something in the namespace (for state that must outlive one case: taps, bridges). */
  sh(script: string): { status: number | null; out: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.name, 'sh', '-c', script], { encoding: 'utf8' });
    return { status: r.status, out: r.stdout + r.stderr };
  }
  lint(argv: string[], setup = '', extra: string[] = []): LintOut {
    const [cmd, ...rest] = this.wrap(setup, [process.execPath, BIN, 'lint', '--json', ...extra, '--', ...argv]);
    const r = spawnSync(cmd!, rest, { encoding: 'utf8' });
    if (r.status === 2 || !r.stdout.trim().startsWith('{')) return { code: r.status, stderr: r.stderr, results: [] };
    const doc = JSON.parse(r.stdout) as { results: LintOut['results'] };
    return { code: r.status, stderr: r.stderr, results: doc.results };
  }
  /**
   * Runs qemu-system-x86_64 paused (-S) with `args` (the command line's options, argv[0]
   * dropped) plus -M pc -nodefaults -display none, and quits it over QMP on stdio: exit 0
   * means every backend came up. A process that outlives 20 s is killed.
   */
  qemu(args: string[], setup = ''): Promise<{ code: number | null; stderr: string }> {
    return this.spawnJudge(['qemu-system-x86_64', '-M', 'pc', '-nodefaults', '-display', 'none', '-S', '-no-user-config', '-qmp', 'stdio', ...args], setup, '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n');
  }
  spawnJudge(argv: string[], setup: string, stdin = '', timeoutMs = 20_000): Promise<{ code: number | null; stderr: string; stdout: string }> {
    return new Promise((resolve) => {
      const [cmd, ...rest] = this.wrap(setup, argv);
      const p = spawn(cmd!, rest, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      let stderr = '';
      let stdout = '';
      p.stderr.on('data', (b) => (stderr += b));
      p.stdout.on('data', (b) => (stdout += b));
      p.stdin.on('error', () => undefined);
      if (stdin) p.stdin.write(stdin);
      const t = setTimeout(() => {
        try {
          process.kill(-p.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, timeoutMs);
      p.on('close', (code) => {
        clearTimeout(t);
        resolve({ code, stderr, stdout });
      });
    });
  }
}

/** A long-running QEMU in the namespace (holding a tap), stopped with stop(). */
export function backgroundQemu(ns: LintNs, args: string[]): { ready: Promise<void>; stop: () => void } {
  const [cmd, ...rest] = ns.wrap('', ['qemu-system-x86_64', '-M', 'pc', '-nodefaults', '-display', 'none', '-S', '-no-user-config', '-qmp', 'stdio', ...args]);
  const p = spawn(cmd!, rest, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  p.stdin.on('error', () => undefined);
  const ready = new Promise<void>((res, rej) => {
    p.stdout.once('data', () => res());
    p.on('close', (c) => rej(new Error(`background QEMU exited ${c}`)));
  });
  return {
    ready,
    stop: () => {
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    },
  };
}
