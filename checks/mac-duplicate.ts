// mac-duplicate: no two running VMs share a MAC address. Two QEMUs started
// without mac= both get 52:54:00:12:34:56 (seed 002): on one bridge, their
// frames go to whichever the switch learned last.
import type { CheckCase, HostSpec } from '../src/check-cases.js';
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

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const vm = (...nic: string[]) => ['qemu-system-x86_64', '-M', 'pc', ...nic.flatMap((n) => ['-device', n])];
  /** Running processes, by pid. */
  const procs = (cmds: Record<number, string[]>, readlinks?: Record<string, string>): HostSpec => ({
    dirs: { '/proc': Object.keys(cmds) },
    files: Object.fromEntries(Object.entries(cmds).map(([pid, argv]) => [`/proc/${pid}/cmdline`, argv.join('\0') + '\0'])),
    readlinks,
  });
  const twoDefault = { 100: vm('virtio-net-pci,netdev=n0'), 200: vm('e1000,netdev=n0') };
  return [
    // seed 002
    { name: 'two VMs that both took the default MAC', host: procs({ ...twoDefault, 1: ['/sbin/init'] }), status: 'fail', summary: /VMs 100 and 200 share MAC 52:54:00:12:34:56 \(QEMU's default/ },
    { name: 'an explicit MAC given twice', host: procs({ 100: vm('virtio-net-pci,netdev=n0,mac=52:54:00:AA:00:01'), 200: ['qemu-kvm', '-net', 'nic,macaddr=52:54:00:aa:00:01'] }), status: 'fail', summary: '52:54:00:aa:00:01' },
    { name: 'distinct MACs', host: procs({ 100: vm('virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01'), 200: vm('virtio-net-pci,netdev=n0') }), status: 'pass', summary: '2 running VM(s), no MAC shared' },
    {
      name: "the default MAC twice, one VM in another network namespace (a container's, not our network)",
      host: procs(twoDefault, { '/proc/self/ns/net': 'net:[4026531840]', '/proc/100/ns/net': 'net:[4026531840]', '/proc/200/ns/net': 'net:[4026532999]' }),
      status: 'pass',
      summary: '1 running VM(s), no MAC shared',
    },
    {
      name: 'the default MAC twice, both VMs in our network namespace',
      host: procs(twoDefault, { '/proc/self/ns/net': 'net:[4026531840]', '/proc/100/ns/net': 'net:[4026531840]', '/proc/200/ns/net': 'net:[4026531840]' }),
      status: 'fail',
      summary: 'VMs 100 and 200 share MAC 52:54:00:12:34:56',
    },
    { name: 'no VM running', host: procs({ 1: ['/sbin/init'] }), status: 'skip', summary: 'no QEMU process is running' },
  ];
}
