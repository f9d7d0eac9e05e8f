// Guest mode: whether qnet runs inside a VM (auto-detected, or forced with
// --guest), and the guest-side routing facts: default routes from the model,
// the ARP cache from /proc.
import type { Context } from '../context.js';
import { text } from '../host/host.js';
import { network } from '../model/network.js';
import { arpCache, defaultRoutes, type DefaultRoute } from '../parse/proc-net.js';
import { isGuest } from './system.js';

export async function guestMode(ctx: Context): Promise<boolean> {
  return ctx.forceGuest || isGuest(ctx);
}

export async function routesAndArp(ctx: Context): Promise<{ routes: DefaultRoute[]; arp: ReturnType<typeof arpCache> }> {
  const [net, a] = await Promise.all([network(ctx), ctx.host.readFile('/proc/net/arp')]);
  return { routes: defaultRoutes(net.routes), arp: arpCache(text(a) ?? '') };
}
