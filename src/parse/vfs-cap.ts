// File capabilities: the `security.capability` xattr (struct vfs_cap_data /
// vfs_ns_cap_data in linux/capability.h), decoded without libcap. Node has no
// xattr API, so the bytes come from `getfattr -n security.capability -e hex`
// (package attr), or, where only libcap's tools are installed (a stock Debian
// has libcap2-bin, not attr), from `getcap -n`'s text, parsed into the same
// structure so that both give the same verdict.
//
// Layout, all little-endian u32: magic_etc (revision in the top byte, bit 0 =
// VFS_CAP_FLAGS_EFFECTIVE), then {permitted, inheritable} per 32-capability
// word (one word in revision 1, two in 2 and 3), then for revision 3 the uid
// that is root in the user namespace the capability belongs to (rootid).

export const VFS_CAP_REVISION_MASK = 0xff000000;
export const VFS_CAP_REVISION_1 = 0x01000000;
export const VFS_CAP_REVISION_2 = 0x02000000;
export const VFS_CAP_REVISION_3 = 0x03000000;
export const VFS_CAP_FLAGS_EFFECTIVE = 0x000001;
export const CAP_NET_ADMIN = 12;

/** Capability names by number (linux/capability.h, Linux 6.1: 0 to 40), as libcap spells them. */
const CAP_LIST = [
  'chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap', 'linux_immutable',
  'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw', 'ipc_lock', 'ipc_owner', 'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace',
  'sys_pacct', 'sys_admin', 'sys_boot', 'sys_nice', 'sys_resource', 'sys_time', 'sys_tty_config', 'mknod', 'lease', 'audit_write',
  'audit_control', 'setfcap', 'mac_override', 'mac_admin', 'syslog', 'wake_alarm', 'block_suspend', 'audit_read', 'perfmon', 'bpf',
  'checkpoint_restore',
].map((n) => `cap_${n}`);
const CAP_NAMES: Record<number, string> = Object.fromEntries(CAP_LIST.map((n, i) => [i, n]));

export interface VfsCap {
  revision: 1 | 2 | 3;
  /** The effective flag: permitted capabilities are raised at exec without the program asking. */
  effective: boolean;
  permitted: bigint;
  inheritable: bigint;
  /** Revision 3 only: the capability applies in user namespaces whose root is this host uid. */
  rootid?: number;
}

/** Decodes the raw xattr value; a string describes why it cannot be read. */
export function decodeVfsCap(bytes: Buffer): VfsCap | string {
  if (bytes.length < 4) return `security.capability is ${bytes.length} bytes; too short for a header`;
  const magic = bytes.readUInt32LE(0);
  const rev = (magic & VFS_CAP_REVISION_MASK) >>> 0;
  const revision = rev === VFS_CAP_REVISION_1 ? 1 : rev === VFS_CAP_REVISION_2 ? 2 : rev === VFS_CAP_REVISION_3 ? 3 : undefined;
  if (!revision) return `unknown security.capability revision 0x${rev.toString(16).padStart(8, '0')}`;
  const words = revision === 1 ? 1 : 2;
  const size = 4 + words * 8 + (revision === 3 ? 4 : 0);
  if (bytes.length !== size) return `security.capability revision ${revision} must be ${size} bytes, not ${bytes.length}`;
  let permitted = 0n;
  let inheritable = 0n;
  for (let i = 0; i < words; i++) {
    permitted |= BigInt(bytes.readUInt32LE(4 + i * 8)) << BigInt(32 * i);
    inheritable |= BigInt(bytes.readUInt32LE(8 + i * 8)) << BigInt(32 * i);
  }
  const cap: VfsCap = { revision, effective: (magic & VFS_CAP_FLAGS_EFFECTIVE) !== 0, permitted, inheritable };
  if (revision === 3) cap.rootid = bytes.readUInt32LE(4 + words * 8);
  return cap;
}

export const hasCap = (set: bigint, cap: number): boolean => ((set >> BigInt(cap)) & 1n) === 1n;

export function capNames(set: bigint): string[] {
  const out: string[] = [];
  for (let i = 0; i < 64; i++) if (hasCap(set, i)) out.push(CAP_NAMES[i] ?? `cap_${i}`);
  return out;
}

/** getcap-like text: "cap_net_admin=ep", "cap_net_admin=p [rootid=100000]". */
export function describeVfsCap(cap: VfsCap): string {
  const p = capNames(cap.permitted);
  const i = capNames(cap.inheritable);
  const parts: string[] = [];
  const both = p.filter((n) => i.includes(n));
  const flags = (extra: string) => (cap.effective ? 'e' : '') + extra;
  if (both.length) parts.push(`${both.join(',')}=${flags('ip')}`);
  const ponly = p.filter((n) => !both.includes(n));
  if (ponly.length) parts.push(`${ponly.join(',')}=${flags('p')}`);
  const ionly = i.filter((n) => !both.includes(n));
  if (ionly.length) parts.push(`${ionly.join(',')}=i`);
  let s = parts.join(' ') || '(no capabilities)';
  if (cap.rootid !== undefined) s += ` [rootid=${cap.rootid}]`;
  return s;
}

/**
 * The xattr bytes from `getfattr --absolute-names -n security.capability -e hex PATH` output
 * (`security.capability=0x0100000200100000...`; base64 `0s...` is accepted too).
 */
export function parseGetfattr(stdout: string): Buffer | undefined {
  const m = /^security\.capability=(0x[0-9a-fA-F]*|0s[A-Za-z0-9+/=]*|"[^"]*")\s*$/m.exec(stdout);
  if (!m) return undefined;
  const v = m[1]!;
  if (v.startsWith('0x')) return v.length % 2 === 0 ? Buffer.from(v.slice(2), 'hex') : undefined;
  if (v.startsWith('0s')) return Buffer.from(v.slice(2), 'base64');
  return undefined;
}

/**
 * Does this capability give a process started from the file CAP_NET_ADMIN in
 * the host's namespace? Needs it permitted with the effective flag (the helper
 * does not raise capabilities itself), and a revision 3 entry only counts when
 * its rootid is 0 (otherwise it belongs to a container's user namespace).
 */
export function grantsNetAdmin(cap: VfsCap): { ok: boolean; why: string } {
  if (!hasCap(cap.permitted, CAP_NET_ADMIN)) return { ok: false, why: 'cap_net_admin is not in the permitted set' };
  if (!cap.effective) return { ok: false, why: 'the effective flag is not set (cap_net_admin=p, needs =ep); the helper does not raise it itself' };
  if (cap.revision === 3 && cap.rootid !== 0) {
    return { ok: false, why: `it was set inside a user namespace (rootid=${cap.rootid}) and applies only there, not on the host` };
  }
  return { ok: true, why: 'cap_net_admin is permitted and effective' };
}

/** A capability's number from libcap's text ("cap_net_admin", or a number libcap has no name for: "cap_41", "41"). */
function capNumber(name: string): number | undefined {
  const n = name.toLowerCase();
  const i = CAP_LIST.indexOf(n);
  if (i >= 0) return i;
  const m = /^(?:cap_)?(\d{1,2})$/.exec(n);
  return m && Number(m[1]) < 64 ? Number(m[1]) : undefined;
}

// "all" (or an empty list before "="): every capability libcap knows of, as setcap stores it.
const ALL_CAPS = (1n << BigInt(CAP_LIST.length)) - 1n;

/**
 * libcap's text form of a file's capabilities (cap_to_text, what getcap prints): clauses
 * separated by spaces, each a comma-separated list of names (empty or "all" = every
 * capability) followed by one or more OPERATOR FLAGS, where "=" clears the listed
 * capabilities in all three sets and raises the flags, "+" raises, "-" lowers; flags are
 * e, i, p. Examples: "cap_net_admin=ep", "cap_net_raw=i cap_net_admin+p", "=ep".
 * A file has one effective bit: set when any capability is effective.
 */
export function parseCapText(textForm: string): Pick<VfsCap, 'effective' | 'permitted' | 'inheritable'> | string {
  let e = 0n;
  let i = 0n;
  let p = 0n;
  const clauses = textForm.trim().split(/\s+/).filter(Boolean);
  if (!clauses.length) return 'no capability text';
  for (const clause of clauses) {
    const m = /^([^=+-]*)((?:[=+-][eip]*)+)$/.exec(clause);
    if (!m) return `cannot read "${clause}" as capabilities`;
    const names = m[1]!;
    let set = 0n;
    if (names === '' || names.toLowerCase() === 'all') set = ALL_CAPS;
    else {
      for (const n of names.split(',')) {
        const num = capNumber(n);
        if (num === undefined) return `unknown capability "${n}"`;
        set |= 1n << BigInt(num);
      }
    }
    if (names === '' && !m[2]!.startsWith('=')) return `cannot read "${clause}" as capabilities`;
    for (const op of m[2]!.match(/[=+-][eip]*/g) ?? []) {
      const flags = op.slice(1);
      if (op[0] === '=') {
        e &= ~set;
        i &= ~set;
        p &= ~set;
      }
      const apply = (x: bigint, flag: string) => (!flags.includes(flag) ? x : op[0] === '-' ? x & ~set : x | set);
      e = apply(e, 'e');
      i = apply(i, 'i');
      p = apply(p, 'p');
    }
  }
  return { effective: e !== 0n, permitted: p, inheritable: i };
}

/**
 * The capabilities in `getcap -n PATH` output ("PATH cap_net_admin=ep", with " [rootid=N]"
 * for a capability set inside a user namespace). 'none' when getcap printed nothing for the
 * file (it has no capabilities); a string says why the output could not be read.
 */
export function parseGetcap(stdout: string, path: string): VfsCap | 'none' | string {
  const line = stdout.split('\n').find((l) => l.startsWith(`${path} `));
  if (line === undefined) return stdout.trim() ? `getcap printed no line for ${path}` : 'none';
  let rest = line.slice(path.length + 1).trim();
  let rootid: number | undefined;
  const r = /\s*\[rootid=(\d+)\]$/.exec(rest);
  if (r) {
    rootid = Number(r[1]);
    rest = rest.slice(0, r.index).trim();
  }
  const sets = parseCapText(rest);
  if (typeof sets === 'string') return sets;
  // The text does not carry the xattr's revision; a rootid only exists in revision 3.
  return { revision: rootid !== undefined ? 3 : 2, ...sets, ...(rootid !== undefined ? { rootid } : {}) };
}
