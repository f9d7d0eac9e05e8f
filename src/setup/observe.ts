// What `qnet setup` needs to know about the host, read once before planning:
// interfaces (with the details a move needs: MAC, address flags, alias), routes,
// the SSH session, the network managers, the firewall, tools, the target user.
//
// Links come from the host's one network model (src/model/network.ts): names,
// kinds, MACs, ports, tap owners, which are NICs and which wireless. What moving an
// uplink onto a bridge needs beyond it (each address's broadcast, scope, label and
// whether DHCP gave it; each route's protocol, metric and flags) is read here from
// `ip -j`, and joined by name. Everything goes through ctx.host, so the planner
// can be tested on recorded hosts.
import type { Context } from '../context.js';
import { aclPaths, bridgeHelpers } from '../facts/bridge-helper.js';
import { firewall, type Firewall } from '../facts/firewall.js';
import { intentOf, parseIntent, type NetIntent } from '../facts/intent.js';
import { nmKeyfiles } from '../facts/nm.js';
import { sysctl, which } from '../facts/system.js';
import { network, vms, type LinkKind } from '../model/network.js';
import { escapeControlsInStrings } from '../parse/ip-json.js';
import type { TargetUser } from '../facts/users.js';
import { text } from '../host/host.js';
import { aclAllows } from '../parse/bridge-conf.js';
import { readBridgeAcl } from '../facts/bridge-helper.js';
import { parseInterfaces } from '../parse/netconfig.js';

export interface ObsAddr {
  family: 4 | 6;
  local: string;
  prefixlen: number;
  broadcast?: string;
  scope: string;
  /** From DHCP or SLAAC: has a lifetime. */
  dynamic: boolean;
  label?: string;
  noprefixroute: boolean;
}

export interface ObsLink {
  name: string;
  /** The model's kind: nic, bridge, tap, veth, loopback, ... */
  kind: LinkKind;
  mac?: string;
  up: boolean;
  carrier: boolean;
  master?: string;
  alias?: string;
  intent?: NetIntent;
  addrs: ObsAddr[];
  physical: boolean;
  wireless: boolean;
  tunOwner?: number;
  /** iproute2 prints the owner's name when it resolves. */
  tunOwnerName?: string;
}

export interface ObsRoute {
  family: 4 | 6;
  /** 'default' or a prefix. */
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
  prefsrc?: string;
  onlink: boolean;
  /** Other kinds (unreachable, blackhole, multipath): not moved. */
  type?: string;
}

export interface SshSession {
  peer: string;
  peerPort: number;
  local: string;
  /** The interface holding the local address (or the link-local scope). */
  dev?: string;
}

export interface Managers {
  nmRunning: boolean;
  /** NetworkManager profiles that name the uplink (interface-name). */
  nmProfilesFor: (dev: string) => string[];
  /** A NetworkManager profile's keyfile text, by its id. */
  nmProfileText?: (id: string) => string | undefined;
  ifupdown: {
    installed: boolean;
    /** /etc/network/interfaces text, when it exists. */
    interfaces?: string;
    /** It sources /etc/network/interfaces.d/ (a source line covering the directory). */
    sourcesD: boolean;
    /** Interfaces with a stanza in /etc/network/interfaces. */
    stanzas: string[];
    /** qnet's own files in /etc/network/interfaces.d, by name. */
    ours: Record<string, string>;
  };
  networkd: { running: boolean; files: { path: string; text: string }[] };
  netplan: { installed: boolean; files: { path: string; text: string }[] };
}

export interface Observation {
  links: ObsLink[];
  routes: ObsRoute[];
  ssh?: SshSession;
  user: TargetUser;
  root: boolean;
  tools: Record<'ip' | 'iptables' | 'dnsmasq' | 'qemu' | 'setpriv' | 'ifup' | 'ifdown' | 'nmcli' | 'networkctl' | 'netplan' | 'firewallCmd' | 'uml' | 'pgrep' | 'pkill' | 'ssd', string | undefined>;
  fw: Firewall;
  docker: boolean;
  firewalld: boolean;
  sysctl: { ipForward?: string; bridgeNfIptables?: string; unprivPortStart: number };
  managers: Managers;
  resolvers: string[];
  /** MACs in use: every interface's and every running VM's. */
  macs: Set<string>;
  helper?: { path: string; isDefault: boolean; aclPath: string; aclText?: string; aclError?: string; allows: (br: string) => boolean };
  /** TCP/UDP ports with a listener here. */
  listening: { proto: 'tcp' | 'udp'; port: number }[];
}

interface AddrJson {
  ifname?: string;
  ifalias?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number; broadcast?: string; scope?: string; dynamic?: boolean; label?: string; noprefixroute?: boolean }[];
}

/** Each interface's addresses with the details a move needs, and its alias, from `ip -j addr show`. */
export function parseAddrDetails(json: string): Map<string, { addrs: ObsAddr[]; alias?: string }> {
  const data = JSON.parse(escapeControlsInStrings(json)) as AddrJson[];
  if (!Array.isArray(data)) throw new Error('ip -j output is not a list');
  const out = new Map<string, { addrs: ObsAddr[]; alias?: string }>();
  for (const l of data) {
    if (typeof l.ifname !== 'string') continue;
    out.set(l.ifname, {
      ...(l.ifalias ? { alias: l.ifalias } : {}),
      addrs: (l.addr_info ?? [])
        .filter((a) => a.local && (a.family === 'inet' || a.family === 'inet6'))
        .map((a) => ({
          family: a.family === 'inet' ? (4 as const) : (6 as const),
          local: a.local!,
          prefixlen: a.prefixlen ?? (a.family === 'inet' ? 32 : 128),
          ...(a.broadcast ? { broadcast: a.broadcast } : {}),
          scope: a.scope ?? 'global',
          dynamic: Boolean(a.dynamic),
          ...(a.label && a.label !== l.ifname ? { label: a.label } : {}),
          noprefixroute: Boolean(a.noprefixroute),
        })),
    });
  }
  return out;
}

interface RouteJson {
  type?: string;
  dst?: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
  prefsrc?: string;
  flags?: string[];
  nexthops?: unknown[];
}

export function parseRoutes(json: string, family: 4 | 6): ObsRoute[] {
  const data = JSON.parse(json || '[]') as RouteJson[];
  if (!Array.isArray(data)) return [];
  return data.map((r) => ({
    family,
    dst: r.dst ?? 'default',
    ...(r.gateway ? { gateway: r.gateway } : {}),
    ...(r.dev ? { dev: r.dev } : {}),
    ...(r.protocol ? { protocol: r.protocol } : {}),
    ...(r.scope ? { scope: r.scope } : {}),
    ...(typeof r.metric === 'number' ? { metric: r.metric } : {}),
    ...(r.prefsrc ? { prefsrc: r.prefsrc } : {}),
    onlink: (r.flags ?? []).includes('onlink'),
    ...(r.type && r.type !== 'unicast' ? { type: r.type } : r.nexthops ? { type: 'multipath' } : {}),
  }));
}

/** `SSH_CONNECTION` is "peer peerport local localport". */
export function parseSshConnection(v: string | undefined): Omit<SshSession, 'dev'> | undefined {
  const f = (v ?? '').trim().split(/\s+/);
  if (f.length !== 4) return undefined;
  const port = Number(f[1]);
  if (!Number.isInteger(port)) return undefined;
  return { peer: f[0]!, peerPort: port, local: f[2]! };
}

/**
 * SSH_CONNECTION of this process, or of the nearest ancestor that has it (sudo does not
 * pass it on by default, but the login shell above it still has it).
 */
async function sshConnection(ctx: Context): Promise<string | undefined> {
  if (process.env.SSH_CONNECTION) return process.env.SSH_CONNECTION;
  let pid = process.ppid;
  for (let depth = 0; depth < 12 && pid > 1; depth++) {
    const env = text(await ctx.host.readFile(`/proc/${pid}/environ`));
    const hit = env?.split('\0').find((e) => e.startsWith('SSH_CONNECTION='));
    if (hit) return hit.slice('SSH_CONNECTION='.length);
    const stat = text(await ctx.host.readFile(`/proc/${pid}/stat`));
    const ppid = Number(stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isInteger(ppid)) break;
    pid = ppid;
  }
  return undefined;
}

const stripScope = (a: string) => a.split('%')[0]!;

async function exec(ctx: Context, argv: string[]): Promise<string | undefined> {
  const r = await ctx.host.exec(argv);
  return r.ok && r.value.exitCode === 0 ? r.value.stdout : undefined;
}

async function listening(ctx: Context): Promise<Observation['listening']> {
  const out: Observation['listening'] = [];
  for (const [proto, file] of [['tcp', '/proc/net/tcp'], ['tcp', '/proc/net/tcp6'], ['udp', '/proc/net/udp'], ['udp', '/proc/net/udp6']] as const) {
    for (const line of (text(await ctx.host.readFile(file)) ?? '').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      if (proto === 'tcp' && f[3] !== '0A') continue;
      const port = parseInt(f[1]!.split(':')[1] ?? '', 16);
      if (Number.isInteger(port)) out.push({ proto, port });
    }
  }
  return out;
}

async function readDirFiles(ctx: Context, dirs: string[], ext: RegExp): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  for (const d of dirs) {
    const r = await ctx.host.readdir(d);
    if (!r.ok) continue;
    for (const n of r.value.filter((x) => ext.test(x))) {
      const t = text(await ctx.host.readFile(`${d}/${n}`));
      if (t !== undefined) out.push({ path: `${d}/${n}`, text: t });
    }
  }
  return out;
}

export async function observe(ctx: Context): Promise<Observation> {
  const net = await network(ctx);
  if (!net.complete) throw new Error(`cannot list the network interfaces: ${net.error ?? 'unknown reason'}`);
  const ipOut = await exec(ctx, ['ip', '-j', '-d', 'addr', 'show']);
  if (ipOut === undefined) throw new Error('cannot read the addresses: `ip -j -d addr show` failed (is iproute2 installed?)');
  const details = parseAddrDetails(ipOut);
  const links: ObsLink[] = await Promise.all(
    net.links.map(async (l) => {
      const d = details.get(l.name);
      // The intent: the alias, else (networkd) the marker in the bridge's own configuration.
      const intent = parseIntent(d?.alias) ?? (l.kind === 'bridge' ? await intentOf(ctx, l.name) : undefined);
      const link: ObsLink = {
        name: l.name,
        kind: l.kind,
        up: l.up,
        carrier: l.lowerUp,
        addrs: d?.addrs ?? l.addrs.map((a) => ({ family: a.family === 'inet' ? (4 as const) : (6 as const), local: a.local, prefixlen: a.prefixlen, scope: 'global', dynamic: false, noprefixroute: false })),
        physical: l.physical,
        wireless: l.wireless,
        ...(l.mac ? { mac: l.mac } : {}),
        ...(l.master ? { master: l.master } : {}),
        ...(d?.alias ? { alias: d.alias } : {}),
        ...(intent ? { intent } : {}),
        ...(l.tun?.owner !== undefined ? { tunOwner: l.tun.owner } : {}),
        ...(l.tun?.ownerName !== undefined ? { tunOwnerName: l.tun.ownerName } : {}),
      };
      return link;
    }),
  );
  const [r4, r6] = await Promise.all([exec(ctx, ['ip', '-j', '-4', 'route', 'show', 'table', 'main']), exec(ctx, ['ip', '-j', '-6', 'route', 'show', 'table', 'main'])]);
  const routes = [...parseRoutes(r4 ?? '[]', 4), ...parseRoutes(r6 ?? '[]', 6)];

  let ssh: SshSession | undefined;
  const conn = parseSshConnection(await sshConnection(ctx));
  if (conn) {
    const scope = conn.local.includes('%') ? conn.local.split('%')[1] : undefined;
    const holder = links.find((l) => l.addrs.some((a) => a.local === stripScope(conn.local)));
    ssh = { ...conn, ...(scope ? { dev: scope } : holder ? { dev: holder.name } : {}) };
  }

  const progs = ['ip', 'iptables', 'dnsmasq', 'setpriv', 'ifup', 'ifdown', 'nmcli', 'networkctl', 'netplan', 'firewall-cmd', 'linux.uml', 'pgrep', 'pkill', 'start-stop-daemon'] as const;
  const found = await Promise.all(progs.map((p) => which(ctx, p)));
  const arch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
  const qemu = (await which(ctx, `qemu-system-${arch}`)) ?? (await which(ctx, 'qemu-system-x86_64'));
  const tools = {
    ip: found[0], iptables: found[1], dnsmasq: found[2], setpriv: found[3], ifup: found[4], ifdown: found[5], nmcli: found[6],
    networkctl: found[7], netplan: found[8], firewallCmd: found[9], uml: found[10] ?? (await which(ctx, 'linux')), pgrep: found[11], pkill: found[12], ssd: found[13], qemu,
  };

  const fw = await firewall(ctx);
  const docker = fw.chains.some((c) => c.regular.has('DOCKER-USER'));
  const firewalld = tools.firewallCmd !== undefined && (await ctx.host.stat('/run/firewalld')).ok && (await exec(ctx, ['firewall-cmd', '--state']))?.trim() === 'running';

  const [ipf, brnf, unpriv] = await Promise.all([sysctl(ctx, 'net.ipv4.ip_forward'), sysctl(ctx, 'net.bridge.bridge-nf-call-iptables'), sysctl(ctx, 'net.ipv4.ip_unprivileged_port_start')]);

  // Managers
  const nm = await nmKeyfiles(ctx);
  const nmRunning = (await ctx.host.stat('/run/NetworkManager/NetworkManager.pid')).ok || (tools.nmcli !== undefined && (await exec(ctx, ['nmcli', '-t', '-f', 'RUNNING', 'general']))?.trim() === 'running');
  const interfaces = text(await ctx.host.readFile('/etc/network/interfaces'));
  const parsed = interfaces !== undefined ? parseInterfaces(interfaces, '/etc/network/interfaces') : undefined;
  const sourcesD = Boolean(parsed?.sources.some((s) => (s.kind === 'source' && /^\/etc\/network\/interfaces\.d\/(\*|\*\.\*)?$/.test(s.arg)) || (s.kind === 'source-directory' && /^\/etc\/network\/interfaces\.d\/?$/.test(s.arg))));
  const stanzas = [...(interfaces ?? '').matchAll(/^\s*iface\s+(\S+)/gm)].map((m) => m[1]!);
  const ours = Object.fromEntries((await readDirFiles(ctx, ['/etc/network/interfaces.d'], /^qnet-/)).map((f) => [f.path.split('/').pop()!, f.text]));
  const networkdFiles = await readDirFiles(ctx, ['/etc/systemd/network', '/run/systemd/network'], /\.network$/);
  const networkdRunning = (await ctx.host.stat('/run/systemd/netif/links')).ok;
  const netplanFiles = await readDirFiles(ctx, ['/etc/netplan', '/run/netplan', '/lib/netplan'], /\.ya?ml$/);
  const nmTexts = new Map<string, string>();
  for (const p of nm.profiles) {
    const t = text(await ctx.host.readFile(p.path));
    if (t !== undefined) nmTexts.set(p.keyfile.id ?? p.name, t);
  }
  const managers: Managers = {
    nmRunning,
    nmProfilesFor: (dev) => nm.profiles.filter((p) => p.keyfile.interfaceName === dev).map((p) => p.keyfile.id ?? p.name),
    nmProfileText: (id) => nmTexts.get(id),
    ifupdown: { installed: tools.ifup !== undefined, ...(interfaces !== undefined ? { interfaces } : {}), sourcesD, stanzas, ours },
    networkd: { running: networkdRunning, files: networkdFiles },
    netplan: { installed: tools.netplan !== undefined, files: netplanFiles },
  };

  const resolvers = [...(text(await ctx.host.readFile('/etc/resolv.conf')) ?? '').matchAll(/^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/gm)].map((m) => m[1]!).filter((a) => !a.startsWith('127.'));

  const macs = new Set(links.map((l) => l.mac).filter((m): m is string => Boolean(m)));
  for (const vm of await vms(ctx)) for (const n of vm.nics) if (n.mac) macs.add(n.mac.toLowerCase());

  let helper: Observation['helper'];
  const hs = await bridgeHelpers(ctx);
  const def = hs.helpers.find((h) => h.isDefault) ?? hs.helpers[0];
  if (def) {
    const aclPath = aclPaths(hs)[0]!;
    const acl = await readBridgeAcl(ctx, aclPath);
    const aclText = text(await ctx.host.readFile(aclPath));
    const top = acl.files[0];
    helper = {
      path: def.path,
      isDefault: def.isDefault,
      aclPath,
      ...(aclText !== undefined ? { aclText } : {}),
      ...(top?.readError ? { aclError: top.readError } : {}),
      allows: (br) => aclAllows(acl.rules, br),
    };
  }

  return {
    links,
    routes,
    ...(ssh ? { ssh } : {}),
    user: ctx.user,
    root: ctx.invoker.euid === 0,
    tools,
    fw,
    docker,
    firewalld,
    sysctl: { ...(ipf.value ? { ipForward: ipf.value } : {}), ...(brnf.value ? { bridgeNfIptables: brnf.value } : {}), unprivPortStart: Number(unpriv.value ?? 1024) },
    managers,
    resolvers,
    macs,
    ...(helper ? { helper } : {}),
    listening: await listening(ctx),
  };
}

/** The IPv4 default route, if any (lowest metric first). */
export function defaultRoute4(obs: Observation): ObsRoute | undefined {
  return obs.routes.filter((r) => r.family === 4 && r.dst === 'default' && r.dev && !r.type).sort((a, b) => (a.metric ?? 0) - (b.metric ?? 0))[0];
}

export const linkOf = (obs: Observation, name: string) => obs.links.find((l) => l.name === name);
