// /etc/qemu/bridge.conf, parsed the way qemu-bridge-helper parses it
// (qemu-bridge-helper.c, parse_acl_file): one command per line, split at the
// first space (or, failing that, the first tab); `allow NAME|all`,
// `deny NAME|all`, `include FILE`; '#' comments. An invalid line or unknown
// command makes the helper refuse the whole top-level file ("failed to parse
// default acl file"); errors inside an included file are ignored by the helper,
// but the rules read before the error stay. A deny always wins over an allow.
import type { Context } from '../context.js';
import { describeError } from '../host/host.js';

export const DEFAULT_ACL = '/etc/qemu/bridge.conf';
/** Names of 16 bytes or more are refused by the helper since QEMU 4.1 (IFNAMSIZ). */
const IFNAMSIZ = 16;

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

export async function readBridgeAcl(ctx: Context, path = DEFAULT_ACL): Promise<BridgeAcl> {
  return ctx.memo(`bridge-acl ${path}`, async () => {
    const acl: BridgeAcl = { rules: [], files: [], problems: [], unusable: false };
    const visit = async (file: string, top: boolean, stack: string[]): Promise<void> => {
      if (stack.includes(file)) {
        // The real helper recurses until it runs out of stack or file descriptors.
        acl.problems.push({ file, message: `include loop: ${[...stack, file].join(' → ')}`, fatal: true });
        acl.unusable = true;
        return;
      }
      const r = await ctx.host.readFile(file);
      if (!r.ok) {
        acl.files.push({ path: file, readError: describeError(r) });
        if (top) acl.unusable = true;
        else acl.problems.push({ file, message: `included file cannot be read (${describeError(r)}); the helper skips it silently`, fatal: false });
        return;
      }
      acl.files.push({ path: file });
      const lines = r.value.toString('utf8').split('\n');
      for (let i = 0; i < lines.length; i++) {
        const parsed = splitAclLine(lines[i]!);
        if (parsed === 'blank') continue;
        const fail = (message: string) => {
          acl.problems.push({ file, line: i + 1, message, fatal: top });
          if (top) acl.unusable = true;
        };
        if (parsed === 'invalid') {
          fail(`invalid line "${lines[i]!.trim()}" (a command needs an argument)`);
          return;
        }
        const { cmd, arg } = parsed;
        if (cmd === 'allow' || cmd === 'deny') {
          if (arg !== 'all' && Buffer.byteLength(arg) >= IFNAMSIZ) {
            fail(`name "${arg}" is ${Buffer.byteLength(arg)} bytes; interface names have at most 15`);
            return;
          }
          acl.rules.push({ type: cmd, iface: arg, file, line: i + 1 });
        } else if (cmd === 'include') {
          await visit(arg, false, [...stack, file]);
        } else {
          fail(`unknown command "${cmd}" (the helper knows allow, deny, include; they are case-sensitive)`);
          return;
        }
      }
    };
    await visit(path, true, []);
    return acl;
  });
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
