// Evidence from the shape of a paste rather than from a message: a listing of
// the interfaces that exist (`ip link`, `ip addr`, `ip -br link`, ifconfig)
// beside network configuration (netplan, interfaces(5), NetworkManager,
// ifcfg, systemd-networkd) that names a NIC the listing does not show. The
// config then waits for an interface that is not there: inside a guest the
// NIC got another (predictable) name; on a host a bridge port names a NIC
// that was renamed. One pass over the lines, every pattern anchored and
// bounded, so a long log stays linear.
import type { Entry } from './catalogue.js';
import type { CauseId } from './causes.js';
import type { Match } from './match.js';

/** Names a kernel gives NICs (eth0, ens3, enp0s3, eno1, enx…, em1, p1p1, wlp2s0 …); bridges, bonds and taps are created by the config itself. */
const NIC_NAME = /^(?:eth\d{1,3}|en[a-z][a-z0-9_]{0,13}|em\d{1,3}|p\d{1,3}p\d{1,3}|wl[a-z0-9_]{1,13}|ww[a-z0-9_]{1,13})$/;

// Listings of the interfaces that exist.
/** `ip link` / `ip addr`: "2: enp0s9: <BROADCAST,…>" or "3: eth0@if12: <…>". */
const IP_LINK = /^\s{0,8}(\d{1,6}):\s{1,4}([A-Za-z0-9_.:-]{1,32}?)(?:@[A-Za-z0-9_.-]{1,32})?:\s{1,4}</;
/** `ip -br link` / `ip -br addr`: "enp0s9   UP   52:54:…" (state in capitals). */
const IP_BRIEF = /^([A-Za-z0-9_.-]{1,32})(?:@[A-Za-z0-9_.-]{1,32})?\s{1,40}(?:UP|DOWN|UNKNOWN|LOWERLAYERDOWN|DORMANT|NOTPRESENT)(?:\s|$)/;
/** ifconfig: "enp0s9: flags=4163<UP,…>" (net-tools 2) or "eth0      Link encap:Ethernet" (older). */
const IFCONFIG = /^([A-Za-z0-9_.-]{1,32}):? {1,12}(?:flags=\d|Link encap:)/;

// Configuration naming interfaces.
/** interfaces(5): "auto eth0", "allow-hotplug eth0", "iface eth0 inet dhcp". */
const IFUPDOWN = /^\s{0,8}(?:auto|allow-hotplug|allow-auto|iface)\s{1,8}([A-Za-z0-9_.:-]{1,32})(?:\s|$)/;
/** interfaces(5) bridge/bond ports: "bridge_ports eth0 tap0", "bridge-ports enp3s0", "bond-slaves …". */
const IFUPDOWN_PORTS = /^\s{0,16}(?:bridge[_-]ports|bond[_-]slaves)\s{1,8}([A-Za-z0-9_.: -]{1,200})$/;
/** NetworkManager keyfile / nmcli: "interface-name=enp0s3", "connection.interface-name: enp0s3". */
const NM_IFNAME = /^\s{0,8}(?:connection\.)?interface-name\s{0,4}[=:]\s{0,40}([A-Za-z0-9_.-]{1,32})\s{0,8}$/;
/** ifcfg: DEVICE=eth0; networkd [Match]: Name=eth0 (globs are skipped). */
const IFCFG = /^\s{0,8}(?:DEVICE|Name)\s{0,4}=\s{0,4}"?([A-Za-z0-9_.*?-]{1,32})"?\s{0,8}$/;
/** A netplan section whose keys are interface ids. */
const NETPLAN_SECTION = /^(\s{0,16})(ethernets|bridges|bonds|vlans|wifis|modems|tunnels|vrfs):\s{0,8}$/;
/** A YAML key on its own line: "  enp0s10:". */
const YAML_KEY = /^(\s{0,32})([A-Za-z0-9_.-]{1,32}):\s{0,8}(?:#.{0,200})?$/;
/** netplan ports: "interfaces: [enp3s0, enp4s0]" or "interfaces:" followed by "- enp3s0" lines. */
const NETPLAN_PORTS = /^\s{0,32}interfaces:\s{0,8}(?:\[([A-Za-z0-9_., -]{0,200})\])?\s{0,8}$/;
const YAML_ITEM = /^\s{0,32}-\s{1,4}([A-Za-z0-9_.-]{1,32})\s{0,8}$/;
/** A netplan id matched by other means (match:) is not an interface name. */
const NETPLAN_MATCH = /^\s{0,32}match:\s{0,8}$/;

interface Named {
  name: string;
  /** 1-based line. */
  line: number;
  /** Named as a bridge or bond port (a host uplink) rather than as an interface of its own. */
  port: boolean;
  /** A netplan id matched by MAC or driver (match:), not by its name. */
  dropped?: boolean;
}

/** Interfaces a paste lists as existing, and NICs its configuration names. */
export function interfaceNames(input: string): { listed: Set<string>; full: boolean; configured: Named[] } {
  const lines = input.replace(/\r\n?/g, '\n').split('\n');
  const listed = new Set<string>();
  let full = false;
  const configured: Named[] = [];
  // netplan state: the section's indentation, the indentation of its ids, the id being read.
  let section: { indent: number; kind: string; idIndent: number } | undefined;
  let current: Named | undefined;
  let portList: { indent: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.length > 400) continue;
    const line = raw.replace(/\t/g, '    ');
    let m: RegExpExecArray | null;
    if ((m = IP_LINK.exec(line))) {
      listed.add(m[2]!);
      if (m[2] === 'lo' || Number(m[1]) <= 2) full = true;
      continue;
    }
    if ((m = IP_BRIEF.exec(line)) || (m = IFCONFIG.exec(line))) {
      listed.add(m[1]!);
      if (m[1] === 'lo') full = true;
      continue;
    }
    if ((m = IFUPDOWN.exec(line))) {
      configured.push({ name: m[1]!, line: i + 1, port: false });
      continue;
    }
    if ((m = IFUPDOWN_PORTS.exec(line))) {
      for (const n of m[1]!.split(/\s+/)) if (n) configured.push({ name: n, line: i + 1, port: true });
      continue;
    }
    if ((m = NM_IFNAME.exec(line)) || (m = IFCFG.exec(line))) {
      if (!/[*?]/.test(m[1]!)) configured.push({ name: m[1]!, line: i + 1, port: false });
      continue;
    }
    // netplan
    if (!line.trim()) continue;
    const indent = line.length - line.trimStart().length;
    if (portList) {
      if ((m = YAML_ITEM.exec(line)) && indent >= portList.indent) {
        configured.push({ name: m[1]!, line: i + 1, port: true });
        continue;
      }
      portList = undefined;
    }
    if ((m = NETPLAN_SECTION.exec(line))) {
      section = { indent: m[1]!.length, kind: m[2]!, idIndent: -1 };
      current = undefined;
      continue;
    }
    if (!section) continue;
    if (indent <= section.indent) {
      section = undefined;
      current = undefined;
      continue;
    }
    if (section.idIndent < 0) section.idIndent = indent;
    if (indent === section.idIndent && (m = YAML_KEY.exec(line))) {
      // Only ethernets ids must already exist; the others are created by netplan.
      current = section.kind === 'ethernets' ? { name: m[2]!, line: i + 1, port: false } : undefined;
      if (current) configured.push(current);
      continue;
    }
    if (indent > section.idIndent) {
      if (current && NETPLAN_MATCH.test(line)) {
        current.dropped = true;
        current = undefined;
      } else if ((m = NETPLAN_PORTS.exec(line))) {
        if (m[1] !== undefined) for (const n of m[1].split(/[\s,]+/)) if (n) configured.push({ name: n, line: i + 1, port: true });
        if (m[1] === undefined) portList = { indent };
      }
    }
  }
  return { listed, full, configured: configured.filter((c) => !c.dropped && NIC_NAME.test(c.name)) };
}

function entry(causeId: CauseId, id: string, message: string, cause: string, fix: string): Entry {
  return { id, causeId, message, source: 'qnet: the pasted interface listing compared with the pasted network configuration', pattern: '', checkIds: ['guest-ifname', 'ifname-mismatch'], cause, fix, weight: 0.84 };
}

const GUEST_ENTRY = entry(
  'guest-ifname',
  'structure-config-names-absent-nic',
  'the network configuration names an interface the pasted interface listing does not show',
  'the configuration waits for a NIC name that does not exist here (the NIC has another name, e.g. a predictable one), so that interface never comes up',
  'Put the name the listing shows into the configuration (or match the NIC by MAC address), then apply it again (netplan apply, ifup, nmcli con up).',
);
const PORT_ENTRY = entry(
  'ifname-mismatch',
  'structure-bridge-port-absent-nic',
  'a bridge or bond port in the configuration is an interface the pasted interface listing does not show',
  'the bridge names an uplink port that does not exist here (the NIC was renamed), so the bridge comes up without it',
  'Put the NIC name the listing shows into the bridge ports (bridge-ports, netplan interfaces:, the NetworkManager port profile) and pin names by MAC.',
);

/** Hits for configured NICs absent from a full interface listing in the same paste (none without both). */
export function structuralHits(input: string): Match[] {
  // Cheap gate: a listing and a configuration must both be there.
  if (!/(?:^|\n)\s{0,8}\d{1,6}:\s{1,4}\S|\b(?:UP|DOWN|UNKNOWN)\b|flags=|Link encap:/.test(input)) return [];
  const { listed, full, configured } = interfaceNames(input);
  if (!full || listed.size < 2 || !configured.length) return [];
  const hits: Match[] = [];
  const seen = new Set<string>();
  for (const c of configured) {
    if (listed.has(c.name) || seen.has(c.name)) continue;
    seen.add(c.name);
    const e = c.port ? PORT_ENTRY : GUEST_ENTRY;
    hits.push({ entry: e, checkIds: [...e.checkIds], cause: e.cause, fix: e.fix, confidence: e.weight, matched: c.name, causeId: e.causeId, line: c.line });
  }
  return hits;
}
