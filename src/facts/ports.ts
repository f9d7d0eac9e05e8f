// Per-interface facts from sysfs, read only for the few interfaces a check
// asks about: is it a physical NIC, is it wireless.
import type { Context } from '../context.js';

export interface PortFacts {
  /** A NIC: it has a device in sysfs, or carries a NIC's name (eth*, en*, wl*: a veth or macvlan standing for one). */
  physical: boolean;
  wireless: boolean;
}

const NIC_NAME = /^(eth|en|wl|ww)[a-z0-9]/;

export function portFacts(ctx: Context, name: string): Promise<PortFacts> {
  return ctx.memo(`port ${name}`, async () => {
    const [dev, wl, phy] = await Promise.all([
      ctx.host.stat(`/sys/class/net/${name}/device`),
      ctx.host.stat(`/sys/class/net/${name}/wireless`),
      ctx.host.stat(`/sys/class/net/${name}/phy80211`),
    ]);
    return { physical: dev.ok || NIC_NAME.test(name), wireless: wl.ok || phy.ok };
  });
}
