// What a snapshot may hold. Secrets never go into one: Wi-Fi and WireGuard keys,
// passwords and PINs in network configuration files (NetworkManager keyfiles,
// netplan, systemd-networkd, interfaces(5), wpa_supplicant), and secrets on a
// running VM's command line (`-object secret,data=…`, `password=`, URL
// credentials) are replaced by REDACTED before anything is written. Other
// processes' command lines are blanked. /etc/passwd and /etc/group keep only the
// entries the checks looked at, without GECOS (real names, phone numbers) or
// password fields. The checks read none of what is removed, so replay gives the
// same results.
import { isVmProcess } from '../parse/qemu-cmdline.js';
import { argvOf, isCmdlinePath, type ReadRecord } from './record.js';
import type { SnapshotFile } from './snapshot-file.js';

/** The users and groups the checks asked about: what a snapshot's passwd and group keep (filled in by facts/users.ts). */
export interface IdentityUses {
  users: Set<string>;
  uids: Set<number>;
  groups: Set<string>;
  gids: Set<number>;
  /** Users whose group memberships were asked for (group member lists keep only these). */
  members: Set<string>;
}


export const REDACTED = 'REDACTED';

/** Collects the secret values removed, so text derived from them (findings) can be scrubbed too. */
type Found = Set<string> | undefined;

/** Values too short or too plain to scrub from other text (`password=on` is a switch, not a secret). */
const PLAIN = new Set(['true', 'false', 'yes', 'no', 'on', 'off', 'none', 'null', 'auto', 'REDACTED']);
function note(found: Found, value: string): void {
  if (!found) return;
  for (const v of [value, value.replace(/^(["'])(.*)\1$/, '$2')]) if (v.length >= 4 && !PLAIN.has(v.toLowerCase())) found.add(v);
}

/** Words of a key: `PresharedKey` → preshared key, `wep-key0` → wep key, `wpa_psk` → wpa psk. */
function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .map((w) => w.replace(/\d+$/, ''))
    .filter(Boolean);
}

/** Words that name a secret wherever they appear in a key. */
const SECRET_WORDS = new Set(['password', 'passwd', 'passphrase', 'pass', 'psk', 'secret', 'token', 'pin', 'pw']);
/** `key` is a secret alone (netplan `key:`) or after one of these (`private-key`, `PresharedKey`, `wep-key0`). */
const KEY_QUALIFIERS = new Set(['private', 'preshared', 'shared', 'psk', 'wep', 'wpa', 'secret', 'auth', 'api', 'wireless']);
/** A key ending in one of these describes a secret without holding it (`psk-flags`, `PrivateKeyFile`, `key-mgmt`). */
const NOT_A_VALUE = new Set(['flags', 'type', 'id', 'ids', 'file', 'path', 'mgmt', 'method', 'format', 'alg', 'algorithm', 'size', 'len', 'length', 'bits', 'policy', 'provider', 'hint', 'hints', 'mode']);

/**
 * Does this key (of a config line, or an option of a VM's command line) hold a secret?
 * `extra` adds words that are secrets in that context (QEMU's `data=` of a secret object).
 */
export function isSecretKey(key: string, extra: readonly string[] = []): boolean {
  const w = words(key);
  if (!w.length) return false;
  const last = w[w.length - 1]!;
  if (NOT_A_VALUE.has(last)) return false;
  if (w.some((x) => SECRET_WORDS.has(x) || extra.includes(x))) return true;
  // netplan: `key:` of a tunnel, and `private:` / `shared:` under `keys:`.
  if (w.length === 1 && (last === 'key' || last === 'private' || last === 'shared')) return true;
  return w.some((x, i) => x === 'key' && i > 0 && KEY_QUALIFIERS.has(w[i - 1]!));
}

/** `key = value`, `key: value`, `key value`, a YAML `- key: value`, an INI `Key=Value`. */
const CONFIG_LINE = /^([ \t]*(?:-[ \t]+)?)(["']?)([A-Za-z_][\w.-]*)\2([ \t]*[=:][ \t]*|[ \t]+)(\S.*?)([ \t]*\r?)$/;

/** A configuration file's text with the value of every secret-holding key replaced. */
export function redactText(body: string, found?: Found): string {
  return body
    .split('\n')
    .map((line) => {
      const m = CONFIG_LINE.exec(line);
      if (!m || !isSecretKey(m[3]!)) return line;
      note(found, m[5]!);
      return `${m[1]}${m[2]}${m[3]}${m[2]}${m[4]}${REDACTED}${m[6]}`;
    })
    .join('\n');
}

/** Splits a QEMU option list on single commas (`,,` is a literal comma). */
function splitOptions(arg: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < arg.length; i++) {
    if (arg[i] === ',' && arg[i + 1] === ',') {
      cur += ',,';
      i++;
    } else if (arg[i] === ',') {
      out.push(cur);
      cur = '';
    } else cur += arg[i];
  }
  out.push(cur);
  return out;
}

/** Credentials in a URL (`https://user:pass@host`) and `key=` inside a colon list (`rbd:pool/img:key=…`). */
function redactInValue(v: string, found?: Found): string {
  return v
    .replace(/(\/\/[^/@:\s]*:)([^/@\s]+)@/g, (_m, pre: string, pw: string) => (note(found, pw), `${pre}${REDACTED}@`))
    .replace(/(^|[:;?&])([A-Za-z_][\w-]*)=([^:;&]*)/g, (m, lead: string, k: string, val: string) => (isSecretKey(k, ['data']) ? (note(found, val), `${lead}${k}=${REDACTED}`) : m));
}

/**
 * One argument of a VM's command line with secrets replaced: every `name=value`
 * of a QEMU option list whose name holds a secret (`data=` of `-object secret`,
 * `password=`, `passwd=`, `key=`, `secret=`…), URL credentials, `key=` of an rbd
 * path. Everything the checks read (netdev, device, ifname, MAC) is left alone.
 */
export function redactArg(arg: string, found?: Found): string {
  return splitOptions(arg)
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq > 0 && isSecretKey(part.slice(0, eq).replace(/^-+/, ''), ['data'])) {
        note(found, part.slice(eq + 1));
        note(found, part.slice(eq + 1).replace(/,,/g, ','));
        return `${part.slice(0, eq)}=${REDACTED}`;
      }
      return eq > 0 ? `${part.slice(0, eq + 1)}${redactInValue(part.slice(eq + 1), found)}` : redactInValue(part, found);
    })
    .join(',');
}

/** A VM's command line as the snapshot keeps it; any other process's is blanked (the checks skip those). */
export function redactArgv(argv: string[], found?: Found): string[] {
  return isVmProcess(argv) ? argv.map((a) => redactArg(a, found)) : [];
}

/** A passwd line without GECOS or password: `name:x:uid:gid::home:shell`. */
function bareUser(line: string): string {
  const f = line.split(':');
  if (f.length < 7) return line;
  f[1] = 'x';
  f[4] = '';
  return f.join(':');
}

/** /etc/passwd with only the entries the checks looked at (by name or uid), no GECOS. */
export function minimisePasswd(body: string, uses?: IdentityUses): string {
  const lines = body.split('\n').filter((l) => l && !l.startsWith('#'));
  const kept = lines.filter((l) => {
    if (!uses) return true;
    const f = l.split(':');
    return uses.users.has(f[0]!) || uses.uids.has(Number(f[2]));
  });
  return kept.map(bareUser).join('\n') + (kept.length ? '\n' : '');
}

/**
 * /etc/group with only the entries the checks looked at: by name, by gid, or listing
 * a user whose memberships were asked for; member lists keep only such users.
 */
export function minimiseGroup(body: string, uses?: IdentityUses): string {
  const kept: string[] = [];
  for (const l of body.split('\n')) {
    if (!l || l.startsWith('#')) continue;
    const f = l.split(':');
    if (f.length < 3) continue;
    const members = (f[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (uses && !(uses.groups.has(f[0]!) || uses.gids.has(Number(f[2])) || members.some((m) => uses.members.has(m)))) continue;
    kept.push([f[0], 'x', f[2], (uses ? members.filter((m) => uses.members.has(m)) : members).join(',')].join(':'));
  }
  return kept.join('\n') + (kept.length ? '\n' : '');
}

const isPseudoFs = (path: string) => /^\/(proc|sys|dev)\//.test(path);

/**
 * The reads as a snapshot keeps them. `uses`: the identities the run looked at
 * (src/facts/users.ts); without it, passwd and group keep every entry (GECOS and
 * passwords still go).
 */
export function redactReads(reads: Record<string, ReadRecord>, uses?: IdentityUses, found?: Found): Record<string, ReadRecord> {
  const out: Record<string, ReadRecord> = {};
  for (const [key, rec] of Object.entries(reads)) {
    out[key] = redactRecord(key, rec, uses, found);
  }
  return out;
}

/** Every string in `value` with each secret replaced by REDACTED (longest first). */
export function scrub<T>(value: T, secrets: ReadonlySet<string>): T {
  if (!secrets.size) return value;
  const list = [...secrets].sort((a, b) => b.length - a.length);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return list.reduce((s, x) => s.split(x).join(REDACTED), v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/**
 * The snapshot as it may be written: its reads redacted (secrets, other processes'
 * command lines, unneeded passwd/group entries and GECOS), and every secret removed
 * from the reads also replaced wherever the recorded findings quoted it (a VM's
 * command line in a summary), so the findings are what a replay of the reads gives.
 */
export function redactSnapshot(snap: SnapshotFile, uses?: IdentityUses): SnapshotFile {
  const found = new Set<string>();
  const reads = redactReads(snap.reads, uses, found);
  return { ...snap, host: scrub(snap.host, found), ...(snap.results ? { results: scrub(snap.results, found) } : {}), reads };
}

function redactRecord(key: string, rec: ReadRecord, uses?: IdentityUses, found?: Found): ReadRecord {
  if (!rec.ok) return rec;
  if (key.startsWith('file ')) {
    const path = key.slice(5);
    if (isCmdlinePath(path)) {
      // Older snapshots hold command lines as text or base64 (NUL-separated).
      const raw = 'text' in rec ? Buffer.from(rec.text, 'utf8') : 'base64' in rec ? Buffer.from(rec.base64, 'base64') : undefined;
      const argv = 'argv' in rec ? rec.argv : raw ? (argvOf(raw) ?? raw.toString('utf8').split('\0').filter(Boolean)) : undefined;
      return argv ? { ok: true, argv: redactArgv(argv, found) } : rec;
    }
    if (!('text' in rec)) return rec;
    if (path === '/etc/passwd') return { ok: true, text: minimisePasswd(rec.text, uses) };
    if (path === '/etc/group') return { ok: true, text: minimiseGroup(rec.text, uses) };
    if (!isPseudoFs(path)) return { ok: true, text: redactText(rec.text, found) };
    return rec;
  }
  if (key.startsWith('exec ') && 'exec' in rec) {
    const argv = JSON.parse(key.slice(5)) as string[];
    // getent passwd NAME: the same entry as /etc/passwd would give, without GECOS.
    if (argv[0] === 'getent' && argv[1] === 'passwd') return { ok: true, exec: { ...rec.exec, stdout: rec.exec.stdout.split('\n').map((l) => (l ? bareUser(l) : l)).join('\n') } };
  }
  return rec;
}
