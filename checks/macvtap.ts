// macvtap: each macvtap device's character node /dev/tapN (N = its ifindex)
// exists and the target user can open it read-write, and its lower device is up
// with carrier. QEMU takes a macvtap as an open file descriptor
// (`-netdev tap,fd=3 3<>/dev/tapN`, as libvirt's "direct" interfaces do): a node
// left root-only makes the shell's redirection fail with "Permission denied", and
// a lower device without carrier leaves the guest on a dead wire.
import type { CheckCase } from '../src/check-cases.js';
import { nodeAccess } from '../src/facts/devnode.js';
import { isChar, text } from '../src/host/host.js';
import { requireLinks } from '../src/model/network.js';
import type { Check, Evidence, FixPlan } from '../src/types.js';

const check: Check = {
  id: 'macvtap',
  area: 'tap',
  order: 20,
  title: () => 'macvtap devices are usable',
  async run(ctx) {
    const net = await requireLinks(ctx);
    const taps = net.links.filter((l) => l.kind === 'macvtap');
    if (!taps.length) return { status: 'skip', summary: 'no macvtap device on this host' };
    const user = ctx.user;
    const fails: string[] = [];
    const evidence: Evidence[] = [];
    const fixes: FixPlan[] = [];
    const subjects = new Set<string>();
    for (const t of taps) {
      const before = fails.length;
      const node = `/dev/tap${t.index}`;
      const lower = t.lower ? net.link(t.lower) : undefined;
      evidence.push({ source: `${net.source} (${t.name})`, observed: `ifindex ${t.index}, ${t.up ? 'UP' : 'DOWN'}, lower device ${t.lower ?? 'unknown'}${lower ? ` (${lower.up ? 'UP' : 'DOWN'}${lower.lowerUp ? ', carrier' : ', no carrier'})` : ''}` });
      const acc = await nodeAccess(ctx, node);
      evidence.push(...acc.evidence.filter((e) => e.source !== 'user'));
      if (!acc.node.ok) {
        // The kernel publishes the node's numbers in sysfs; devtmpfs (or udev) creates the node.
        const dev = text(await ctx.host.readFile(`/sys/class/net/${t.name}/macvtap/tap${t.index}/dev`))?.trim();
        const [major, minor] = (dev ?? '').split(':').map(Number);
        fails.push(`${t.name} has no ${node} (${acc.shown}): QEMU cannot be handed the device (the shell's 3<>${node} fails)`);
        if (Number.isInteger(major) && Number.isInteger(minor)) {
          fixes.push({
            id: `macvtap/node-${t.name}`,
            title: `create ${node} (char ${major}:${minor}) for ${user.name}`,
            risk: 'low',
            root: true,
            explain: 'devtmpfs or udev normally creates it; this lasts until the macvtap device is deleted',
            actions: [
              { kind: 'mknod-char', path: node, major: major!, minor: minor!, mode: 0o600 },
              { kind: 'chown', path: node, uid: user.uid, gid: user.gid },
            ],
          });
        }
      } else if (!isChar(acc.node.value)) {
        fails.push(`${node} is not a character device`);
      } else if (!acc.how) {
        fails.push(`${node} is ${acc.shown}; ${user.name} cannot open it read-write, so QEMU run by ${user.name} cannot use ${t.name} (3<>${node}: Permission denied)`);
        fixes.push({
          id: `macvtap/owner-${t.name}`,
          title: `give ${node} to ${user.name}`,
          risk: 'low',
          root: true,
          explain: `the node is made anew whenever ${t.name} is re-created; libvirt instead opens it as root and passes the descriptor`,
          actions: [{ kind: 'chown', path: node, uid: user.uid, gid: user.gid }],
        });
      }
      if (lower && (!lower.up || !lower.lowerUp)) {
        fails.push(`${t.name}'s lower device ${lower.name} is ${lower.up ? 'up without carrier' : 'down'}: the guest's frames go nowhere`);
        if (!lower.up) {
          fixes.push({
            id: `macvtap/lower-up-${t.name}`,
            title: `bring ${lower.name} up`,
            risk: 'medium',
            root: true,
            disruptive: true,
            actions: [{ kind: 'run', argv: ['ip', 'link', 'set', 'dev', lower.name, 'up'], inverse: ['ip', 'link', 'set', 'dev', lower.name, 'down'] }],
          });
        }
      } else if (!t.up) {
        fails.push(`${t.name} is down: the guest has no link until it is up`);
      }
      if (fails.length > before) subjects.add(t.name);
      if (lower && (!lower.up || !lower.lowerUp)) subjects.add(lower.name);
    }
    const details = ['The host itself cannot reach a guest through a macvtap on the same lower device (macvtap sends the host\'s frames past it); use a bridge when host and guest must talk.'];
    if (fails.length) return { status: 'fail', summary: fails[0]!, evidence, fixes, details: [...fails.slice(1), ...details], subjects: [...subjects] };
    return { status: 'pass', summary: `${taps.map((t) => t.name).join(', ')}: usable by ${user.name}`, evidence, details };
  },
};

export default check;

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const NIC = { name: 'eth0' };
  const MACVTAP = { name: 'macvtap0', kind: 'macvtap', link: 'eth0', info: { mode: 'bridge' } };
  const node = (mode: number, uid = 0) => ({ '/dev/tap3': { type: 'chr' as const, mode, uid, gid: 0, rdev: [246, 1] as [number, number] } });
  return [
    { name: 'no macvtap device', host: { links: [{ name: 'lo' }, NIC] }, status: 'skip', summary: 'no macvtap device' },
    { name: 'node owned by the user', host: { links: [{ name: 'lo' }, NIC, MACVTAP], stats: node(0o600, 1000) }, status: 'pass', summary: 'macvtap0: usable by alice' },
    { name: 'node root-only (as the kernel makes it)', host: { links: [{ name: 'lo' }, NIC, MACVTAP], stats: node(0o600) }, status: 'fail', summary: /\/dev\/tap3 is crw------- root:root; alice cannot open it read-write/ },
    { name: 'root judged for itself', host: { links: [{ name: 'lo' }, NIC, MACVTAP], stats: node(0o600), invoker: { uid: 0, euid: 0, user: 'root' } }, status: 'pass', summary: 'usable by root' },
    { name: 'node missing (no devtmpfs or udev)', host: { links: [{ name: 'lo' }, NIC, MACVTAP], stats: { '/dev/tap3': null }, files: { '/sys/class/net/macvtap0/macvtap/tap3/dev': '246:1\n' } }, status: 'fail', summary: 'macvtap0 has no /dev/tap3' },
    { name: 'lower device down', host: { links: [{ name: 'lo' }, { name: 'eth0', up: false }, MACVTAP], stats: node(0o600, 1000) }, status: 'fail', summary: "macvtap0's lower device eth0 is down" },
  ];
}
