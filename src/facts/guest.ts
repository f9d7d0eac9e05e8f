// Guest mode: whether qnet runs inside a VM (auto-detected, or forced with
// --guest), and the guest-side routing facts read from /proc.
import type { Context } from '../context.js';
import { text } from '../host/host.js';
import { isGuest } from './system.js';

export interface DefaultRoute {
  dev: string;
  gateway: string;
}

/** /proc/net/route stores addresses as little-endian hex. */
export function hexToIpv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [0, 8, 16, 24].map((s) => (n >>> s) & 255).join('.');
}

export function defaultRoutes(body: string): DefaultRoute[] {
  const out: DefaultRoute[] = [];
  for (const line of body.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 8 && f[1] === '00000000' && f[7] === '00000000') out.push({ dev: f[0]!, gateway: hexToIpv4(f[2]!) });
  }
  return out;
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

export async function guestMode(ctx: Context): Promise<boolean> {
  return ctx.forceGuest || isGuest(ctx);
}

export async function routesAndArp(ctx: Context): Promise<{ routes: DefaultRoute[]; arp: ReturnType<typeof arpCache> }> {
  const [r, a] = await Promise.all([ctx.host.readFile('/proc/net/route'), ctx.host.readFile('/proc/net/arp')]);
  return { routes: defaultRoutes(text(r) ?? ''), arp: arpCache(text(a) ?? '') };
}
