// guest-route: inside a VM, there is a default route and its gateway answers
// ARP (read from the ARP cache; the doctor sends nothing: a gateway the kernel
// asked for without an answer fails, one it never asked for is only a warning).
import { guestMode, routesAndArp } from '../src/facts/guest.js';
import type { Check } from '../src/types.js';

const check: Check = {
  id: 'guest-route',
  area: 'guest',
  order: 30,
  title: () => 'the guest has a reachable default gateway',
  async run(ctx) {
    if (!(await guestMode(ctx))) return { status: 'skip', summary: 'not a guest (no hypervisor detected; --guest forces the guest checks)' };
    const { routes, arp } = await routesAndArp(ctx);
    if (!routes.length) {
      return {
        status: 'fail',
        summary: 'no default route: the guest reaches only its own subnet',
        evidence: [{ source: 'read /proc/net/route', observed: 'no 0.0.0.0/0 entry' }],
        details: ['With DHCP the server gives the route; with a static setup add one (on a routed tap, the host tap\'s address is the gateway), e.g. ip route add default via GATEWAY'],
      };
    }
    const evidence = routes.map((r) => ({ source: 'read /proc/net/route', observed: `default via ${r.gateway} dev ${r.dev}` }));
    const answered = routes.filter((r) => r.gateway === '0.0.0.0' || arp.complete.has(r.gateway));
    for (const r of routes) {
      const seen = arp.complete.get(r.gateway);
      evidence.push({ source: 'read /proc/net/arp', observed: seen ? `${r.gateway} is at ${seen}` : arp.unanswered.has(r.gateway) ? `${r.gateway}: incomplete (asked, no answer)` : `no entry for ${r.gateway}` });
    }
    if (answered.length) return { status: 'pass', summary: `default route via ${answered[0]!.gateway} (${answered[0]!.dev}), which answered ARP`, evidence };
    const gw = routes[0]!.gateway;
    const why = `if it stays incomplete, the gateway is down, on another subnet, or the host side drops the frames (bridge-state, br-netfilter, forward-policy on the host). A guest given the host tap's own IP shows the same symptom.`;
    if (routes.some((r) => arp.unanswered.has(r.gateway))) {
      return { status: 'fail', summary: `the default gateway ${gw} does not answer ARP (the kernel asked; the entry is incomplete)`, evidence, details: [`Check again with: ping -c1 ${gw}; ${why}`], subjects: routes.map((r) => r.dev) };
    }
    return {
      status: 'warn',
      summary: `the default gateway ${gw} has not been asked for yet (no ARP entry): nothing has been sent through it`,
      evidence,
      details: [`Try: ping -c1 ${gw}, then run qnet doctor again; ${why}`],
      subjects: routes.map((r) => r.dev),
    };
  },
};

export default check;
