// guest-dhcp: inside a VM, no interface is stuck on a 169.254 link-local
// address, the fallback when DHCP got no answer (seed 003).
import type { CheckCase, HostSpec } from '../src/check-cases.js';
import { guestMode } from '../src/facts/guest.js';
import { requireLinks } from '../src/model/network.js';
import type { Check } from '../src/types.js';

const check: Check = {
  id: 'guest-dhcp',
  area: 'guest',
  order: 20,
  title: () => 'the guest got its address from DHCP',
  async run(ctx) {
    if (!(await guestMode(ctx))) return { status: 'skip', summary: 'not a guest (no hypervisor detected; --guest forces the guest checks)' };
    const ls = await requireLinks(ctx);
    const stuck = ls.links.filter((l) => {
      const v4 = l.addrs.filter((a) => a.family === 'inet');
      return v4.length > 0 && v4.every((a) => a.local.startsWith('169.254.'));
    });
    const evidence = ls.links
      .filter((l) => l.name !== 'lo')
      .map((l) => ({ source: `${ls.source} (${l.name})`, observed: l.addrs.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`).join(', ') || 'no IPv4 address' }));
    if (!stuck.length) return { status: 'pass', summary: 'no interface is stuck on a 169.254 link-local address', evidence };
    return {
      status: 'fail',
      summary: `${stuck.map((l) => l.name).join(', ')} fell back to a 169.254 link-local address: its DHCP request got no answer`,
      evidence,
      subjects: stuck.map((l) => l.name),
      details: [
        'Likely causes on the host side:',
        '- user networking (-netdev user) answers DHCP itself: if you use it, the guest NIC is not attached to that netdev (check -device ...,netdev=ID)',
        '- a tap with nothing behind it: the tap is on no bridge, or the bridge has no DHCP server (qnet doctor on the host: tap-state, bridge-state)',
        '- br_netfilter handing bridged DHCP to a FORWARD DROP policy (br-netfilter on the host)',
        '- a routed/NAT tap needs a DHCP server on the host (dnsmasq) or a static address in the guest',
        '- STP forward delay on the host bridge outlasting the DHCP client (bridge-state)',
      ],
    };
  },
};

export default check;

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const VM = { '/sys/class/dmi/id/sys_vendor': 'QEMU\n' };
  const guest = (addrs: string[], files: HostSpec['files'] = VM): HostSpec => ({ files, links: [{ name: 'lo', addrs: ['127.0.0.1/8'] }, { name: 'enp0s3', addrs }] });
  return [
    // seed 003
    { name: 'a 169.254 fallback (DHCP timed out)', host: guest(['169.254.13.7/16']), status: 'fail', summary: /enp0s3 fell back to a 169\.254 link-local address/ },
    { name: 'a leased address (user networking gives 10.0.2.15)', host: guest(['10.0.2.15/24']), status: 'pass', summary: 'no interface is stuck on a 169.254 link-local address' },
    { name: 'a host that is not a guest', host: guest(['169.254.13.7/16'], {}), status: 'skip', summary: 'not a guest' },
    {
      name: 'a host not detected as a guest, with --guest forcing the guest checks',
      host: guest(['169.254.13.7/16'], { '/sys/class/dmi/id/sys_vendor': 'Dell Inc.\n', '/proc/cpuinfo': 'flags\t: fpu\n' }),
      guest: true,
      snapshot: true,
      status: 'fail',
      summary: 'enp0s3 fell back to a 169.254 link-local address',
    },
  ];
}
