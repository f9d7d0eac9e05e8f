// Routed and NAT VM networks: a bridge or tap that carries an IPv4 address and
// has no physical port (libvirt's virbr0, seed 002's isolated 10.0.2.1/24
// bridge, seed 003's tap0 192.168.33.33). A bridge with a physical NIC as a
// port, or the device of the default route, is a LAN bridge, not one of these.
import type { Context } from '../context.js';
import { text } from '../host/host.js';
import { networkOf, type Prefix } from './firewall.js';
import { defaultRoutes } from './guest.js';
import { basicLinks } from './links.js';
import { portFacts } from './ports.js';

export interface VmNet {
  dev: string;
  kind: 'bridge' | 'tap';
  addr: string;
  subnet: Prefix;
}

export interface Routing {
  nets: VmNet[];
  /** Devices of the default routes (IPv4). */
  uplinks: string[];
}

/** Default-route devices from /proc/net/route (a file, no process spawned). */
export function parseProcRoute(body: string): string[] {
  return [...new Set(defaultRoutes(body).map((r) => r.dev))];
}

export function routing(ctx: Context): Promise<Routing> {
  return ctx.memo('routing', async () => {
    const [ls, route] = await Promise.all([basicLinks(ctx), ctx.host.readFile('/proc/net/route')]);
    const uplinks = parseProcRoute(text(route) ?? '');
    const nets: VmNet[] = [];
    for (const l of ls.links) {
      const v4 = l.addrs.filter((a) => a.family === 'inet');
      if (!v4.length || l.name === 'lo' || uplinks.includes(l.name)) continue;
      let kind: VmNet['kind'] | undefined;
      if (l.kind === 'bridge') {
        const ports = ls.links.filter((p) => p.master === l.name);
        const physical = await Promise.all(ports.map(async (p) => (await portFacts(ctx, p.name)).physical));
        if (!physical.some(Boolean)) kind = 'bridge';
      } else if (!l.master && (await ctx.host.stat(`/sys/class/net/${l.name}/tun_flags`)).ok) {
        kind = 'tap';
      }
      if (!kind) continue;
      for (const a of v4) nets.push({ dev: l.name, kind, addr: a.local, subnet: networkOf(a.local, a.prefixlen) });
    }
    return { nets, uplinks };
  });
}
