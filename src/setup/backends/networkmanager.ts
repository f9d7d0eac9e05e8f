// The NetworkManager backend: keyfiles in /etc/NetworkManager/system-connections
// (root-only, as NetworkManager requires), re-read with `nmcli connection reload`
// and brought up with `nmcli connection up`. NAT is NetworkManager's own shared
// mode (its dnsmasq gives leases, it masquerades and forwards); an isolated
// network has a static address and no DHCP (guests get the static addresses
// printed). The intent is recorded in the profile's [user] data
// (org.qnet.intent), which qnet doctor reads.
//
// In bridge mode the uplink gets a port profile with a higher autoconnect
// priority than its own profile (seed 004's "Wired connection"), which is left as
// it was, so that undo only has to bring it back up.
import { createHash } from 'node:crypto';
import type { Action } from '../../types.js';
import { showCidr } from '../net.js';
import type { Observation } from '../observe.js';
import type { Design } from '../plan.js';
import type { Answers, Step } from '../types.js';
import { Refusal } from '../types.js';
import { firewallSteps } from './common.js';

export const NM_DIR = '/etc/NetworkManager/system-connections';
export const nmFile = (id: string) => `${NM_DIR}/${id}.nmconnection`;

/** A stable UUID (v4 layout) from a name, so a re-run writes the same profile. */
export function nameUuid(name: string): string {
  const h = createHash('sha256').update(`qnet|${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The [ipv4]/[ipv6] sections of a keyfile, as lines. */
export function ipSections(text: string): string[] {
  const out: string[] = [];
  let keep = false;
  for (const l of text.split('\n')) {
    const sec = /^\s*\[([^\]]+)\]/.exec(l);
    if (sec) keep = sec[1] === 'ipv4' || sec[1] === 'ipv6';
    if (keep) out.push(l);
  }
  while (out.length && out[out.length - 1]!.trim() === '') out.pop();
  return out;
}

const keyfile = (lines: string[]): Action & { kind: 'write-file' } => ({ kind: 'write-file', path: '', content: lines.join('\n') + '\n', mode: 0o600, uid: 0, gid: 0 });

export function renderNetworkManager(d: Design, obs: Observation, _a: Answers): { steps: Step[]; notes: string[]; dhcp: string | null } {
  if (!obs.tools.nmcli) throw new Refusal('nmcli is not installed: NetworkManager is not available here; choose another --backend');
  if (!obs.managers.nmRunning) throw new Refusal('NetworkManager is not running: start it, or choose another --backend');
  if (d.foreign) throw new Refusal(`${d.bridge} is libvirt's network; use it with --backend runtime`);
  if (d.taps.length) throw new Refusal('qnet does not make persistent taps with NetworkManager: use --access helper, or --backend networkd or ifupdown');
  const br = d.bridge;
  const id = `qnet-${br}`;
  if (d.existing) return { steps: [], notes: [`Persisted in ${nmFile(id)} by an earlier qnet setup.`], dhcp: d.mode === 'nat' ? `NetworkManager's shared mode on ${br}` : null };
  const head = [`# qnet setup: ${d.mode} network for VMs; \`qnet undo\` removes it.`];
  const user = ['', '[user]', `org.qnet.intent=${d.mode}`];
  const bridgeLines = (ip: string[]) => [
    ...head, '[connection]', `id=${id}`, `uuid=${nameUuid(id)}`, 'type=bridge', `interface-name=${br}`, 'autoconnect=true', '',
    '[bridge]', ...(d.bridgeMac ? [`mac-address=${d.bridgeMac.toUpperCase()}`] : []), 'stp=false', '', ...ip, ...user,
  ];
  const files: (Action & { kind: 'write-file' })[] = [];
  const notes = [`Persisted as NetworkManager profile ${id}: it comes up at every boot.`];
  let dhcp: string | null = null;
  let activate = id;
  let original: string | undefined;
  if (d.mode === 'bridge') {
    const up = d.uplink!.name;
    const profiles = obs.managers.nmProfilesFor(up);
    if (!profiles.length) throw new Refusal(`no NetworkManager profile names ${up} (interface-name): NetworkManager does not manage it; choose another --backend`);
    original = profiles[0]!;
    const text = obs.managers.nmProfileText?.(original);
    if (text === undefined) throw new Refusal(`cannot read the profile ${original} of ${up} (run qnet setup as root)`);
    files.push({ ...keyfile(bridgeLines(ipSections(text))), path: nmFile(id) });
    const port = `${id}-port-${up}`;
    files.push({
      ...keyfile([...head, `# ${up} as a port of ${br}; its own profile ${original} is left as it was.`, '[connection]', `id=${port}`, `uuid=${nameUuid(port)}`, 'type=ethernet', `interface-name=${up}`, `master=${br}`, 'slave-type=bridge', 'autoconnect=true', 'autoconnect-priority=100']),
      path: nmFile(port),
    });
    activate = port;
    dhcp = `the LAN's DHCP server (through ${up})`;
    notes.push(`${up}'s own profile ${original} stays; the port profile wins by autoconnect priority.`);
  } else {
    const ip = d.mode === 'nat'
      ? ['[ipv4]', 'method=shared', `address1=${showCidr(d.addr!)}`, '', '[ipv6]', 'method=disabled']
      : ['[ipv4]', 'method=manual', `address1=${showCidr(d.addr!)}`, 'never-default=true', '', '[ipv6]', 'method=disabled'];
    files.push({ ...keyfile(bridgeLines(ip)), path: nmFile(id) });
    if (d.mode === 'nat') dhcp = `NetworkManager's shared mode on ${br} (its own dnsmasq)`;
    else notes.push('NetworkManager has no DHCP server for an isolated network: give each VM the static address printed below.');
  }
  const steps: Step[] = [
    // Undo runs these in reverse: the profile goes down, the files go, NetworkManager re-reads,
    // and (bridge mode) the uplink's own profile comes back up.
    {
      id: 'setup/nm-reread',
      title: `NetworkManager re-reads its profiles (undo does the same once qnet's are gone${original ? `, then brings ${original} back up` : ''})`,
      actions: [
        ...(original ? [{ kind: 'run' as const, argv: ['nmcli', '-t', 'connection', 'show', '--active'], inverse: ['nmcli', 'connection', 'up', original] }] : []),
        { kind: 'run', argv: ['nmcli', 'connection', 'reload'], inverse: ['nmcli', 'connection', 'reload'] },
      ],
    },
    { id: 'setup/nm-files', title: `write the NetworkManager profile${files.length > 1 ? 's' : ''} (${files.map((f) => f.path.split('/').pop()).join(', ')}; root-only, as NetworkManager requires)`, actions: files },
    {
      id: 'setup/nm-load',
      title: 'NetworkManager reads them',
      actions: [{ kind: 'run', argv: ['nmcli', 'connection', 'reload'], refresh: true }],
    },
    {
      id: d.mode === 'bridge' ? 'setup/bring-up' : 'setup/nm-up',
      title: `bring ${activate} up now${d.mode === 'bridge' ? ` (${d.uplink!.name} moves into ${br})` : ''}`,
      actions: [{ kind: 'run', argv: ['nmcli', 'connection', 'up', activate], inverse: ['nmcli', 'connection', 'down', id] }],
    },
  ];
  const fw = firewallSteps({ ...d, ...(d.nat ? { nat: { ...d.nat, forwardOn: true } } : {}) }).filter((s) => s.id !== 'setup/masquerade' && (s.id !== 'setup/forward-accept' || d.nat?.forwardDrops));
  if (fw.length) {
    steps.push(...fw);
    notes.push('The FORWARD accepts are iptables rules: they last until reboot (persist them with your firewall manager).');
  }
  return { steps, notes, dhcp };
}
