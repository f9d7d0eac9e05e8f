// IPv4 addresses and prefixes: pure helpers shared by the firewall model, the
// network model and setup's choice of a free subnet.

export interface Prefix {
  addr: string;
  len: number;
}

export function ipv4ToInt(addr: string): number | undefined {
  const p = addr.split('.');
  if (p.length !== 4) return undefined;
  let n = 0;
  for (const x of p) {
    if (!/^\d{1,3}$/.test(x) || Number(x) > 255) return undefined;
    n = n * 256 + Number(x);
  }
  return n;
}

export function parsePrefix(s: string): Prefix | undefined {
  const [addr, len] = s.split('/');
  if (!addr || ipv4ToInt(addr) === undefined) return undefined;
  const l = len === undefined ? 32 : Number(len);
  return Number.isInteger(l) && l >= 0 && l <= 32 ? { addr, len: l } : undefined;
}

const maskOf = (len: number) => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);

/** Is every address of `inner` inside `outer`? */
export function prefixWithin(inner: Prefix, outer: Prefix): boolean {
  if (inner.len < outer.len) return false;
  const m = maskOf(outer.len);
  return ((ipv4ToInt(inner.addr)! & m) >>> 0) === ((ipv4ToInt(outer.addr)! & m) >>> 0);
}

export function prefixesDisjoint(a: Prefix, b: Prefix): boolean {
  const m = maskOf(Math.min(a.len, b.len));
  return ((ipv4ToInt(a.addr)! & m) >>> 0) !== ((ipv4ToInt(b.addr)! & m) >>> 0);
}

export function networkOf(addr: string, len: number): Prefix {
  const n = (ipv4ToInt(addr)! & maskOf(len)) >>> 0;
  return { addr: [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.'), len };
}

export const showPrefix = (p: Prefix) => `${p.addr}/${p.len}`;


/** Does the prefix `net/len` contain `addr`? */
export function containsAddr(p: Prefix, addr: string): boolean {
  const a = ipv4ToInt(addr);
  return a !== undefined && prefixWithin({ addr, len: 32 }, p);
}
