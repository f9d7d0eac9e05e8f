// IPv4 arithmetic for setup: parsing a --subnet, choosing a private /24 that
// overlaps nothing on the host, and the addresses handed to guests.
import { ipv4ToInt } from '../parse/ipv4.js';

export interface Cidr {
  /** The host's address on the bridge (e.g. 10.77.0.1). */
  addr: string;
  len: number;
}

export const intToIpv4 = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
const mask = (len: number) => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);
export const networkInt = (c: Cidr) => (ipv4ToInt(c.addr)! & mask(c.len)) >>> 0;
export const broadcastInt = (c: Cidr) => (networkInt(c) | (~mask(c.len) >>> 0)) >>> 0;
export const showCidr = (c: Cidr) => `${c.addr}/${c.len}`;
export const networkCidr = (c: Cidr): Cidr => ({ addr: intToIpv4(networkInt(c)), len: c.len });

/**
 * Parses --subnet: `10.77.0.1/24` (the host's address) or `10.77.0.0/24` (the network;
 * the host takes the first address). Prefixes from /8 to /29 leave room for guests.
 */
export function parseSubnet(s: string): Cidr | string {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(s.trim());
  if (!m) return `--subnet ${s}: expected an IPv4 address with a prefix length, e.g. 10.77.0.1/24`;
  const n = ipv4ToInt(m[1]!);
  const len = Number(m[2]);
  if (n === undefined) return `--subnet ${s}: ${m[1]} is not an IPv4 address`;
  if (len < 8 || len > 29) return `--subnet ${s}: the prefix length must be between 8 and 29 (room for the host and guests)`;
  const c: Cidr = { addr: m[1]!, len };
  const net = networkInt(c);
  if (n === net) c.addr = intToIpv4(net + 1);
  else if (n === broadcastInt(c)) return `--subnet ${s}: ${m[1]} is the broadcast address of that subnet`;
  if (!isPrivate(c)) return `--subnet ${s}: not a private (RFC 1918) range; guests behind NAT or on an isolated network need one`;
  return c;
}

/** Inside 10/8, 172.16/12 or 192.168/16. */
export function isPrivate(c: Cidr): boolean {
  const n = networkInt(c);
  const within = (base: string, len: number) => c.len >= len && ((n & mask(len)) >>> 0) === ipv4ToInt(base);
  return within('10.0.0.0', 8) || within('172.16.0.0', 12) || within('192.168.0.0', 16);
}

/** Do the two prefixes share any address? */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const len = Math.min(a.len, b.len);
  return ((ipv4ToInt(a.addr)! & mask(len)) >>> 0) === ((ipv4ToInt(b.addr)! & mask(len)) >>> 0);
}

/**
 * The first free /24 among the usual private ranges: none of its addresses is in a
 * route or an address already on the host. 10.0.2.0/24 (QEMU's user networking) and
 * 192.168.122.0/24 (libvirt's default network) are passed over.
 */
export function pickSubnet(taken: readonly Cidr[]): Cidr | undefined {
  const avoid: Cidr[] = [...taken, { addr: '10.0.2.0', len: 24 }, { addr: '192.168.122.0', len: 24 }];
  const candidates: string[] = [];
  for (let i = 77; i < 100; i++) candidates.push(`10.${i}.0.1`);
  for (let i = 100; i < 200; i++) candidates.push(`192.168.${i}.1`);
  for (let i = 16; i < 32; i++) candidates.push(`172.${i}.77.1`);
  for (const addr of candidates) {
    const c = { addr, len: 24 };
    if (!avoid.some((t) => t.len > 0 && overlaps(c, t))) return c;
  }
  return undefined;
}

/** Addresses handed out to guests: DHCP range, or the static address of VM i (0-based). */
export function guestRange(c: Cidr): { first: string; last: string } {
  const net = networkInt(c);
  const bc = broadcastInt(c);
  const size = bc - net;
  const first = size > 20 ? net + 10 : net + 2;
  return { first: intToIpv4(first), last: intToIpv4(bc - 1) };
}

export function staticGuestAddr(c: Cidr, i: number): string {
  return intToIpv4(ipv4ToInt(guestRange(c).first)! + i);
}

export const netmaskOf = (len: number) => intToIpv4(mask(len));
