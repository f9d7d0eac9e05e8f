// Running processes that hold taps: /proc/PID/fd entries pointing at
// /dev/net/tun, and the `iff:` line of their fdinfo naming the interface.
// Only processes whose command line looks like a VM are opened (QEMU, UML,
// or anything holding /dev/net/tun among the few with a tun-ish name).
import type { Context } from '../context.js';
import { text } from '../host/host.js';

export interface Proc {
  pid: number;
  argv: string[];
}

export interface TapHolder {
  pid: number;
  iface: string;
  argv: string[];
}

export function processes(ctx: Context): Promise<Proc[]> {
  return ctx.memo('processes', async () => {
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
 * namespace its process runs in: a container's tap0 is not ours. Unknown counts as ours.
 */
export async function inOurNetns(ctx: Context, pid: number): Promise<boolean> {
  const mine = await ctx.memo('self-netns', () => ctx.host.readlink('/proc/self/ns/net'));
  if (!mine.ok) return true;
  const theirs = await ctx.host.readlink(`/proc/${pid}/ns/net`);
  return !theirs.ok || theirs.value === mine.value;
}

/** Does this command line run a VM that may hold a tap (QEMU, UML)? */
export const isVmProcess = (argv: string[]) =>
  /(^|\/)(qemu-system-[\w-]+|qemu-kvm|kvm)$/.test(argv[0] ?? '') || argv.some((a) => /^eth\d+=tuntap/.test(a));

export function tapHolders(ctx: Context): Promise<TapHolder[]> {
  return ctx.memo('tap-holders', async () => {
    const all = (await processes(ctx)).filter((p) => isVmProcess(p.argv));
    const ours = await Promise.all(all.map((p) => inOurNetns(ctx, p.pid)));
    const vms = all.filter((_, i) => ours[i]);
    const found: TapHolder[] = [];
    await Promise.all(
      vms.map(async (p) => {
        const fds = await ctx.host.readdir(`/proc/${p.pid}/fd`);
        if (!fds.ok) return;
        await Promise.all(
          fds.value.map(async (fd) => {
            const target = await ctx.host.readlink(`/proc/${p.pid}/fd/${fd}`);
            if (!target.ok || target.value !== '/dev/net/tun') return;
            const info = text(await ctx.host.readFile(`/proc/${p.pid}/fdinfo/${fd}`)) ?? '';
            const iff = /^iff:\s*(\S+)/m.exec(info)?.[1];
            if (iff) found.push({ pid: p.pid, iface: iff, argv: p.argv });
          }),
        );
      }),
    );
    return found;
  });
}
