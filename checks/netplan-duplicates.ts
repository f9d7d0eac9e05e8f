// netplan-duplicates: no interface is defined in more than one netplan file.
// NetworkManager writes 90-NM-<uuid>.yaml files of its own, and failed nmcli
// runs pile them up (seed 004); netplan merges them in name order, so the last
// file silently wins.
import type { CheckCase, HostSpec } from '../src/check-cases.js';
import { configNames } from '../src/facts/ifnames.js';
import type { Check } from '../src/types.js';

const NETPLAN = /^\/(etc|run|lib)\/netplan\//;

const check: Check = {
  id: 'netplan-duplicates',
  area: 'manager',
  order: 20,
  title: () => 'each interface is defined in one netplan file',
  async run(ctx) {
    const names = await configNames(ctx);
    const refs = names.refs.filter((r) => NETPLAN.test(r.file) && (r.role === 'physical' || r.role === 'defined' || r.role === 'rename') && !r.glob && !r.text.includes('.interfaces:') && !r.text.includes('.link:'));
    const files = names.files.filter((f) => NETPLAN.test(f));
    if (!files.length) return { status: 'skip', summary: 'no netplan configuration' };
    const byName = new Map<string, string[]>();
    for (const r of refs) byName.set(r.name, [...new Set([...(byName.get(r.name) ?? []), `${r.file}:${r.line}`])]);
    const evidence = files.map((f) => ({ source: `read ${f}`, observed: refs.filter((r) => r.file === f).map((r) => r.name).join(', ') || 'no interfaces' }));
    const dups = [...byName.entries()].filter(([, where]) => new Set(where.map((w) => w.split(':')[0])).size > 1);
    if (!dups.length) return { status: 'pass', summary: `${files.length} netplan file(s), no interface defined twice`, evidence };
    const [name, where] = dups[0]!;
    const nm = where.some((w) => /90-NM-/.test(w));
    return {
      status: 'fail',
      summary: `${name} is defined in ${where.length} netplan files (${where.join(', ')}); netplan merges them and the last file wins`,
      evidence,
      details: [
        ...dups.slice(1).map(([n, w]) => `also ${n}: ${w.join(', ')}`),
        nm
          ? 'Files named 90-NM-*.yaml are NetworkManager\'s: delete the stale profile with nmcli connection delete UUID rather than editing them.'
          : 'Keep one definition per interface, then run netplan try (it rolls back unless you confirm).',
      ],
    };
  },
};

export default check;

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const plan = (files: Record<string, string>): HostSpec => ({
    dirs: { '/etc/netplan': Object.keys(files) },
    files: Object.fromEntries(Object.entries(files).map(([n, b]) => [`/etc/netplan/${n}`, b])),
    links: [{ name: 'lo' }, { name: 'enp3s0' }],
  });
  const eth = 'network:\n  version: 2\n  ethernets:\n    enp3s0:\n      dhcp4: true\n';
  return [
    // seed 004
    { name: 'two files define one interface (NetworkManager leftovers)', host: plan({ '01-netcfg.yaml': eth, '90-NM-3f2a.yaml': eth.replace('dhcp4: true', 'dhcp4: false') }), status: 'fail', summary: /enp3s0 is defined in 2 netplan files/, details: "NetworkManager's" },
    { name: 'one definition', host: plan({ '01-netcfg.yaml': eth }), status: 'pass', summary: '1 netplan file(s), no interface defined twice' },
    { name: 'no netplan', host: {}, status: 'skip', summary: 'no netplan configuration' },
  ];
}
