// File capabilities: the `security.capability` xattr (struct vfs_cap_data /
// vfs_ns_cap_data in linux/capability.h), decoded without libcap. Node has no
// xattr API, so the bytes come from `getfattr -n security.capability -e hex`.
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

/** Names of the capabilities a network helper is likely to carry (capability.h numbering). */
const CAP_NAMES: Record<number, string> = {
  0: 'cap_chown', 1: 'cap_dac_override', 2: 'cap_dac_read_search', 3: 'cap_fowner', 4: 'cap_fsetid',
  5: 'cap_kill', 6: 'cap_setgid', 7: 'cap_setuid', 8: 'cap_setpcap', 10: 'cap_net_bind_service',
  12: 'cap_net_admin', 13: 'cap_net_raw', 21: 'cap_sys_admin', 39: 'cap_bpf',
};

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
