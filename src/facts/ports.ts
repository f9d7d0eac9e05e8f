// Per-interface facts from sysfs, read only for the few interfaces a check
// asks about: is it a physical NIC, is it wireless.
import type { Context } from '../context.js';

export interface PortFacts {
  /** A NIC: it has a device in sysfs, or carries a NIC's name (eth*, en*, wl*: a veth or macvlan standing for one). */
  physical: boolean;
  wireless: boolean;
}

const NIC_NAME = /^(eth|en|wl|ww)[a-z0-9]/;

/** Names of virtual interfaces (bridges, taps, veths...): one directory listing for all of them. */
function virtualNames(ctx: Context): Promise<Set<string> | undefined> {
  return ctx.memo('virtual-nets', async () => {
    const r = await ctx.host.readdir('/sys/devices/virtual/net');
    return r.ok ? new Set(r.value) : undefined;
  });
}

export function portFacts(ctx: Context, name: string): Promise<PortFacts> {
  return ctx.memo(`port ${name}`, async () => {
    const virtual = await virtualNames(ctx);
    let physical = NIC_NAME.test(name);
    if (!physical) physical = virtual ? !virtual.has(name) : (await ctx.host.stat(`/sys/class/net/${name}/device`)).ok;
    if (!physical) return { physical, wireless: false };
    const [wl, phy] = await Promise.all([ctx.host.stat(`/sys/class/net/${name}/wireless`), ctx.host.stat(`/sys/class/net/${name}/phy80211`)]);
    return { physical, wireless: wl.ok || phy.ok };
  });
}
