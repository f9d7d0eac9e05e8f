// Redaction that keeps the story (after sos clean): every IP address (v4 and
// v6), MAC, host name and user name is replaced by a consistent pseudonym, so
// the same address is the same pseudonym everywhere and a subnet stays a subnet.
// Well-known, harmless values stay: loopback, QEMU's 52:54:00:12:34:56 default
// MAC (and the 52:54:00 prefix of any VM NIC), user networking's 10.0.2.x,
// libvirt's 192.168.122.0/24, IPv4 link-local, netmasks, multicast, ::1 and ::.
//
// User and host names are identifiers, never substrings: a local user called
// `qemu` or `bridge` must not turn `/etc/qemu-ifup` into `/etc/user4-ifup` or
// "the user, tap and bridge backends" into "… user3 backends". So names are
// replaced at the source, in the host record the report is diagnosed from (the
// passwd and group fields, tap owners, the host name, the invoking user:
// `pseudonymiseReads`), and the checks then phrase their findings with the
// pseudonyms. In the finished text, `Redactor.text` replaces addresses and MACs,
// and names only where they stand as identifiers: `/home/NAME`, `NAME@host`,
// `user=NAME`, `OWNER="NAME"`, `-runas NAME`, a fully qualified host name.
import { isIPv6 } from 'node:net';
import type { ReadRecord } from '../host/record.js';

export interface Redactor {
  text(s: string): string;
}

/** Real names → pseudonyms (user1…, host1…). */
export interface NameMap {
  users: Map<string, string>;
  hosts: Map<string, string>;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---------------------------------------------------------------------------
// Which names: the report's own list, from the host record it describes

interface PasswdLine {
  name: string;
  uid: number;
}

function passwdOf(reads: Record<string, ReadRecord>): PasswdLine[] {
  const rec = reads['file /etc/passwd'];
  const body = rec?.ok && 'text' in rec ? rec.text : '';
  const out: PasswdLine[] = [];
  for (const line of body.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && f[0] && !line.startsWith('#')) out.push({ name: f[0], uid: Number(f[2]) });
  }
  for (const [key, r] of Object.entries(reads)) {
    if (!key.startsWith('exec ["getent","passwd",') || !r.ok || !('exec' in r)) continue;
    for (const line of r.exec.stdout.split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && f[0]) out.push({ name: f[0], uid: Number(f[2]) });
    }
  }
  return out;
}

/** A person's account: uid 1000 up to (not including) nobody's 65534. */
const isPersonUid = (uid: number) => Number.isInteger(uid) && uid >= 1000 && uid < 65534;

/**
 * The names a redacted report replaces, and their pseudonyms: every person's
 * account in the host's passwd (and NSS answers), the judged, invoking and sudo
 * users unless they are system accounts, and the host name (with its short form).
 * Pseudonyms follow the order of the passwd file, so the same host gives the same
 * report.
 */
export function reportNames(
  reads: Record<string, ReadRecord>,
  extra: { users?: (string | null | undefined)[]; hostname?: string } = {},
): NameMap {
  const users = new Map<string, string>();
  const passwd = passwdOf(reads);
  const add = (name: string) => {
    if (name && name !== 'root' && !users.has(name)) users.set(name, `user${users.size + 1}`);
  };
  for (const p of passwd) if (isPersonUid(p.uid)) add(p.name);
  for (const u of extra.users ?? []) {
    if (!u || /^\d+$/.test(u)) continue;
    const known = passwd.find((p) => p.name === u);
    if (!known || isPersonUid(known.uid)) add(u);
  }
  const hosts = new Map<string, string>();
  const hostRec = reads['file /proc/sys/kernel/hostname'];
  const full = (extra.hostname ?? (hostRec?.ok && 'text' in hostRec ? hostRec.text : '')).trim();
  if (full && full !== 'localhost' && full !== 'unknown') {
    hosts.set(full, 'host1');
    const short = full.split('.')[0]!;
    if (short !== full) hosts.set(short, 'host1');
  }
  return { users, hosts };
}

// ---------------------------------------------------------------------------
// Names replaced at the source: the host record the report is diagnosed from

/** Rename keys "user", "group", "owner" of a JSON document (iproute2's tap owners). */
function renameJson(value: unknown, map: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => renameJson(v, map));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = typeof v === 'string' && /^(user|group|owner)$/.test(k) && map.has(v) ? map.get(v) : renameJson(v, map);
    }
    return out;
  }
  return value;
}

const renameHome = (s: string, map: Map<string, string>) =>
  s.replace(/(\/home\/)([^/:\s"']+)/g, (m, pre: string, name: string) => (map.has(name) ? `${pre}${map.get(name)}` : m));

function renamePasswd(body: string, map: Map<string, string>): string {
  return body
    .split('\n')
    .map((line) => {
      const f = line.split(':');
      if (f.length < 3 || line.startsWith('#')) return line;
      if (map.has(f[0]!)) f[0] = map.get(f[0]!)!;
      if (f.length >= 6) f[5] = renameHome(f[5]!, map);
      if (f.length >= 5) f[4] = '';
      return f.join(':');
    })
    .join('\n');
}

function renameGroup(body: string, map: Map<string, string>): string {
  return body
    .split('\n')
    .map((line) => {
      const f = line.split(':');
      if (f.length < 3 || line.startsWith('#')) return line;
      if (map.has(f[0]!)) f[0] = map.get(f[0]!)!;
      if (f.length >= 4) f[3] = f[3]!.split(',').map((m) => map.get(m.trim()) ?? m).join(',');
      return f.join(':');
    })
    .join('\n');
}

/**
 * The host record with user and host names replaced where the system keeps them as
 * identities: passwd and group entries (names, members, home directories; GECOS
 * emptied), `getent passwd NAME` answers, tap owners in iproute2's JSON, the host
 * name. Diagnosing this record gives the host's findings phrased with pseudonyms.
 */
export function pseudonymiseReads(reads: Record<string, ReadRecord>, names: NameMap): Record<string, ReadRecord> {
  const users = names.users;
  const out: Record<string, ReadRecord> = {};
  for (const [key, rec] of Object.entries(reads)) {
    let k = key;
    let r = rec;
    if (key === 'file /etc/passwd' && rec.ok && 'text' in rec) r = { ok: true, text: renamePasswd(rec.text, users) };
    else if (key === 'file /etc/group' && rec.ok && 'text' in rec) r = { ok: true, text: renameGroup(rec.text, users) };
    else if ((key === 'file /proc/sys/kernel/hostname' || key === 'file /etc/hostname') && rec.ok && 'text' in rec) {
      const h = rec.text.trim();
      r = { ok: true, text: rec.text.replace(h, names.hosts.get(h) ?? h) };
    } else if (key.startsWith('exec ')) {
      const argv = JSON.parse(key.slice(5)) as string[];
      if (argv[0] === 'getent' && argv.length === 3 && users.has(argv[2]!)) k = `exec ${JSON.stringify([argv[0], argv[1], users.get(argv[2]!)])}`;
      if (rec.ok && 'exec' in rec) {
        let stdout = rec.exec.stdout;
        if (argv[0] === 'getent') stdout = argv[1] === 'group' ? renameGroup(stdout, users) : renamePasswd(stdout, users);
        else if (argv[0] === 'ip' && argv.includes('-j')) {
          try {
            stdout = JSON.stringify(renameJson(JSON.parse(stdout), users));
          } catch {
            /* not JSON: left as it is */
          }
        }
        r = { ok: true, exec: { ...rec.exec, stdout } };
      }
    }
    out[k] = r;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Addresses and MACs, in any text

const KEEP_NET = [/^127\./, /^10\.0\.2\./, /^192\.168\.122\./, /^169\.254\./, /^0\./, /^255\./, /^2(2[4-9]|3\d)\./, /^198\.1[89]\./];
const KEEP_MAC = new Set(['52:54:00:12:34:56', '00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff']);
const KEEP_V6 = new Set(['::', '::1']);

const hex4 = (n: number) => n.toString(16);

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail included). */
function v6Groups(addr: string): number[] {
  let a = addr.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number) as [number, number, number, number];
    a = `${a.slice(0, v4.index)}${hex4((b0 << 8) | b1)}:${hex4((b2 << 8) | b3)}`;
  }
  const [head, tail] = a.includes('::') ? a.split('::') as [string, string] : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail !== undefined ? Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((g) => parseInt(g || '0', 16));
}

/** The compressed text form of eight groups (RFC 5952: the longest run of zeros becomes ::). */
function v6Text(g: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const parts = g.map(hex4);
  if (best < 0) return parts.join(':');
  return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
}

/** Pseudonyms for a given list of names, in order (user1…, host1). */
export function nameMap(users: readonly string[], hostnames: readonly string[]): NameMap {
  return {
    users: new Map([...new Set(users)].filter((u) => u && u !== 'root').map((u, i) => [u, `user${i + 1}`])),
    hosts: new Map(hostnames.filter((x) => x && x !== 'localhost').map((x) => [x, 'host1'])),
  };
}

export function makeRedactor(map: NameMap): Redactor {
  const nets = new Map<string, string>();
  const macs = new Map<string, string>();
  const v6nets = new Map<string, number>();
  const ulaNets = new Map<string, number>();
  const iids = new Map<string, string>();

  const ip = (addr: string) => {
    if (KEEP_NET.some((re) => re.test(addr))) return addr;
    const parts = addr.split('.');
    const net = parts.slice(0, 3).join('.');
    // 198.18.0.0/15 is reserved for benchmarking: a pseudonym that can never be someone's real address.
    if (!nets.has(net)) nets.set(net, `198.${18 + Math.floor(nets.size / 256)}.${nets.size % 256}`);
    return `${nets.get(net)}.${parts[3]}`;
  };
  // Pseudonyms handed out stay as they are: text made from an already pseudonymised record
  // (the report's own snapshot) passes through the redactor again unchanged.
  const issuedMacs = new Set<string>();
  const issuedV6 = new Set<string>();
  const mac = (m: string) => {
    const lower = m.toLowerCase();
    if (KEEP_MAC.has(lower) || (issuedMacs.has(lower) && !macs.has(lower))) return lower;
    if (!macs.has(lower)) {
      const n = macs.size + 1;
      const tail = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((x) => x.toString(16).padStart(2, '0')).join(':');
      // Keep QEMU's 52:54:00 prefix so a reader still sees "a VM's NIC"; others become locally administered.
      macs.set(lower, lower.startsWith('52:54:00:') ? `52:54:00:${tail}` : `02:00:00:${tail}`);
      issuedMacs.add(macs.get(lower)!);
    }
    return macs.get(lower)!;
  };
  /** An interface identifier (the low 64 bits): from a MAC (EUI-64) it follows that MAC's pseudonym. */
  const iid = (g: number[]): number[] => {
    const low = g.slice(4);
    if ((low[1]! & 0xff) === 0xff && low[2]! >> 8 === 0xfe) {
      const bytes = [low[0]! >> 8 ^ 0x02, low[0]! & 0xff, low[1]! >> 8, low[2]! & 0xff, low[3]! >> 8, low[3]! & 0xff];
      const p = mac(bytes.map((b) => b.toString(16).padStart(2, '0')).join(':')).split(':').map((x) => parseInt(x, 16));
      return [((p[0]! ^ 0x02) << 8) | p[1]!, (p[2]! << 8) | 0xff, 0xfe00 | p[3]!, (p[4]! << 8) | p[5]!];
    }
    // Small identifiers (::1, ::5, ::100 of a static plan) say nothing about a machine.
    if (low[0] === 0 && low[1] === 0 && low[2] === 0) return low;
    const key = low.join(':');
    if (!iids.has(key)) iids.set(key, `0:0:${iids.size + 1 >> 16}:${(iids.size + 1) & 0xffff}`);
    return iids.get(key)!.split(':').map(Number);
  };
  const ip6 = (addr: string) => {
    const lower = addr.toLowerCase();
    if (issuedV6.has(lower)) return lower;
    const out = ip6New(lower);
    issuedV6.add(out);
    return out;
  };
  const ip6New = (lower: string) => {
    if (KEEP_V6.has(lower)) return lower;
    const g = v6Groups(lower);
    if (g[0]! >= 0xff00) return lower; // multicast: ff02::1 and friends are well known
    if ((g[0]! & 0xffc0) === 0xfe80) return v6Text([0xfe80, 0, 0, 0, ...iid(g)]); // link-local: the prefix stays
    if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
      const v4 = ip([g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff].join('.'));
      return `::ffff:${v4}`;
    }
    // The routing prefix (/48) is what identifies a site: a pseudonym per prefix, in
    // 2001:db8::/32 (documentation, never routed) or, for a ULA, fd00::/8. The subnet
    // ID stays, so a /64 stays a /64 of the same /48.
    const ula = (g[0]! & 0xfe00) === 0xfc00;
    const nets6 = ula ? ulaNets : v6nets;
    const key = g.slice(0, 3).join(':');
    if (!nets6.has(key)) nets6.set(key, nets6.size + 1);
    const n = nets6.get(key)!;
    const prefix = ula ? [0xfd00, 0, n & 0xffff] : [0x2001, 0xdb8, n & 0xffff];
    return v6Text([...prefix, g[3]!, ...iid(g)]);
  };

  const userAlt = [...map.users.keys()].sort((a, b) => b.length - a.length).map(escapeRe).join('|');
  const hostAlt = [...map.hosts.keys()].sort((a, b) => b.length - a.length).map(escapeRe).join('|');
  const NB = '(?![\\w.-]*[\\w-])'; // the name ends here: no further name character (a final '.' is punctuation)
  const NA = '(?<![\\w.-])';
  const idPatterns: [RegExp, (name: string) => string | undefined][] = [];
  if (userAlt) {
    const u = (n: string) => map.users.get(n);
    // /home/NAME, ~NAME, NAME@host
    idPatterns.push([new RegExp(`(?<=/home/)(${userAlt})${NB}`, 'g'), u]);
    idPatterns.push([new RegExp(`(?<=(?:^|[\\s"'(=:])~)(${userAlt})${NB}`, 'g'), u]);
    idPatterns.push([new RegExp(`${NA}(${userAlt})(?=@[\\w-])`, 'g'), u]);
    // user=NAME, OWNER="NAME", User=NAME, -runas NAME, user NAME, owner NAME, user:NAME (NetworkManager permissions)
    idPatterns.push([new RegExp(`(?<=\\b(?:user|owner|group|runas|username|login)(?:==?|:)\\s*["']?)(${userAlt})${NB}`, 'gi'), u]);
    idPatterns.push([new RegExp(`(?<=(?:\\buser|\\bowner|-runas)\\s+["']?)(${userAlt})${NB}`, 'g'), u]);
  }
  if (hostAlt) {
    const h = (n: string) => map.hosts.get(n);
    idPatterns.push([new RegExp(`(?<=@)(${hostAlt})${NB}`, 'g'), h]);
    idPatterns.push([new RegExp(`(?<=\\bhost(?:name)?[=:]\\s*["']?)(${hostAlt})${NB}`, 'gi'), h]);
    // A fully qualified name cannot be an ordinary word: replaced wherever it stands.
    const fqdn = [...map.hosts.keys()].filter((x) => x.includes('.')).map(escapeRe).join('|');
    if (fqdn) idPatterns.push([new RegExp(`${NA}(${fqdn})${NB}`, 'g'), h]);
  }

  return {
    text(s: string): string {
      let out = s.replace(/(?<![\w:])([0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5})(?![\w:])/g, (m) => mac(m));
      out = out.replace(/(?<![\w:.])((?:[0-9a-fA-F]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F]{1,4})?)(?![\w:]|\.\d)/g, (m) => (m.includes(':') && isIPv6(m) ? ip6(m) : m));
      out = out.replace(/(?<![\w.])(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?![\w]|\.\d)/g, (m) => (m.split('.').every((x) => Number(x) <= 255) ? ip(m) : m));
      for (const [re, rename] of idPatterns) out = out.replace(re, (m) => rename(m) ?? m);
      return out;
    },
  };
}
