// Shared pieces of the real-kernel proof of `qnet fix` and `qnet undo`
// (test/realkernel/fix-*.test.ts), on top of harness.ts's Scenario.
//
// A FixScenario is a Scenario (private mount, network and PID namespaces; /etc an
// overlay; /dev/net a tmpfs; the bridge helper a bind-mounted copy) plus:
//   - /var/lib/dpkg as an overlay too, so that dpkg-statoverride (the
//     helper-setuid/setuid plan) writes the scenario's statoverride, never the host's;
//   - a journal directory on the scenario's tmpfs (QNET_STATE_DIR), so the host's
//     /var/lib/qnet is never created or read;
//   - state(): the exact state of everything a fix may touch, as text that a test
//     compares before the fix and after the undo.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleCopy, missingTool, Scenario, TEST_USER, type RunResult } from './harness.js';

/** Fixed bash text: /var/lib/dpkg becomes an overlay whose upper dir is on the scenario's tmpfs. */
const PRIVATE_DPKG = `
mkdir "$T/dpkg-up" "$T/dpkg-work"
mount -t overlay overlay -o "lowerdir=/var/lib/dpkg,upperdir=$T/dpkg-up,workdir=$T/dpkg-work" /var/lib/dpkg
[ "$(findmnt -n -o FSTYPE -T /var/lib/dpkg/statoverride)" = overlay ]
`;

export class FixScenario {
  readonly stateDir: string;
  private constructor(
    readonly sc: Scenario,
    readonly bin: string,
  ) {
    this.stateDir = `${sc.nsDir}/qnet-state`;
  }

  static async start(name: string, bin: string, setup: string): Promise<FixScenario> {
    const sc = await Scenario.start(name);
    try {
      await sc.sh(PRIVATE_DPKG, 'private /var/lib/dpkg');
      await sc.sh(setup, 'scenario setup');
    } catch (err) {
      await sc.dispose();
      throw err;
    }
    return new FixScenario(sc, bin);
  }

  /** `qnet ARGS` as root inside the namespaces, journaling under the scenario's tmpfs. */
  qnet(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
    return this.sc.inNs([process.execPath, this.bin, ...args], { env: { QNET_STATE_DIR: this.stateDir, ...env }, timeoutMs: 60_000 });
  }

  /** The doctor's verdict on one check for qnetuser (or `user`). */
  async verdict(id: string, user = TEST_USER): Promise<{ status: string; summary: string }> {
    const r = await this.qnet(['doctor', '--json', '--user', user, '--only', id]);
    let doc: { results: { id: string; status: string; summary: string }[] };
    try {
      doc = JSON.parse(r.stdout) as typeof doc;
    } catch {
      throw new Error(`qnet doctor --only ${id} printed no JSON (exit ${r.code ?? r.signal}):\n${r.stderr}`);
    }
    const res = doc.results.find((x) => x.id === id);
    if (!res) throw new Error(`qnet doctor --only ${id} gave no ${id} result`);
    return { status: res.status, summary: res.summary };
  }

  /** Output of a command in the namespaces (stdout, trimmed), or `exit N: stderr`. */
  async out(argv: string[]): Promise<string> {
    const r = await this.sc.inNs(argv);
    return r.code === 0 ? r.stdout.trim() : `exit ${r.code ?? r.signal}: ${r.stderr.trim()}`;
  }

  /**
   * The exact state of each watched thing, one line each:
   *   /proc/sys/...   its value
   *   group:NAME      the user's groups as `id` sees them in the scenario's /etc/group
   *   iptables:TABLE  that table's rules (iptables -t TABLE -S)
   *   link:NAME       the interface's flags (UP, LOWER_UP, ...) and its bridge
   *   a directory     type, mode, owner, and its entries with their modes and owners
   *   anything else   type, mode, owner, device numbers, and for a regular file its
   *                   sha256 and file capabilities (getfattr's hex, or getcap's text
   *                   where attr is not installed); "absent" when missing
   */
  async state(watch: readonly string[]): Promise<string> {
    const lines: string[] = [];
    for (const p of watch) {
      if (p.startsWith('group:')) {
        lines.push(`${p}: ${await this.out(['id', p.slice('group:'.length)])}`);
        continue;
      }
      if (p.startsWith('iptables:')) {
        lines.push(`${p}: ${(await this.out(['iptables', '-t', p.slice('iptables:'.length), '-S'])).split('\n').join(' | ')}`);
        continue;
      }
      if (p.startsWith('link:')) {
        const j = await this.out(['ip', '-j', 'link', 'show', 'dev', p.slice('link:'.length)]);
        const link = j.startsWith('[') ? (JSON.parse(j) as { flags?: string[]; master?: string }[])[0] : undefined;
        lines.push(`${p}: ${link ? `${(link.flags ?? []).join(',')} master=${link.master ?? '-'}` : j}`);
        continue;
      }
      if (p.startsWith('/proc/sys/')) {
        lines.push(`${p}: ${await this.out(['cat', p])}`);
        continue;
      }
      const st = await this.sc.inNs(['stat', '-c', '%F %a %u:%g %t:%T', p]);
      if (st.code !== 0) {
        lines.push(`${p}: absent`);
        continue;
      }
      const head = st.stdout.trim();
      if (head.startsWith('directory')) {
        const ls = await this.out(['find', p, '-mindepth', '1', '-maxdepth', '1', '-printf', '%f %y %m %U:%G\\n']);
        lines.push(`${p}: ${head} [${ls.split('\n').filter(Boolean).sort().join(', ')}]`);
      } else if (head.startsWith('regular')) {
        const sum = (await this.out(['sha256sum', p])).split(' ')[0];
        lines.push(`${p}: ${head} ${sum} cap=${await this.caps(p)}`);
      } else {
        lines.push(`${p}: ${head}`);
      }
    }
    return lines.join('\n');
  }

  /** A file's capabilities: getfattr's `security.capability=0x...`, or getcap's text; "none". */
  private async caps(p: string): Promise<string> {
    if (missingTool(['getfattr']) === '') {
      const r = await this.sc.inNs(['getfattr', '--absolute-names', '-n', 'security.capability', '-e', 'hex', p]);
      return r.code === 0 ? r.stdout.trim().split('\n').pop()! : 'none';
    }
    // Neither tool: the same word before and after, so only what the tools would show is not compared.
    if (missingTool(['getcap']) !== '') return 'unread (neither getfattr nor getcap is installed)';
    const r = await this.sc.inNs(['getcap', '-n', p]);
    if (r.code !== 0 || r.stderr.trim()) throw new Error(`getcap -n ${p}: ${r.stderr.trim() || `exit ${r.code}`}`);
    return r.stdout.trim() ? r.stdout.trim().slice(p.length + 1) : 'none';
  }

  dispose(): Promise<void> {
    return this.sc.dispose();
  }
}

/** A private copy of the built CLI for one test file; remove() when done. */
export async function cliCopy(): Promise<{ bin: string; remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'qnet-fix-bin-'));
  const bin = await bundleCopy(dir);
  return { bin, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * For a describe block: a private copy of the CLI (suite.bin) made before its tests and
 * removed after them, and the host's fingerprint taken first (suite.host). With
 * `checkHost`, the fingerprint must be the same after the block.
 */
export function cliSuite(o: { checkHost?: boolean } = {}): { readonly bin: string; readonly host: string } {
  let cli: Awaited<ReturnType<typeof cliCopy>> | undefined;
  let host = '';
  beforeAll(async () => {
    host = hostFingerprint();
    cli = await cliCopy();
  }, 300_000);
  afterAll(() => {
    cli?.remove();
    if (o.checkHost) expect(hostFingerprint()).toBe(host);
  });
  return {
    get bin() {
      return cli!.bin;
    },
    get host() {
      return host;
    },
  };
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

/**
 * What these tests must never change on the host itself: its journal directory, its
 * tun node, its dpkg statoverride database, its users and groups, its br_netfilter
 * sysctls and its bridge helper. Compared at the start and the end of each file.
 */
export function hostFingerprint(): string {
  const out: string[] = [];
  out.push(`/var/lib/qnet: ${existsSync('/var/lib/qnet') ? 'exists' : 'absent'}`);
  for (const p of ['/dev/net/tun', '/dev/kvm', '/usr/lib/qemu/qemu-bridge-helper', '/etc/group', '/etc/gshadow', '/etc/passwd', '/var/lib/dpkg/statoverride', '/etc/qemu-ifup', '/etc/qemu/bridge.conf', '/etc/network/interfaces']) {
    if (!existsSync(p)) {
      out.push(`${p}: absent`);
      continue;
    }
    const st = statSync(p);
    out.push(`${p}: ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.rdev} ${st.isFile() ? sha(p) : ''}`);
  }
  for (const f of ['iptables', 'ip6tables', 'arptables']) {
    const p = `/proc/sys/net/bridge/bridge-nf-call-${f}`;
    out.push(`${p}: ${existsSync(p) ? readFileSync(p, 'utf8').trim() : 'absent'}`);
  }
  return out.join('\n');
}

/** A fix's one-line report for an assertion message. */
export const said = (r: RunResult) => `exit ${r.code ?? r.signal}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
