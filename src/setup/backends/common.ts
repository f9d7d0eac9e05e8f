// Pieces every backend shares: the firewall rules of a NAT network, the
// bridged-frames accept, a dnsmasq bound to the bridge alone, and the taps.
import { iptablesRule as sharedRule, linkGone } from '../../fixes/plans.js';
import type { Action } from '../../types.js';
import type { Observation } from '../observe.js';
import type { Design } from '../plan.js';
import type { Step } from '../types.js';

/** An iptables rule as an action: added unless present (-C), deleted exactly by undo (unless gone already). */
export function iptablesRule(rule: string[], why?: string): Action {
  return { ...sharedRule(rule, { skipIfPresent: true }), ...(why ? { why } : {}) };
}

export function firewallSteps(d: Design): Step[] {
  const steps: Step[] = [];
  if (d.nat) {
    if (!d.nat.forwardOn) {
      steps.push({ id: 'setup/forwarding', title: 'turn IPv4 forwarding on (the host routes the guests\' traffic)', actions: [{ kind: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' }] });
    }
    steps.push({
      id: 'setup/masquerade',
      title: `masquerade ${d.nat.masquerade[d.nat.masquerade.indexOf('-s') + 1]} out of ${d.uplink!.name} (guests leave with the host's address)`,
      actions: [iptablesRule(d.nat.masquerade)],
    });
    steps.push({
      id: 'setup/forward-accept',
      title: `accept ${d.bridge} → ${d.uplink!.name} and its replies in ${d.nat.chain}${d.nat.chain === 'DOCKER-USER' ? ' (Docker leaves that chain to you; its FORWARD policy is DROP)' : ''}`,
      actions: d.nat.accepts.map((r) => iptablesRule(r)),
    });
    if (d.nat.firewalld) {
      steps.push({
        id: 'setup/firewalld',
        title: `put ${d.bridge} in firewalld's trusted zone (firewalld drops forwarded traffic otherwise)`,
        actions: [{ kind: 'run', argv: ['firewall-cmd', '--zone=trusted', `--add-interface=${d.bridge}`], inverse: ['firewall-cmd', '--zone=trusted', `--remove-interface=${d.bridge}`] }],
      });
    }
  }
  if (d.bridgedAccept) {
    steps.push({
      id: 'setup/bridged-accept',
      title: `accept frames crossing ${d.bridge} in ${d.bridgedAccept[1]} (br_netfilter hands them to iptables, whose FORWARD path would drop them)`,
      actions: [iptablesRule(d.bridgedAccept)],
    });
  }
  return steps;
}

export const dnsmasqPidFile = (br: string) => `/run/qnet-dnsmasq-${br}.pid`;

/** dnsmasq as a DHCP server on the bridge alone: no DNS (port 0), no lease file, nothing on other interfaces. */
export function dnsmasqArgv(d: Design): string[] {
  const h = d.dhcp!;
  return [
    'dnsmasq',
    '--conf-file=/dev/null',
    `--interface=${d.bridge}`,
    '--bind-interfaces',
    '--except-interface=lo',
    '--port=0',
    `--dhcp-range=${h.first},${h.last},${h.netmask},12h`,
    h.router ? `--dhcp-option=option:router,${h.router}` : '--dhcp-option=option:router',
    h.dns.length ? `--dhcp-option=option:dns-server,${h.dns.join(',')}` : '--dhcp-option=option:dns-server',
    '--dhcp-authoritative',
    '--leasefile-ro',
    `--pid-file=${dnsmasqPidFile(d.bridge)}`,
  ];
}

/**
 * Stops that dnsmasq (and only it): start-stop-daemon where there is one (succeeds when nothing runs,
 * and removes the pid file, which dnsmasq cannot: it runs as nobody by then), else pkill.
 */
export function dnsmasqStopArgv(d: Design, obs: Observation): string[] {
  const pid = dnsmasqPidFile(d.bridge);
  return obs.tools.ssd
    ? ['start-stop-daemon', '--stop', '--quiet', '--oknodo', '--retry', '5', '--remove-pidfile', '--pidfile', pid, '--exec', obs.tools.dnsmasq ?? '/usr/sbin/dnsmasq']
    : ['pkill', '-F', pid, '-x', 'dnsmasq'];
}

export function dnsmasqRunningArgv(d: Design, obs: Observation): string[] {
  const pid = dnsmasqPidFile(d.bridge);
  return obs.tools.ssd ? ['start-stop-daemon', '--status', '--pidfile', pid, '--exec', obs.tools.dnsmasq ?? '/usr/sbin/dnsmasq'] : ['pgrep', '-F', pid, '-x', 'dnsmasq'];
}

export function dhcpStep(d: Design, obs: Observation): Step {
  const h = d.dhcp!;
  return {
    id: 'setup/dhcp',
    title: `start dnsmasq as DHCP server on ${d.bridge} only (${h.first}–${h.last}${h.router ? `, gateway ${h.router}` : ', no gateway: the network reaches nothing beyond the host'}; no DNS server, no other interface)`,
    actions: [{ kind: 'run', argv: dnsmasqArgv(d), inverse: dnsmasqStopArgv(d, obs), unless: dnsmasqRunningArgv(d, obs) }],
  };
}

export function tapSteps(d: Design): Step[] {
  const missing = d.taps.filter((t) => !t.exists);
  if (!missing.length) return [];
  return [
    {
      id: 'setup/taps',
      title: `create persistent tap${missing.length > 1 ? 's' : ''} ${missing.map((t) => t.name).join(', ')} owned by uid ${d.uid}, attached to ${d.bridge}`,
      actions: missing.flatMap((t): Action[] => [
        { kind: 'run', argv: ['ip', 'tuntap', 'add', 'dev', t.name, 'mode', 'tap', 'user', String(d.uid)], inverse: ['ip', 'tuntap', 'del', 'dev', t.name, 'mode', 'tap'], inverseUnless: linkGone(t.name) },
        { kind: 'run', argv: ['ip', 'link', 'set', 'dev', t.name, 'master', d.bridge], inverse: ['ip', 'link', 'set', 'dev', t.name, 'nomaster'], inverseUnless: linkGone(t.name) },
        { kind: 'run', argv: ['ip', 'link', 'set', 'dev', t.name, 'up'], inverse: ['ip', 'link', 'set', 'dev', t.name, 'down'], inverseUnless: linkGone(t.name) },
      ]),
    },
  ];
}
