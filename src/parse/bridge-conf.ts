// /etc/qemu/bridge.conf, parsed the way qemu-bridge-helper parses it
// (qemu-bridge-helper.c, parse_acl_file): one command per line, split at the
// first space (or, failing that, the first tab); `allow NAME|all`,
// `deny NAME|all`, `include FILE`; '#' comments. An invalid line or unknown
// command makes the helper refuse the whole top-level file ("failed to parse
// default acl file"); errors inside an included file are ignored by the helper,
// but the rules read before the error stay. A deny always wins over an allow.

export const DEFAULT_ACL = '/etc/qemu/bridge.conf';
/** Names of 16 bytes or more are refused by the helper since QEMU 4.1 (IFNAMSIZ). */
export const IFNAMSIZ = 16;

export interface AclRule {
  type: 'allow' | 'deny';
  /** The interface name, or 'all'. */
  iface: string;
  file: string;
  line: number;
}

export interface AclProblem {
  file: string;
  line?: number;
  message: string;
  /** true when the helper refuses the default file because of it. */
  fatal: boolean;
}

export interface AclFile {
  path: string;
  /** undefined when the file could not be read. */
  readError?: string;
}

export interface BridgeAcl {
  rules: AclRule[];
  files: AclFile[];
  problems: AclProblem[];
  /** The helper would fail with "failed to parse default acl file". */
  unusable: boolean;
}

export function splitAclLine(raw: string): { cmd: string; arg: string } | 'blank' | 'invalid' {
  const line = raw.replace(/^\s+/, '');
  if (line === '' || line.startsWith('#')) return 'blank';
  let at = line.indexOf(' ');
  if (at < 0) at = line.indexOf('\t');
  if (at < 0) return 'invalid';
  return { cmd: line.slice(0, at), arg: line.slice(at + 1).trim() };
}

/** Would the helper let a tap onto `bridge`? Deny (named or all) wins over any allow. */
export function aclAllows(rules: readonly AclRule[], bridge: string): boolean {
  let allowed = false;
  let denied = false;
  for (const r of rules) {
    const hit = r.iface === 'all' || r.iface === bridge;
    if (!hit) continue;
    if (r.type === 'allow') allowed = true;
    else denied = true;
  }
  return allowed && !denied;
}
