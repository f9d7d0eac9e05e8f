// guest-route: inside a VM, there is a default route and its gateway answers
// ARP (read from the ARP cache; the doctor sends nothing: a gateway the kernel
// asked for without an answer fails, one it never asked for is only a warning).
import type { CheckCase } from '../src/check-cases.js';
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

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const VM = { '/sys/class/dmi/id/sys_vendor': 'QEMU\n' };
  const ROUTE = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n';
  const routeVia = (dev: string, gwHex: string) => `${ROUTE}${dev}\t00000000\t${gwHex}\t0003\t0\t0\t0\t00000000\n`;
  const ARP = 'IP address       HW type     Flags       HW address            Mask     Device\n';
  return [
    { name: 'the gateway is in the ARP cache', host: { files: { ...VM, '/proc/net/route': routeVia('enp0s3', '0202000A'), '/proc/net/arp': `${ARP}10.0.2.2         0x1         0x2         52:55:0a:00:02:02     *        enp0s3\n` } }, status: 'pass', summary: '10.0.2.2' },
    { name: 'no default route', host: { files: { ...VM, '/proc/net/route': ROUTE, '/proc/net/arp': ARP } }, status: 'fail', summary: 'no default route' },
    // seed 003
    { name: 'the kernel asked for the gateway and got no answer (incomplete entry)', host: { files: { ...VM, '/proc/net/route': routeVia('eth0', '2121A8C0'), '/proc/net/arp': `${ARP}192.168.33.33    0x1         0x0         00:00:00:00:00:00     *        eth0\n` } }, status: 'fail', summary: /192\.168\.33\.33 does not answer ARP/ },
    { name: 'the gateway was never asked for (no entry at all): only a warning', host: { files: { ...VM, '/proc/net/route': routeVia('eth0', '2121A8C0'), '/proc/net/arp': `${ARP}192.168.33.1     0x1         0x2         52:54:00:aa:bb:cc     *        eth0\n` } }, status: 'warn', summary: /192\.168\.33\.33 has not been asked for yet/ },
  ];
}
