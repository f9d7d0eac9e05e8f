// What a VM network was built for, recorded in the network itself: `qnet setup`
// sets the bridge's interface alias (IFLA_IFALIAS, `ip link set dev BR alias
// qnet:MODE`, read back from /sys/class/net/BR/ifalias) and, for the persistent
// backends, writes the same alias into the bridge's configuration. The checks read
// it so that an isolated network is not judged as a NAT network missing its
// forwarding and masquerade.
import type { Context } from '../context.js';
import { text } from '../host/host.js';

export type NetIntent = 'bridge' | 'isolated' | 'nat';

export const INTENT_PREFIX = 'qnet:';

export const intentAlias = (mode: NetIntent) => `${INTENT_PREFIX}${mode}`;

export function parseIntent(alias: string | undefined): NetIntent | undefined {
  const m = /^qnet:(bridge|isolated|nat)$/.exec((alias ?? '').trim());
  return m ? (m[1] as NetIntent) : undefined;
}

/** `Intent=` of an [X-Qnet] section (networkd ignores sections whose name starts with X-). */
export function parseIniIntent(body: string | undefined): NetIntent | undefined {
  const m = /^\s*\[X-Qnet\]\s*$([\s\S]*?)(?=^\s*\[|(?![\s\S]))/m.exec(body ?? '');
  const v = m ? /^\s*Intent\s*=\s*(\S+)\s*$/m.exec(m[1]!)?.[1] : undefined;
  return parseIntent(v ? `${INTENT_PREFIX}${v}` : undefined);
}

/** `org.qnet.intent=` of a NetworkManager keyfile's [user] data. */
export function parseNmIntent(body: string | undefined): NetIntent | undefined {
  const m = /^\s*\[user\]\s*$([\s\S]*?)(?=^\s*\[|(?![\s\S]))/m.exec(body ?? '');
  const v = m ? /^\s*org\.qnet\.intent\s*=\s*(\S+)\s*$/m.exec(m[1]!)?.[1] : undefined;
  return parseIntent(v ? `${INTENT_PREFIX}${v}` : undefined);
}

/**
 * The intent recorded for an interface, if any: its alias, else the [X-Qnet] section of
 * the systemd-networkd configuration qnet setup wrote for it (networkd cannot set an alias),
 * directly or as a drop-in for the .network netplan renders, or the [user] data of the
 * NetworkManager profile it wrote.
 */
export function intentOf(ctx: Context, dev: string): Promise<NetIntent | undefined> {
  return ctx.memo(`intent ${dev}`, async () => {
    const alias = parseIntent(text(await ctx.host.readFile(`/sys/class/net/${dev}/ifalias`)));
    if (alias) return alias;
    // networkd: the bridge's own .network, or (netplan) the drop-in beside the one netplan renders.
    return (
      parseIniIntent(text(await ctx.host.readFile(`/etc/systemd/network/50-qnet-${dev}.network`))) ??
      parseIniIntent(text(await ctx.host.readFile(`/etc/systemd/network/10-netplan-${dev}.network.d/50-qnet.conf`))) ??
      parseNmIntent(text(await ctx.host.readFile(`/etc/NetworkManager/system-connections/qnet-${dev}.nmconnection`)))
    );
  });
}

/** Splits VM networks into those judged as routed and those isolated by intent (their names). */
export async function withoutIsolated<T extends { dev: string }>(ctx: Context, nets: T[]): Promise<{ nets: T[]; isolated: string[] }> {
  const isolated = new Set<string>();
  for (const n of nets) if ((await intentOf(ctx, n.dev)) === 'isolated') isolated.add(n.dev);
  return { nets: nets.filter((n) => !isolated.has(n.dev)), isolated: [...isolated] };
}
