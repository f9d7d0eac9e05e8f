// Host observations for the setup planner's table tests: a Debian host with one
// wired uplink (enp1s0, 192.168.1.20/24, default route via .1), root, every tool.
import type { Firewall } from '../../src/facts/firewall.js';
import type { ObsLink, Observation } from '../../src/setup/observe.js';
import type { Answers } from '../../src/setup/types.js';

export const nic = (name: string, o: Partial<ObsLink> = {}): ObsLink => ({ name, kind: 'nic', up: true, carrier: true, addrs: [], physical: true, wireless: false, mac: '52:aa:00:00:00:01', ...o });
export const v4 = (local: string, prefixlen = 24) => ({ family: 4 as const, local, prefixlen, scope: 'global', dynamic: false, noprefixroute: false });
export const noFw: Firewall = { chains: [], sources: [] };

export function host(o: Partial<Observation> = {}): Observation {
  return {
    links: [nic('lo', { kind: 'loopback', physical: false, addrs: [{ ...v4('127.0.0.1', 8), scope: 'host' }] }), nic('enp1s0', { addrs: [v4('192.168.1.20')] })],
    routes: [
      { family: 4, dst: 'default', gateway: '192.168.1.1', dev: 'enp1s0', protocol: 'dhcp', metric: 100, onlink: false },
      { family: 4, dst: '192.168.1.0/24', dev: 'enp1s0', protocol: 'kernel', scope: 'link', prefsrc: '192.168.1.20', onlink: false },
    ],
    user: { name: 'alice', uid: 1000, gid: 1000, groups: [], fromFiles: true },
    root: true,
    tools: { ip: '/usr/sbin/ip', iptables: '/usr/sbin/iptables', dnsmasq: '/usr/sbin/dnsmasq', qemu: '/usr/bin/qemu-system-x86_64', setpriv: '/usr/bin/setpriv', ifup: undefined, ifdown: undefined, nmcli: undefined, networkctl: undefined, netplan: undefined, firewallCmd: undefined, uml: undefined, pgrep: '/usr/bin/pgrep', pkill: '/usr/bin/pkill', ssd: '/usr/sbin/start-stop-daemon' },
    fw: noFw,
    docker: false,
    firewalld: false,
    sysctl: { ipForward: '0', unprivPortStart: 1024 },
    managers: { nmRunning: false, nmProfilesFor: () => [], ifupdown: { installed: false, sourcesD: false, stanzas: [], ours: {} }, networkd: { running: false, files: [] }, netplan: { installed: false, files: [] } },
    resolvers: ['192.168.1.1'],
    macs: new Set(),
    helper: { path: '/usr/lib/qemu/qemu-bridge-helper', isDefault: true, aclPath: '/etc/qemu/bridge.conf', allows: () => false },
    listening: [],
    ...o,
  };
}

export const answers = (o: Partial<Answers> = {}): Answers => ({ mode: 'nat', backend: 'runtime', bridge: 'qbr0', user: 'alice', vms: 1, vmKind: 'qemu', access: 'helper', hostfwd: [], confirmTimeoutS: 120, ...o });
