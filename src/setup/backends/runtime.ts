// The runtime backend: iproute2, iptables and dnsmasq only. Nothing is written
// to the host's network configuration, so everything it builds is gone at the
// next reboot (and the plan says so).
import { linkGone } from '../../fixes/plans.js';
import type { Action } from '../../types.js';
import type { Observation } from '../observe.js';
import { addrArgs, routeSpec, withAction, type Design } from '../plan.js';
import type { Answers, Step } from '../types.js';
import { dhcpStep, firewallSteps, tapSteps } from './common.js';

/** Create the bridge (with its intent as alias), up. */
export function bridgeCreateActions(d: Design): Action[] {
  return [
    {
      kind: 'run',
      argv: ['ip', 'link', 'add', 'name', d.bridge, ...(d.bridgeMac ? ['address', d.bridgeMac] : []), 'type', 'bridge', 'stp_state', '0'],
      inverse: ['ip', 'link', 'del', 'dev', d.bridge],
      inverseUnless: linkGone(d.bridge),
      why: d.mode === 'bridge' ? `the uplink's MAC, so the LAN (and its DHCP server) sees the same host` : 'a fixed MAC: it does not follow the ports that come and go',
    },
    { kind: 'run', argv: ['ip', 'link', 'set', 'dev', d.bridge, 'alias', d.alias], inverse: ['ip', 'link', 'set', 'dev', d.bridge, 'alias', ''], inverseUnless: linkGone(d.bridge), why: 'records what the network is for, where qnet doctor reads it' },
    { kind: 'run', argv: ['ip', 'link', 'set', 'dev', d.bridge, 'up'], inverse: ['ip', 'link', 'set', 'dev', d.bridge, 'down'], inverseUnless: linkGone(d.bridge) },
  ];
}

/** Bridge mode: the uplink becomes a port, its routes and addresses move to the bridge. */
export function moveSteps(d: Design): Step[] {
  if (!d.move || !d.uplink) return [];
  const up = d.uplink.name;
  const steps: Step[] = [
    {
      id: 'setup/enslave',
      title: `make ${up} a port of ${d.bridge}`,
      actions: [{ kind: 'run', argv: ['ip', 'link', 'set', 'dev', up, 'master', d.bridge], inverse: ['ip', 'link', 'set', 'dev', up, 'nomaster'], inverseUnless: linkGone(d.bridge) }],
    },
  ];
  const { addrs, routes } = d.move;
  if (addrs.length || routes.length) {
    const actions: Action[] = [];
    // Put back with `replace`: after a reboot the uplink has them again, and undo must not fail on that.
    for (const r of routes) actions.push({ kind: 'run', argv: withAction(routeSpec(r, up), 'del'), inverse: withAction(routeSpec(r, up), 'replace') });
    for (const a of addrs) actions.push({ kind: 'run', argv: addrArgs(a, up, 'del'), inverse: addrArgs(a, up, 'replace') });
    // What is on the bridge goes with it: nothing to take off a bridge that is gone (a reboot).
    for (const a of addrs) actions.push({ kind: 'run', argv: addrArgs(a, d.bridge, 'add'), inverse: addrArgs(a, d.bridge, 'del'), inverseUnless: linkGone(d.bridge) });
    for (const r of routes) actions.push({ kind: 'run', argv: withAction(routeSpec(r, d.bridge), 'add'), inverse: withAction(routeSpec(r, d.bridge), 'del'), inverseUnless: linkGone(d.bridge) });
    const what = [...addrs.map((a) => `${a.local}/${a.prefixlen}`), ...routes.map((r) => (r.dst === 'default' ? `the default route${r.gateway ? ` via ${r.gateway}` : ''}` : `the route to ${r.dst}`))];
    steps.push({ id: 'setup/move', title: `move ${what.join(', ')} from ${up} to ${d.bridge}`, actions });
  }
  return steps;
}

export function renderRuntime(d: Design, obs: Observation, _a: Answers): { steps: Step[]; notes: string[]; dhcp: string | null } {
  const steps: Step[] = [];
  const notes: string[] = ['Built with iproute2 only (--backend runtime): it is gone at the next reboot. Run qnet setup again after a reboot, or choose a backend that persists it.'];
  if (!d.existing && !d.foreign) {
    steps.push({ id: 'setup/bridge', title: `create the bridge ${d.bridge} (${d.alias})`, actions: bridgeCreateActions(d) });
  } else if (d.existing && !obs.links.find((l) => l.name === d.bridge)?.up) {
    steps.push({ id: 'setup/bridge-up', title: `bring ${d.bridge} up`, actions: [{ kind: 'run', argv: ['ip', 'link', 'set', 'dev', d.bridge, 'up'], inverse: ['ip', 'link', 'set', 'dev', d.bridge, 'down'], inverseUnless: linkGone(d.bridge) }] });
  }
  if (d.addr && !d.addrPresent && !d.foreign) {
    const cidr = `${d.addr.addr}/${d.addr.len}`;
    steps.push({
      id: 'setup/address',
      title: `give ${d.bridge} the address ${cidr} (the guests' ${d.mode === 'nat' ? 'gateway' : 'way to the host'})`,
      actions: [{ kind: 'run', argv: ['ip', 'addr', 'add', cidr, 'dev', d.bridge], inverse: ['ip', 'addr', 'del', cidr, 'dev', d.bridge], inverseUnless: linkGone(d.bridge) }],
    });
  }
  steps.push(...moveSteps(d));
  steps.push(...tapSteps(d));
  steps.push(...firewallSteps(d));
  let dhcp: string | null = null;
  if (d.mode === 'bridge') dhcp = `the LAN's DHCP server (through ${d.uplink?.name ?? 'the uplink'})`;
  else if (d.foreign) dhcp = `libvirt's dnsmasq on ${d.bridge}`;
  else if (obs.tools.dnsmasq) {
    steps.push(dhcpStep(d, obs));
    dhcp = `dnsmasq on ${d.bridge}`;
  } else {
    notes.push('dnsmasq is not installed (Debian: dnsmasq-base), so guests get no DHCP: give each VM the static address printed below.');
  }
  if (d.move?.addrs.some((a) => a.dynamic)) {
    notes.push(`${d.uplink!.name}'s address came from DHCP: on ${d.bridge} it stays as it is now, and no DHCP client renews it there. A backend that persists the bridge runs DHCP on it instead.`);
  }
  return { steps, notes, dhcp };
}
