// The snapshot a report carries: the host record the report was diagnosed from,
// with addresses and MACs replaced by the report's own pseudonyms (so a replay
// shows what the report shows, and the real values are not in it), and made
// small enough for a tracker: bytes of QEMU's string table that no check reads
// are zeroed, and if it still does not fit, the interface listing keeps only
// the fields qnet reads. Each variant is replayed before it is used.
import { readDynamic } from '../parse/elf.js';
import { escapeControlsInStrings } from '../parse/ip-json.js';
import type { ReadRecord } from '../host/record.js';
import type { Redactor } from '../output/redact-report.js';

// ---------------------------------------------------------------------------
// Addresses and MACs, in every read

const hexToV4 = (h: string) => [6, 4, 2, 0].map((i) => parseInt(h.slice(i, i + 2), 16)).join('.');
const v4ToHex = (a: string, upper: boolean) => {
  const h = a.split('.').map((x) => Number(x).toString(16).padStart(2, '0')).reverse().join('');
  return upper ? h.toUpperCase() : h;
};

/** A little-endian hex IPv4 address (/proc/net/route, /proc/net/tcp) through the redactor. */
function hexV4(h: string, r: Redactor): string {
  const before = hexToV4(h);
  const after = r.text(before);
  return after === before || !/^\d+\.\d+\.\d+\.\d+$/.test(after) ? h : v4ToHex(after, h === h.toUpperCase());
}

/** 32 hex digits of an IPv6 address (/proc/net/if_inet6, /proc/net/tcp6 as printed there) through the redactor. */
function hexV6(h: string, r: Redactor): string {
  const text = h.match(/.{4}/g)!.join(':');
  const after = r.text(text);
  if (after === text) return h;
  const groups = expandV6(after);
  return groups ? groups.map((g) => g.toString(16).padStart(4, '0')).join('') : h;
}

function expandV6(a: string): number[] | undefined {
  const [head, tail] = a.includes('::') ? (a.split('::') as [string, string]) : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail !== undefined ? Array(8 - h.length - t.length).fill('0') : [];
  const g = [...h, ...fill, ...t].map((x) => parseInt(x || '0', 16));
  return g.length === 8 && g.every((x) => Number.isInteger(x)) ? g : undefined;
}

/** iproute2 prints bridge ids as PRIO.MAC with unpadded bytes (`8000.a:fd:72:e9:c:5a`). */
const BRIDGE_ID = /\b([0-9a-f]{4})\.([0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5})\b/g;

function textOf(path: string | undefined, body: string, r: Redactor): string {
  if (path === '/proc/net/route') {
    return body.split('\n').map((line, i) => {
      if (i === 0) return line;
      const f = line.split('\t');
      if (f.length < 8) return line;
      f[1] = hexV4(f[1]!, r);
      f[2] = hexV4(f[2]!, r);
      return f.join('\t');
    }).join('\n');
  }
  if (path === '/proc/net/if_inet6') return body.replace(/^[0-9a-f]{32}/gm, (h) => hexV6(h, r));
  if (path && /^\/proc\/(?:\d+\/|self\/)?net\/(?:tcp|udp)6?$/.test(path)) {
    return body.replace(/\b([0-9A-F]{32}|[0-9A-F]{8}):([0-9A-F]{4})\b/g, (_m, a: string, port: string) => `${a.length === 32 ? hexV6(a.toLowerCase(), r).toUpperCase() : hexV4(a, r)}:${port}`);
  }
  const out = r.text(body);
  return out.replace(BRIDGE_ID, (m, prio: string, mac: string) => {
    const full = mac.split(':').map((b) => b.padStart(2, '0')).join(':');
    const after = r.text(full);
    return after === full ? m : `${prio}.${after.split(':').map((b) => b.replace(/^0(?=.)/, '')).join(':')}`;
  });
}

/**
 * A command line's arguments through the redactor, each seen with the one before
 * it, so `-runas NAME` (two arguments) is an identity as it is in one string.
 */
function argvOf(argv: string[], r: Redactor): string[] {
  return argv.map((a, i) => {
    const own = textOf(undefined, a, r);
    if (i === 0) return own;
    const pre = argv[i - 1]!;
    const both = r.text(`${pre} ${a}`);
    const head = `${r.text(pre)} `;
    return both.startsWith(head) && both.slice(head.length) !== a ? both.slice(head.length) : own;
  });
}

/**
 * Free text the checks do not read: whole-line comments of configuration files
 * (interfaces(5), netplan, keyfiles, udev rules, bridge.conf, scripts). A comment
 * can hold anything (a person's name, an address written oddly), so a redacted
 * snapshot keeps only its `#`; lines stay where they were, a script's `#!` stays.
 */
export function blankComments(body: string): string {
  return body
    .split('\n')
    .map((line, i) => (i === 0 && line.startsWith('#!') ? line : line.replace(/^(\s*[#;]).*?(\r?)$/, '$1$2')))
    .join('\n');
}

const isConfig = (path: string | undefined) => Boolean(path && /^\/(etc|lib|usr\/lib|run)\//.test(path) && !/^\/(proc|sys|dev)\//.test(path));

/**
 * The reads with every IPv4/IPv6 address and MAC replaced by the redactor's
 * pseudonym, wherever it stands: in file text, command output, command lines,
 * directory entries, link targets, error messages, the read keys themselves,
 * and in the kernel's hex notations (/proc/net/route, if_inet6, tcp/udp); and
 * comments of configuration files blanked.
 * Binary reads (ELF headers, ld.so.cache) hold no addresses and stay.
 */
export function pseudonymiseAddresses(reads: Record<string, ReadRecord>, r: Redactor): Record<string, ReadRecord> {
  const out: Record<string, ReadRecord> = {};
  // Pseudonyms are handed out in order of first sight: a fixed order gives the same report twice.
  for (const key of Object.keys(reads).sort()) {
    const rec = reads[key]!;
    const path = key.startsWith('file ') ? key.slice(5) : undefined;
    const k = r.text(key);
    if (!rec.ok) out[k] = { ...rec, message: r.text(rec.message) };
    else if ('text' in rec) out[k] = { ok: true, text: textOf(path, isConfig(path) ? blankComments(rec.text) : rec.text, r) };
    else if ('argv' in rec) out[k] = { ok: true, argv: argvOf(rec.argv, r) };
    else if ('entries' in rec) out[k] = { ok: true, entries: rec.entries.map((e) => r.text(e)) };
    else if ('target' in rec) out[k] = { ok: true, target: r.text(rec.target) };
    else if ('exec' in rec) out[k] = { ok: true, exec: { ...rec.exec, stdout: textOf(undefined, rec.exec.stdout, r), stderr: r.text(rec.exec.stderr) } };
    else out[k] = rec;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Smaller, for a tracker

const RANGE_KEY = /^range (.+)@(\d+)\+(\d+)$/;

/** The bytes of one recorded range, or of a recorded whole file. */
function rangeReader(reads: Record<string, ReadRecord>, path: string) {
  return async (off: number, len: number): Promise<Buffer | undefined> => {
    const rec = reads[`range ${path}@${off}+${len}`] ?? reads[`file ${path}`];
    if (!rec?.ok) return undefined;
    const buf = 'base64' in rec ? Buffer.from(rec.base64, 'base64') : 'text' in rec ? Buffer.from(rec.text, 'utf8') : undefined;
    if (!buf) return undefined;
    return reads[`range ${path}@${off}+${len}`] ? buf : buf.subarray(off, off + len);
  };
}

/**
 * An executable's dynamic string table keeps only the strings the checks read
 * (the libraries it needs, its run path); the rest (hundreds of KB of symbol
 * names) becomes zero bytes, which compress to nearly nothing.
 */
async function zeroStringTables(reads: Record<string, ReadRecord>): Promise<Record<string, ReadRecord>> {
  const paths = new Set(Object.keys(reads).map((k) => RANGE_KEY.exec(k)?.[1]).filter((p): p is string => Boolean(p)));
  const out = { ...reads };
  for (const path of paths) {
    const calls: [number, number][] = [];
    const read = rangeReader(reads, path);
    let dyn;
    try {
      dyn = await readDynamic(async (off, len) => {
        calls.push([off, len]);
        return read(off, len);
      });
    } catch {
      continue;
    }
    // The string table is the last range the parser read.
    const last = calls[calls.length - 1];
    if (!last || (!dyn.needed.length && !dyn.runpath.length)) continue;
    const key = `range ${path}@${last[0]}+${last[1]}`;
    const rec = reads[key];
    if (!rec?.ok || !('base64' in rec)) continue;
    const buf = Buffer.from(rec.base64, 'base64');
    const keep = Buffer.alloc(buf.length);
    const strings = [...dyn.needed, ...(dyn.runpath.length ? [dyn.runpath.join(':')] : []), ...dyn.runpath];
    for (const s of strings) {
      const needle = Buffer.from(`${s}\0`, 'latin1');
      for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, at + 1)) needle.copy(keep, at);
    }
    out[key] = { ok: true, base64: keep.toString('base64') };
  }
  return out;
}

/** Fields of `ip -j -d addr show` the network model reads (src/model/network.ts). */
const IP_FIELDS = new Set(['ifindex', 'ifname', 'flags', 'operstate', 'master', 'address', 'link_type', 'link', 'link_index', 'link_netnsid', 'linkinfo', 'addr_info']);
const ADDR_FIELDS = new Set(['family', 'local', 'prefixlen']);
const BRIDGE_FIELDS = new Set(['stp_state', 'forward_delay', 'nf_call_iptables', 'nf_call_ip6tables', 'nf_call_arptables', 'vlan_filtering']);

const pick = (o: Record<string, unknown>, keep: Set<string>) => Object.fromEntries(Object.entries(o).filter(([k]) => keep.has(k)));

/** The interface listing with only the fields qnet reads (a host with 1,000 taps prints 1.3 MB). */
function pruneIpListing(reads: Record<string, ReadRecord>): Record<string, ReadRecord> {
  const out = { ...reads };
  for (const [key, rec] of Object.entries(reads)) {
    if (!key.startsWith('exec ["ip","-j"') || !rec.ok || !('exec' in rec) || !rec.exec.stdout.trim()) continue;
    let list: unknown;
    try {
      list = JSON.parse(escapeControlsInStrings(rec.exec.stdout));
    } catch {
      continue;
    }
    if (!Array.isArray(list)) continue;
    const pruned = (list as Record<string, unknown>[]).map((l) => {
      if (!l || typeof l !== 'object') return l;
      const o = pick(l, IP_FIELDS);
      const li = o.linkinfo as { info_kind?: string; info_data?: Record<string, unknown> } | undefined;
      if (li && typeof li === 'object') {
        o.linkinfo = { ...(li.info_kind !== undefined ? { info_kind: li.info_kind } : {}), ...(li.info_data ? { info_data: li.info_kind === 'bridge' ? pick(li.info_data, BRIDGE_FIELDS) : li.info_data } : {}) };
      }
      if (Array.isArray(o.addr_info)) o.addr_info = (o.addr_info as Record<string, unknown>[]).map((a) => pick(a, ADDR_FIELDS));
      return o;
    });
    out[key] = { ok: true, exec: { ...rec.exec, stdout: JSON.stringify(pruned) } };
  }
  return out;
}

/** Directory listings of program directories keep only QEMU's entries (the checks look for qemu-system-*). */
function pruneProgramDirs(reads: Record<string, ReadRecord>): Record<string, ReadRecord> {
  const out = { ...reads };
  for (const key of ['readdir /usr/bin', 'readdir /usr/libexec', 'readdir /usr/local/bin']) {
    const rec = reads[key];
    if (rec?.ok && 'entries' in rec) out[key] = { ok: true, entries: rec.entries.filter((e) => /^qemu/.test(e)) };
  }
  return out;
}

/**
 * The variants of the reads to try embedding, largest first: string tables zeroed;
 * then also the interface listing and program directories cut to what qnet reads.
 */
export async function embeddableReads(reads: Record<string, ReadRecord>): Promise<{ name: string; reads: Record<string, ReadRecord> }[]> {
  const zeroed = await zeroStringTables(reads);
  return [
    { name: 'complete', reads: zeroed },
    { name: 'compact', reads: pruneProgramDirs(pruneIpListing(zeroed)) },
  ];
}
