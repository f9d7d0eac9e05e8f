// The one model of the host network, read once per run through `Host` (so a
// snapshot replays it): links with their kind, state, addresses, bridge and
// ports, tap owners, veth peers; routes and the uplinks; whether a link is a
// physical or wireless NIC; the routed VM networks. Running VMs are part of the
// same model, read on first use (they cost a walk of /proc). Which network
// manager defines each link is a fact of the configuration files
// (facts/managers.ts), not read here.
//
// Everything that asks about links (checks, lint, topology, setup) reads this
// model; nothing lists interfaces another way.
import type { Context } from '../context.js';
import { text } from '../host/host.js';
import { containsAddr, networkOf, type Prefix } from '../parse/ipv4.js';
import { isQemuBinary, isVmProcess, nicMacs, parseQemuCmdline } from '../parse/qemu-cmdline.js';
import { parseProcRoute, type Route } from '../parse/proc-net.js';
import { parseIpJson, type IpLink } from '../parse/ip-json.js';

export type LinkKind =
  | 'loopback' | 'nic' | 'bridge' | 'tap' | 'tun' | 'veth' | 'macvlan' | 'macvtap' | 'vxlan'
  | 'bond' | 'vlan' | 'dummy' | 'other';

export interface Addr {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
}

export interface TunInfo {
  type: 'tap' | 'tun';
  /** Owner uid, when iproute2 printed a number. */
  owner?: number;
  /** Owner name, when iproute2 resolved the uid to a name. */
  ownerName?: string;
  group?: number;
  groupName?: string;
  /** Survives its last close (ip tuntap add, tunctl). */
  persist?: boolean;
}

export interface VethInfo {
  /** ifindex of the peer (in its namespace). */
  peerIndex?: number;
  /** The peer's name when it is in our namespace. */
  peerName?: string;
  /** The peer's namespace id (`ip netns list-id`), when it is in another namespace. */
  peerNetnsId?: number;
}

export interface Link {
  name: string;
  index: number;
  kind: LinkKind;
  /** The kernel's link kind (linkinfo.info_kind) as read, for evidence and rare kinds. */
  infoKind?: string;
  up: boolean;
  /** LOWER_UP: carrier (a cable, or for a tap: a process attached). */
  lowerUp: boolean;
  operstate?: string;
  mac?: string;
  linkType?: string;
  addrs: Addr[];
  /** The bridge (or bond) this link is a port of. */
  master?: string;
  /** For a bridge: its ports, in the order listed. */
  ports: string[];
  /** Bridge options (stp_state, forward_delay in centiseconds, nf_call_iptables, ...). */
  bridge?: Record<string, unknown>;
  tun?: TunInfo;
  veth?: VethInfo;
  /** The lower device of a macvlan/macvtap/vlan. */
  lower?: string;
  /** A NIC: it has a device in sysfs, or carries a NIC's name (eth*, en*, wl*). */
  physical: boolean;
  wireless: boolean;
}

/** A routed or NAT VM network: a bridge or tap with an IPv4 address and no physical port. */
export interface VmNet {
  dev: string;
  kind: 'bridge' | 'tap';
  addr: string;
  subnet: Prefix;
}

export interface VmNic {
  /** The tap the VM holds open (from /proc/PID/fdinfo), when it holds one. */
  tap?: string;
  mac?: string;
  /** QEMU gave it its default MAC (no mac= on the command line). */
  defaultedMac?: boolean;
}

export interface Vm {
  pid: number;
  kind: 'qemu' | 'uml';
  /** `-name` of a QEMU (its first field), or undefined. */
  name?: string;
  argv: string[];
  /** Taps the process holds open (fdinfo `iff:`). */
  taps: string[];
  /** ifindexes of the macvtap devices (`/dev/tapN`) the process holds open. */
  macvtapIndexes?: number[];
  /** NICs of a QEMU command line with their MACs. */
  nics: VmNic[];
}

export type Manager = 'NetworkManager' | 'netplan' | 'ifupdown' | 'networkd';

export interface Network {
  links: Link[];
  /** How the links were read, for evidence ("ip -j -d addr show", "/sys/class/net"). */
  source: string;
  /** Why the links could not be read completely (the fallback was used, or nothing could be read). */
  error?: string;
  /** False when even the fallback could not list interfaces: checks that need links must not judge. */
  complete: boolean;
  routes: Route[];
  /** Devices of the IPv4 default routes. */
  uplinks: string[];
  vmNets: VmNet[];
  link(name: string): Link | undefined;
  bridges(): Link[];
  portsOf(bridge: string): Link[];
  taps(): Link[];
}

/** Interface names are at most 15 bytes (IFNAMSIZ 16 with the NUL). */
export const IFNAMSIZ = 16;

/** A name the kernel would accept: 1-15 bytes, no '/', ':' or whitespace, not '.' or '..'. */
export function validIfname(name: string): boolean {
  return Buffer.byteLength(name) > 0 && Buffer.byteLength(name) < IFNAMSIZ && !/[\s/:]/.test(name) && name !== '.' && name !== '..';
}

/** Is this tap owned by the given user (iproute2 gives a uid or, when it resolves, a name)? */
export const tapOwnedBy = (l: Link, user: { uid: number; name: string }) =>
  l.tun !== undefined && (l.tun.owner === user.uid || l.tun.ownerName === user.name);

const NIC_NAME = /^(eth|en|wl|ww)[a-z0-9]/;

function kindOf(infoKind: string | undefined, tunType: string | undefined, name: string, linkType: string | undefined): LinkKind {
  if (linkType === 'loopback' || name === 'lo') return 'loopback';
  switch (infoKind) {
    case undefined:
    case '':
      return 'nic';
    case 'bridge': case 'veth': case 'macvlan': case 'macvtap': case 'vxlan': case 'bond': case 'vlan': case 'dummy':
      return infoKind;
    case 'tun':
      return tunType === 'tun' ? 'tun' : 'tap';
    default:
      return 'other';
  }
}

function fromIp(l: IpLink): Omit<Link, 'ports' | 'physical' | 'wireless'> {
  const infoKind = l.linkinfo?.info_kind;
  const info = l.linkinfo?.info_data ?? {};
  const tunType = typeof info.type === 'string' ? info.type : undefined;
  const link: Omit<Link, 'ports' | 'physical' | 'wireless'> = {
    name: l.ifname!,
    index: l.ifindex ?? 0,
    kind: kindOf(infoKind, tunType, l.ifname!, l.link_type),
    up: (l.flags ?? []).includes('UP'),
    lowerUp: (l.flags ?? []).includes('LOWER_UP'),
    addrs: (l.addr_info ?? [])
      .filter((a) => a.local && (a.family === 'inet' || a.family === 'inet6'))
      .map((a) => ({ family: a.family as Addr['family'], local: a.local!, prefixlen: a.prefixlen ?? 0 })),
  };
  if (infoKind) link.infoKind = infoKind;
  if (l.operstate) link.operstate = l.operstate;
  if (l.master) link.master = l.master;
  if (l.address) link.mac = l.address.toLowerCase();
  if (l.link_type) link.linkType = l.link_type;
  if (infoKind === 'bridge') link.bridge = info;
  if (infoKind === 'tun') {
    const t: TunInfo = { type: tunType === 'tun' ? 'tun' : 'tap' };
    if (typeof info.user === 'number') t.owner = info.user;
    else if (typeof info.user === 'string') t.ownerName = info.user;
    if (typeof info.group === 'number') t.group = info.group;
    else if (typeof info.group === 'string') t.groupName = info.group;
    if (typeof info.persist === 'boolean') t.persist = info.persist;
    link.tun = t;
  }
  if (infoKind === 'veth') {
    const v: VethInfo = {};
    if (typeof l.link_index === 'number') v.peerIndex = l.link_index;
    if (typeof l.link_netnsid === 'number') v.peerNetnsId = l.link_netnsid;
    else if (typeof l.link === 'string') v.peerName = l.link;
    link.veth = v;
  } else if (typeof l.link === 'string' && (infoKind === 'macvlan' || infoKind === 'macvtap' || infoKind === 'vlan')) {
    link.lower = l.link;
  }
  return link;
}

type RawLink = Omit<Link, 'ports' | 'physical' | 'wireless'>;

/** One `ip` call: every link with its details and addresses. */
async function readIp(ctx: Context): Promise<{ links: RawLink[]; source: string } | { error: string }> {
  const r = await ctx.host.exec(['ip', '-j', '-d', 'addr', 'show']);
  if (r.ok && r.value.exitCode === 0) {
    try {
      return { links: parseIpJson(r.value.stdout).map(fromIp), source: 'ip -j -d addr show' };
    } catch (err) {
      return { error: `ip -j output unreadable: ${(err as Error).message}` };
    }
  }
  if (!r.ok && r.code === 'NOTCAPTURED') {
    // A snapshot from an earlier qnet holds the listings it made then.
    const legacy = await readLegacy(ctx);
    if (legacy) return legacy;
  }
  return { error: r.ok ? `ip exited ${r.value.exitCode}: ${r.value.stderr.trim().split('\n')[0] ?? ''}` : `ip: ${r.code === 'ENOENT' ? 'not installed' : r.code}` };
}

/** Snapshots recorded before the one-call model: the address listing plus the bridge and tun listings. */
async function readLegacy(ctx: Context): Promise<{ links: RawLink[]; source: string } | undefined> {
  const [all, brs, tuns] = await Promise.all([
    ctx.host.exec(['ip', '-j', 'addr', 'show']),
    ctx.host.exec(['ip', '-j', '-d', 'link', 'show', 'type', 'bridge']),
    ctx.host.exec(['ip', '-j', '-d', 'link', 'show', 'type', 'tun']),
  ]);
  if (!all.ok || all.value.exitCode !== 0) return undefined;
  try {
    const detail = new Map<string, IpLink>();
    for (const r of [brs, tuns]) if (r.ok && r.value.exitCode === 0) for (const l of parseIpJson(r.value.stdout || '[]')) detail.set(l.ifname!, l);
    const links = parseIpJson(all.value.stdout).map((l) => fromIp({ ...l, ...(detail.get(l.ifname!)?.linkinfo ? { linkinfo: detail.get(l.ifname!)!.linkinfo } : {}) }));
    return { links, source: 'ip -j addr show' };
  } catch {
    return undefined;
  }
}

const IFF_UP = 0x1;
const IFF_LOWER_UP = 0x10000;

/**
 * Without a usable `ip` (busybox, or unparseable output): sysfs for each link's
 * state, kind, master, bridge options and tap owner; /proc for its addresses
 * (IPv4 from fib_trie's local entries matched to the connected routes, IPv6 from
 * if_inet6). Slower, and read only when `ip` failed.
 */
async function readSysfs(ctx: Context, routes: Route[]): Promise<RawLink[] | undefined> {
  const dir = await ctx.host.readdir('/sys/class/net');
  if (!dir.ok) return undefined;
  const [trie, inet6] = await Promise.all([ctx.host.readFile('/proc/net/fib_trie'), ctx.host.readFile('/proc/net/if_inet6')]);
  const v4 = localIpv4(text(trie) ?? '', routes);
  const v6 = parseIfInet6(text(inet6) ?? '');
  const links = await Promise.all(
    dir.value.map(async (name) => {
      const base = `/sys/class/net/${name}`;
      const read = async (f: string) => text(await ctx.host.readFile(`${base}/${f}`))?.trim();
      const [index, flags, carrier, operstate, addr, type, tunFlags, owner, group, master, brdir, uevent] = await Promise.all([
        read('ifindex'), read('flags'), read('carrier'), read('operstate'), read('address'), read('type'),
        read('tun_flags'), read('owner'), read('group'), ctx.host.readlink(`${base}/master`), ctx.host.readdir(`${base}/bridge`), read('uevent'),
      ]);
      const f = flags !== undefined ? parseInt(flags, 16) : 0;
      const devtype = /^DEVTYPE=(\S+)/m.exec(uevent ?? '')?.[1];
      const infoKind = brdir.ok ? 'bridge' : tunFlags !== undefined ? 'tun' : devtype === 'vlan' || devtype === 'bond' || devtype === 'macvlan' || devtype === 'macvtap' || devtype === 'vxlan' ? devtype : undefined;
      const tunType = tunFlags !== undefined ? (parseInt(tunFlags, 16) & 0x0002 ? 'tap' : 'tun') : undefined;
      const link: RawLink = {
        name,
        index: Number(index) || 0,
        kind: kindOf(infoKind, tunType, name, type === '772' ? 'loopback' : undefined),
        up: (f & IFF_UP) !== 0,
        // `carrier` reads 1 with carrier; it errors (EINVAL) on a link that is down.
        lowerUp: (f & IFF_LOWER_UP) !== 0 || carrier === '1',
        addrs: [...(v4.get(name) ?? []), ...(v6.get(name) ?? [])],
      };
      if (infoKind) link.infoKind = infoKind;
      if (operstate) link.operstate = operstate.toUpperCase();
      if (addr) link.mac = addr.toLowerCase();
      if (master.ok) link.master = master.value.split('/').pop()!;
      if (brdir.ok) {
        const opts: Record<string, unknown> = {};
        await Promise.all(
          ['stp_state', 'forward_delay', 'nf_call_iptables', 'nf_call_ip6tables', 'nf_call_arptables'].map(async (k) => {
            const v = text(await ctx.host.readFile(`${base}/bridge/${k}`))?.trim();
            if (v !== undefined && /^-?\d+$/.test(v)) opts[k] = Number(v);
          }),
        );
        link.bridge = opts;
      }
      if (tunType) {
        const t: TunInfo = { type: tunType };
        const o = Number(owner);
        if (owner !== undefined && Number.isInteger(o) && o >= 0) t.owner = o;
        const g = Number(group);
        if (group !== undefined && Number.isInteger(g) && g >= 0) t.group = g;
        // tun_flags IFF_PERSIST (0x0800).
        t.persist = (parseInt(tunFlags!, 16) & 0x0800) !== 0;
        link.tun = t;
      }
      return link;
    }),
  );
  return links.sort((a, b) => a.index - b.index);
}

/** /proc/net/if_inet6: address, ifindex, prefix length, scope, flags, name. */
export function parseIfInet6(body: string): Map<string, Addr[]> {
  const out = new Map<string, Addr[]>();
  for (const line of body.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^[0-9a-f]{32}$/.test(f[0]!)) continue;
    const groups = f[0]!.match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ''));
    const local = compressIpv6(groups);
    out.set(f[5]!, [...(out.get(f[5]!) ?? []), { family: 'inet6', local, prefixlen: parseInt(f[2]!, 16) }]);
  }
  return out;
}

function compressIpv6(groups: string[]): string {
  // The longest run of zero groups (two or more) becomes '::'.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/**
 * IPv4 addresses per device without iproute2: /proc/net/fib_trie lists each local
 * address (`/32 host LOCAL`); the connected route (no gateway) that contains it names
 * its device and prefix length.
 */
export function localIpv4(trie: string, routes: Route[]): Map<string, Addr[]> {
  const locals = new Set<string>();
  let last: string | undefined;
  // Only the "Main:"/"Local:" tables of the default namespace view; LOCAL entries follow their address line.
  for (const line of trie.split('\n')) {
    const a = /^[\s|+`-]*-- (\d+\.\d+\.\d+\.\d+)$/.exec(line);
    if (a) {
      last = a[1];
      continue;
    }
    if (last && /\/32 host LOCAL/.test(line)) locals.add(last);
  }
  const out = new Map<string, Addr[]>();
  for (const addr of [...locals].sort()) {
    if (addr.startsWith('127.')) {
      out.set('lo', [...(out.get('lo') ?? []), { family: 'inet', local: addr, prefixlen: 8 }]);
      continue;
    }
    const hit = routes
      .filter((r) => r.gateway === '0.0.0.0' && r.dest !== '0.0.0.0' && containsAddr({ addr: r.dest, len: r.prefixlen }, addr))
      .sort((x, y) => y.prefixlen - x.prefixlen)[0];
    // An address without a connected route (a /32, or `noprefixroute`) is listed with its own prefix.
    const dev = hit?.dev;
    if (!dev) continue;
    out.set(dev, [...(out.get(dev) ?? []), { family: 'inet', local: addr, prefixlen: hit.prefixlen }]);
  }
  return out;
}


/** Routed/NAT VM networks: a bridge or tap with IPv4, no physical port, not an uplink. */
function vmNetsOf(links: Link[], uplinks: string[]): VmNet[] {
  const nets: VmNet[] = [];
  for (const l of links) {
    const v4 = l.addrs.filter((a) => a.family === 'inet');
    if (!v4.length || l.kind === 'loopback' || uplinks.includes(l.name)) continue;
    let kind: VmNet['kind'] | undefined;
    if (l.kind === 'bridge') {
      if (!links.some((p) => p.master === l.name && p.physical)) kind = 'bridge';
    } else if ((l.kind === 'tap' || l.kind === 'tun') && !l.master) kind = 'tap';
    if (!kind) continue;
    for (const a of v4) nets.push({ dev: l.name, kind, addr: a.local, subnet: networkOf(a.local, a.prefixlen) });
  }
  return nets;
}

/** The host network model; read once per run. */
export function network(ctx: Context): Promise<Network> {
  return ctx.memo('model:network', async () => {
    const [ip, routeFile, virtual] = await Promise.all([
      readIp(ctx),
      ctx.host.readFile('/proc/net/route'),
      ctx.host.readdir('/sys/devices/virtual/net'),
    ]);
    const routes = parseProcRoute(text(routeFile) ?? '');
    let raw: RawLink[];
    let source: string;
    let error: string | undefined;
    let complete = true;
    if ('links' in ip) {
      raw = ip.links;
      source = ip.source;
    } else {
      const fb = await readSysfs(ctx, routes);
      error = ip.error;
      if (fb) {
        raw = fb;
        source = '/sys/class/net and /proc/net';
        if (!routeFile.ok) {
          complete = false;
          error += '; /proc/net/route unreadable, so IPv4 addresses are unknown';
        }
      } else {
        raw = [];
        source = 'ip and /sys/class/net';
        complete = false;
      }
    }
    const virtualNames = virtual.ok ? new Set(virtual.value) : undefined;
    const links: Link[] = raw.map((l) => {
      // A link without a kernel kind is a NIC, unless sysfs lists it as virtual (the fallback
      // path knows few kinds). A NIC's name (eth*, en*, wl*) counts as physical: a veth or
      // macvlan standing for a NIC (containers, test hosts) is one to the guests.
      const kind: LinkKind = l.kind === 'nic' && virtualNames?.has(l.name) ? 'other' : l.kind;
      const nicLike = kind === 'nic' || kind === 'veth' || kind === 'macvlan' || kind === 'other';
      const physical = !nicLike ? false : NIC_NAME.test(l.name) ? true : virtualNames ? !virtualNames.has(l.name) : kind === 'nic';
      return { ...l, kind, ports: [], physical, wireless: false };
    });
    const byName = new Map(links.map((l) => [l.name, l]));
    for (const l of links) if (l.master) byName.get(l.master)?.ports.push(l.name);
    // Wireless: only physical links can be, and there are few of them.
    await Promise.all(
      links.filter((l) => l.physical).map(async (l) => {
        const [wl, phy] = await Promise.all([ctx.host.stat(`/sys/class/net/${l.name}/wireless`), ctx.host.stat(`/sys/class/net/${l.name}/phy80211`)]);
        l.wireless = wl.ok || phy.ok;
      }),
    );
    const uplinks = [...new Set(routes.filter((r) => r.dest === '0.0.0.0' && r.prefixlen === 0).map((r) => r.dev))];
    const net: Network = {
      links,
      source,
      ...(error ? { error } : {}),
      complete,
      routes,
      uplinks,
      vmNets: vmNetsOf(links, uplinks),
      link: (name) => byName.get(name),
      bridges: () => links.filter((l) => l.kind === 'bridge'),
      portsOf: (bridge) => (byName.get(bridge)?.ports ?? []).map((n) => byName.get(n)!),
      taps: () => links.filter((l) => l.kind === 'tap'),
    };
    return net;
  });
}

/** Links, or an error the engine reports when not even the fallback could list them. */
export async function requireLinks(ctx: Context): Promise<Network> {
  const net = await network(ctx);
  if (!net.complete) throw new Error(`cannot list the network interfaces: ${net.error ?? 'unknown reason'}`);
  return net;
}

// ---------------------------------------------------------------------------
// Running VMs: QEMU and UML processes in our network namespace, the taps they
// hold (/proc/PID/fd → /dev/net/tun, fdinfo `iff:`) and their NICs' MACs.

export interface Proc {
  pid: number;
  argv: string[];
}

export function processes(ctx: Context): Promise<Proc[]> {
  return ctx.memo('model:processes', async () => {
    const dir = await ctx.host.readdir('/proc');
    if (!dir.ok) return [];
    const pids = dir.value.filter((d) => /^\d+$/.test(d)).map(Number);
    const out = await Promise.all(
      pids.map(async (pid) => {
        const c = await ctx.host.readFile(`/proc/${pid}/cmdline`);
        const argv = (text(c) ?? '').split('\0').filter(Boolean);
        return { pid, argv };
      }),
    );
    return out.filter((p) => p.argv.length);
  });
}

/**
 * Does PID share our network namespace? A tap name (`iff:`) or a MAC belongs to the
 * namespace its process runs in: a container's tap0 is not ours. Unknown (unreadable)
 * counts as ours; a process gone since /proc was listed does not.
 */
export async function inOurNetns(ctx: Context, pid: number): Promise<boolean> {
  const mine = await ctx.memo('self-netns', () => ctx.host.readlink('/proc/self/ns/net'));
  if (!mine.ok) return true;
  const theirs = await ctx.host.readlink(`/proc/${pid}/ns/net`);
  // A process that has exited since /proc was listed is on no network.
  if (!theirs.ok) return theirs.code !== 'ENOENT' && theirs.code !== 'ESRCH';
  return theirs.value === mine.value;
}

async function heldTaps(ctx: Context, pid: number): Promise<{ taps: string[]; macvtaps: number[] }> {
  const fds = await ctx.host.readdir(`/proc/${pid}/fd`);
  if (!fds.ok) return { taps: [], macvtaps: [] };
  const found: string[] = [];
  const macvtaps: number[] = [];
  await Promise.all(
    fds.value.map(async (fd) => {
      const target = await ctx.host.readlink(`/proc/${pid}/fd/${fd}`);
      if (!target.ok) return;
      // A macvtap is handed to QEMU as an open /dev/tapN, N its ifindex.
      const mv = /^\/dev\/tap(\d+)$/.exec(target.value);
      if (mv) return void macvtaps.push(Number(mv[1]));
      if (target.value !== '/dev/net/tun') return;
      const info = text(await ctx.host.readFile(`/proc/${pid}/fdinfo/${fd}`)) ?? '';
      const iff = /^iff:\s*(\S+)/m.exec(info)?.[1];
      if (iff) found.push(iff);
    }),
  );
  return { taps: found.sort(), macvtaps: [...new Set(macvtaps)].sort((a, b) => a - b) };
}

/** Running QEMU and UML processes in this network namespace, with their taps and NICs. */
export function vms(ctx: Context): Promise<Vm[]> {
  return ctx.memo('model:vms', async () => {
    const all = (await processes(ctx)).filter((p) => isVmProcess(p.argv));
    const ours = await Promise.all(all.map((p) => inOurNetns(ctx, p.pid)));
    const list = all.filter((_, i) => ours[i]);
    return Promise.all(
      list.map(async (p): Promise<Vm> => {
        const qemu = isQemuBinary(p.argv[0] ?? '');
        const { taps, macvtaps } = await heldTaps(ctx, p.pid);
        const vm: Vm = { pid: p.pid, kind: qemu ? 'qemu' : 'uml', argv: p.argv, taps, nics: [] };
        if (macvtaps.length) vm.macvtapIndexes = macvtaps;
        if (qemu) {
          const cmd = parseQemuCmdline(p.argv);
          const nameAt = p.argv.indexOf('-name');
          const name = nameAt >= 0 ? p.argv[nameAt + 1]?.split(',')[0]?.replace(/^guest=/, '') : undefined;
          if (name) vm.name = name;
          vm.nics = nicMacs(cmd).map((m) => ({ mac: m.mac, defaultedMac: m.defaulted }));
        }
        return vm;
      }),
    );
  });
}

/** The VM holding a tap, if one does. */
export async function tapHolder(ctx: Context, tap: string): Promise<Vm[]> {
  return (await vms(ctx)).filter((v) => v.taps.includes(tap));
}

// ---------------------------------------------------------------------------
// Other network namespaces, by the ids this one gives them (a veth's
// `link_netnsid`). Read only by the topology: one `ip netns list-id`, which
// names those mounted under /run/netns (ip netns add).

export interface Netns {
  id: number;
  name?: string;
}

export function netnsIds(ctx: Context): Promise<Map<number, Netns>> {
  return ctx.memo('model:netns', async () => {
    const out = new Map<number, Netns>();
    const r = await ctx.host.exec(['ip', '-j', 'netns', 'list-id']);
    if (!r.ok || r.value.exitCode !== 0) return out;
    try {
      const list = JSON.parse(r.value.stdout || '[]') as unknown;
      if (!Array.isArray(list)) return out;
      for (const e of list as { nsid?: unknown; name?: unknown }[]) {
        if (typeof e?.nsid !== 'number') continue;
        out.set(e.nsid, { id: e.nsid, ...(typeof e.name === 'string' && e.name ? { name: e.name } : {}) });
      }
    } catch {
      /* unreadable: namespaces stay unnamed */
    }
    return out;
  });
}
