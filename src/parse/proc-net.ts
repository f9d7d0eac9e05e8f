// Pure parsers for /proc/net files: the IPv4 routing table and the ARP cache.

export interface Route {
  dev: string;
  dest: string;
  prefixlen: number;
  /** 0.0.0.0 for a connected route. */
  gateway: string;
  metric: number;
}

/** /proc/net/route stores addresses as little-endian hex. */
export function hexToIpv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [0, 8, 16, 24].map((s) => (n >>> s) & 255).join('.');
}

const prefixLen = (maskHex: string) => {
  let n = parseInt(maskHex, 16) >>> 0;
  let len = 0;
  while (n) {
    len += n & 1;
    n >>>= 1;
  }
  return len;
};

/** Every IPv4 route of /proc/net/route (a file: no process spawned). */
export function parseProcRoute(body: string): Route[] {
  const out: Route[] = [];
  for (const line of body.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^[0-9A-Fa-f]{8}$/.test(f[1]!) || !/^[0-9A-Fa-f]{8}$/.test(f[7]!)) continue;
    out.push({ dev: f[0]!, dest: hexToIpv4(f[1]!), prefixlen: prefixLen(f[7]!), gateway: hexToIpv4(f[2]!), metric: Number(f[6]) || 0 });
  }
  return out;
}

export interface DefaultRoute {
  dev: string;
  gateway: string;
}

export function defaultRoutes(routes: readonly Route[]): DefaultRoute[] {
  return routes.filter((r) => r.dest === '0.0.0.0' && r.prefixlen === 0).map((r) => ({ dev: r.dev, gateway: r.gateway }));
}

/**
 * /proc/net/arp: complete entries (flags 0x2, ATF_COM) as ip → MAC, and the addresses
 * the kernel has asked for without an answer (an entry without ATF_COM: INCOMPLETE or
 * FAILED). An address in neither was never asked for.
 */
export function arpCache(body: string): { complete: Map<string, string>; unanswered: Set<string> } {
  const complete = new Map<string, string>();
  const unanswered = new Set<string>();
  for (const line of body.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    if ((parseInt(f[2]!, 16) & 0x2) !== 0) complete.set(f[0]!, f[3]!.toLowerCase());
    else unanswered.add(f[0]!);
  }
  return { complete, unanswered };
}
