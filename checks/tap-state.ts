// tap-state: taps the user will run QEMU on are owned by (or usable by) that
// user, up and on a bridge when meant to be, not stale, not busy in another VM.
import { configNames } from '../src/facts/ifnames.js';
import { requireLinks, tapOwnedBy, vms } from '../src/model/network.js';
import type { Check, Evidence, FixPlan } from '../src/types.js';
import { showArgv } from '../src/fixes/preview.js';
import { linkGone } from '../src/fixes/plans.js';

const check: Check = {
  id: 'tap-state',
  area: 'tap',
  title: () => 'taps are usable',
  async run(ctx) {
    const ls = await requireLinks(ctx);
    const taps = ls.taps();
    if (!taps.length) return { status: 'skip', summary: 'no tap on this host' };
    const [user, running, names] = await Promise.all([ctx.user, vms(ctx), configNames(ctx)]);
    const fails: string[] = [];
    const warns: string[] = [];
    const fixes: FixPlan[] = [];
    const evidence: Evidence[] = [];
    // With many taps, evidence lists the first few and those with a problem; the summary counts the rest.
    const MAX_EVIDENCE = 20;
    const subjects = new Set<string>();
    for (const t of taps) {
      const before = fails.length + warns.length;
      const mark = () => {
        if (fails.length + warns.length > before) subjects.add(t.name);
      };
      const held = running.filter((h) => h.taps.includes(t.name));
      const owner = t.tun?.ownerName ?? (t.tun?.owner !== undefined ? `uid ${t.tun.owner}` : 'no owner');
      const note = () => evidence.push({
        source: `${ls.source} (${t.name})`,
        observed: `${t.tun?.persist ? 'persistent' : 'transient'}, owner ${owner}, ${t.up ? 'UP' : 'DOWN'}, ${t.master ? `port of ${t.master}` : 'on no bridge'}${held.length ? `, held by pid ${held.map((h) => h.pid).join(', ')}` : ''}`,
      });
      if (evidence.length < MAX_EVIDENCE) note();
      // A network config that makes this tap a bridge port (bridge_ports, netplan, NetworkManager).
      const meant = names.refs.find((r) => r.name === t.name && r.master && !r.glob);
      if (meant && t.master !== meant.master) {
        fails.push(`${t.name} is ${t.master ? `a port of ${t.master}` : 'on no bridge'}, but ${meant.file}:${meant.line} makes it a port of ${meant.master}: its guest is cut off from ${meant.master}'s network`);
        if (ls.link(meant.master!)?.kind === 'bridge') {
          fixes.push({
            id: `tap-state/attach-${t.name}`,
            title: `attach ${t.name} to ${meant.master}, as ${meant.file} says`,
            risk: 'low',
            root: true,
            actions: [{ kind: 'run', argv: ['ip', 'link', 'set', 'dev', t.name, 'master', meant.master!], inverse: t.master ? ['ip', 'link', 'set', 'dev', t.name, 'master', t.master] : ['ip', 'link', 'set', 'dev', t.name, 'nomaster'], inverseUnless: linkGone(t.name) }],
          });
        }
      }
      if (held.length) {
        const h = held[0]!;
        warns.push(`${t.name} is in use by pid ${h.pid} (${h.argv.slice(0, 3).join(' ')}…): a second VM cannot attach to it ("Device or resource busy")`);
        if (!t.up) warns.push(`${t.name} is held by pid ${h.pid} but DOWN: its guest has no link (script=no leaves bringing it up to you)`);
        mark();
        continue;
      }
      if (user.uid !== 0 && t.tun?.persist) {
        const hasOwner = t.tun.owner !== undefined || t.tun.ownerName !== undefined;
        if (hasOwner && !tapOwnedBy(t, user)) {
          fails.push(`${t.name} belongs to ${owner}: ${user.name}'s QEMU cannot attach to it (could not configure /dev/net/tun (${t.name}): Operation not permitted); recreate it with: ${showArgv(['ip', 'tuntap', 'add', 'dev', t.name, 'mode', 'tap', 'user', user.name])}`);
        } else if (!hasOwner && t.tun.group === undefined && t.tun.groupName === undefined) {
          warns.push(`${t.name} has no owner: only a process with CAP_NET_ADMIN can attach to it (${showArgv(['ip', 'tuntap', 'add', 'dev', t.name, 'mode', 'tap', 'user', user.name])})`);
        }
      }
      if (t.tun?.persist && !t.master && !t.addrs.length && !meant) {
        warns.push(`${t.name} is persistent, used by no process, on no bridge and without an address: stale, or its bridge setup never ran (${showArgv(['ip', 'link', 'set', t.name, 'master'])} BRIDGE)`);
      }
      mark();
    }
    if (taps.length > evidence.length) evidence.push({ source: ls.source, observed: `${taps.length - evidence.length} more tap(s) not listed` });
    if (fails.length) return { status: 'fail', summary: fails[0]!, evidence, details: [...fails.slice(1), ...warns], fixes, subjects: [...subjects] };
    if (warns.length) return { status: 'warn', summary: warns[0]!, evidence, details: warns.slice(1), subjects: [...subjects] };
    return { status: 'pass', summary: `${taps.map((t) => t.name).join(', ')}: usable by ${user.name}`, evidence };
  },
};

export default check;
