// mac-duplicate: no two running VMs share a MAC address. Two QEMUs started
// without mac= both get 52:54:00:12:34:56 (seed 002): on one bridge, their
// frames go to whichever the switch learned last.
import { inOurNetns, processes } from '../src/facts/procs.js';
import { isQemuBinary, nicMacs, parseQemuCmdline } from '../src/parse/qemu-cmdline.js';
import type { Check, Evidence } from '../src/types.js';

const check: Check = {
  id: 'mac-duplicate',
  area: 'qemu',
  title: () => 'running VMs have distinct MAC addresses',
  async run(ctx) {
    // VMs in other network namespaces (containers) are on other networks: their MACs do not meet ours.
    const qemus = (await processes(ctx)).filter((p) => isQemuBinary(p.argv[0] ?? ''));
    const ours = await Promise.all(qemus.map((p) => inOurNetns(ctx, p.pid)));
    const vms = qemus.filter((_, i) => ours[i]);
    if (!vms.length) return { status: 'skip', summary: 'no QEMU process is running' };
    const seen = new Map<string, { pid: number; defaulted: boolean }[]>();
    const evidence: Evidence[] = [];
    for (const p of vms) {
      const macs = nicMacs(parseQemuCmdline(p.argv));
      evidence.push({ source: `read /proc/${p.pid}/cmdline`, observed: macs.length ? macs.map((m) => `${m.mac}${m.defaulted ? ' (default)' : ''}`).join(', ') : 'no NIC' });
      for (const m of macs) seen.set(m.mac, [...(seen.get(m.mac) ?? []), { pid: p.pid, defaulted: m.defaulted }]);
    }
    const dups = [...seen.entries()].filter(([, users]) => new Set(users.map((u) => u.pid)).size > 1);
    if (!dups.length) return { status: 'pass', summary: `${vms.length} running VM(s), no MAC shared`, evidence };
    const [mac, users] = dups[0]!;
    const defaulted = users.some((u) => u.defaulted);
    return {
      status: 'fail',
      summary: `VMs ${[...new Set(users.map((u) => u.pid))].join(' and ')} share MAC ${mac}${defaulted ? " (QEMU's default, given to every NIC without mac=)" : ''}`,
      evidence,
      details: [
        ...dups.slice(1).map(([m, u]) => `also ${m}: pids ${[...new Set(u.map((x) => x.pid))].join(', ')}`),
        'Give each NIC its own address, e.g. -device virtio-net-pci,netdev=n0,mac=52:54:00:xx:xx:xx (keep the 52:54:00 prefix, vary the rest).',
      ],
    };
  },
};

export default check;
