// The host's interfaces, read once: `ip -j -d addr show` gives links, their
// kinds, bridge options, tap owners and addresses in one call, whatever the
// number of interfaces. Without iproute2, sysfs gives the names and kinds.
import type { Context } from '../context.js';
import { text } from '../host/host.js';

export interface Link {
  name: string;
  index: number;
  /** linkinfo.info_kind: bridge, tun, veth, ... ; '' for a physical NIC or loopback; 'unknown' from basicLinks() for non-bridges. */
  kind: string;
  /** For tun/tap: 'tap' or 'tun'. */
  tunType?: string;
  /** Owner uid; iproute2 prints a name instead when the uid resolves (see tunOwnerName). */
  tunOwner?: number;
  tunOwnerName?: string;
  tunGroup?: number;
  tunGroupName?: string;
  /** A persistent tap/tun (survives its last close). */
  tunPersist?: boolean;
  master?: string;
  mac?: string;
  linkType?: string;
  up: boolean;
  /** LOWER_UP: the link has carrier (a cable, or for a tap: a process attached). */
  lowerUp: boolean;
  operstate?: string;
  addrs: { family: string; local: string; prefixlen: number }[];
  /** Bridge options from linkinfo.info_data (nf_call_iptables, stp_state, ...). */
  bridge?: Record<string, unknown>;
}

export interface Links {
  links: Link[];
  /** How the list was read, for evidence. */
  source: string;
  error?: string;
}

interface IpLink {
  ifindex?: number;
  ifname?: string;
  flags?: string[];
  operstate?: string;
  master?: string;
  address?: string;
  link_type?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

export function parseIpJson(json: string): Link[] {
  const data = JSON.parse(json) as IpLink[];
  if (!Array.isArray(data)) throw new Error('ip -j output is not a list');
  return data
    .filter((l) => typeof l.ifname === 'string')
    .map((l) => {
      const kind = l.linkinfo?.info_kind ?? '';
      const info = l.linkinfo?.info_data ?? {};
      const link: Link = {
        name: l.ifname!,
        index: l.ifindex ?? 0,
        kind,
        up: (l.flags ?? []).includes('UP'),
        lowerUp: (l.flags ?? []).includes('LOWER_UP'),
        addrs: (l.addr_info ?? [])
          .filter((a) => a.local)
          .map((a) => ({ family: a.family ?? '', local: a.local!, prefixlen: a.prefixlen ?? 0 })),
      };
      if (l.operstate) link.operstate = l.operstate;
      if (l.master) link.master = l.master;
      if (l.address) link.mac = l.address.toLowerCase();
      if (l.link_type) link.linkType = l.link_type;
      if (kind === 'bridge') link.bridge = info;
      if (kind === 'tun') {
        if (typeof info.type === 'string') link.tunType = info.type;
        if (typeof info.user === 'number') link.tunOwner = info.user;
        else if (typeof info.user === 'string') link.tunOwnerName = info.user;
        if (typeof info.group === 'number') link.tunGroup = info.group;
        else if (typeof info.group === 'string') link.tunGroupName = info.group;
        if (typeof info.persist === 'boolean') link.tunPersist = info.persist;
      }
      return link;
    });
}

async function fromSysfs(ctx: Context): Promise<Link[]> {
  const dir = await ctx.host.readdir('/sys/class/net');
  if (!dir.ok) return [];
  return Promise.all(
    dir.value.map(async (name, i) => {
      const base = `/sys/class/net/${name}`;
      const [addr, br, tunFlags, master, owner] = await Promise.all([
        ctx.host.readFile(`${base}/address`),
        ctx.host.stat(`${base}/bridge`),
        ctx.host.readFile(`${base}/tun_flags`),
        ctx.host.readlink(`${base}/master`),
        ctx.host.readFile(`${base}/owner`),
      ]);
      const link: Link = { name, index: i + 1, kind: br.ok ? 'bridge' : tunFlags.ok ? 'tun' : '', up: false, lowerUp: false, addrs: [] };
      const mac = text(addr)?.trim();
      if (mac) link.mac = mac.toLowerCase();
      if (master.ok) link.master = master.value.split('/').pop()!;
      if (tunFlags.ok) {
        const flags = parseInt(text(tunFlags)!.trim(), 16);
        link.tunType = flags & 0x0002 ? 'tap' : 'tun';
        const o = Number(text(owner)?.trim());
        if (Number.isInteger(o) && o >= 0) link.tunOwner = o;
      }
      if (br.ok) link.bridge = {};
      return link;
    }),
  );
}

/**
 * The cheap view for the common path: every interface's name, MAC, master,
 * state and addresses (`ip -j addr show`) plus full bridge options
 * (`ip -j -d link show type bridge`), run in parallel. `kind` is 'bridge' for
 * bridges and 'unknown' for the rest: with 1,000 taps the detailed listing
 * (links()) costs several times more, so call links() only when kinds or tap
 * owners are needed.
 */
export function basicLinks(ctx: Context): Promise<Links> {
  return ctx.memo('basic-links', async () => {
    const [all, brs] = await Promise.all([
      ctx.host.exec(['ip', '-j', 'addr', 'show']),
      ctx.host.exec(['ip', '-j', '-d', 'link', 'show', 'type', 'bridge']),
    ]);
    if (!all.ok || all.value.exitCode !== 0 || !brs.ok || brs.value.exitCode !== 0) return links(ctx);
    try {
      const bridgeInfo = new Map(parseIpJson(brs.value.stdout).map((l) => [l.name, l]));
      const list = parseIpJson(all.value.stdout).map((l) => {
        const br = bridgeInfo.get(l.name);
        return br ? { ...l, kind: 'bridge', bridge: br.bridge ?? {} } : { ...l, kind: 'unknown' };
      });
      return { links: list, source: 'ip -j addr show' };
    } catch {
      return links(ctx);
    }
  });
}

/** Tun and tap devices with their owners: `ip -j -d link show type tun` (cheap when there are none). */
export function tunLinks(ctx: Context): Promise<Links> {
  return ctx.memo('tun-links', async () => {
    const r = await ctx.host.exec(['ip', '-j', '-d', 'link', 'show', 'type', 'tun']);
    if (r.ok && r.value.exitCode === 0) {
      try {
        return { links: parseIpJson(r.value.stdout || '[]'), source: 'ip -j -d link show type tun' };
      } catch {
        /* fall through */
      }
    }
    const all = await links(ctx);
    return { ...all, links: all.links.filter((l) => l.kind === 'tun') };
  });
}

/** Every interface with its kind (bridge, tun, veth, '' for a NIC) and tap owners: `ip -j -d addr show`. */
export function links(ctx: Context): Promise<Links> {
  return ctx.memo('links', async () => {
    const r = await ctx.host.exec(['ip', '-j', '-d', 'addr', 'show']);
    if (r.ok && r.value.exitCode === 0) {
      try {
        return { links: parseIpJson(r.value.stdout), source: 'ip -j -d addr show' };
      } catch (err) {
        return { links: await fromSysfs(ctx), source: '/sys/class/net', error: `ip -j output unreadable: ${(err as Error).message}` };
      }
    }
    const why = r.ok ? `ip exited ${r.value.exitCode}: ${r.value.stderr.trim()}` : `ip: ${r.code}`;
    return { links: await fromSysfs(ctx), source: '/sys/class/net', error: why };
  });
}

export const bridges = (ls: Links) => ls.links.filter((l) => l.kind === 'bridge');

/** Is this tap owned by the given user (iproute2 gives a uid or, when it resolves, a name)? */
export const tapOwnedBy = (l: Link, user: { uid: number; name: string }) => l.tunOwner === user.uid || l.tunOwnerName === user.name;

/** Interface names are at most 15 bytes (IFNAMSIZ 16 with the NUL). */
export const IFNAMSIZ = 16;

/** A name the kernel would accept: 1-15 bytes, no '/', ':' or whitespace, not '.' or '..'. */
export function validIfname(name: string): boolean {
  return (
    Buffer.byteLength(name) > 0 && Buffer.byteLength(name) < IFNAMSIZ && !/[\s/:]/.test(name) && name !== '.' && name !== '..'
  );
}
