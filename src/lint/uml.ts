// The rules for a User-Mode Linux command line (result qemu-cmdline), judged as
// linux.uml 6.1 (Debian 12) behaves run as the target user (checked in a
// namespace as a non-root user): eth0=tuntap,TAP opens /dev/net/tun ("Failed to
// open /dev/net/tun, err = 13") and attaches TAP ("TUNSETIFF failed, errno = 1"
// for a tap owned by someone else or missing); eth0=tuntap,,,IP runs the setuid
// uml_net helper ("failed to exec uml_net on host: Permission denied"); a bad
// MAC is ignored for a random one ("setup_etheraddr: failed to parse"); a second
// eth0= is refused with a kernel warning, the first one kept.
import { nodeAccess } from '../facts/devnode.js';
import { which } from '../facts/system.js';
import { modeAllows } from '../facts/users.js';
import { showArgv } from '../output/shell.js';
import { describeError, modeString } from '../host/host.js';
import { tapOwnedBy, validIfname } from '../model/network.js';
import type { Problem, Rule } from './rule.js';

export interface UmlOption {
  /** The argument as given. */
  arg: string;
  dev: string;
  /** eth or vec */
  value: string;
  transport: string;
  rest: string[];
  /** A later ethN= of the same device: UML refuses it. */
  repeated: boolean;
}

export interface UmlInput {
  opts: UmlOption[];
}

export function umlInput(argv: readonly string[]): UmlInput {
  const seen = new Set<string>();
  const opts: UmlOption[] = [];
  for (const a of argv.slice(1)) {
    const m = /^(eth\d+|vec\d+)[=:](.*)$/.exec(a);
    if (!m) continue;
    const [transport = '', ...rest] = m[2]!.split(',');
    opts.push({ arg: a, dev: m[1]!, value: m[2]!, transport, rest, repeated: seen.has(m[1]!) });
    seen.add(m[1]!);
  }
  return { opts };
}

const tuntap = (input: UmlInput) => input.opts.filter((o) => !o.repeated && o.dev.startsWith('eth') && o.transport === 'tuntap');

const shapes: Rule<UmlInput> = {
  name: 'UML network options',
  run: (_s, input) =>
    input.opts.flatMap((o): Problem[] => {
      if (o.repeated) return [{ level: 'warn', text: `${o.dev}= is given twice: UML keeps the first and refuses the second (a kernel warning in register_tuntap)` }];
      if (o.dev.startsWith('vec')) return [{ level: 'note', text: `${o.dev}=${o.value}: the vector driver (transport=tap/raw/gre/l2tpv3...) is recognised but not judged` }];
      if (o.transport !== 'tuntap') return [{ level: 'note', text: `${o.dev}=${o.transport}: the ${o.transport || '(empty)'} transport (vde, daemon, mcast, slirp, pcap, ethertap) is recognised but not judged` }];
      const [tap = '', mac = '', ip = ''] = o.rest;
      const out: Problem[] = [];
      if (mac && !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) out.push({ level: 'warn', text: `${o.dev}: "${mac}" is not a MAC address: UML prints "setup_etheraddr: failed to parse" and picks a random one` });
      else if (mac && parseInt(mac.slice(0, 2), 16) & 1) out.push({ level: 'warn', text: `${o.dev}: ${mac} is a multicast MAC (first byte odd): UML refuses it and picks a random one` });
      if (!tap && !ip) out.push({ level: 'warn', text: `${o.dev}=tuntap with no tap name and no IP: the uml_net helper has no address to set up` });
      if (tap && !validIfname(tap)) out.push({ level: 'fail', text: `${o.dev}: tap name "${tap}" is not a valid interface name (1-15 bytes, no spaces, '/' or ':')` });
      return out;
    }),
};

/** ethN=tuntap,TAP: the tap exists (or root's UML creates it) and the user may attach it. */
const taps: Rule<UmlInput> = {
  name: 'the taps on this host',
  run(s, input) {
    const out: Problem[] = [];
    for (const o of tuntap(input)) {
      const tap = o.rest[0] ?? '';
      if (!tap || !validIfname(tap)) continue;
      const link = s.net.link(tap);
      if (!link && s.user.uid === 0) {
        // Root's TUNSETIFF creates the tap; nothing then puts it on a bridge or gives it an address.
        out.push({ level: 'warn', text: `${o.dev}: tap ${tap} does not exist: UML run as root creates it, but on no bridge and without an address, so the guest reaches nothing until you add it (${showArgv(['ip', 'link', 'set', tap, 'master'])} BRIDGE, or an address and routes)` });
        continue;
      }
      if (!link) {
        out.push({ level: 'fail', text: `${o.dev}: tap ${tap} does not exist, and UML run by ${s.user.name} cannot create it (UML: "TUNSETIFF failed, errno = 1"); create it: ${showArgv(['ip', 'tuntap', 'add', 'dev', tap, 'mode', 'tap', 'user', s.user.name])}` });
        continue;
      }
      s.trigger('tap-state');
      if (link.kind !== 'tap') {
        out.push({ level: 'fail', text: `${o.dev}: ${tap} is a ${link.kind === 'nic' ? 'network interface' : link.kind}, not a tap` });
        continue;
      }
      const owner = link.tun?.ownerName ?? link.tun?.owner;
      if (s.user.uid !== 0 && owner !== undefined && !tapOwnedBy(link, s.user)) {
        out.push({ level: 'fail', text: `${o.dev}: tap ${tap} belongs to ${link.tun?.ownerName ?? `uid ${link.tun?.owner}`}, not ${s.user.name}, so UML cannot attach it (UML: "TUNSETIFF failed, errno = 1"); recreate it: ${showArgv(['ip', 'tuntap', 'del', 'dev', tap, 'mode', 'tap'])}; ${showArgv(['ip', 'tuntap', 'add', 'dev', tap, 'mode', 'tap', 'user', s.user.name])}` });
      } else if (s.user.uid !== 0 && owner === undefined) {
        out.push({ level: 'fail', text: `${o.dev}: tap ${tap} has no owner, so only root (CAP_NET_ADMIN) can attach it (UML: "TUNSETIFF failed, errno = 1")` });
      }
      s.evidence.push({ source: s.net.source, observed: `${tap}${owner !== undefined ? ` owner ${owner}` : ''}` });
    }
    return out;
  },
};

/** /dev/net/tun, judged as tun-perms judges it (mode, groups, ACLs). */
const tun: Rule<UmlInput> = {
  name: '/dev/net/tun',
  async run(s, input) {
    if (!tuntap(input).some((o) => (o.rest[0] ?? '') === '' || validIfname(o.rest[0] ?? ''))) return [];
    s.trigger('tun-perms');
    const acc = await nodeAccess(s.ctx, '/dev/net/tun');
    s.evidence.push(...acc.evidence.filter((e) => e.source !== 'user'));
    if (!acc.node.ok) return acc.node.code === 'NOTCAPTURED' ? [] : [{ level: 'fail', text: `/dev/net/tun: ${acc.shown} (UML: "Failed to open /dev/net/tun")` }];
    return acc.how ? [] : [{ level: 'fail', text: `/dev/net/tun is not readable and writable by ${s.user.name} (UML: "Failed to open /dev/net/tun, err = 13")` }];
  },
};

/** ethN=tuntap,,,IP runs the uml_net helper: present, executable by the user, setuid root. */
const umlNet: Rule<UmlInput> = {
  name: 'the uml_net helper',
  async run(s, input) {
    if (!tuntap(input).some((o) => !(o.rest[0] ?? ''))) return [];
    const path = (await which(s.ctx, 'uml_net')) ?? '/usr/bin/uml_net';
    const st = await s.ctx.host.stat(path);
    if (!st.ok) return [{ level: 'fail', text: `ethN=tuntap,,,IP runs the uml_net helper, and ${path} is missing (${describeError(st)}; Debian: apt install uml-utilities)` }];
    s.evidence.push({ source: `stat ${path}`, observed: `${modeString(st.value.mode)} ${st.value.uid}:${st.value.gid}` });
    if (!modeAllows(s.user, st.value, 1)) return [{ level: 'fail', text: `${path} is not executable by ${s.user.name} (mode ${modeString(st.value.mode)}, group ${st.value.gid}: Debian gives it to group uml-net; UML: "failed to exec uml_net on host: Permission denied")` }];
    if (s.user.uid !== 0 && (st.value.uid !== 0 || (st.value.mode & 0o4000) === 0)) return [{ level: 'fail', text: `${path} is not setuid root, so it cannot create a tap for ${s.user.name}` }];
    return [];
  },
};

export const UML_RULES: readonly Rule<UmlInput>[] = [shapes, taps, tun, umlNet];
