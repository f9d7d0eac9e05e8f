// MAC addresses for the VMs setup prints: QEMU's locally administered 52:54:00
// prefix, distinct per VM, stable across re-runs with the same answers (so a second
// `qnet setup` prints the same options), and clear of every MAC on the host.
import { createHash } from 'node:crypto';

export function vmMacs(seed: string, count: number, inUse: ReadonlySet<string>): string[] {
  const h = createHash('sha256').update(seed).digest();
  const out: string[] = [];
  let a = h[0]!;
  let b = h[1]!;
  let c = 1;
  while (out.length < count) {
    const mac = ['52', '54', '00', a, b, c].map((x) => (typeof x === 'number' ? x.toString(16).padStart(2, '0') : x)).join(':');
    if (!inUse.has(mac) && !out.includes(mac) && mac !== '52:54:00:12:34:56') out.push(mac);
    c++;
    if (c > 254) {
      c = 1;
      b = (b + 1) & 255;
      if (b === h[1]) a = (a + 1) & 255;
    }
  }
  return out;
}

/**
 * A stable MAC for a NAT or isolated bridge (locally administered, 02:71:6e = "qn"): the
 * bridge keeps it when recreated at boot, so guests' ARP caches and DHCP stay valid, and it
 * does not change as taps come and go (a bridge otherwise takes its lowest port's MAC).
 */
export function bridgeMac(name: string): string {
  const h = createHash('sha256').update(`bridge|${name}`).digest();
  return ['02', '71', '6e', ...[h[0]!, h[1]!, h[2]!].map((x) => x.toString(16).padStart(2, '0'))].join(':');
}
