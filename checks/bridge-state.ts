// bridge-state: each bridge is up; a LAN bridge (one with a physical port)
// has carrier on that uplink; the host's address sits on the bridge, not on
// the enslaved port; no wireless port; STP delays that outlast guests' DHCP.
import type { CheckCase, HostSpec, LinkSpec } from '../src/check-cases.js';
import { requireLinks } from '../src/model/network.js';
import type { Check, Evidence, FixPlan } from '../src/types.js';
import { linkGone } from '../src/fixes/plans.js';

const check: Check = {
  id: 'bridge-state',
  area: 'bridge',
  title: () => 'bridges are up and wired as meant',
  async run(ctx) {
    const ls = await requireLinks(ctx);
    const brs = ls.bridges();
    if (!brs.length) return { status: 'skip', summary: 'no bridge on this host' };
    const fails: string[] = [];
    const warns: string[] = [];
    const evidence: Evidence[] = [];
    const fixes: FixPlan[] = [];
    const subjects = new Set<string>();
    for (const br of brs) {
      const before = fails.length + warns.length;
      const ports = ls.portsOf(br.name);
      const uplinks = ports.filter((p) => p.physical).map((p) => ({ p }));
      const stp = br.bridge?.stp_state;
      const delay = typeof br.bridge?.forward_delay === 'number' ? br.bridge.forward_delay / 100 : undefined;
      evidence.push({
        source: `${ls.source} (${br.name})`,
        observed: `${br.up ? 'UP' : 'DOWN'}; ports: ${ports.map((p) => `${p.name}${uplinks.some((u) => u.p === p) ? ' (NIC)' : ''}`).join(', ') || 'none'}; addresses: ${br.addrs.map((a) => `${a.local}/${a.prefixlen}`).join(', ') || 'none'}; stp ${stp ?? '?'}, forward_delay ${delay ?? '?'}s`,
      });
      if (!br.up) {
        fails.push(`${br.name} is down`);
        fixes.push({ id: `bridge-state/up-${br.name}`, title: `bring ${br.name} up`, risk: 'low', root: true, actions: [{ kind: 'run', argv: ['ip', 'link', 'set', 'dev', br.name, 'up'], inverse: ['ip', 'link', 'set', 'dev', br.name, 'down'], inverseUnless: linkGone(br.name) }] });
      }
      for (const w of ports.filter((p) => p.wireless).map((p) => ({ p }))) {
        fails.push(`${w.p.name} is a wireless port of ${br.name}: 802.11 cannot bridge frames of other MACs (without 4-address mode); use NAT or routing for guests`);
      }
      for (const u of uplinks) {
        const v4 = u.p.addrs.filter((a) => a.family === 'inet');
        if (v4.length) {
          fails.push(`${u.p.name} is a port of ${br.name} but still holds ${v4.map((a) => `${a.local}/${a.prefixlen}`).join(', ')}: the address belongs on ${br.name} (a port's address stops answering once it joins)`);
        }
      }
      if (uplinks.length && !uplinks.some((u) => u.p.lowerUp)) {
        fails.push(`${br.name}'s uplink ${uplinks.map((u) => u.p.name).join(', ')} has no carrier (cable, switch port, or the link is down)`);
      }
      if (!ports.length && !br.addrs.some((a) => a.family === 'inet')) {
        warns.push(`${br.name} has no ports and no address: guests on it reach nothing but each other`);
      }
      if (stp === 1 && delay !== undefined && delay >= 2) {
        warns.push(`${br.name} runs STP with a ${delay}s forward delay: a new tap forwards nothing for ${delay * 2}s, long enough for a guest's DHCP to give up`);
        fixes.push({
          id: `bridge-state/stp-${br.name}`,
          title: `turn STP off on ${br.name} (or shorten its forward delay)`,
          risk: 'medium',
          root: true,
          explain: 'safe when the bridge has a single uplink; keep STP where redundant links could loop',
          actions: [{ kind: 'run', argv: ['ip', 'link', 'set', 'dev', br.name, 'type', 'bridge', 'stp_state', '0'], inverse: ['ip', 'link', 'set', 'dev', br.name, 'type', 'bridge', 'stp_state', '1'], inverseUnless: linkGone(br.name) }],
        });
      }
      if (fails.length + warns.length > before) subjects.add(br.name);
    }
    for (const p of brs.flatMap((b) => ls.portsOf(b.name))) {
      if (p.wireless || (p.physical && p.addrs.some((a) => a.family === 'inet'))) subjects.add(p.name);
    }
    if (fails.length) return { status: 'fail', summary: fails[0]!, evidence, fixes, details: [...fails.slice(1), ...warns], subjects: [...subjects] };
    if (warns.length) return { status: 'warn', summary: warns[0]!, evidence, fixes, details: warns.slice(1), subjects: [...subjects] };
    return { status: 'pass', summary: `${brs.map((b) => b.name).join(', ')}: up, wired as expected`, evidence };
  },
};

export default check;

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const host = (links: LinkSpec[], extra: HostSpec = {}): HostSpec => ({ ...extra, links: [{ name: 'lo' }, ...links] });
  return [
    // seed 004
    { name: 'a LAN bridge done right', host: host([{ name: 'br0', kind: 'bridge', addrs: ['192.168.1.5/24'], info: { stp_state: 0, forward_delay: 1500 } }, { name: 'enp3s0', master: 'br0' }]), status: 'pass', summary: /up, wired as expected/ },
    { name: 'bridge down', host: host([{ name: 'br0', kind: 'bridge', up: false }, { name: 'tap0', master: 'br0' }]), status: 'fail', summary: /br0 is down/ },
    { name: 'the address still on the enslaved NIC', host: host([{ name: 'br0', kind: 'bridge' }, { name: 'eth0', master: 'br0', addrs: ['192.168.1.5/24'] }]), status: 'fail', summary: /eth0 is a port of br0 but still holds 192\.168\.1\.5\/24/ },
    { name: 'uplink without carrier', host: host([{ name: 'br0', kind: 'bridge' }, { name: 'enp3s0', master: 'br0', up: false }]), status: 'fail', summary: /uplink enp3s0 has no carrier/ },
    { name: 'a wireless port', host: host([{ name: 'br0', kind: 'bridge' }, { name: 'wlp2s0', master: 'br0' }], { stats: { '/sys/class/net/wlp2s0/wireless': { type: 'dir', mode: 0o755 } } }), status: 'fail', summary: /wireless port of br0: 802\.11 cannot bridge/ },
    { name: 'STP with the default 15 s delay', host: host([{ name: 'br0', kind: 'bridge', addrs: ['10.0.2.1/24'], info: { stp_state: 1, forward_delay: 1500 } }, { name: 'tap0', master: 'br0' }]), status: 'warn', summary: /forwards nothing for 30s/ },
    { name: 'no bridge', host: host([{ name: 'eth0' }]), status: 'skip', summary: /no bridge/ },
  ];
}
