// The systemd-networkd backend: a .netdev and a .network per device in
// /etc/systemd/network, applied with `networkctl reload`. networkd does the
// addressing, the masquerade (IPMasquerade=, which also turns forwarding on) and
// the guests' DHCP (DHCPServer=) itself. The intent is recorded in the bridge's
// .network as an [X-Qnet] section, which networkd ignores and qnet doctor reads.
// networkd leaves a netdev behind when its .netdev goes, so undo deletes the
// devices, then re-reads the configuration without qnet's files.
import type { Action } from '../../types.js';
import { ipv4ToInt } from '../../parse/ipv4.js';
import { networkInt, showCidr } from '../net.js';
import type { Observation } from '../observe.js';
import type { Design } from '../plan.js';
import type { Answers, Step } from '../types.js';
import { Refusal } from '../types.js';
import { firewallSteps } from './common.js';

export const NETWORKD_DIR = '/etc/systemd/network';
export const networkdFile = (dev: string, ext: 'netdev' | 'network') => `${NETWORKD_DIR}/50-qnet-${dev}.${ext}`;

const file = (path: string, lines: string[]): Action => ({ kind: 'write-file', path, content: lines.join('\n') + '\n', mode: 0o644, uid: 0, gid: 0 });

/** The uplink's own .network (the first one networkd matches by Name=), for bridge mode. */
function uplinkNetwork(obs: Observation, dev: string): { path: string; text: string } | undefined {
  const files = [...obs.managers.networkd.files].sort((a, b) => a.path.split('/').pop()!.localeCompare(b.path.split('/').pop()!));
  return files.find((f) => {
    const m = /^\[Match\]([\s\S]*?)(?=^\[|$(?![\s\S]))/m.exec(f.text);
    return Boolean(m && new RegExp(`^\\s*Name\\s*=\\s*(.*\\s)?${dev.replace(/\./g, '\\.')}(\\s|$)`, 'm').test(m[1]!));
  });
}

/** The uplink's configuration for the bridge: its [Match] replaced, the rest kept. */
export function rematch(text: string, name: string): string[] {
  const out: string[] = [];
  let skip = false;
  for (const l of text.split('\n')) {
    const sec = /^\s*\[([^\]]+)\]/.exec(l);
    if (sec) {
      skip = sec[1] === 'Match' || sec[1] === 'Link';
      if (sec[1] === 'Match') out.push('[Match]', `Name=${name}`, '');
      if (skip) continue;
    }
    if (!skip) out.push(l);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

export function renderNetworkd(d: Design, obs: Observation, _a: Answers): { steps: Step[]; notes: string[]; dhcp: string | null } {
  if (!obs.tools.networkctl) throw new Refusal('networkctl is not installed: systemd-networkd is not available here; choose another --backend');
  if (!obs.managers.networkd.running) throw new Refusal('systemd-networkd is not running (systemctl enable --now systemd-networkd first), or choose another --backend');
  if (d.foreign) throw new Refusal(`${d.bridge} is libvirt's network; use it with --backend runtime`);
  const br = d.bridge;
  const head = [`# qnet setup: ${d.mode} network for VMs; \`qnet undo\` removes it.`];
  const notes = [`Persisted in ${NETWORKD_DIR}/50-qnet-*: networkd brings it up at every boot.`];
  if (d.existing) return { steps: [], notes: [`Persisted in ${networkdFile(br, 'network')} by an earlier qnet setup.`], dhcp: d.mode === 'bridge' ? "the LAN's DHCP server" : `networkd's DHCP server on ${br}` };

  const files: Action[] = [file(networkdFile(br, 'netdev'), [...head, '[NetDev]', `Name=${br}`, 'Kind=bridge', ...(d.bridgeMac ? [`MACAddress=${d.bridgeMac}`] : []), '', '[Bridge]', 'STP=no'])];
  const intent = ['', '# Read by qnet doctor (networkd ignores X- sections).', '[X-Qnet]', `Intent=${d.mode}`];
  let dhcp: string | null;
  if (d.mode === 'bridge') {
    const up = d.uplink!.name;
    const own = uplinkNetwork(obs, up);
    if (!own) throw new Refusal(`no .network file in ${NETWORKD_DIR} configures ${up}: networkd does not manage it; choose another --backend`);
    // networkd applies the first .network (in file-name order) that matches: the port's must come first.
    const portFile = `${NETWORKD_DIR}/00-qnet-${up}.network`;
    if (own.path.split('/').pop()! <= portFile.split('/').pop()!) {
      throw new Refusal(`${own.path} sorts before any file qnet could add, so networkd would keep applying it to ${up}: rename it (e.g. to 10-${up}.network) or choose another --backend`);
    }
    files.push(file(portFile, [...head, `# ${up} is a port of ${br}; its own ${own.path} applies again once this file is gone.`, '[Match]', `Name=${up}`, '', '[Network]', `Bridge=${br}`]));
    files.push(file(networkdFile(br, 'network'), [...head, `# The addressing of ${up}, from ${own.path}.`, ...rematch(own.text, br), ...intent]));
    dhcp = `the LAN's DHCP server (through ${up})`;
  } else {
    const h = d.dhcp!;
    const network = [
      ...head, '[Match]', `Name=${br}`, '', '[Network]', `Address=${showCidr(d.addr!)}`, 'ConfigureWithoutCarrier=yes', 'DHCPServer=yes',
      ...(d.mode === 'nat' ? ['IPMasquerade=ipv4'] : []),
      '', '[DHCPServer]', `PoolOffset=${ipv4ToInt(h.first)! - networkInt(d.addr!)}`,
      ...(d.mode === 'nat' ? (h.dns.length ? [`DNS=${h.dns.join(' ')}`] : ['EmitDNS=no']) : ['EmitRouter=no', 'EmitDNS=no']),
      ...intent,
    ];
    files.push(file(networkdFile(br, 'network'), network));
    dhcp = `networkd's DHCP server on ${br}`;
  }
  for (const t of d.taps) {
    files.push(file(networkdFile(t.name, 'netdev'), [...head, '[NetDev]', `Name=${t.name}`, 'Kind=tap', '', '[Tap]', `User=${d.uid}`]));
    files.push(file(networkdFile(t.name, 'network'), [...head, '[Match]', `Name=${t.name}`, '', '[Network]', `Bridge=${br}`, 'ConfigureWithoutCarrier=yes']));
  }
  const devices = [br, ...d.taps.map((t) => t.name)];
  const steps: Step[] = [
    // networkd turns forwarding on for IPMasquerade= and never back off: the executor's sysctl
    // step records the value before, so undo restores it.
    ...(d.nat && !d.nat.forwardOn ? [{ id: 'setup/forwarding', title: 'turn IPv4 forwarding on (networkd would too; undo puts back the value before)', actions: [{ kind: 'sysctl' as const, key: 'net.ipv4.ip_forward', value: '1' }] }] : []),
    // Undo runs these in reverse: qnet's files go, networkd re-reads what is left (the uplink
    // gets its own configuration back), then the devices networkd leaves behind are deleted.
    {
      id: 'setup/networkd-undo-order',
      title: `networkd's links before the change (undo ends by deleting ${devices.join(', ')}, which networkd leaves behind when their .netdev goes)`,
      actions: [{ kind: 'run', argv: ['networkctl', 'list', '--no-pager'], inverse: ['networkctl', 'delete', ...devices] }],
    },
    {
      id: 'setup/networkd-reread',
      title: 'networkd re-reads its configuration (undo does the same once qnet\'s files are gone)',
      actions: [{ kind: 'run', argv: ['networkctl', 'reload'], inverse: ['networkctl', 'reload'] }],
    },
    { id: 'setup/networkd-files', title: `write the networkd configuration (${files.map((f) => (f.kind === 'write-file' ? f.path.split('/').pop() : '')).join(', ')})`, actions: files },
    {
      id: d.mode === 'bridge' ? 'setup/bring-up' : 'setup/networkd-apply',
      title: `apply it now (networkctl reload creates ${devices.join(', ')}${d.mode === 'bridge' ? ` and moves ${d.uplink!.name} into ${br}` : ''})`,
      actions: [{ kind: 'run', argv: ['networkctl', 'reload'], refresh: true }],
    },
  ];
  // networkd masquerades itself; a FORWARD DROP (Docker) or br_netfilter still needs the accepts.
  const fw = firewallSteps({ ...d, ...(d.nat ? { nat: { ...d.nat, forwardOn: true } } : {}) }).filter((s) => s.id !== 'setup/masquerade' && (s.id !== 'setup/forward-accept' || d.nat?.forwardDrops));
  if (fw.length) {
    steps.push(...fw);
    notes.push('The FORWARD accepts are iptables rules: they last until reboot (persist them with your firewall manager).');
  }
  return { steps, notes, dhcp };
}
