// tap-state: taps the user will run QEMU on are owned by (or usable by) that
// user, up and on a bridge when meant to be, not stale, not busy in another VM.
import type { CheckCase, HostSpec, LinkSpec } from '../src/check-cases.js';
import { configNames } from '../src/facts/ifnames.js';
import { requireLinks, tapOwnedBy, vms } from '../src/model/network.js';
import type { Check, Evidence, FixPlan } from '../src/types.js';
import { showArgv } from '../src/output/shell.js';
import { linkGone } from '../src/fixes/plans.js';

const check: Check = {
  id: 'tap-state',
  area: 'tap',
  title: () => 'taps are usable',
  async run(ctx) {
    const ls = await requireLinks(ctx);
    const taps = ls.taps();
    if (!taps.length) return { status: 'skip', summary: 'no tap on this host' };
    const [user, running, names] = await Promise.all([ctx.user, vms(ctx), configNames(ctx)]);
    const fails: string[] = [];
    const warns: string[] = [];
    const fixes: FixPlan[] = [];
    const evidence: Evidence[] = [];
    // With many taps, evidence lists the first few and those with a problem; the summary counts the rest.
    const MAX_EVIDENCE = 20;
    const subjects = new Set<string>();
    for (const t of taps) {
      const before = fails.length + warns.length;
      const mark = () => {
        if (fails.length + warns.length > before) subjects.add(t.name);
      };
      const held = running.filter((h) => h.taps.includes(t.name));
      const owner = t.tun?.ownerName ?? (t.tun?.owner !== undefined ? `uid ${t.tun.owner}` : 'no owner');
      const note = () => evidence.push({
        source: `${ls.source} (${t.name})`,
        observed: `${t.tun?.persist ? 'persistent' : 'transient'}, owner ${owner}, ${t.up ? 'UP' : 'DOWN'}, ${t.master ? `port of ${t.master}` : 'on no bridge'}${held.length ? `, held by pid ${held.map((h) => h.pid).join(', ')}` : ''}`,
      });
      if (evidence.length < MAX_EVIDENCE) note();
      // A network config that makes this tap a bridge port (bridge_ports, netplan, NetworkManager).
      const meant = names.refs.find((r) => r.name === t.name && r.master && !r.glob);
      if (meant && t.master !== meant.master) {
        fails.push(`${t.name} is ${t.master ? `a port of ${t.master}` : 'on no bridge'}, but ${meant.file}:${meant.line} makes it a port of ${meant.master}: its guest is cut off from ${meant.master}'s network`);
        if (ls.link(meant.master!)?.kind === 'bridge') {
          fixes.push({
            id: `tap-state/attach-${t.name}`,
            title: `attach ${t.name} to ${meant.master}, as ${meant.file} says`,
            risk: 'low',
            root: true,
            actions: [{ kind: 'run', argv: ['ip', 'link', 'set', 'dev', t.name, 'master', meant.master!], inverse: t.master ? ['ip', 'link', 'set', 'dev', t.name, 'master', t.master] : ['ip', 'link', 'set', 'dev', t.name, 'nomaster'], inverseUnless: linkGone(t.name) }],
          });
        }
      }
      if (held.length) {
        const h = held[0]!;
        warns.push(`${t.name} is in use by pid ${h.pid} (${h.argv.slice(0, 3).join(' ')}…): a second VM cannot attach to it ("Device or resource busy")`);
        if (!t.up) warns.push(`${t.name} is held by pid ${h.pid} but DOWN: its guest has no link (script=no leaves bringing it up to you)`);
        mark();
        continue;
      }
      if (user.uid !== 0 && t.tun?.persist) {
        const hasOwner = t.tun.owner !== undefined || t.tun.ownerName !== undefined;
        if (hasOwner && !tapOwnedBy(t, user)) {
          fails.push(`${t.name} belongs to ${owner}: ${user.name}'s QEMU cannot attach to it (could not configure /dev/net/tun (${t.name}): Operation not permitted); recreate it with: ${showArgv(['ip', 'tuntap', 'add', 'dev', t.name, 'mode', 'tap', 'user', user.name])}`);
        } else if (!hasOwner && t.tun.group === undefined && t.tun.groupName === undefined) {
          warns.push(`${t.name} has no owner: only a process with CAP_NET_ADMIN can attach to it (${showArgv(['ip', 'tuntap', 'add', 'dev', t.name, 'mode', 'tap', 'user', user.name])})`);
        }
      }
      if (t.tun?.persist && !t.master && !t.addrs.length && !meant) {
        warns.push(`${t.name} is persistent, used by no process, on no bridge and without an address: stale, or its bridge setup never ran (${showArgv(['ip', 'link', 'set', t.name, 'master'])} BRIDGE)`);
      }
      mark();
    }
    if (taps.length > evidence.length) evidence.push({ source: ls.source, observed: `${taps.length - evidence.length} more tap(s) not listed` });
    if (fails.length) return { status: 'fail', summary: fails[0]!, evidence, details: [...fails.slice(1), ...warns], fixes, subjects: [...subjects] };
    if (warns.length) return { status: 'warn', summary: warns[0]!, evidence, details: warns.slice(1), subjects: [...subjects] };
    return { status: 'pass', summary: `${taps.map((t) => t.name).join(', ')}: usable by ${user.name}`, evidence };
  },
};

export default check;

/** The names of the cases where the config makes tap0 a port of br0 and it is on none (test/checks/bridge-tap.test.ts checks their fix). */
export const CONFIG_PORT = 'a tap the config makes a port of br0 that is not on it';

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const host = (links: LinkSpec[], extra: HostSpec = {}): HostSpec => ({ ...extra, links: [{ name: 'lo' }, ...links] });
  const tap = (name: string, info: Record<string, unknown>, more: Partial<LinkSpec> = {}): LinkSpec => ({ name, kind: 'tun', info: { type: 'tap', persist: true, ...info }, ...more });
  const IFACES = 'auto br0\niface br0 inet dhcp\n    bridge_ports enp1s0 tap0\n';
  /** pid 4242, a QEMU holding tap0, in the network namespace `ns` (ours is net:[1]). */
  const qemuInNs = (ns: string) => host([tap('tap0', { user: 'alice' }, { master: 'br0' })], {
    dirs: { '/proc': ['4242'], '/proc/4242/fd': ['7'] },
    files: { '/proc/4242/cmdline': 'qemu-system-x86_64\0-netdev\0tap,id=n0,ifname=tap0\0', '/proc/4242/fdinfo/7': 'pos:\t0\niff:\ttap0\n' },
    readlinks: { '/proc/4242/fd/7': '/dev/net/tun', '/proc/self/ns/net': 'net:[1]', '/proc/4242/ns/net': ns },
  });
  const configPorts: [string, HostSpec['files'], HostSpec['dirs'], RegExp][] = [
    ['interfaces(5) bridge_ports', { '/etc/network/interfaces': IFACES }, {}, /tap0 is on no bridge, but \/etc\/network\/interfaces:3 makes it a port of br0/],
    ['netplan bridges.interfaces', { '/etc/netplan/01.yaml': 'network:\n  bridges:\n    br0:\n      interfaces: [tap0]\n' }, { '/etc/netplan': ['01.yaml'] }, /makes it a port of br0/],
    ['a NetworkManager port profile naming its bridge by UUID', {
      '/etc/NetworkManager/system-connections/br0.nmconnection': '[connection]\nid=br0\nuuid=aaaa\ntype=bridge\ninterface-name=br0\n',
      '/etc/NetworkManager/system-connections/tap0.nmconnection': '[connection]\nid=tap0\nuuid=bbbb\ntype=tun\ninterface-name=tap0\ncontroller=aaaa\n',
    }, { '/etc/NetworkManager/system-connections': ['br0.nmconnection', 'tap0.nmconnection'] }, /makes it a port of br0/],
  ];
  return [
    { name: 'a tap alice owns on a bridge', host: host([{ name: 'br0', kind: 'bridge' }, tap('tap0', { user: 'alice' }, { master: 'br0' })]), status: 'pass', summary: 'tap0: usable by alice' },
    // seed 003
    { name: 'a tap owned by someone else (tunctl -u for the wrong uid)', host: host([tap('tap0', { user: 1001 }, { master: 'br0' })]), status: 'fail', summary: /tap0 belongs to uid 1001: alice's QEMU cannot attach/ },
    { name: 'a stale tap on no bridge', host: host([tap('tap9', { user: 'alice' })]), status: 'warn', summary: /stale/ },
    {
      name: 'a busy tap: the VM holding it is named',
      host: host([tap('tap0', { user: 'alice' }, { master: 'br0' })], {
        dirs: { '/proc': ['1', '4242', 'self'], '/proc/4242/fd': ['0', '7'] },
        files: { '/proc/1/cmdline': '/sbin/init\0', '/proc/4242/cmdline': 'qemu-system-x86_64\0-name\0vm1\0-netdev\0tap,id=n0,ifname=tap0,script=no\0', '/proc/4242/fdinfo/7': 'pos:\t0\nflags:\t0104002\nmnt_id:\t25\nino:\t1053\niff:\ttap0\n' },
        readlinks: { '/proc/4242/fd/0': '/dev/null', '/proc/4242/fd/7': '/dev/net/tun' },
      }),
      status: 'warn',
      summary: /tap0 is in use by pid 4242 \(qemu-system-x86_64 -name vm1…\)/,
    },
    { name: 'the tap is on the bridge its config names', host: host([{ name: 'br0', kind: 'bridge' }, tap('tap0', { user: 'alice' }, { master: 'br0' })], { files: { '/etc/network/interfaces': IFACES } }), status: 'pass', summary: 'tap0: usable by alice' },
    { name: 'a tap on another bridge than the one its config names (both named)', host: host([{ name: 'br0', kind: 'bridge' }, { name: 'br1', kind: 'bridge' }, tap('tap0', { user: 'alice' }, { master: 'br1' })], { files: { '/etc/network/interfaces': IFACES } }), status: 'fail', summary: /tap0 is a port of br1, but .* makes it a port of br0/ },
    { name: "a container's tap0 (same name, another network namespace) held by its QEMU is not ours", host: qemuInNs('net:[2]'), status: 'pass', summary: 'tap0: usable by alice' },
    { name: 'tap0 held by a QEMU in our network namespace', host: qemuInNs('net:[1]'), status: 'warn', summary: /tap0 is in use by pid 4242/ },
    { name: 'no tap', host: host([{ name: 'eth0' }]), status: 'skip', summary: 'no tap on this host' },
    ...configPorts.map(([how, files, dirs, summary]): CheckCase => ({
      name: `${CONFIG_PORT} (${how})`,
      host: host([{ name: 'br0', kind: 'bridge' }, tap('tap0', { user: 'alice' })], { files, dirs, invoker: { uid: 0, euid: 0, user: 'root' } }),
      status: 'fail',
      summary,
    })),
  ];
}
