// The netplan backend (renderer networkd): the bridge in /etc/netplan/60-qnet-BR.yaml,
// validated and rendered with `netplan generate`, applied with `networkctl reload`
// (what `netplan apply` does for networkd, without restarting services). netplan
// has no words for a DHCP server or masquerading: a networkd drop-in for the
// generated .network adds DHCPServer= and IPMasquerade=, with the intent in an
// [X-Qnet] section. In bridge mode the uplink's addressing moves from its own
// netplan file (comments kept) to the bridge.
import { Document, parseDocument, isMap } from 'yaml';
import { ipv4ToInt } from '../../parse/ipv4.js';
import type { Action } from '../../types.js';
import { networkInt, showCidr } from '../net.js';
import type { Observation } from '../observe.js';
import type { Design } from '../plan.js';
import type { Answers, Step } from '../types.js';
import { Refusal } from '../types.js';
import { firewallSteps } from './common.js';

export const netplanFile = (br: string) => `/etc/netplan/60-qnet-${br}.yaml`;
/** networkd reads drop-ins for the .network netplan generates (10-netplan-BR.network). */
export const netplanDropIn = (br: string) => `/etc/systemd/network/10-netplan-${br}.network.d/50-qnet.conf`;

/** Keys of a netplan device that configure its addressing: they move to the bridge. */
const ADDRESSING = ['addresses', 'dhcp4', 'dhcp6', 'dhcp4-overrides', 'dhcp6-overrides', 'routes', 'gateway4', 'gateway6', 'nameservers', 'routing-policy', 'accept-ra', 'ipv6-privacy', 'dhcp-identifier'];

/** The netplan file whose `ethernets` defines the uplink (by its name as key). */
function uplinkFile(obs: Observation, dev: string): { path: string; doc: Document } | undefined {
  for (const f of [...obs.managers.netplan.files].filter((x) => x.path.startsWith('/etc/netplan/')).sort((a, b) => a.path.localeCompare(b.path))) {
    const doc = parseDocument(f.text);
    if (doc.errors.length) throw new Refusal(`${f.path} is not valid YAML (${doc.errors[0]!.message.split('\n')[0]}): fix it first`);
    if (isMap(doc.getIn(['network', 'ethernets', dev]))) return { path: f.path, doc };
  }
  return undefined;
}

export function renderNetplan(d: Design, obs: Observation, _a: Answers): { steps: Step[]; notes: string[]; dhcp: string | null } {
  if (!obs.tools.netplan) throw new Refusal('netplan is not installed: choose another --backend');
  if (!obs.tools.networkctl || !obs.managers.networkd.running) throw new Refusal('qnet renders netplan for systemd-networkd, which is not running here; with NetworkManager as the renderer, use --backend networkmanager');
  if (d.foreign) throw new Refusal(`${d.bridge} is libvirt's network; use it with --backend runtime`);
  const br = d.bridge;
  if (d.existing) return { steps: [], notes: [`Persisted in ${netplanFile(br)} by an earlier qnet setup.`], dhcp: d.mode === 'bridge' ? "the LAN's DHCP server" : `networkd's DHCP server on ${br}` };

  const head = `# qnet setup: ${d.mode} network for VMs; \`qnet undo\` removes it.\n`;
  const bridge: Record<string, unknown> = {
    ...(d.bridgeMac ? { macaddress: d.bridgeMac } : {}),
    parameters: { stp: false },
  };
  const files: Action[] = [];
  let dhcp: string | null;
  if (d.mode === 'bridge') {
    const up = d.uplink!.name;
    const own = uplinkFile(obs, up);
    if (!own) throw new Refusal(`no file in /etc/netplan defines ${up} under ethernets: netplan does not manage it; choose another --backend`);
    const dev = own.doc.getIn(['network', 'ethernets', up]) as { get: (k: string) => unknown; delete: (k: string) => boolean; set: (k: string, v: unknown) => void; toJSON: () => Record<string, unknown> };
    const conf = dev.toJSON();
    const moved = Object.fromEntries(ADDRESSING.filter((k) => k in conf).map((k) => [k, conf[k]]));
    if (!Object.keys(moved).length) throw new Refusal(`${up} has no addressing in ${own.path} to move onto a bridge`);
    for (const k of Object.keys(moved)) dev.delete(k);
    // The bridge keeps the uplink's MAC; with DHCP, the same client identifier keeps the same lease.
    Object.assign(bridge, { interfaces: [up], ...moved, ...(moved.dhcp4 ? { 'dhcp-identifier': 'mac' } : {}) });
    const text = own.doc.toString();
    files.push({ kind: 'write-file', path: own.path, content: text.replace(new RegExp(`^(\\s*)${up.replace(/\./g, '\\.')}:\\s*(\\{\\})?\\s*$`, 'm'), `$1${up}: {}    # qnet: addressing moved to ${br}`), mode: 0o600, uid: 0, gid: 0 });
    dhcp = `the LAN's DHCP server (through ${up})`;
    files.push({
      kind: 'write-file',
      path: netplanDropIn(br),
      content: [`# qnet setup: the intent of ${br}; \`qnet undo\` removes it.`, '# Read by qnet doctor (networkd ignores X- sections).', '[X-Qnet]', `Intent=${d.mode}`].join('\n') + '\n',
      mode: 0o644,
      uid: 0,
      gid: 0,
    });
  } else {
    bridge.addresses = [showCidr(d.addr!)];
    const h = d.dhcp!;
    files.push({
      kind: 'write-file',
      path: netplanDropIn(br),
      content: [
        `# qnet setup: what netplan cannot say for ${br}; \`qnet undo\` removes it.`,
        '[Network]',
        'DHCPServer=yes',
        ...(d.mode === 'nat' ? ['IPMasquerade=ipv4'] : []),
        '',
        '[DHCPServer]',
        `PoolOffset=${ipv4ToInt(h.first)! - networkInt(d.addr!)}`,
        ...(d.mode === 'nat' ? (h.dns.length ? [`DNS=${h.dns.join(' ')}`] : ['EmitDNS=no']) : ['EmitRouter=no', 'EmitDNS=no']),
        '',
        '# Read by qnet doctor (networkd ignores X- sections).',
        '[X-Qnet]',
        `Intent=${d.mode}`,
      ].join('\n') + '\n',
      mode: 0o644,
      uid: 0,
      gid: 0,
    });
    dhcp = `networkd's DHCP server on ${br}`;
  }
  const yaml = { network: { version: 2, bridges: { [br]: bridge } } };
  const ours = new Document(yaml).toString();
  files.unshift({ kind: 'write-file', path: netplanFile(br), content: head + ours, mode: 0o600, uid: 0, gid: 0 });
  if (d.taps.length) throw new Refusal('netplan cannot create taps: use --access helper, or --backend networkd');

  const devices = [br];
  const steps: Step[] = [
    ...(d.nat && !d.nat.forwardOn ? [{ id: 'setup/forwarding', title: 'turn IPv4 forwarding on (networkd would too; undo puts back the value before)', actions: [{ kind: 'sysctl' as const, key: 'net.ipv4.ip_forward', value: '1' }] }] : []),
    // Undo runs these in reverse: the files go back, netplan renders what is left, networkd
    // re-reads it (the uplink gets its own configuration back), then the bridge networkd
    // leaves behind is deleted.
    { id: 'setup/networkd-undo-order', title: `networkd's links before the change (undo ends by deleting ${devices.join(', ')}, which networkd leaves behind)`, actions: [{ kind: 'run', argv: ['networkctl', 'list', '--no-pager'], inverse: ['networkctl', 'delete', ...devices] }] },
    { id: 'setup/networkd-reread', title: 'networkd re-reads its configuration (undo does the same once the netplan files are back)', actions: [{ kind: 'run', argv: ['networkctl', 'reload'], inverse: ['networkctl', 'reload'] }] },
    { id: 'setup/netplan-render', title: 'netplan renders its files (undo renders them again without qnet\'s)', actions: [{ kind: 'run', argv: ['netplan', 'generate'], inverse: ['netplan', 'generate'] }] },
    { id: 'setup/netplan-files', title: `write the netplan configuration (${files.map((f) => (f.kind === 'write-file' ? f.path : '')).join(', ')})`, actions: files },
    {
      id: d.mode === 'bridge' ? 'setup/bring-up' : 'setup/netplan-apply',
      title: `validate and apply it now (netplan generate, then networkctl reload${d.mode === 'bridge' ? `: ${d.uplink!.name} moves into ${br}` : ''})`,
      actions: [
        { kind: 'run', argv: ['netplan', 'generate'], refresh: true, why: 'fails on a configuration netplan does not accept: nothing is applied then' },
        { kind: 'run', argv: ['networkctl', 'reload'], refresh: true },
      ],
    },
  ];
  const notes = [`Persisted in ${netplanFile(br)}: netplan renders it for networkd at every boot.`];
  const fw = firewallSteps({ ...d, ...(d.nat ? { nat: { ...d.nat, forwardOn: true } } : {}) }).filter((s) => s.id !== 'setup/masquerade' && (s.id !== 'setup/forward-accept' || d.nat?.forwardDrops));
  if (fw.length) {
    steps.push(...fw);
    notes.push('The FORWARD accepts are iptables rules: they last until reboot (persist them with your firewall manager).');
  }
  return { steps, notes, dhcp };
}
