// guest-route: inside a VM, there is a default route and its gateway answers
// ARP (read from the ARP cache; the doctor sends nothing).
import { guestMode, routesAndArp } from '../src/facts/guest.js';
import type { Check } from '../src/types.js';

const check: Check = {
  id: 'guest-route',
  area: 'guest',
  title: () => 'the guest has a reachable default gateway',
  async run(ctx) {
    if (!(await guestMode(ctx))) return { status: 'skip', summary: 'not a guest (no hypervisor detected; --guest forces the guest checks)' };
    const { routes, arp } = await routesAndArp(ctx);
    if (!routes.length) {
      return {
        status: 'fail',
        summary: 'no default route: the guest reaches only its own subnet',
        evidence: [{ source: 'read /proc/net/route', observed: 'no 0.0.0.0/0 entry' }],
        details: ['With DHCP the server gives the route; with a static setup add one (seed 003: the host tap\'s address as gateway), e.g. ip route add default via GATEWAY'],
      };
    }
    const evidence = routes.map((r) => ({ source: 'read /proc/net/route', observed: `default via ${r.gateway} dev ${r.dev}` }));
    const answered = routes.filter((r) => r.gateway === '0.0.0.0' || arp.has(r.gateway));
    for (const r of routes) evidence.push({ source: 'read /proc/net/arp', observed: arp.has(r.gateway) ? `${r.gateway} is at ${arp.get(r.gateway)}` : `no complete entry for ${r.gateway}` });
    if (answered.length) return { status: 'pass', summary: `default route via ${answered[0]!.gateway} (${answered[0]!.dev}), which answered ARP`, evidence };
    return {
      status: 'warn',
      summary: `the default gateway ${routes[0]!.gateway} has not answered ARP (no complete entry in the ARP cache)`,
      evidence,
      details: [`Try: ping -c1 ${routes[0]!.gateway}; if it stays incomplete, the gateway is down, on another subnet, or the host side drops the frames (bridge-state, br-netfilter, forward-policy on the host). A guest given the host's own IP (seed 003) shows the same symptom.`],
    };
  },
};

export default check;
