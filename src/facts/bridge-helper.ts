// Where qemu-bridge-helper lives, shared by helper-setuid and helper-acl.
//
// QEMU runs the helper at a path compiled into qemu-system-* (CONFIG_QEMU_HELPERDIR,
// printed by `qemu-system-x86_64 -help` as "default=/usr/lib/qemu/qemu-bridge-helper"
// on Debian 12); anything else needs `helper=PATH` on -netdev bridge / tap. The helper
// reads CONFIG_QEMU_CONFDIR/bridge.conf, relocated next to the binary for prefix builds
// (a /usr/local build prints "failed to parse default acl file
// `/usr/local/libexec/../etc/qemu/bridge.conf'").
import type { Context } from '../context.js';
import { describeError, NOT_CAPTURED, text, type StatInfo } from '../host/host.js';
import { decodeVfsCap, describeVfsCap, parseGetcap, parseGetfattr, type VfsCap } from '../parse/vfs-cap.js';

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
