// The real-kernel proof of `qnet setup`: a host with a LAN, built in private
// namespaces on top of fix-harness.ts's FixScenario (overlay /etc and
// /var/lib/dpkg, a private /dev/net, the bridge helper a bind-mounted copy, the
// journal on the scenario's tmpfs), plus:
//   - a private /run (dnsmasq's pid file, ifupdown's state never reach the host's);
//   - the LAN: a veth enp1s0 (the host's uplink, a NIC by name) whose far end
//     `lan0` sits in a "LAN" namespace at 192.168.50.1/24, which runs dnsmasq as
//     the LAN's DHCP server and router, and a tiny HTTP server that answers with
//     the address it sees the request come from (what NAT must make the host's);
//   - the host's uplink 192.168.50.2/24 with its default route via 192.168.50.1;
//   - guests: the cached tiny guest (test/helpers/guest-image.ts) booted under
//     QEMU (TCG) as qnetuser with the options setup printed;
//   - netState(): links, addresses, routes, firewall, sysctls, files and qnet's
//     own processes, as text compared before setup and after its undo/rollback.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { guestArgv, guestImage, parseConsole, umlArgv, type GuestImage, type GuestRun } from '../helpers/guest-image.js';
import { beforeAll, expect } from 'vitest';
import { cliSuite, FixScenario, said } from './fix-harness.js';
import { run, TEST_UID, TEST_USER, type RunResult } from './harness.js';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const LAN_PEER = '192.168.50.1';
export const HOST_ADDR = '192.168.50.2';

/** Fixed bash run after the base setup: a private /run, Debian's default 0666 /dev/net/tun, the uplink's address and route. */
const SETUP_BASE = `
mount -t tmpfs -o mode=0755 qnet-run /run
tun 0666
`;
const UPLINK = `
ip addr add ${HOST_ADDR}/24 dev enp1s0
ip route add default via ${LAN_PEER} dev enp1s0
`;

/** The uplink as ifupdown configures it (the shape Debian's installer writes). */
const UPLINK_IFUPDOWN = `
mkdir -p /etc/network/interfaces.d
cat > /etc/network/interfaces <<'IFEOF'
# This file describes the network interfaces available on your system
# and how to activate them. For more information, see interfaces(5).

source /etc/network/interfaces.d/*

# The loopback network interface
auto lo
iface lo inet loopback

# The primary network interface
allow-hotplug enp1s0
iface enp1s0 inet static
	address ${HOST_ADDR}/24
	gateway ${LAN_PEER}
IFEOF
ifup enp1s0
`;

/**
 * systemd-networkd confined to the scenario: its own system bus (dbus-daemon on the private
 * /run), networkd started directly (no systemd here), and /sys read-only where networkd looks,
 * so it takes links as initialised without a udev (as in a container). Both die with the
 * scenario's PID namespace.
 */
export const NETWORKD_START = `
mount -o remount,bind,ro /sys
mkdir -p /run/dbus /run/systemd/netif
chown systemd-network:systemd-network /run/systemd/netif
dbus-daemon --system --fork --nopidfile
/lib/systemd/systemd-networkd </dev/null >/run/networkd.log 2>&1 &
for i in $(seq 50); do networkctl list >/dev/null 2>&1 && break; sleep 0.1; done
`;

/** The uplink as networkd configures it. */
const UPLINK_NETWORKD = `
mkdir -p /etc/systemd/network
cat > /etc/systemd/network/10-enp1s0.network <<'NDEOF'
[Match]
Name=enp1s0

[Network]
Address=${HOST_ADDR}/24
Gateway=${LAN_PEER}
NDEOF
${NETWORKD_START}
for i in $(seq 100); do ip route show default | grep -q enp1s0 && break; sleep 0.1; done
ip route show default | grep -q enp1s0
`;

/** The uplink as a cloud image's netplan file configures it, rendered for networkd. */
const UPLINK_NETPLAN = `
mkdir -p /etc/netplan
cat > /etc/netplan/50-cloud-init.yaml <<'NPEOF'
# This file is generated from information provided by the datasource.
network:
  version: 2
  ethernets:
    enp1s0:
      addresses: [${HOST_ADDR}/24]
      routes:
        - to: default
          via: ${LAN_PEER}
NPEOF
chmod 0600 /etc/netplan/50-cloud-init.yaml
netplan generate
${NETWORKD_START}
for i in $(seq 100); do ip route show default | grep -q enp1s0 && break; sleep 0.1; done
ip route show default | grep -q enp1s0
`;

// The LAN's web server: answers every request with the source address it saw, and logs it.
const HTTP_JS = `require('http').createServer((q,s)=>{const a=q.socket.remoteAddress.replace(/^::ffff:/,'');console.log('FROM '+a);s.end('from='+a+'\\n')}).listen(8080,'${LAN_PEER}',()=>console.log('LISTENING'));`;

export interface SetupScenarioOptions {
  /** Fixed bash run after the LAN is up (the scenario's own twist). */
  setup?: string;
  /** How the uplink gets its address: iproute2 by hand (default), ifupdown from /etc/network/interfaces, or systemd-networkd. */
  uplinkBy?: 'ip' | 'ifupdown' | 'networkd' | 'netplan';
  /** Start the LAN's DHCP server (default true). */
  lanDhcp?: boolean;
}

let ptyCount = 0;

export interface Pty {
  session: string;
  screen: () => string;
  waitFor: (re: RegExp, ms?: number) => Promise<string>;
  keys: (...k: string[]) => void;
  kill: () => void;
  qnetPid: () => number;
}

export const hasTmux = () => spawnSync('tmux', ['-V']).status === 0;

export class SetupScenario {
  private readonly procs: ChildProcess[] = [];
  private readonly sessions: string[] = [];
  /** What the LAN's web server logged. */
  httpLog = '';
  private constructor(
    readonly f: FixScenario,
    /** PID holding the LAN's network namespace (host PID namespace). */
    readonly lan: number,
  ) {}

  static async start(name: string, bin: string, o: SetupScenarioOptions = {}): Promise<SetupScenario> {
    const f = await FixScenario.start(name, bin, SETUP_BASE);
    try {
      const lan = await f.sc.nic('enp1s0', `${LAN_PEER}/24`);
      // The far end is called cable0 by the harness; the LAN calls it lan0.
      for (const argv of [['ip', 'link', 'set', 'cable0', 'down'], ['ip', 'link', 'set', 'cable0', 'name', 'lan0'], ['ip', 'link', 'set', 'lan0', 'up'], ['ip', 'link', 'set', 'lo', 'up']]) {
        const r = await run(['nsenter', '-t', String(lan), '-n', '--', ...argv]);
        if (r.code !== 0) throw new Error(`LAN: ${argv.join(' ')}: ${r.stderr}`);
      }
      await f.sc.sh(o.uplinkBy === 'ifupdown' ? UPLINK_IFUPDOWN : o.uplinkBy === 'networkd' ? UPLINK_NETWORKD : o.uplinkBy === 'netplan' ? UPLINK_NETPLAN : UPLINK, 'uplink address');
      const s = new SetupScenario(f, lan);
      if (o.lanDhcp !== false) {
        await s.inLanDaemon(['dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--bind-interfaces', '--interface=lan0', '--except-interface=lo', '--port=0', '--dhcp-range=192.168.50.100,192.168.50.150,255.255.255.0,1h', `--dhcp-option=option:router,${LAN_PEER}`, '--leasefile-ro', '--pid-file='], /sockets bound exclusively/);
      }
      await s.inLanDaemon([process.execPath, '-e', HTTP_JS], /LISTENING/, (d) => (s.httpLog += d));
      if (o.setup) await f.sc.sh(o.setup, 'scenario setup');
      return s;
    } catch (err) {
      await f.dispose();
      throw err;
    }
  }

  /** A daemon in the LAN namespace (and the scenario's mount namespace), killed with the scenario or the test process. */
  private inLanDaemon(argv: string[], ready: RegExp, onOut?: (d: string) => void): Promise<void> {
    const p = spawn('setpriv', ['--pdeathsig', 'KILL', 'nsenter', '-t', String(this.f.sc.pid), '-m', `--net=/proc/${this.lan}/ns/net`, '--', ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH, LC_ALL: 'C' } });
    this.procs.push(p);
    return new Promise((resolve, reject) => {
      let all = '';
      const timer = setTimeout(() => reject(new Error(`LAN: ${argv[0]} did not start: ${all}`)), 10_000);
      const on = (d: Buffer) => {
        all += d.toString();
        onOut?.(d.toString());
        if (ready.test(all)) {
          clearTimeout(timer);
          resolve();
        }
      };
      p.stdout!.on('data', on);
      p.stderr!.on('data', on);
      p.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`LAN: ${argv[0]} exited ${code}: ${all}`));
      });
    });
  }

  /** A command in the LAN namespace. */
  inLan(argv: string[]): Promise<RunResult> {
    return run(['nsenter', '-t', String(this.lan), '-n', '--', ...argv]);
  }

  qnet(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
    return this.f.qnet(args, env);
  }

  /**
   * The exact state of what setup may touch, one line per item: every link (kind,
   * flags, master, MAC, alias, tap owner), address (without lifetimes) and route (all
   * tables), iptables' filter and nat tables, the sysctls, the files and directories,
   * and qnet's dnsmasq processes.
   */
  async netState(extraFiles: string[] = [], o: { generated?: 'drop' } = {}): Promise<string> {
    const j = async (argv: string[]) => {
      const r = await this.f.sc.inNs(argv);
      if (r.code !== 0) return `exit ${r.code}: ${r.stderr.trim()}`;
      return r.stdout;
    };
    const lines: string[] = [];
    type L = { ifname: string; flags?: string[]; master?: string; address?: string; ifalias?: string; linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> }; addr_info?: Record<string, unknown>[] };
    const links = JSON.parse(await j(['ip', '-j', '-d', 'addr', 'show'])) as L[];
    for (const l of links.sort((a, b) => a.ifname.localeCompare(b.ifname))) {
      const info = l.linkinfo?.info_data ?? {};
      const tun = l.linkinfo?.info_kind === 'tun' ? ` owner=${String(info.user ?? '-')} persist=${String(info.persist ?? '-')}` : '';
      // Carrier comes and goes with ports (a tap QEMU held a moment ago): it is state, not configuration.
      const flags = (l.flags ?? []).filter((x) => !['LOWER_UP', 'NO-CARRIER', 'M-DOWN'].includes(x));
      // A recreated tap gets a new random MAC (and IPv6 link-local address): generated, not configured.
      const gen = o.generated === 'drop';
      const mac = gen && l.linkinfo?.info_kind === 'tun' ? '(random)' : (l.address ?? '-');
      lines.push(`link ${l.ifname} kind=${l.linkinfo?.info_kind ?? '-'} flags=${flags.join(',')} master=${l.master ?? '-'} mac=${mac} alias=${l.ifalias ?? '-'}${tun}`);
      for (const a of (l.addr_info ?? []).filter((x) => !(gen && x.family === 'inet6' && x.scope === 'link'))) {
        // Lifetimes tick, and IPv6 duplicate address detection is still running on a new link for a second.
        const { valid_life_time: _v, preferred_life_time: _p, tentative: _t, ...rest } = a;
        lines.push(`  addr ${JSON.stringify(rest)}`);
      }
    }
    for (const fam of ['-4', '-6']) {
      const routes = JSON.parse(await j(['ip', '-j', fam, 'route', 'show', 'table', 'all'])) as Record<string, unknown>[];
      for (const r of routes) {
        const { expires: _e, flags, ...rest } = r as { expires?: unknown; flags?: string[] };
        (rest as Record<string, unknown>).flags = (flags ?? []).filter((x) => x !== 'linkdown');
        // The local route of an IPv6 link-local address appears when its duplicate address detection ends: the address is listed above.
        if (fam === '-6' && r.table === 'local' && String(r.dst).startsWith('fe80')) continue;
        // IPv6 brings fe80::/64 and ff00::/8 up with a link-local address (once the link has carrier).
        if (o.generated === 'drop' && fam === '-6' && (r.dst === 'fe80::/64' || r.dst === 'ff00::/8')) continue;
        lines.push(`route${fam} ${JSON.stringify(rest)}`);
      }
    }
    lines.push(await this.f.state(['iptables:filter', 'iptables:nat', '/proc/sys/net/ipv4/ip_forward', '/dev/net/tun', '/usr/lib/qemu/qemu-bridge-helper', '/var/lib/dpkg/statoverride', '/etc/group', '/etc/gshadow', '/etc/qemu', '/etc/qemu/bridge.conf', '/etc/udev/rules.d', '/etc/network', '/etc/network/interfaces', '/etc/network/interfaces.d', '/etc/sysctl.d', '/run', ...extraFiles]));
    // Living dnsmasq processes (the scenario's PID 1 is sleep, which leaves dead children as zombies).
    const procs = (await this.f.sc.inNs(['ps', '-eo', 'stat=,args='])).stdout.split('\n').filter((l) => /dnsmasq/.test(l) && !/^\s*Z/.test(l));
    lines.push(`dnsmasq in the scenario: ${procs.map((l) => l.trim()).join(' | ') || 'none'}`);
    return lines.join('\n');
  }

  /** Boots the tiny guest as qnetuser with setup's options; resolves when it powers off. */
  bootGuest(img: GuestImage, params: Record<string, string>, net: string[], opts: { timeoutMs?: number; onLine?: (line: string) => void; signal?: AbortSignal; uml?: boolean } = {}): Promise<GuestRun> {
    // UML keeps its control sockets under uml_dir: the user's own directory on the scenario's tmpfs... which is 0700 root, so /tmp.
    const argv = ['setpriv', `--reuid=${TEST_UID}`, `--regid=${TEST_UID}`, '--init-groups', ...(opts.uml ? umlArgv(img, params, net, '/tmp') : guestArgv(img, params, net))];
    const p = spawn('setpriv', ['--pdeathsig', 'KILL', 'nsenter', '-t', String(this.f.sc.pid), '-m', '-n', '--', ...argv], { stdio: [opts.uml ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: { PATH, LC_ALL: 'C', HOME: '/', TMPDIR: '/tmp' } });
    this.procs.push(p);
    return new Promise((resolve) => {
      let out = '';
      let err = '';
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        p.kill('SIGKILL');
      }, opts.timeoutMs ?? 90_000);
      opts.signal?.addEventListener('abort', () => p.kill('SIGKILL'));
      let partial = '';
      p.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        partial += d;
        const ls = partial.split('\n');
        partial = ls.pop()!;
        for (const l of ls) opts.onLine?.(l.replace(/\r$/, ''));
      });
      p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
      p.on('close', (code) => {
        clearTimeout(timer);
        resolve(parseConsole(out + (err ? `\n[qemu stderr] ${err}` : ''), code, timedOut));
      });
    });
  }

  /**
   * `qnet ARGS` in a real pseudo-terminal (a tmux pane) inside the scenario, as a person
   * runs it; the pane prints EXIT=<code> when qnet ends and then waits.
   */
  pty(args: string[], env: Record<string, string> = {}): Pty {
    const session = `qnet-setup-${process.pid}-${++ptyCount}`;
    const vars = Object.entries({ QNET_STATE_DIR: this.f.stateDir, PATH, LC_ALL: 'C.UTF-8', HOME: '/root', ...env }).map(([k, v]) => `${k}=${v}`);
    const script = `"$@"; echo "EXIT=$?"; sleep 120`;
    // Into the scenario's PID namespace too: its /proc is the one qnet reads.
    const init = readFileSync(`/proc/${this.f.sc.pid}/task/${this.f.sc.pid}/children`, 'utf8').trim().split(/\s+/)[0]!;
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '220', '-y', '70', 'nsenter', '-t', init, '-m', '-n', '-p', '--', 'env', ...vars, 'bash', '-c', script, 'qnet-pty', process.execPath, this.f.bin, ...args]);
    this.sessions.push(session);
    const screen = () => execFileSync('tmux', ['capture-pane', '-p', '-J', '-t', session, '-S', '-300'], { encoding: 'utf8' });
    return {
      session,
      screen,
      async waitFor(re: RegExp, ms = 30_000) {
        const end = Date.now() + ms;
        for (;;) {
          const s = screen();
          if (re.test(s)) return s;
          if (Date.now() > end) throw new Error(`timed out waiting for ${re}; screen:\n${s}`);
          await new Promise((r) => setTimeout(r, 150));
        }
      },
      keys: (...k: string[]) => void execFileSync('tmux', ['send-keys', '-t', session, ...k]),
      kill: () => void spawnSync('tmux', ['kill-session', '-t', session]),
      /** PID of qnet itself (the child of the pane's bash). */
      qnetPid: () => {
        const shell = execFileSync('tmux', ['list-panes', '-t', session, '-F', '#{pane_pid}'], { encoding: 'utf8' }).trim();
        // The pane runs nsenter, which forks (entering a PID namespace) into env → bash; qnet is bash's child.
        const kids = (p: string) => readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
        const bash = kids(shell)[0]!;
        return Number(kids(bash)[0]);
      },
    };
  }

  async dispose(): Promise<void> {
    for (const s of this.sessions) spawnSync('tmux', ['kill-session', '-t', s]);
    for (const p of this.procs) p.kill('SIGKILL');
    await this.f.dispose();
  }
}

/** The qnet.setup/v1 document a setup printed. */
export interface SetupDoc {
  schema: string;
  mode: string;
  backend: string;
  bridge: string | null;
  subnet: string | null;
  user: string;
  applied: boolean;
  verified: boolean;
  undo: string | null;
  steps: { title: string; preview: string[] }[];
  vms: { name: string; mac: string; qemuArgs?: string[]; umlArgs?: string[]; address?: string }[];
  proof?: { what: string; ok: boolean; said: string }[];
  reason?: string;
}

export function setupDoc(r: RunResult): SetupDoc {
  try {
    return JSON.parse(r.stdout) as SetupDoc;
  } catch {
    throw new Error(`qnet setup --json printed no JSON (exit ${r.code ?? r.signal}):\nstderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(0, 3000)}`);
  }
}

export const readText = (p: string) => readFileSync(p, 'utf8');

export interface Doctor {
  results: { id: string; status: string; summary: string }[];
}

export async function failingChecks(s: SetupScenario): Promise<Doctor['results']> {
  const d = await s.qnet(['doctor', '--json', '--user', TEST_USER]);
  return (JSON.parse(d.stdout) as Doctor).results.filter((x) => x.status === 'fail' || x.status === 'error');
}

export type Guest = (s: SetupScenario, doc: SetupDoc) => Promise<void>;

/**
 * One mode, end to end: setup applies and verifies; the doctor for qnetuser finds nothing
 * failing that did not fail before; a second run with the same answers changes nothing and
 * makes no fix set; `between` (e.g. a simulated reboot) and the guest proof run; `qnet undo`
 * restores the exact before-state.
 */
export async function setupRoundTrip(name: string, bin: string, args: string[], guest: Guest, o: SetupScenarioOptions & { between?: Guest; settleMs?: number; files?: string[] } = {}): Promise<SetupDoc> {
  const s = await SetupScenario.start(name, bin, o);
  try {
    const state = (gen?: { generated: 'drop' }) => s.netState(o.files ?? [], gen);
    const before = await state();
    const failingBefore = await failingChecks(s);
    const r = await s.qnet(['setup', ...args, '--user', TEST_USER, '--yes', '--json']);
    const doc = setupDoc(r);
    expect(r.code, said(r)).toBe(0);
    expect(doc).toMatchObject({ schema: 'qnet.setup/v1', user: TEST_USER, applied: true, verified: true });
    expect(doc.proof?.every((p) => p.ok), JSON.stringify(doc.proof)).toBe(true);
    const after = await state();
    expect(after).not.toBe(before);

    // Green for what was built: nothing fails that did not fail before (a stock Debian's
    // bridge helper is not setuid: that stays the doctor's finding when taps were chosen).
    const failing = (await failingChecks(s)).filter((x) => !failingBefore.some((b) => b.id === x.id));
    expect(failing, JSON.stringify(failing, null, 1)).toEqual([]);

    // Again, with the same answers: nothing changes, no new fix set.
    const sets = (await s.qnet(['undo', '--list'])).stdout;
    const again = await s.qnet(['setup', ...args, '--user', TEST_USER, '--yes', '--json']);
    expect(again.code, said(again)).toBe(0);
    const doc2 = setupDoc(again);
    expect(doc2.steps).toEqual([]);
    expect(doc2.vms).toEqual(doc.vms);
    expect(doc2.undo).toBe(doc.undo);
    expect(await state()).toBe(after);
    expect((await s.qnet(['undo', '--list'])).stdout).toBe(sets);

    if (o.between) {
      const configured = await state({ generated: 'drop' });
      await o.between(s, doc);
      expect(await state({ generated: 'drop' }), 'after the simulated reboot').toBe(configured);
    }
    await guest(s, doc);

    if (doc.undo) {
      const u = await s.qnet(['undo']);
      expect(u.code, said(u)).toBe(0);
      // A network manager applies the configuration handed back to it on its own time (networkd
      // after `networkctl reload`): give it a few seconds, then the state must be exactly as before.
      const end = Date.now() + (o.settleMs ?? 0);
      let now = await state();
      while (now !== before && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 250));
        now = await state();
      }
      expect(now).toBe(before);
    }
    return doc;
  } finally {
    await s.dispose();
  }
}

/**
 * For a describe block that boots guests: a private copy of the CLI and the shared guest
 * image, made once; after the block the host's fingerprint must be what it was before.
 */
export function guestSuite(): { readonly bin: string; readonly img: GuestImage } {
  const cli = cliSuite({ checkHost: true });
  let img: GuestImage | undefined;
  beforeAll(async () => {
    img = await guestImage();
  }, 300_000);
  return {
    get bin() {
      return cli.bin;
    },
    get img() {
      return img!;
    },
  };
}
