// mac-duplicate: no two running VMs share a MAC address. Two QEMUs started
// without mac= both get 52:54:00:12:34:56 (seed 002): on one bridge, their
// frames go to whichever the switch learned last.
import { vms as runningVms } from '../src/model/network.js';
import type { Check, Evidence } from '../src/types.js';

const check: Check = {
  id: 'mac-duplicate',
  area: 'qemu',
  order: 50,
  title: () => 'running VMs have distinct MAC addresses',
  async run(ctx) {
    // VMs in other network namespaces (containers) are on other networks: their MACs do not meet ours.
    const vms = (await runningVms(ctx)).filter((v) => v.kind === 'qemu');
    if (!vms.length) return { status: 'skip', summary: 'no QEMU process is running' };
    const seen = new Map<string, { pid: number; defaulted: boolean }[]>();
    const evidence: Evidence[] = [];
    for (const p of vms) {
      evidence.push({ source: `read /proc/${p.pid}/cmdline`, observed: p.nics.length ? p.nics.map((m) => `${m.mac}${m.defaultedMac ? ' (default)' : ''}`).join(', ') : 'no NIC' });
      for (const m of p.nics) seen.set(m.mac!, [...(seen.get(m.mac!) ?? []), { pid: p.pid, defaulted: Boolean(m.defaultedMac) }]);
    }
    const dups = [...seen.entries()].filter(([, users]) => new Set(users.map((u) => u.pid)).size > 1);
    if (!dups.length) return { status: 'pass', summary: `${vms.length} running VM(s), no MAC shared`, evidence };
    const [mac, users] = dups[0]!;
    const defaulted = users.some((u) => u.defaulted);
    return {
      status: 'fail',
      summary: `VMs ${[...new Set(users.map((u) => u.pid))].join(' and ')} share MAC ${mac}${defaulted ? " (QEMU's default, given to every NIC without mac=)" : ''}`,
      evidence,
      subjects: [...new Set(dups.flatMap(([, u]) => u.map((x) => `pid:${x.pid}`)))],
      details: [
        ...dups.slice(1).map(([m, u]) => `also ${m}: pids ${[...new Set(u.map((x) => x.pid))].join(', ')}`),
        'Give each NIC its own address, e.g. -device virtio-net-pci,netdev=n0,mac=52:54:00:xx:xx:xx (keep the 52:54:00 prefix, vary the rest).',
      ],
    };
  },
};

export default check;
