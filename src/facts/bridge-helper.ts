// Where qemu-bridge-helper lives, shared by helper-setuid and helper-acl.
//
// QEMU runs the helper at a path compiled into qemu-system-* (CONFIG_QEMU_HELPERDIR,
// printed by `qemu-system-x86_64 -help` as "default=/usr/lib/qemu/qemu-bridge-helper"
// on Debian 12); anything else needs `helper=PATH` on -netdev bridge / tap. The helper
// reads CONFIG_QEMU_CONFDIR/bridge.conf, relocated next to the binary for prefix builds
// (a /usr/local build prints "failed to parse default acl file
// `/usr/local/libexec/../etc/qemu/bridge.conf'").
import type { Context } from '../context.js';
import { describeError, isFile, modeString, NOT_CAPTURED, S_ISUID, text, type StatInfo } from '../host/host.js';
import { decodeVfsCap, describeVfsCap, grantsNetAdmin, parseGetcap, parseGetfattr, type VfsCap } from '../parse/vfs-cap.js';
import type { Evidence } from '../types.js';
import { DEFAULT_ACL, IFNAMSIZ, splitAclLine, type AclRule, type BridgeAcl } from '../parse/bridge-conf.js';
import { mountOf } from './system.js';
import { groupName, groupsFile, modeAllows, userName, type TargetUser } from './users.js';

export interface HelperDir {
  dir: string;
  /** The file QEMU runs by default when it was built for this layout. */
  defaultName: string;
  /** Who puts a helper here. */
  layout: string;
  /** The ACL the helper built for this layout reads. */
  aclPath: string;
  /** NixOS: a setuid wrapper of the store binary; QEMU itself defaults to the store path. */
  wrapper?: boolean;
}

export const HELPER_NAME = 'qemu-bridge-helper';

/**
 * Debian/Ubuntu and Arch build with libexecdir /usr/lib/qemu; Fedora and RHEL use
 * /usr/libexec (RHEL's qemu-kvm reads /etc/qemu-kvm/bridge.conf); a source build
 * installs into /usr/local/libexec; NixOS puts a setuid wrapper in /run/wrappers/bin.
 */
export const HELPER_DIRS: readonly HelperDir[] = [
  { dir: '/usr/lib/qemu', defaultName: HELPER_NAME, layout: 'Debian, Ubuntu, Arch', aclPath: '/etc/qemu/bridge.conf' },
  { dir: '/usr/libexec', defaultName: HELPER_NAME, layout: 'Fedora, RHEL', aclPath: '/etc/qemu/bridge.conf' },
  { dir: '/usr/local/libexec', defaultName: HELPER_NAME, layout: 'a source build (prefix /usr/local)', aclPath: '/usr/local/etc/qemu/bridge.conf' },
  { dir: '/run/wrappers/bin', defaultName: HELPER_NAME, layout: 'NixOS security.wrappers', aclPath: '/etc/qemu/bridge.conf', wrapper: true },
];

export interface HelperFile {
  path: string;
  dir: HelperDir;
  /** QEMU built for this layout runs this file without helper=. */
  isDefault: boolean;
  /** stat (symlinks followed), or the read error. */
  stat?: StatInfo;
  error?: string;
  /** When the path itself is a symlink: its target. */
  linkTarget?: string;
  /** The ACL this helper reads. */
  aclPath: string;
}

export interface BridgeHelpers {
  helpers: HelperFile[];
  /** Directories that could not be listed for a reason other than not existing. */
  unread: { dir: string; error: string; notCaptured: boolean }[];
}

const PATTERN = /^qemu-bridge-helper/;

/** RHEL's qemu-kvm package reads /etc/qemu-kvm/bridge.conf (its confdir is named after the package). */
async function libexecAcl(ctx: Context): Promise<string> {
  const osr = text(await ctx.host.readFile('/etc/os-release')) ?? '';
  const field = (k: string) => new RegExp(`^${k}=["']?([^"'\\n]*)`, 'm').exec(osr)?.[1] ?? '';
  const ids = `${field('ID')} ${field('ID_LIKE')}`.split(/\s+/).filter(Boolean);
  const rhelLike = ids.some((i) => ['rhel', 'centos', 'rocky', 'almalinux', 'ol'].includes(i)) && field('ID') !== 'fedora';
  if (rhelLike) return '/etc/qemu-kvm/bridge.conf';
  const kvmDir = await ctx.host.stat('/etc/qemu-kvm');
  const qemuDir = await ctx.host.stat('/etc/qemu');
  return kvmDir.ok && !qemuDir.ok ? '/etc/qemu-kvm/bridge.conf' : '/etc/qemu/bridge.conf';
}

/** Every qemu-bridge-helper* in the known directories, once per run. */
export function bridgeHelpers(ctx: Context): Promise<BridgeHelpers> {
  return ctx.memo('bridge-helpers', async () => {
    const out: BridgeHelpers = { helpers: [], unread: [] };
    const listed = await Promise.all(HELPER_DIRS.map(async (d) => ({ d, r: await ctx.host.readdir(d.dir) })));
    for (const { d, r } of listed) {
      if (!r.ok) {
        if (r.code !== 'ENOENT' && r.code !== 'ENOTDIR') out.unread.push({ dir: d.dir, error: describeError(r), notCaptured: r.code === NOT_CAPTURED });
        continue;
      }
      const names = r.value.filter((n) => PATTERN.test(n)).sort((a, b) => (a === d.defaultName ? -1 : b === d.defaultName ? 1 : a.localeCompare(b)));
      const aclPath = d.dir === '/usr/libexec' ? await libexecAcl(ctx) : d.aclPath;
      for (const name of names) {
        const path = `${d.dir}/${name}`;
        const [st, lst] = await Promise.all([ctx.host.stat(path), ctx.host.lstat(path)]);
        const h: HelperFile = { path, dir: d, isDefault: name === d.defaultName && !d.wrapper, aclPath };
        if (st.ok) h.stat = st.value;
        else h.error = describeError(st);
        if (lst.ok && (lst.value.mode & 0o170000) === 0o120000) {
          const t = await ctx.host.readlink(path);
          if (t.ok) h.linkTarget = t.value;
        }
        out.helpers.push(h);
      }
    }
    return out;
  });
}

/** The ACL files the installed helpers read (normally just /etc/qemu/bridge.conf), defaults first. */
export function aclPaths(hs: BridgeHelpers): string[] {
  const order = [...hs.helpers].sort((a, b) => Number(b.isDefault) - Number(a.isDefault));
  return [...new Set(order.map((h) => h.aclPath))];
}

/** Which package ships the helper, from /etc/os-release. */
export async function helperPackage(ctx: Context): Promise<{ distro: string; pkg?: string; install?: string[] }> {
  const osr = text(await ctx.host.readFile('/etc/os-release')) ?? '';
  const field = (k: string) => new RegExp(`^${k}=["']?([^"'\\n]*)`, 'm').exec(osr)?.[1] ?? '';
  const id = field('ID');
  const like = field('ID_LIKE').split(/\s+/);
  const is = (...xs: string[]) => xs.includes(id) || like.some((l) => xs.includes(l));
  if (is('debian', 'ubuntu')) return { distro: id || 'debian', pkg: 'qemu-system-common', install: ['apt-get', 'install', '-y', 'qemu-system-common'] };
  if (id === 'fedora') return { distro: id, pkg: 'qemu-common', install: ['dnf', 'install', '-y', 'qemu-common'] };
  if (is('rhel', 'centos', 'rocky', 'almalinux', 'ol')) return { distro: id, pkg: 'qemu-kvm-common', install: ['dnf', 'install', '-y', 'qemu-kvm-common'] };
  if (is('arch')) return { distro: id, pkg: 'qemu-common', install: ['pacman', '-S', '--needed', '--noconfirm', 'qemu-common'] };
  if (is('nixos')) return { distro: id, pkg: 'security.wrappers.qemu-bridge-helper (or virtualisation.libvirtd.enable)' };
  return { distro: id || 'unknown' };
}

/** A file's capabilities, as read by whichever tool is installed. */
export type FileCaps =
  | { kind: 'caps'; cap: VfsCap; source: string; observed: string }
  | { kind: 'none'; source: string }
  | { kind: 'unknown'; source: string; why: string; notCaptured: boolean };

/**
 * The `security.capability` of `path` (an absolute path), once per run, for helper-setuid
 * and lint alike. Node cannot read extended attributes, so: `getfattr` (package attr) gives
 * the raw bytes; where it is not installed (a stock Debian), `getcap -n` (libcap2-bin, there
 * by default) gives libcap's text, with the rootid of a capability set inside a user
 * namespace; both decode to the same VfsCap. getcap exits 0 even when it cannot read the
 * file, so its stderr tells an error from "no capabilities".
 */
export function fileCaps(ctx: Context, path: string): Promise<FileCaps> {
  return ctx.memo(`file-caps ${path}`, async (): Promise<FileCaps> => {
    const src = `getfattr -n security.capability ${path}`;
    const r = await ctx.host.exec(['getfattr', '--absolute-names', '-n', 'security.capability', '-e', 'hex', path]);
    if (r.ok) {
      const { exitCode, stdout, stderr } = r.value;
      if (exitCode !== 0) {
        if (/No such attribute|No data available/i.test(stderr)) return { kind: 'none', source: src };
        return { kind: 'unknown', source: src, why: `getfattr failed: ${stderr.trim().split('\n')[0] || `exit ${exitCode}`}`, notCaptured: false };
      }
      const bytes = parseGetfattr(stdout);
      const cap = bytes ? decodeVfsCap(bytes) : 'getfattr printed no security.capability value';
      if (typeof cap === 'string') return { kind: 'unknown', source: src, why: cap, notCaptured: false };
      return { kind: 'caps', cap, source: src, observed: `0x${bytes!.toString('hex')} = ${describeVfsCap(cap)} (revision ${cap.revision})` };
    }
    if (r.code === NOT_CAPTURED) return { kind: 'unknown', source: src, why: 'not captured in the snapshot', notCaptured: true };
    if (r.code !== 'ENOENT') return { kind: 'unknown', source: src, why: `getfattr: ${r.code}`, notCaptured: false };

    // getfattr is not installed: libcap's getcap. -n shows the rootid (libcap 2.29 and later).
    let argv = ['getcap', '-n', path];
    let g = await ctx.host.exec(argv);
    if (g.ok && /usage:/i.test(g.value.stderr) && !g.value.stdout.trim()) {
      argv = ['getcap', path];
      g = await ctx.host.exec(argv);
    }
    const gsrc = argv.join(' ');
    if (!g.ok) {
      if (g.code === NOT_CAPTURED) return { kind: 'unknown', source: gsrc, why: 'not captured in the snapshot', notCaptured: true };
      if (g.code === 'ENOENT') return { kind: 'unknown', source: 'getfattr, getcap', why: 'neither getfattr (package attr) nor getcap (package libcap2-bin) is installed', notCaptured: false };
      return { kind: 'unknown', source: gsrc, why: `getcap: ${g.code}`, notCaptured: false };
    }
    const { stdout, stderr, exitCode } = g.value;
    const cap = parseGetcap(stdout, path);
    if (cap === 'none') {
      const err = stderr.trim().split('\n')[0];
      if (err || exitCode !== 0) return { kind: 'unknown', source: gsrc, why: `getcap: ${err || `exit ${exitCode}`}`, notCaptured: false };
      return { kind: 'none', source: gsrc };
    }
    if (typeof cap === 'string') return { kind: 'unknown', source: gsrc, why: cap, notCaptured: false };
    const noRootid = argv.length === 2 ? ' (this getcap cannot show whether it was set inside a user namespace)' : '';
    return { kind: 'caps', cap, source: gsrc, observed: `${describeVfsCap(cap)}${noRootid}` };
  });
}
/** A helper file to judge: its path, its stat (symlinks followed), and the link target. */
export type HelperSubject = Pick<HelperFile, 'path' | 'stat' | 'linkTarget'>;

/** Whether a helper runs with root rights for the user: how, or why not. */
export interface HelperJudgement<H extends HelperSubject = HelperSubject> {
  h: H;
  /** Root rights: how, or undefined. */
  via?: 'setuid' | 'capability';
  /** Why not (one line per reason). */
  why: string[];
  /** The file capabilities were needed and could not be read (no getfattr or getcap, or unreadable output). */
  capsUnknown?: string;
  nosuid: boolean;
  userCanExec: boolean;
}

/**
 * The one judge of a helper's privilege, shared by helper-setuid and lint: setuid root (not on a
 * nosuid mount) and executable by the user, or a cap_net_admin+ep file capability.
 */
export async function judgeHelper<H extends HelperSubject>(ctx: Context, h: H, user: TargetUser, evidence: Evidence[]): Promise<HelperJudgement<H>> {
  const st = h.stat!;
  const groups = await groupsFile(ctx);
  const owner = `${await userName(ctx, st.uid)}:${groupName(groups, st.gid)}`;
  evidence.push({ source: `stat ${h.path}`, observed: `${modeString(st.mode)} ${st.uid}:${st.gid}${h.linkTarget ? ` (symlink to ${h.linkTarget})` : ''}` });
  const why: string[] = [];
  const mount = await mountOf(ctx, h.path);
  const nosuid = mount?.options.includes('nosuid') ?? false;
  if (nosuid) {
    evidence.push({ source: `mount of ${h.path}`, observed: `${mount!.mountPoint} ${mount!.options.join(',')}` });
    why.push(`it sits on ${mount!.mountPoint}, mounted nosuid: the kernel ignores setuid bits and file capabilities there`);
  }
  const userCanExec = isFile(st) && modeAllows(user, st, 1);
  if (!isFile(st)) why.push('it is not a regular file');
  else if (!userCanExec) why.push(`${user.name} cannot execute it (${modeString(st.mode)} ${owner})`);
  const setuidRoot = st.uid === 0 && (st.mode & S_ISUID) !== 0;
  if (setuidRoot && userCanExec && !nosuid) return { h, via: 'setuid', why, nosuid, userCanExec };
  if (st.uid !== 0 && (st.mode & S_ISUID) !== 0) why.push(`it is setuid but owned by ${owner}, not root`);
  else if (!setuidRoot) why.push(`it is ${modeString(st.mode)} ${owner}: no setuid bit`);

  // On a nosuid mount the kernel ignores file capabilities too: nothing else to look for.
  if (nosuid) return { h, why, nosuid, userCanExec };
  // The setuid route does not give rights: look for a file capability (getfattr, or getcap).
  const fc = await fileCaps(ctx, h.path);
  if (fc.kind === 'unknown') {
    evidence.push({ source: fc.source, observed: fc.why });
    return { h, why, capsUnknown: fc.notCaptured ? 'not captured in the snapshot' : fc.why, nosuid, userCanExec };
  }
  if (fc.kind === 'none') {
    evidence.push({ source: fc.source, observed: 'no file capabilities' });
    why.push('it has no file capabilities');
    return { h, why, nosuid, userCanExec };
  }
  const grant = grantsNetAdmin(fc.cap);
  evidence.push({ source: fc.source, observed: fc.observed });
  if (grant.ok && userCanExec && !nosuid) return { h, via: 'capability', why, nosuid, userCanExec };
  if (!grant.ok) why.push(`its file capability does not help: ${grant.why}`);
  return { h, why, nosuid, userCanExec };
}


/**
 * /etc/qemu/bridge.conf (or the ACL of the helper's layout) with its includes, read the way
 * qemu-bridge-helper reads it (see src/parse/bridge-conf.ts).
 */
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


/**
 * The ACL as the helper sees it when run by `user`: a libcap-ng helper reads it with the
 * user's rights, so files (and directories) the user cannot read contribute no rules, and an
 * unreadable top file makes the helper refuse everything. The one judge helper-acl and lint share.
 */
export async function aclFor(ctx: Context, path: string, user: TargetUser): Promise<{ acl: BridgeAcl; rules: AclRule[]; unreadable: Set<string>; refuses?: string }> {
  const acl = await readBridgeAcl(ctx, path);
  const unreadable = new Set<string>();
  if (user.uid !== 0) {
    const files = acl.files.filter((f) => f.readError !== 'ENOENT').map((f) => f.path);
    const dirs = [...new Set(files.map((f) => f.slice(0, f.lastIndexOf('/')) || '/'))];
    await Promise.all(
      [...files.map((f) => [f, 4] as const), ...dirs.map((d) => [d, 1] as const)].map(async ([p, want]) => {
        const st = await ctx.host.stat(p);
        if (st.ok && !modeAllows(user, st.value, want)) unreadable.add(p);
      }),
    );
  }
  const dirOf = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';
  const rules = acl.rules.filter((r) => !unreadable.has(r.file) && !unreadable.has(dirOf(r.file)));
  const refuses = acl.files[0]?.readError === 'ENOENT'
    ? `${path} does not exist`
    : unreadable.has(path) || unreadable.has(dirOf(path))
      ? `${user.name} cannot read ${path}, and the helper reads it as ${user.name}`
      : acl.unusable
        ? `the helper cannot use ${path} (${acl.problems.find((p) => p.fatal)?.message ?? acl.files[0]?.readError ?? 'unreadable'})`
        : undefined;
  return { acl, rules, unreadable, ...(refuses ? { refuses } : {}) };
}
