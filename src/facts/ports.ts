// Listening sockets and who holds them, and the port range an unprivileged
// user may bind: what QEMU's hostfwd= needs of the host.
import type { Context } from '../context.js';
import { text } from '../host/host.js';
import { processes } from '../model/network.js';
import type { Evidence } from '../types.js';
import { sysctl } from './system.js';

export interface Listener {
  proto: 'tcp' | 'udp';
  port: number;
  inode: string;
}

/** TCP sockets in LISTEN and bound UDP sockets, IPv4 and IPv6, from /proc/net. */
export function listeners(ctx: Context): Promise<Listener[]> {
  return ctx.memo('listeners', async () => {
    const out: Listener[] = [];
    for (const [proto, file] of [['tcp', '/proc/net/tcp'], ['tcp', '/proc/net/tcp6'], ['udp', '/proc/net/udp'], ['udp', '/proc/net/udp6']] as const) {
      for (const line of (text(await ctx.host.readFile(file)) ?? '').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length < 10) continue;
        if (proto === 'tcp' && f[3] !== '0A') continue; // LISTEN
        const port = parseInt(f[1]!.split(':')[1] ?? '', 16);
        if (Number.isInteger(port)) out.push({ proto, port, inode: f[9]! });
      }
    }
    return out;
  });
}

/** Which process holds each socket inode (one pass over every process's descriptors). */
export function socketOwners(ctx: Context): Promise<Map<string, string>> {
  return ctx.memo('socket-owners', async () => {
    const out = new Map<string, string>();
    for (const p of await processes(ctx)) {
      const fds = await ctx.host.readdir(`/proc/${p.pid}/fd`);
      if (!fds.ok) continue;
      for (const fd of fds.value) {
        const l = await ctx.host.readlink(`/proc/${p.pid}/fd/${fd}`);
        const m = l.ok ? /^socket:\[(\d+)\]$/.exec(l.value) : null;
        if (m && !out.has(m[1]!)) out.set(m[1]!, `pid ${p.pid} (${(p.argv[0] ?? '?').split('/').pop()})`);
      }
    }
    return out;
  });
}

/** net.ipv4.ip_unprivileged_port_start of this network namespace: ports below it need root or CAP_NET_BIND_SERVICE. */
export async function unprivilegedPortStart(ctx: Context): Promise<{ start: number; evidence: Evidence }> {
  const key = 'net.ipv4.ip_unprivileged_port_start';
  const source = `read /proc/sys/${key.replace(/\./g, '/')}`;
  const r = await sysctl(ctx, key);
  const n = Number(r.value);
  // Kernels before 4.11 have no such sysctl: the limit is the old fixed 1024 (PROT_SOCK).
  if (r.value !== undefined && Number.isInteger(n) && n >= 0) return { start: n, evidence: { source, observed: String(n) } };
  return { start: 1024, evidence: { source, observed: `${r.error ?? 'unreadable'}; the kernel's fixed limit 1024 applies` } };
}
