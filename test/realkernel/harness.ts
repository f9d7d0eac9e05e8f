// Real-kernel scenarios: a broken (or healthy) host built for real inside private
// mount + network namespaces, diagnosed by the built CLI, replayed from its
// snapshot outside the namespace, and judged by Debian's real qemu-system-x86_64
// started as an unprivileged user.
//
// Nothing here touches the host's namespaces: every step runs through
// `nsenter -t PID -m -n -p` into a sleeper started by
// `setpriv --pdeathsig KILL unshare -m -n -p --mount-proc --propagation private --kill-child sleep infinity`
// (it dies with the test process, even on SIGKILL, and every process left in its
// PID namespace dies with it). The PID namespace with its own /proc keeps the
// scenario deterministic: qnet sees the scenario's processes only, not the QEMUs
// of scenarios running in parallel (which would make a live run and the snapshot
// taken a moment later differ). Inside it, all scenario state
// lives on a tmpfs mounted over the scenario's temp dir: /etc is an overlay whose
// upper dir is on that tmpfs, /dev/net is a fresh tmpfs, the bridge helper is a
// copy on that tmpfs bind-mounted over /usr/lib/qemu/qemu-bridge-helper. When the
// sleeper dies, the namespaces go with their links, firewall and mounts; the host
// keeps only an empty temp dir, which dispose() removes.
//
// External programs run as argv arrays. Scenario scripts are fixed bash text
// (constants in the test files); the only data they get is $T, the tmpfs path.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVmProcess } from '../../src/parse/qemu-cmdline.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin/qnet.js');
export const BUNDLE = join(ROOT, 'dist/qnet.cjs');
/** Recorded scenarios, one directory per check: fixtures/<check>/<scenario>.json. */
export const FIXTURES = join(ROOT, 'fixtures');
export const TEST_USER = 'qnetuser';
export const TEST_UID = 4242;
export const HELPER = '/usr/lib/qemu/qemu-bridge-helper';
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const QMP_QUIT = '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n';

export type Status = 'pass' | 'warn' | 'fail' | 'skip' | 'error';

// ---------------------------------------------------------------------------
// Running programs

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export function run(argv: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: '/',
      env: { PATH, LC_ALL: 'C', HOME: '/root', NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    child.stdin.on('error', () => {
      /* the program may exit before reading its input (QEMU failing at start-up) */
    });
    child.stdin.end(opts.input ?? '');
  });
}

const which = (prog: string): string | undefined => {
  for (const d of PATH.split(':')) if (existsSync(join(d, prog))) return join(d, prog);
  return undefined;
};

// ---------------------------------------------------------------------------
// Can the real-kernel tests run here?

/**
 * What a real-kernel test may need beyond the base (root, namespaces, iproute2): each
 * program with the Debian package that has it. A test whose need is missing skips and
 * names it; it never fails for it.
 */
const TOOLS = {
  qemu: { prog: 'qemu-system-x86_64', pkg: 'qemu-system-x86', role: 'QEMU is the judge of these scenarios' },
  helper: { path: HELPER, pkg: 'qemu-system-common', role: 'the bridge helper is what these scenarios judge' },
  iptables: { prog: 'iptables', pkg: 'iptables', role: 'the scenario sets firewall rules with it' },
  setcap: { prog: 'setcap', pkg: 'libcap2-bin', role: 'the scenario gives a file a capability with it' },
  getcap: { prog: 'getcap', pkg: 'libcap2-bin', role: 'qnet reads file capabilities with it when getfattr is missing' },
  getfattr: { prog: 'getfattr', pkg: 'attr', role: 'the test reads file capabilities with it' },
  sysctl: { prog: 'sysctl', pkg: 'procps', role: 'the scenario sets sysctls with it' },
  'dpkg-statoverride': { prog: 'dpkg-statoverride', pkg: 'dpkg', role: 'the fix under test records a mode with it' },
} as const satisfies Record<string, { prog?: string; path?: string; pkg: string; role: string }>;
export type Need = keyof typeof TOOLS;

/** '' when every need is there, else why not (the first missing one, by name). */
export function missingTool(needs: readonly Need[]): string {
  for (const n of needs) {
    const t: { prog?: string; path?: string; pkg: string; role: string } = TOOLS[n];
    if (t.prog && !which(t.prog)) return `${t.prog} is not installed (Debian: ${t.pkg}), and ${t.role}`;
    if (t.path && !existsSync(t.path)) return `${t.path} is not installed (Debian: ${t.pkg}), and ${t.role}`;
  }
  return '';
}

function baseSkipReason(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return `not root (uid ${process.getuid?.()}): building namespaces, tun nodes and bridges needs root`;
  for (const prog of ['unshare', 'nsenter', 'setpriv', 'ip', 'mknod', 'bash', 'findmnt']) {
    if (!which(prog)) return `${prog} is not installed`;
  }
  const r = spawnSync('unshare', ['-m', '-n', '-p', '--fork', '--mount-proc', '--propagation', 'private', 'true'], { encoding: 'utf8' });
  if (r.status !== 0) return `cannot create mount, network and PID namespaces (unshare -m -n -p: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()})`;
  if (!existsSync('/dev/net')) return '/dev/net does not exist on this host, so a tmpfs cannot be mounted there (is the tun driver available?)';
  return '';
}

let baseReason: string | undefined;
export function skipReason(needs: readonly Need[] = []): string {
  baseReason ??= baseSkipReason();
  return baseReason || missingTool(needs);
}

// ---------------------------------------------------------------------------
// Scenario: the namespaces and what runs in them

/**
 * Shell functions every scenario script can use; fixed text, run with `set -euo pipefail`.
 *   tun MODE [MINOR]        create /dev/net/tun (char 10:MINOR, default 200) with MODE
 *   join_group NAME GID     put qnetuser in group NAME (created with GID when missing)
 *   helper_mode MODE        chmod the scenario's copy of qemu-bridge-helper
 *   kvm_node MODE [GROUP]   chmod/chgrp the scenario's private /dev/kvm (group default root)
 */
const PRELUDE = `set -euo pipefail
tun() { mknod -m "$1" /dev/net/tun c 10 "\${2:-200}"; }
join_group() {
  if grep -q "^$1:" /etc/group; then sed -i "/^$1:/{s/:\\$/:qnetuser/;t;s/\\$/,qnetuser/}" /etc/group
  else echo "$1:x:$2:qnetuser" >> /etc/group; fi
}
helper_mode() { chmod "$1" "$T/bin/qemu-bridge-helper"; }
kvm_node() { chmod "$1" /dev/kvm; chgrp "\${2:-root}" /dev/kvm; }
`;

/** Every scenario starts from this: a known /etc, an empty /dev/net, the test user, a 0755 helper copy. */
const BASE_SETUP = `
mount -t tmpfs -o mode=0700 qnet-realkernel "$T"
mkdir "$T/etc-up" "$T/etc-work" "$T/bin"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/etc-up,workdir=$T/etc-work" /etc
mount -t tmpfs -o mode=0755 qnet-realkernel-devnet /dev/net
# sysfs shows the network namespace of whoever mounted it: mount one for the scenario's.
mount -t sysfs sysfs /sys
# A scenario is a host, whatever machine runs the tests (CI runs on a VM): hide the signs of a
# hypervisor (the CPU flag, virtio devices, DMI); guest scenarios say --guest.
sed 's/ hypervisor\\b//' /proc/cpuinfo > "$T/cpuinfo"
mount --bind "$T/cpuinfo" /proc/cpuinfo
if [ -d /sys/bus/virtio/devices ]; then mount -t tmpfs -o mode=0755 qnet-novirtio /sys/bus/virtio/devices; fi
if [ -d /sys/devices/virtual/dmi/id ]; then mount -t tmpfs -o mode=0755 qnet-nodmi /sys/devices/virtual/dmi/id; fi
ip link set lo up
if getent passwd qnetuser >/dev/null || getent passwd 4242 >/dev/null; then
  echo "a user qnetuser or uid 4242 already exists on this host; the scenarios need them free" >&2; exit 1
fi
echo 'qnetuser:x:4242:4242:qnet real-kernel test user:/nonexistent:/usr/sbin/nologin' >> /etc/passwd
echo 'qnetuser:x:4242:' >> /etc/group
# None of the host's network or QEMU configuration leaks into a scenario (deletions only whiteout the overlay).
rm -rf /etc/qemu /etc/network/interfaces /etc/network/interfaces.d /etc/netplan \\
  /etc/NetworkManager/system-connections /etc/systemd/network /etc/udev/rules.d
# /dev/kvm: a private node like the host's (same device, mode, owner) bind-mounted over it,
# so a scenario (or a qnet fix run in it) can change it without touching the host's.
if [ -e /dev/kvm ]; then
  mknod "$T/kvm" c "$((16#$(stat -c %t /dev/kvm)))" "$((16#$(stat -c %T /dev/kvm)))"
  chown --reference=/dev/kvm "$T/kvm"
  chmod --reference=/dev/kvm "$T/kvm"
  mount --bind "$T/kvm" /dev/kvm
  [ "$(stat -c %d:%i /dev/kvm)" = "$(stat -c %d:%i "$T/kvm")" ]
fi
# The bridge helper: Debian's binary, as a copy on the tmpfs (not nosuid) bind-mounted over the real path.
if [ -e ${HELPER} ]; then
  cp ${HELPER} "$T/bin/qemu-bridge-helper"
  chown root:root "$T/bin/qemu-bridge-helper"
  chmod 0755 "$T/bin/qemu-bridge-helper"
  mount --bind "$T/bin/qemu-bridge-helper" ${HELPER}
  [ "$(stat -c %d:%i ${HELPER})" = "$(stat -c %d:%i "$T/bin/qemu-bridge-helper")" ]
  if findmnt -n -o OPTIONS -T ${HELPER} | grep -qw nosuid; then echo "the helper's bind mount is nosuid" >&2; exit 1; fi
fi
`;

const nsOf = (pid: number | 'self', kind: string) => readlinkSync(`/proc/${pid}/ns/${kind}`);

/** Waits until `ready(pid)` holds (the process has entered or created its namespaces). */
async function waitForNamespaces(pid: number, ready: () => boolean, exitCode: () => number | null): Promise<void> {
  const end = Date.now() + 5000;
  for (;;) {
    try {
      if (ready()) return;
    } catch {
      /* not there yet, or died */
    }
    if (exitCode() !== null || Date.now() > end) throw new Error(`a namespace holder (pid ${pid}) did not come up (exit ${exitCode()})`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// Fixed programs for the bridged-traffic judge: the receiver waits up to 2 s, the sender repeats for 1 s.
const RECEIVE_JS = `const s=require('dgram').createSocket('udp4');
s.on('message',()=>process.exit(0));
s.bind(7777,'192.0.2.2');
setTimeout(()=>{console.error('no datagram within 2 s');process.exit(1)},2000);`;
const SEND_JS = `const s=require('dgram').createSocket('udp4');let n=0;
const t=setInterval(()=>{s.send('qnet','7777','192.0.2.2',()=>{});if(++n===10){clearInterval(t);setTimeout(()=>process.exit(0),50)}},100);`;

export interface QemuRun extends RunResult {
  argv: string[];
  started: boolean;
}

export interface QemuSpec {
  /** The -netdev value; the NIC is always virtio-net-pci,netdev=n0. */
  netdev: string;
  /** Run as root, or as qnetuser through setpriv (default). */
  as?: 'root' | 'user';
  /** qnetuser's supplementary groups: none (default) or those in the scenario's /etc/group. */
  groups?: 'clear' | 'init';
  /** Ambient CAP_NET_ADMIN (so the user can create taps and run ip in /etc/qemu-ifup). */
  netAdmin?: boolean;
  /** -accel VALUE (default: QEMU's, TCG when not asked). */
  accel?: 'kvm';
  /**
   * Hand QEMU this macvtap as fd 3, opened read-write by the user's own shell
   * (`3<>/dev/tapN`, N its ifindex), as libvirt's direct interfaces do. Use with netdev 'tap,id=n0,fd=3'.
   */
  fdFromMacvtap?: string;
}

/** A QEMU left running while qnet looks at the host (a VM holding its tap, using its MAC). */
export interface VmSpec {
  /** Arguments after the fixed ones (-M pc -nodefaults -display none -S -no-user-config -qmp stdio). */
  args: string[];
  as?: 'root' | 'user';
}

export interface RunningVm {
  argv: string[];
  /** What QEMU itself says of its network (HMP `info network`). */
  network: string;
}

/** QEMU's own view of its NICs' MACs, from `info network` (lines like `e1000.0: ...,macaddr=52:54:00:12:34:56`). */
export const macsOf = (network: string): string[] => [...network.matchAll(/macaddr=([0-9a-f:]{17})/gi)].map((m) => m[1]!.toLowerCase());

export class Scenario {
  private disposed = false;
  /** Processes holding child network namespaces ("machines" cabled to this one). */
  private readonly children: number[] = [];
  /** nsenter processes of the VMs left running (QEMU itself dies with the PID namespace). */
  private readonly vms: ReturnType<typeof spawn>[] = [];
  private constructor(
    readonly name: string,
    /** Host temp dir: snapshots land here, visible outside the namespace. */
    readonly dir: string,
    /** $T: the tmpfs inside the namespace (an empty dir on the host). */
    readonly nsDir: string,
    /** The unshare process: in the scenario's mount and network namespaces, not its PID namespace. */
    readonly pid: number,
  ) {}
  /** The sleeper: PID 1 of the scenario's PID namespace. */
  private init = 0;

  static async start(name: string): Promise<Scenario> {
    const dir = mkdtempSync(join(tmpdir(), `qnet-rk-${name}-`));
    const nsDir = join(dir, 'ns');
    mkdirSync(nsDir, { mode: 0o700 });
    const sleeper = spawn('setpriv', ['--pdeathsig', 'KILL', 'unshare', '-m', '-n', '-p', '--mount-proc', '--propagation', 'private', '--kill-child', 'sleep', 'infinity'], {
      stdio: 'ignore',
      env: { PATH },
    });
    const pid = sleeper.pid;
    if (pid === undefined) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error('could not start the namespace sleeper');
    }
    sleeper.unref();
    const sc = new Scenario(name, dir, nsDir, pid);
    try {
      // unshare(2) happens in the process we started, which then forks the sleeper; the
      // sleeper mounts the new /proc and execs sleep: wait for all of it.
      const [mnt, net, pidns] = [nsOf('self', 'mnt'), nsOf('self', 'net'), nsOf('self', 'pid')];
      await waitForNamespaces(
        pid,
        () => {
          if (nsOf(pid, 'mnt') === mnt || nsOf(pid, 'net') === net) return false;
          const child = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]);
          if (!child || nsOf(child, 'pid') === pidns || !readFileSync(`/proc/${child}/cmdline`, 'utf8').startsWith('sleep\0')) return false;
          sc.init = child;
          return true;
        },
        () => sleeper.exitCode,
      );
      await sc.sh(BASE_SETUP, 'base setup');
      return sc;
    } catch (err) {
      await sc.dispose();
      throw err;
    }
  }

  /**
   * argv run inside the scenario's namespaces. `hostPids`: stay in the host's PID namespace
   * (for `ip link ... netns PID` with the PID of a child namespace holder).
   */
  inNs(argv: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string>; hostPids?: boolean } = {}): Promise<RunResult> {
    if (this.disposed) throw new Error(`scenario ${this.name} is disposed`);
    const enter = opts.hostPids ? ['-t', String(this.pid), '-m', '-n'] : ['-t', String(this.init), '-m', '-n', '-p'];
    return run(['nsenter', ...enter, '--', ...argv], opts);
  }

  /** A fixed bash script inside the namespaces, with the prelude's functions and $T; throws on failure. */
  async sh(script: string, what = 'setup'): Promise<string> {
    const r = await this.inNs(['bash', '-c', PRELUDE + script], { env: { T: this.nsDir }, timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`scenario ${this.name}: ${what} failed (exit ${r.code ?? r.signal}):\n${r.stderr.trim()}`);
    return r.stdout;
  }

  /** `qnet ARGS` inside the namespaces, as root (BIN: bin/qnet.js of the bundle copy in use). */
  qnet(bin: string, args: string[]): Promise<RunResult> {
    return this.inNs([process.execPath, bin, ...args], { timeoutMs: 60_000 });
  }

  /** qemu-system-x86_64 frozen (-S) with QMP on stdio, as root or as qnetuser. */
  private static qemuArgv(spec: Pick<QemuSpec, 'as' | 'groups' | 'netAdmin' | 'fdFromMacvtap'>, args: string[]): string[] {
    const who =
      spec.as === 'root'
        ? []
        : [
            'setpriv',
            `--reuid=${TEST_UID}`,
            `--regid=${TEST_UID}`,
            spec.groups === 'init' ? '--init-groups' : '--clear-groups',
            ...(spec.netAdmin ? ['--inh-caps', '+net_admin', '--ambient-caps', '+net_admin'] : []),
          ];
    // The interface name is a constant of the test table; it is passed as an argument, never pasted into the script.
    const fd = spec.fdFromMacvtap ? ['sh', '-c', 'exec 3<>"/dev/tap$(cat "/sys/class/net/$0/ifindex")" && exec "$@"', spec.fdFromMacvtap] : [];
    return [...who, ...fd, 'qemu-system-x86_64', '-M', 'pc', '-nodefaults', '-display', 'none', '-S', '-no-user-config', '-qmp', 'stdio', ...args];
  }

  /** qemu-system-x86_64 with one netdev, frozen (-S), told to quit over QMP. */
  async qemu(spec: QemuSpec): Promise<QemuRun> {
    const argv = Scenario.qemuArgv(spec, [...(spec.accel ? ['-accel', spec.accel] : []), '-netdev', spec.netdev, '-device', 'virtio-net-pci,netdev=n0']);
    const r = await this.inNs(argv, { input: QMP_QUIT, timeoutMs: 20_000 });
    // Started: exit 0 after answering the quit command.
    const started = r.code === 0 && /"event": ?"SHUTDOWN"/.test(r.stdout);
    return { ...r, argv, started };
  }

  /**
   * A QEMU that keeps running (frozen, -S) until the scenario is disposed: it dies with
   * the scenario's PID namespace. Resolves once QEMU has answered `info network` over QMP,
   * i.e. its backends are up (a tap is open); rejects with QEMU's stderr if it exits.
   */
  startVm(spec: VmSpec): Promise<RunningVm> {
    if (this.disposed) throw new Error(`scenario ${this.name} is disposed`);
    const argv = Scenario.qemuArgv(spec, spec.args);
    const p = spawn('nsenter', ['-t', String(this.init), '-m', '-n', '-p', '--', ...argv], {
      cwd: '/',
      env: { PATH, LC_ALL: 'C', HOME: '/root' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.vms.push(p);
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`scenario ${this.name}: QEMU (${argv.join(' ')}) did not answer QMP within 20 s`)), 20_000);
      p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      p.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        for (const line of out.split('\n')) {
          if (!line.includes('"info-network"')) continue;
          clearTimeout(timer);
          const reply = JSON.parse(line) as { return?: string; error?: { desc: string } };
          if (reply.return === undefined) reject(new Error(`scenario ${this.name}: info network: ${reply.error?.desc}`));
          else resolve({ argv, network: reply.return });
          return;
        }
      });
      p.on('close', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`scenario ${this.name}: QEMU (${argv.join(' ')}) exited ${code ?? signal}: ${err.trim()}`));
      });
      p.stdin.on('error', () => undefined);
      // stdin stays open: QEMU runs until the scenario's PID namespace goes.
      p.stdin.write('{"execute":"qmp_capabilities"}\n{"execute":"human-monitor-command","arguments":{"command-line":"info network"},"id":"info-network"}\n');
    });
  }

  /**
   * A further network namespace, held by a process of ours (SIGKILLed with the scenario,
   * or with the test process): the "other machine" at the end of a veth.
   */
  async childNetns(): Promise<number> {
    const p = spawn('setpriv', ['--pdeathsig', 'KILL', 'nsenter', '-t', String(this.pid), '-m', '-n', '--', 'unshare', '-n', '--kill-child', 'sleep', 'infinity'], {
      stdio: 'ignore',
      env: { PATH },
    });
    if (p.pid === undefined) throw new Error('could not start a child namespace');
    p.unref();
    this.children.push(p.pid);
    // Ready when it sits in the scenario's mount namespace (nsenter done) and in a network
    // namespace that is neither the host's nor the scenario's (unshare done).
    const pid = p.pid;
    const [mnt, net, hostNet] = [nsOf(this.pid, 'mnt'), nsOf(this.pid, 'net'), nsOf('self', 'net')];
    await waitForNamespaces(pid, () => nsOf(pid, 'mnt') === mnt && ![net, hostNet].includes(nsOf(pid, 'net')), () => p.exitCode);
    return pid;
  }

  /**
   * A veth NAME in the scenario whose peer sits in a child namespace, up: a NIC with a
   * cable and carrier. With `peer` (an address/prefix), the machine at the other end has
   * that address and answers (ARP) on it: a gateway or DHCP-less neighbour.
   */
  async nic(name: string, peer?: string): Promise<number> {
    const child = await this.childNetns();
    const r = await this.inNs(['ip', 'link', 'add', name, 'type', 'veth', 'peer', 'name', 'cable0', 'netns', String(child)], { hostPids: true });
    if (r.code !== 0) throw new Error(`scenario ${this.name}: ip link add ${name} type veth: ${r.stderr.trim()}`);
    const up = await this.inNs(['ip', 'link', 'set', name, 'up']);
    if (up.code !== 0) throw new Error(`scenario ${this.name}: ip link set ${name} up: ${up.stderr.trim()}`);
    // The far end is up (a cable into a live switch), so NAME has carrier.
    const far = [...(peer ? [['ip', 'addr', 'add', peer, 'dev', 'cable0']] : []), ['ip', 'link', 'set', 'cable0', 'up']];
    for (const argv of far) {
      const c = await run(['nsenter', '-t', String(child), '-n', '--', ...argv]);
      if (c.code !== 0) throw new Error(`scenario ${this.name}: ${argv.join(' ')} (peer of ${name}): ${c.stderr.trim()}`);
    }
    return child;
  }

  /**
   * Two machines cabled to BRIDGE (192.0.2.1 and 192.0.2.2 in child namespaces, ports
   * qport1 and qport2): frames between them only cross the bridge.
   */
  async cableBridge(bridge: string): Promise<number[]> {
    const ends: number[] = [];
    for (const [i, port] of ['qport1', 'qport2'].entries()) {
      const child = await this.childNetns();
      ends.push(child);
      const steps: string[][] = [
        ['ip', 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(child)],
        ['ip', 'link', 'set', port, 'master', bridge],
        ['ip', 'link', 'set', port, 'up'],
      ];
      for (const argv of steps) {
        const r = await this.inNs(argv, { hostPids: true });
        if (r.code !== 0) throw new Error(`scenario ${this.name}: ${argv.join(' ')}: ${r.stderr.trim()}`);
      }
      for (const argv of [['ip', 'addr', 'add', `192.0.2.${i + 1}/24`, 'dev', 'eth0'], ['ip', 'link', 'set', 'eth0', 'up'], ['ip', 'link', 'set', 'lo', 'up']]) {
        const r = await run(['nsenter', '-t', String(child), '-n', '--', ...argv]);
        if (r.code !== 0) throw new Error(`scenario ${this.name}: ${argv.join(' ')} (child): ${r.stderr.trim()}`);
      }
    }
    return ends;
  }

  /**
   * The kernel as the judge: do UDP datagrams from 192.0.2.1 reach 192.0.2.2 across the
   * bridge (br_netfilter and FORWARD decide)? Node itself sends and receives, so no ping
   * or netcat is needed.
   */
  async bridgedPing(bridge: string, ends: number[]): Promise<{ works: boolean; said: string }> {
    const inChild = (pid: number, js: string, timeoutMs: number) => run(['nsenter', '-t', String(pid), '-n', '--', process.execPath, '-e', js], { timeoutMs });
    const receiver = inChild(ends[1]!, RECEIVE_JS, 10_000);
    const sender = await inChild(ends[0]!, SEND_JS, 10_000);
    const got = await receiver;
    const works = got.code === 0;
    return {
      works,
      said: `UDP 192.0.2.1 → 192.0.2.2 across ${bridge}: ${works ? 'received' : `nothing received (${got.stderr.trim() || `exit ${got.code}`})`}${sender.code !== 0 ? `; sender: ${sender.stderr.trim()}` : ''}`,
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const vm of this.vms) vm.stdin?.destroy();
    for (const pid of [...this.children, this.pid, this.init].filter(Boolean)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    // Wait until the processes are gone, so the namespaces (and the tmpfs over nsDir) are released.
    for (const pid of [...this.children, this.pid, this.init].filter(Boolean)) {
      const end = Date.now() + 5000;
      while (existsSync(`/proc/${pid}`) && Date.now() < end) {
        try {
          if (/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) break;
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// The doctor's JSON, live and replayed

export interface DoctorResult {
  id: string;
  status: Status;
  summary: string;
  durationMs?: number;
  [k: string]: unknown;
}
export interface DoctorDoc {
  schema: string;
  host: Record<string, unknown>;
  summary: Record<string, number>;
  results: DoctorResult[];
}

function parseDoctor(r: RunResult, where: string): DoctorDoc {
  let doc: DoctorDoc;
  try {
    doc = JSON.parse(r.stdout) as DoctorDoc;
  } catch {
    throw new Error(`${where}: qnet doctor --json printed no JSON (exit ${r.code ?? r.signal}); stderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(0, 2000)}`);
  }
  if (doc.schema !== 'qnet.doctor/v1') throw new Error(`${where}: schema is ${String(doc.schema)}, not qnet.doctor/v1`);
  return doc;
}

const withoutDurations = (doc: DoctorDoc) => doc.results.map(({ durationMs: _d, ...rest }) => rest);

export function assertBundle(): void {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build`);
}

/**
 * A private copy of bin/ and dist/ (the bundle needs only node: modules), so that every
 * run of a suite, live and replayed, uses one build even if someone rebuilds dist/ meanwhile.
 * Returns the copy's bin/qnet.js.
 */
export async function bundleCopy(dir: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    assertBundle();
    rmSync(join(dir, 'dist'), { recursive: true, force: true });
    cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
    cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
    const bin = join(dir, 'bin/qnet.js');
    const r = await run([process.execPath, bin, 'doctor', '--json', '--only', 'tun-module'], { timeoutMs: 30_000 });
    if ([0, 1].includes(r.code ?? -1) && r.stdout.includes('qnet.doctor/v1')) return bin;
    // A build in progress (dist/ emptied and refilled): try again.
    if (attempt === 5) throw new Error(`the copy of dist/ does not run (${r.stderr.trim()}): run npm run build`);
    await new Promise((res) => setTimeout(res, 1000));
  }
}

// ---------------------------------------------------------------------------
// Scenario tables

export interface ScenarioSpec {
  /** Also the fixture's file name: fixtures/<check>/<name>.json. */
  name: string;
  /** What is broken (or healthy), for the test's title. */
  title: string;
  /** Fixed bash text run after the base setup (see PRELUDE for the functions). */
  setup: string;
  check: string;
  expect: Status;
  /** Key words of the check's summary. */
  summary: RegExp;
  /** Other checks whose status this scenario pins (e.g. tun-perms skips when the node is missing). */
  others?: Record<string, Status>;
  /**
   * QEMU as the judge. `starts` must equal (expect !== 'fail') unless `startsAnyway`
   * (or `failsAnyway`, for a warning about what a further VM would meet)
   * says why QEMU works although qnet fails (a security finding, not a broken backend).
   */
  qemu?: QemuSpec & { starts: boolean; stderr?: RegExp; startsAnyway?: string; failsAnyway?: string };
  /** NIC-like veths (peer in another namespace, optionally with an address there) created before `setup`. */
  nics?: (string | { name: string; peer: string })[];
  /** Extra flags for the live doctor, the snapshot and the replay (e.g. --guest). */
  args?: string[];
  /** Whose access qnet judges (--user); default qnetuser. */
  user?: string;
  /** Programs the scenario needs beyond the suite's (its setup's tools): it skips, naming them, when one is missing. */
  needs?: Need[];
  /** Key words of the check's evidence (each as "source → observed", one per line). */
  evidence?: RegExp;
  /** QEMUs left running (started after `setup`, before qnet looks). */
  vms?: VmSpec[];
  /** QEMU's own view as the judge: do the running VMs' NICs (per `info network`) share a MAC? shared === (expect === 'fail'). */
  vmMacsShared?: boolean;
  /**
   * A fixed bash script in the scenario (after qnet looked) as the judge: exit 0 means
   * "works". works === (expect !== 'fail').
   */
  judge?: { what: string; script: string; works: boolean; /** why a warning comes with a judge that fails */ anyway?: string };
  /** The kernel as the judge: do two machines on this bridge reach each other? works === (expect !== 'fail'). */
  bridgedPing?: { bridge: string; works: boolean };
}

export const recording = process.env.QNET_RECORD_FIXTURES === '1';

interface SnapshotJson {
  reads: Record<string, { ok: boolean; text?: string; base64?: string; argv?: string[] }>;
  [k: string]: unknown;
}

/**
 * What goes into fixtures/: the snapshot with every non-VM command line blanked.
 * qnet itself blanks them (src/host/redact.ts); this is a second guard, for any
 * form a command line is recorded in (argv, or text/base64 in older snapshots): a
 * fixture must not carry other processes' command lines (the test runner's, or worse).
 */
export function fixtureOf(snapshotText: string): string {
  const snap = JSON.parse(snapshotText) as SnapshotJson;
  for (const [key, rec] of Object.entries(snap.reads)) {
    if (!/^file \/proc\/\d+\/cmdline$/.test(key) || !rec.ok) continue;
    const raw = rec.text !== undefined ? Buffer.from(rec.text, 'utf8') : rec.base64 !== undefined ? Buffer.from(rec.base64, 'base64') : undefined;
    const argv = rec.argv ?? raw?.toString('utf8').split('\0').filter(Boolean);
    if (!argv) continue;
    if (!isVmProcess(argv)) snap.reads[key] = { ok: true, argv: [] };
  }
  return JSON.stringify(snap, null, 1) + '\n';
}

/** Builds, diagnoses, replays and judges one scenario; disposes of it whatever happens. */
export async function runScenario(spec: ScenarioSpec, bin: string, skip?: (note: string) => void): Promise<void> {
  const sc = await Scenario.start(spec.name);
  try {
    for (const n of spec.nics ?? []) await (typeof n === 'string' ? sc.nic(n) : sc.nic(n.name, n.peer));
    await sc.sh(spec.setup, 'scenario setup');
    const machines = spec.bridgedPing ? await sc.cableBridge(spec.bridgedPing.bridge) : undefined;
    const vms: RunningVm[] = [];
    for (const v of spec.vms ?? []) vms.push(await sc.startVm(v));
    const args = spec.args ?? [];

    // 2. the live doctor, inside the namespaces
    const user = spec.user ?? TEST_USER;
    const live = await sc.qnet(bin, ['doctor', '--json', '--user', user, ...args]);
    const doc = parseDoctor(live, `${spec.name} (live)`);
    const res = doc.results.find((r) => r.id === spec.check);
    if (res?.status === 'skip' && res.summary === 'not implemented yet' && skip) {
      // A placeholder check (its author has not landed it yet): nothing to judge.
      console.log(`real-kernel scenario ${spec.name} skipped: ${spec.check} is still a placeholder ("not implemented yet")`);
      skip(`${spec.check} is not implemented yet`);
      return;
    }

    // 3. snapshot inside, replay outside
    const snapFile = join(sc.dir, 'snapshot.json');
    const snap = await sc.qnet(bin, ['snapshot', '-o', snapFile, '--user', user, ...args]);
    if (snap.code !== 0) throw new Error(`${spec.name}: qnet snapshot exited ${snap.code ?? snap.signal}: ${snap.stderr}`);
    // The snapshot carries --user and --guest: the replay is not told again.
    const replayRun = await run([process.execPath, bin, 'doctor', '--snapshot', snapFile, '--json'], { timeoutMs: 60_000 });
    const replay = parseDoctor(replayRun, `${spec.name} (replay)`);

    const one = join(sc.dir, 'one-check.json');
    if (recording) {
      const rec = await sc.qnet(bin, ['snapshot', '-o', one, '--only', spec.check, '--user', user, ...args]);
      if (rec.code !== 0) throw new Error(`${spec.name}: qnet snapshot --only ${spec.check} exited ${rec.code ?? rec.signal}: ${rec.stderr}`);
    }

    // 4. QEMU, when it judges this check
    const q = spec.qemu ? await sc.qemu(spec.qemu) : undefined;
    const ping = spec.bridgedPing && machines ? await sc.bridgedPing(spec.bridgedPing.bridge, machines) : undefined;
    const judged = spec.judge ? await sc.inNs(['bash', '-c', spec.judge.script], { timeoutMs: 30_000 }) : undefined;

    // 5. the fixture: the reads of this scenario's check alone (snapshot --only, taken
    // above before any judge touched the scenario), with blanked command lines; it must
    // replay to the same result for that check
    let fixtureReplay: DoctorDoc | undefined;
    if (recording) {
      mkdirSync(join(FIXTURES, spec.check), { recursive: true });
      const fixture = join(FIXTURES, spec.check, `${spec.name}.json`);
      const body = fixtureOf(readFileSync(one, 'utf8'));
      // A recording that differs only in its time stamps and durations leaves the file as it was.
      const unstamped = (t: string) => t.replace(/"(createdAt|durationMs)": [^,\n]*/g, '');
      if (!existsSync(fixture) || unstamped(readFileSync(fixture, 'utf8')) !== unstamped(body)) writeFileSync(fixture, body, { mode: 0o644 });
      const fr = await run([process.execPath, bin, 'doctor', '--snapshot', fixture, '--json'], { timeoutMs: 60_000 });
      fixtureReplay = parseDoctor(fr, `${spec.name} (fixture replay)`);
    }

    const said = res ? `qnet said ${res.status}: ${res.summary}` : `qnet printed no ${spec.check} result`;
    const qemuSaid = q
      ? `QEMU (${q.argv.join(' ')}) ${q.started ? 'started (exit 0)' : `failed (exit ${q.code ?? q.signal}${q.timedOut ? ', timed out' : ''})`}: ${q.stderr.trim() || '(no stderr)'}`
      : '';
    const vmSaid = vms.map((v, i) => `\nVM ${i + 1} (${v.argv.slice(v.argv.indexOf('qemu-system-x86_64')).join(' ')}) says: ${v.network.trim().replace(/\r?\n\s*/g, ' | ')}`).join('');
    const judgeSaid = judged && spec.judge ? `\n${spec.judge.what}: exit ${judged.code ?? judged.signal} ${(judged.stdout + judged.stderr).trim()}` : '';
    const context = `[${spec.name}] ${said}${qemuSaid ? `\n${qemuSaid}` : ''}${ping ? `\nkernel: ${ping.said}` : ''}${vmSaid}${judgeSaid}`;

    expect(res, context).toBeDefined();
    expect(res!.status, context).toBe(spec.expect);
    expect(res!.summary, context).toMatch(spec.summary);
    if (spec.evidence) {
      const ev = ((res!.evidence ?? []) as { source: string; observed: string }[]).map((e) => `${e.source} → ${e.observed}`).join('\n');
      expect(ev, context).toMatch(spec.evidence);
    }
    for (const [id, status] of Object.entries(spec.others ?? {})) {
      const o = doc.results.find((r) => r.id === id);
      expect(o?.status, `[${spec.name}] ${id}: ${o ? `${o.status}: ${o.summary}` : 'no result'}`).toBe(status);
    }
    // Exit code: 1 when anything fails or errors, else 0.
    expect(live.code, context).toBe(doc.results.some((r) => r.status === 'fail' || r.status === 'error') ? 1 : 0);

    // Replay gives the same results anywhere, durations aside.
    expect(replay.host.source).toBe('snapshot');
    expect({ ...replay.host, source: 'live' }).toEqual(doc.host);
    expect(withoutDurations(replay), `[${spec.name}] replayed results differ from the live run`).toEqual(withoutDurations(doc));
    expect(replayRun.code).toBe(live.code);
    if (fixtureReplay) {
      const only = (d: DoctorDoc) => withoutDurations(d).filter((r) => r.id === spec.check);
      expect(fixtureReplay.results.map((r) => r.id), `[${spec.name}] the fixture replays other checks`).toEqual([spec.check]);
      expect(only(fixtureReplay), `[${spec.name}] the fixture replays differently`).toEqual(only(doc));
    }

    if (q && spec.qemu) {
      expect(q.timedOut, context).toBe(false);
      expect(q.started, context).toBe(spec.qemu.starts);
      if (spec.qemu.stderr) expect(q.stderr, context).toMatch(spec.qemu.stderr);
    }
    if (ping && spec.bridgedPing) expect(ping.works, context).toBe(spec.bridgedPing.works);
    if (spec.vmMacsShared !== undefined) {
      const all = vms.flatMap((v) => [...new Set(macsOf(v.network))]);
      expect(all.length, context).toBeGreaterThan(0);
      expect(new Set(all).size < all.length, context).toBe(spec.vmMacsShared);
    }
    if (judged && spec.judge) {
      expect(judged.timedOut, context).toBe(false);
      expect(judged.code === 0, context).toBe(spec.judge.works);
    }
  } finally {
    await sc.dispose();
  }
}

/** One describe block per table; skips (saying why) where the real kernel cannot be used. */
export function realKernelSuite(title: string, specs: ScenarioSpec[], needs: Need[] = []): void {
  const reason = skipReason([
    ...needs,
    ...(specs.some((s) => s.qemu) ? (['qemu'] as const) : []),
  ]);
  if (reason) console.log(`real-kernel tests skipped (${title}): ${reason}`);
  for (const s of specs) {
    // The table itself must say what the contract says: QEMU fails exactly where qnet fails.
    if (s.qemu && !s.qemu.startsAnyway && !s.qemu.failsAnyway && s.qemu.starts !== (s.expect !== 'fail')) {
      throw new Error(`scenario ${s.name}: qemu.starts=${s.qemu.starts} contradicts expect=${s.expect} without startsAnyway/failsAnyway`);
    }
    if (s.vmMacsShared !== undefined && s.vmMacsShared !== (s.expect === 'fail')) {
      throw new Error(`scenario ${s.name}: vmMacsShared=${s.vmMacsShared} contradicts expect=${s.expect}`);
    }
    if (s.judge && !s.judge.anyway && s.judge.works !== (s.expect !== 'fail')) {
      throw new Error(`scenario ${s.name}: judge.works=${s.judge.works} contradicts expect=${s.expect}`);
    }
    if (s.bridgedPing && s.bridgedPing.works !== (s.expect !== 'fail')) {
      throw new Error(`scenario ${s.name}: bridgedPing.works=${s.bridgedPing.works} contradicts expect=${s.expect}`);
    }
  }
  describe.skipIf(reason !== '')(title, () => {
    let copyDir = '';
    let bin = '';
    beforeAll(async () => {
      copyDir = mkdtempSync(join(tmpdir(), 'qnet-rk-bundle-'));
      bin = await bundleCopy(copyDir);
    });
    afterAll(() => {
      if (copyDir) rmSync(copyDir, { recursive: true, force: true });
    });
    for (const s of specs) {
      const judge = s.qemu
        ? `, QEMU ${s.qemu.starts ? 'starts' : 'fails'}`
        : s.bridgedPing
          ? `, bridged traffic ${s.bridgedPing.works ? 'passes' : 'dropped'}`
          : s.vmMacsShared !== undefined
            ? `, QEMU reports ${s.vmMacsShared ? 'one MAC twice' : 'distinct MACs'}`
            : s.judge
              ? `, ${s.judge.what} ${s.judge.works ? 'works' : 'fails'}`
              : '';
      it(`${s.name}: ${s.title} → ${s.check} ${s.expect}${judge}`, (ctx) => {
        const missing = missingTool(s.needs ?? []);
        if (missing) {
          console.log(`real-kernel scenario ${s.name} skipped: ${missing}`);
          ctx.skip(missing);
          return;
        }
        return runScenario(s, bin, (note) => ctx.skip(note));
      });
    }
  });
}
