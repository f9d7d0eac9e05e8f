// From the answers and the observed host to a plan: first a design (what the
// network must look like, and what is already there), then the chosen backend
// renders it as steps of typed actions. Conflicts are found here, before
// anything changes; a plan that cannot be made safely is a Refusal with the
// reason and the flag that would change it.
import { chainFate, type Flow } from '../facts/firewall.js';
import { intentAlias } from '../facts/intent.js';
import { validIfname } from '../model/network.js';
import type { FixPlan } from '../types.js';
import { bridgeMac, vmMacs } from './mac.js';
import { guestRange, isPrivate, netmaskOf, networkCidr, overlaps, parseSubnet, pickSubnet, showCidr, staticGuestAddr, type Cidr } from './net.js';
import { defaultRoute4, linkOf, type ObsAddr, type ObsLink, type ObsRoute, type Observation } from './observe.js';
import { Refusal, type Answers, type Backend, type ProbeTarget, type SetupPlan, type Step, type VmOut } from './types.js';

/** A fix plan of an existing check that setup needs first (the helper's rights, /dev/net/tun). */
export interface Prereq {
  checkId: string;
  plan: FixPlan;
}

/** What the network must look like. Backends render it. */
export interface Design {
  mode: 'bridge' | 'isolated' | 'nat';
  bridge: string;
  alias: string;
  /** The bridge exists already with this intent (an earlier setup): only what is missing is added. */
  existing: boolean;
  /** libvirt's own network, used as it is. */
  foreign?: 'libvirt';
  bridgeMac?: string;
  uplink?: ObsLink;
  /** Bridge mode: the uplink's addresses and routes, moved onto the bridge. */
  move?: { addrs: ObsAddr[]; routes: ObsRoute[] };
  /** Isolated/NAT: the host's address on the bridge. */
  addr?: Cidr;
  addrPresent: boolean;
  taps: { name: string; exists: boolean }[];
  uid: number;
  dhcp?: { first: string; last: string; netmask: string; router?: string; dns: string[] };
  /** forwardDrops: the FORWARD path would drop the guests' traffic today (Docker's DROP policy...). */
  nat?: { chain: string; masquerade: string[]; accepts: string[][]; forwardOn: boolean; firewalld: boolean; forwardDrops: boolean };
  /** br_netfilter hands bridged frames to a FORWARD path that may drop them: accept them on this bridge. */
  bridgedAccept?: string[];
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function checkName(what: string, name: string): void {
  if (!validIfname(name) || !NAME_RE.test(name)) {
    throw new Refusal(`${what} "${name}" is not a usable interface name (1-15 letters, digits, "-", "_" or ".")`);
  }
}

const tapName = (br: string, i: number) => {
  const suffix = `-vm${i + 1}`;
  return `${br.slice(0, 15 - suffix.length)}${suffix}`;
};

/** Routes that live and die with an address (kernel), or that the kernel relearns (RA): not moved. */
const movableRoute = (r: ObsRoute) => !r.type && r.protocol !== 'kernel' && r.protocol !== 'ra' && !(r.family === 6 && r.dst.startsWith('fe80'));
const movableAddr = (a: ObsAddr) => a.scope === 'global' && !(a.family === 6 && a.dynamic);

/** argv of `ip route` for a route on `dev` (for add and del alike). */
export function routeSpec(r: ObsRoute, dev: string): string[] {
  return [
    ...(r.family === 6 ? ['-6'] : []),
    'route',
    'ACTION',
    r.dst,
    ...(r.gateway ? ['via', r.gateway] : []),
    'dev',
    dev,
    ...(r.protocol && r.protocol !== 'boot' ? ['proto', r.protocol] : []),
    ...(r.scope && r.scope !== 'global' && !(r.scope === 'link' && !r.gateway) ? ['scope', r.scope] : []),
    ...(r.metric !== undefined && r.metric !== 0 && !(r.family === 6 && r.metric === 1024) ? ['metric', String(r.metric)] : []),
    ...(r.prefsrc ? ['src', r.prefsrc] : []),
    ...(r.onlink ? ['onlink'] : []),
  ];
}

export const withAction = (spec: string[], action: 'add' | 'del' | 'replace') => ['ip', ...spec.map((x) => (x === 'ACTION' ? action : x))];

export function addrArgs(a: ObsAddr, dev: string, action: 'add' | 'del' | 'replace'): string[] {
  return [
    'ip',
    ...(a.family === 6 ? ['-6'] : []),
    'addr',
    action,
    `${a.local}/${a.prefixlen}`,
    ...(action !== 'del' && a.broadcast ? ['brd', a.broadcast] : []),
    ...(action !== 'del' && a.noprefixroute ? ['noprefixroute'] : []),
    ...(action !== 'del' && a.label ? ['label', a.label] : []),
    'dev',
    dev,
  ];
}

function cidrsInUse(obs: Observation, except: string): Cidr[] {
  const out: Cidr[] = [];
  for (const l of obs.links) {
    if (l.name === except) continue;
    for (const a of l.addrs) if (a.family === 4 && l.name !== 'lo') out.push({ addr: a.local, len: a.prefixlen });
  }
  for (const r of obs.routes) {
    if (r.family !== 4 || r.dst === 'default' || r.dev === except) continue;
    const [addr, len] = r.dst.split('/');
    out.push({ addr: addr!, len: len === undefined ? 32 : Number(len) });
  }
  return out;
}

function designFor(a: Answers, obs: Observation): Design {
  const mode = a.mode as Design['mode'];
  checkName('the bridge', a.bridge);
  const alias = intentAlias(mode);
  const found = linkOf(obs, a.bridge);
  let existing = false;
  let foreign: Design['foreign'];
  if (found) {
    if (found.kind !== 'bridge') throw new Refusal(`${a.bridge} already exists and is not a bridge (${found.kind === 'nic' ? 'a network card' : `a ${found.kind}`}): choose another name with --bridge`);
    if (found.intent === mode) existing = true;
    else if (found.intent) throw new Refusal(`${a.bridge} is already a qnet ${found.intent} network: undo it first (qnet undo --list), or choose another name with --bridge`);
    else if (/^virbr\d+$/.test(a.bridge) && mode === 'nat') foreign = 'libvirt';
    else throw new Refusal(`a bridge named ${a.bridge} already exists and was not set up by qnet: choose another name with --bridge`);
  }
  const d: Design = { mode, bridge: a.bridge, alias, existing, ...(foreign ? { foreign } : {}), addrPresent: false, taps: [], uid: obs.user.uid };

  if (mode === 'bridge') {
    const def = defaultRoute4(obs);
    const upName = a.uplink ?? (existing ? obs.links.find((l) => l.master === a.bridge && l.physical)?.name : def?.dev);
    if (!upName) throw new Refusal('no uplink to bridge: this host has no default route; name the network card with --uplink');
    checkName('the uplink', upName);
    const up = linkOf(obs, upName);
    if (!up) throw new Refusal(`--uplink ${upName}: no such interface`);
    if (up.wireless) {
      throw new Refusal(`${upName} is wireless: an access point drops frames from MAC addresses it did not associate, so bridged guests would get nothing. Use --mode nat instead`);
    }
    if (['bridge', 'tap', 'tun', 'loopback'].includes(up.kind)) throw new Refusal(`--uplink ${upName} is a ${up.kind}, not a network card`);
    if (up.master && up.master !== a.bridge) throw new Refusal(`${upName} is already a port of ${up.master}: use that bridge, or take ${upName} out of it first`);
    if (!up.carrier && !existing) throw new Refusal(`${upName} has no carrier (no cable, or the link is down): guests on a bridge to it would reach nothing`);
    d.uplink = up;
    if (up.mac) d.bridgeMac = up.mac;
    if (up.master !== a.bridge) {
      const addrs = up.addrs.filter(movableAddr);
      const routes = obs.routes.filter((r) => r.dev === upName && movableRoute(r));
      d.move = { addrs, routes };
    }
  } else {
    let cidr: Cidr | undefined;
    if (a.subnet) {
      const p = parseSubnet(a.subnet);
      if (typeof p === 'string') throw new Refusal(p);
      cidr = p;
    }
    const present = found?.addrs.find((x) => x.family === 4 && x.scope === 'global');
    if (existing && present && !cidr) cidr = { addr: present.local, len: present.prefixlen };
    if (foreign && present) cidr = { addr: present.local, len: present.prefixlen };
    if (!cidr) {
      cidr = pickSubnet(cidrsInUse(obs, a.bridge));
      if (!cidr) throw new Refusal('no free private /24 found for the VM network: give one with --subnet');
    } else if (!foreign) {
      const clash = cidrsInUse(obs, a.bridge).find((c) => overlaps(c, cidr!));
      if (clash) throw new Refusal(`--subnet ${showCidr(cidr)} overlaps ${showCidr(clash)}, already in use on this host: choose another with --subnet`);
      if (!isPrivate(cidr)) throw new Refusal(`--subnet ${showCidr(cidr)} is not private`);
    }
    d.addr = cidr;
    if (!foreign) d.bridgeMac = bridgeMac(a.bridge);
    d.addrPresent = Boolean(found?.addrs.some((x) => x.family === 4 && x.local === cidr!.addr && x.prefixlen === cidr!.len));
    if (existing && present && !d.addrPresent) {
      throw new Refusal(`${a.bridge} already has ${present.local}/${present.prefixlen}, not ${showCidr(cidr)}: undo the earlier setup first, or choose another name with --bridge`);
    }
    if (mode === 'nat') {
      const def = defaultRoute4(obs);
      const upName = a.uplink ?? def?.dev;
      if (!upName) throw new Refusal('this host has no default route, so NAT has nowhere to send the guests\' traffic: connect it first, or use --mode isolated');
      checkName('the uplink', upName);
      const up = linkOf(obs, upName);
      if (!up) throw new Refusal(`--uplink ${upName}: no such interface`);
      d.uplink = up;
      if (!obs.tools.iptables && !foreign) throw new Refusal('iptables is not installed: NAT needs it for the masquerade rule (Debian: apt-get install iptables)');
    }
    if (!foreign) {
      const r = guestRange(cidr);
      d.dhcp = {
        first: r.first,
        last: r.last,
        netmask: netmaskOf(cidr.len),
        ...(mode === 'nat' ? { router: cidr.addr } : {}),
        dns: mode === 'nat' ? obs.resolvers : [],
      };
    }
  }

  // Taps for the target user (UML always; QEMU when asked).
  if (a.access === 'taps') {
    for (let i = 0; i < a.vms; i++) {
      const name = tapName(a.bridge, i);
      const t = linkOf(obs, name);
      if (t) {
        const ours = t.kind === 'tap' && (t.tunOwner === obs.user.uid || t.tunOwnerName === obs.user.name) && t.master === a.bridge;
        if (!ours) throw new Refusal(`an interface named ${name} already exists (${t.kind === 'tap' ? `a tap of ${t.tunOwnerName ?? (t.tunOwner !== undefined ? `uid ${t.tunOwner}` : 'nobody')}${t.master ? ` on ${t.master}` : ''}` : t.kind === 'nic' ? 'a network card' : `a ${t.kind}`}): remove it or choose another --bridge`);
      }
      d.taps.push({ name, exists: Boolean(t) });
    }
  }

  // Firewall: NAT's masquerade and FORWARD accepts; bridged frames under br_netfilter.
  const net = d.addr ? showCidr(networkCidr(d.addr)) : undefined;
  const chain = obs.docker ? 'DOCKER-USER' : 'FORWARD';
  if (mode === 'nat' && d.uplink && net && !foreign) {
    d.nat = {
      chain,
      masquerade: ['-t', 'nat', '-A', 'POSTROUTING', '-s', net, '!', '-d', net, '-o', d.uplink.name, '-j', 'MASQUERADE'],
      accepts: [
        ['-I', chain, '-i', a.bridge, '-o', d.uplink.name, '-j', 'ACCEPT'],
        ['-I', chain, '-i', d.uplink.name, '-o', a.bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
      ],
      forwardOn: obs.sysctl.ipForward === '1',
      firewalld: obs.firewalld,
      forwardDrops: obs.fw.chains.some(
        (c) => c.hook === 'forward' && (c.family === 'ip' || c.family === 'inet') && ['drop', 'maybe'].includes(chainFate(c, { iif: a.bridge, oif: d.uplink!.name, src: { addr: networkCidr(d.addr!).addr, len: d.addr!.len } }).fate),
      ),
    };
  }
  if (obs.sysctl.bridgeNfIptables === '1' && obs.tools.iptables) {
    const flow: Flow = { iif: a.bridge, oif: a.bridge, bridged: true };
    const risky = obs.fw.chains.some((c) => c.hook === 'forward' && (c.family === 'ip' || c.family === 'inet' || c.family === 'bridge') && ['drop', 'maybe'].includes(chainFate(c, flow).fate));
    if (risky) d.bridgedAccept = ['-I', chain, '-i', a.bridge, '-o', a.bridge, '-j', 'ACCEPT'];
  }
  return d;
}

/** Which manager owns the uplink (or the host's networking): the backend `auto` picks. */
export function autoBackend(obs: Observation, uplink?: string): { backend: Backend; why: string } {
  const dev = uplink ?? defaultRoute4(obs)?.dev;
  if (dev && obs.managers.netplan.files.some((f) => new RegExp(`^\\s*${dev.replace(/[.]/g, '\\.')}\\s*:`, 'm').test(f.text))) {
    return { backend: 'netplan', why: `${dev} is configured in ${obs.managers.netplan.files.find((f) => f.text.includes(dev))!.path}` };
  }
  if (obs.managers.nmRunning && dev && obs.managers.nmProfilesFor(dev).length) return { backend: 'networkmanager', why: `NetworkManager manages ${dev} (profile ${obs.managers.nmProfilesFor(dev)[0]})` };
  if (obs.managers.networkd.running && dev && obs.managers.networkd.files.some((f) => new RegExp(`^\\s*Name\\s*=.*\\b${dev}\\b`, 'm').test(f.text))) {
    return { backend: 'networkd', why: `systemd-networkd manages ${dev}` };
  }
  if (obs.managers.ifupdown.installed && dev && obs.managers.ifupdown.stanzas.includes(dev)) return { backend: 'ifupdown', why: `${dev} is configured in /etc/network/interfaces` };
  return { backend: 'runtime', why: dev ? `no network manager owns ${dev}` : 'no network manager found' };
}

export interface PlanInput {
  answers: Answers;
  obs: Observation;
  backend: Backend;
  prereqs: Prereq[];
  render: (d: Design, obs: Observation, a: Answers) => { steps: Step[]; notes: string[]; dhcp: string | null };
}

/** Checks whose verdict after setup proves what it built (for the target user). */
function proofChecks(a: Answers): string[] {
  if (a.mode === 'user') return ['qemu-netdev'];
  const out = ['tun-module', 'bridge-state', 'br-netfilter', 'mac-duplicate'];
  if (a.vmKind === 'qemu') out.push('qemu-netdev');
  out.push('tun-perms', ...(a.access === 'helper' ? ['helper-setuid', 'helper-acl'] : ['tap-state']));
  if (a.mode !== 'bridge') out.push('ip-forward', 'nat-masquerade', 'forward-policy');
  return out;
}

function vmsFor(a: Answers, obs: Observation, d: Design | undefined): VmOut[] {
  const seed = `${a.mode}|${a.bridge}|${a.user}`;
  const macs = vmMacs(seed, a.vms, obs.macs);
  return macs.map((mac, i) => {
    const name = `vm${i + 1}`;
    const vm: VmOut = { name, mac };
    const nic = ['-device', `virtio-net-pci,netdev=n0,mac=${mac}`];
    if (a.mode === 'user') {
      const fwd = a.hostfwd.map((f) => `,hostfwd=${f.proto}::${f.hostPort + i}-:${f.guestPort}`).join('');
      vm.qemuArgs = ['-netdev', `user,id=n0${fwd}`, ...nic];
      return vm;
    }
    if (a.access === 'taps') {
      const tap = d!.taps[i]!.name;
      vm.tap = tap;
      if (a.vmKind === 'uml') vm.umlArgs = [`eth0=tuntap,${tap},${mac}`];
      else vm.qemuArgs = ['-netdev', `tap,id=n0,ifname=${tap},script=no,downscript=no`, ...nic];
    } else {
      const helper = obs.helper && !obs.helper.isDefault ? `,helper=${obs.helper.path}` : '';
      vm.qemuArgs = ['-netdev', `bridge,id=n0,br=${a.bridge}${helper}`, ...nic];
    }
    return vm;
  });
}

export function makePlan(input: PlanInput): SetupPlan {
  const { answers: a, obs } = input;
  if (a.vms < 1 || a.vms > 64) throw new Refusal(`--vms ${a.vms}: between 1 and 64`);
  if (a.mode === 'user') {
    if (a.vmKind === 'uml') throw new Refusal("User-Mode Linux has no user-mode (SLIRP) networking without the separate slirp program: use --mode nat or isolated");
    const notes: string[] = ['Nothing changes on this host: QEMU itself forwards the ports and translates the guests\' traffic (no ping from guests, only TCP and UDP).'];
    for (const f of a.hostfwd) {
      for (let i = 0; i < a.vms; i++) {
        const port = f.hostPort + i;
        if (port > 65535) throw new Refusal(`--hostfwd ${f.proto}:${f.hostPort}-:${f.guestPort}: VM ${i + 1} would need host port ${port}`);
        if (obs.listening.some((l) => l.proto === f.proto && l.port === port)) throw new Refusal(`${f.proto} port ${port} is already in use on this host: choose another host port in --hostfwd`);
        if (port < obs.sysctl.unprivPortStart && obs.user.uid !== 0) {
          throw new Refusal(`${f.proto} port ${port} is below net.ipv4.ip_unprivileged_port_start (${obs.sysctl.unprivPortStart}): only root may bind it, and QEMU runs as ${obs.user.name}. Use a port of ${obs.sysctl.unprivPortStart} or more`);
        }
      }
    }
    if (a.vms > 1 && a.hostfwd.length) notes.push(`Each VM forwards its own host ports: VM N uses the given host port + N - 1.`);
    return {
      mode: 'user', backend: 'none', bridge: null, subnet: null, user: obs.user.name, access: null, steps: [], vms: vmsFor(a, obs, undefined),
      notes, risky: [], probes: [], existing: false, checks: proofChecks(a), dhcp: 'QEMU (10.0.2.15 for the guest)',
    };
  }
  if (!obs.root) throw new Refusal('setting up a bridge changes the host and needs root: run qnet setup with sudo');
  if (a.vmKind === 'uml' && a.access !== 'taps') throw new Refusal('User-Mode Linux has no bridge helper: it needs persistent taps (--access taps)');
  if (a.access === 'helper' && !obs.helper) throw new Refusal('qemu-bridge-helper is not installed (Debian: apt-get install qemu-system-common); install it, or use persistent taps with --access taps');
  if (a.access === 'helper' && obs.helper?.aclError && obs.helper.aclError !== 'ENOENT') throw new Refusal(`cannot read ${obs.helper.aclPath} (${obs.helper.aclError})`);

  const d = designFor(a, obs);
  const { steps, notes, dhcp } = input.render(d, obs, a);

  // Access for the target user, common to every backend.
  if (a.access === 'helper') {
    const h = obs.helper!;
    if (!h.allows(a.bridge)) {
      const cur = h.aclText;
      const head = cur ?? '# qemu-bridge-helper ACL: one `allow BRIDGE` or `deny BRIDGE` per line; deny wins.\n';
      const content = head + (head === '' || head.endsWith('\n') ? '' : '\n') + `allow ${a.bridge}\n`;
      const dir = h.aclPath.slice(0, h.aclPath.lastIndexOf('/'));
      steps.push({
        id: 'setup/acl',
        title: `allow ${a.bridge} (only this bridge) in ${h.aclPath}, the bridge helper's ACL`,
        actions: [
          ...(cur === undefined ? [{ kind: 'note' as const, text: `${dir} is created if missing` }] : []),
          { kind: 'write-file', path: h.aclPath, content, mode: 0o644, uid: 0, gid: 0 },
        ],
      });
    }
  }
  for (const p of input.prereqs) {
    steps.push({ id: `setup/${p.plan.id}`, title: `${p.plan.title} (${p.checkId} fails now)`, actions: p.plan.actions });
  }

  // Confirm-or-revert: moving the host's address or default route, or the SSH session's interface.
  const risky: string[] = [];
  const probes: ProbeTarget[] = [];
  if (d.mode === 'bridge' && d.uplink && d.move) {
    const up = d.uplink.name;
    const v4 = d.move.addrs.filter((x) => x.family === 4);
    if (d.move.addrs.length) risky.push(`moves ${d.move.addrs.map((x) => `${x.local}/${x.prefixlen}`).join(', ')} from ${up} to ${a.bridge}`);
    const def = d.move.routes.find((r) => r.dst === 'default');
    if (def) {
      risky.push(`moves the default route (via ${def.gateway ?? up}) to ${a.bridge}`);
      if (def.gateway && def.family === 4) probes.push({ addr: def.gateway, dev: a.bridge, what: `the gateway ${def.gateway}` });
    }
    if (obs.ssh?.dev === up) {
      risky.push(`${up} carries this SSH session (from ${obs.ssh.peer})`);
      const peer = obs.ssh.peer;
      if (peer.includes('%')) probes.push({ addr: peer, dev: peer.split('%')[1]!, what: `the SSH peer ${peer}` });
      else if (v4.some((x) => overlaps({ addr: x.local, len: x.prefixlen }, { addr: peer, len: 32 })) && !peer.includes(':')) {
        probes.push({ addr: peer, dev: a.bridge, what: `the SSH peer ${peer}` });
      }
    }
    for (const s of steps) {
      if (s.id.startsWith('setup/move') || s.id === 'setup/enslave' || s.id === 'setup/persist-uplink' || s.id === 'setup/bring-up') s.risky = risky.join('; ');
    }
  }
  if (d.mode !== 'bridge' && obs.ssh?.dev === a.bridge) risky.push(`${a.bridge} carries this SSH session`);

  return {
    mode: a.mode,
    backend: input.backend,
    bridge: a.bridge,
    subnet: d.addr ? showCidr(d.addr) : null,
    user: obs.user.name,
    access: a.access,
    steps,
    vms: vmsFor(a, obs, d).map((vm, i) => (dhcp === null && d.addr ? { ...vm, staticAddr: `${staticGuestAddr(d.addr, i)}/${d.addr.len}` } : vm)),
    notes,
    risky,
    probes,
    existing: d.existing || Boolean(d.foreign),
    checks: proofChecks(a),
    dhcp,
  };
}
