// Facts about the running system shared by several checks: kernel release and
// config, sysctls, mounts, programs on PATH, and the host summary.
import type { Context } from '../context.js';
import { captured, text } from '../host/host.js';
import type { HostInfo } from '../types.js';

export function kernelRelease(ctx: Context): Promise<string> {
  return ctx.memo('osrelease', async () => text(await ctx.host.readFile('/proc/sys/kernel/osrelease'))?.trim() ?? 'unknown');
}

export interface KernelConfig {
  values: Map<string, string>;
  source: string | null;
}

/** The kernel's build config from /proc/config.gz or /boot/config-RELEASE. */
export function kernelConfig(ctx: Context): Promise<KernelConfig> {
  return ctx.memo('kconfig', async () => {
    const parse = (body: string) => {
      const values = new Map<string, string>();
      for (const line of body.split('\n')) {
        const m = /^(CONFIG_[A-Z0-9_]+)=(.*)$/.exec(line);
        if (m) values.set(m[1]!, m[2]!);
      }
      return values;
    };
    const gz = await ctx.host.readFile('/proc/config.gz');
    if (gz.ok) {
      try {
        // zlib is loaded only here: most runs never need it.
        return { values: parse(process.getBuiltinModule('node:zlib').gunzipSync(gz.value).toString('utf8')), source: '/proc/config.gz' };
      } catch {
        /* fall through to /boot */
      }
    }
    const rel = await kernelRelease(ctx);
    const boot = await ctx.host.readFile(`/boot/config-${rel}`);
    if (boot.ok) return { values: parse(boot.value.toString('utf8')), source: `/boot/config-${rel}` };
    return { values: new Map(), source: null };
  });
}

/**
 * Reads one sysctl from /proc/sys: its value, or the error (ENOENT: the module that
 * owns it is not loaded). A snapshot without it cannot be judged (NotCaptured).
 */
export async function sysctl(ctx: Context, key: string): Promise<{ value?: string; error?: string }> {
  const path = `/proc/sys/${key.replace(/\./g, '/')}`;
  const r = captured(await ctx.host.readFile(path), `read ${path}`);
  if (r.ok) return { value: r.value.toString('utf8').trim() };
  return { error: r.code };
}

export interface Mount {
  mountPoint: string;
  options: string[];
  fsType: string;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function mounts(ctx: Context): Promise<Mount[]> {
  return ctx.memo('mounts', async () => {
    const body = text(await ctx.host.readFile('/proc/self/mountinfo')) ?? '';
    const out: Mount[] = [];
    for (const line of body.split('\n')) {
      const [left, right] = line.split(' - ');
      if (!left || !right) continue;
      const f = left.split(' ');
      const r = right.split(' ');
      if (!f[4] || !f[5]) continue;
      out.push({ mountPoint: unescapeMount(f[4]), options: f[5].split(','), fsType: r[0] ?? '' });
    }
    return out;
  });
}

/** The mount holding `path` (the last, longest matching mount point wins, as the kernel stacks them). */
export async function mountOf(ctx: Context, path: string): Promise<Mount | undefined> {
  let best: Mount | undefined;
  for (const m of await mounts(ctx)) {
    const mp = m.mountPoint;
    const under = mp === '/' || path === mp || path.startsWith(mp.endsWith('/') ? mp : `${mp}/`);
    if (under && (!best || mp.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

const SEARCH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Where a program is installed, looking in the standard directories (not the caller's PATH). */
export async function which(ctx: Context, prog: string): Promise<string | undefined> {
  return ctx.memo(`which ${prog}`, async () => {
    const hits = await Promise.all(SEARCH_DIRS.map((d) => ctx.host.stat(`${d}/${prog}`)));
    const i = hits.findIndex((h) => h.ok && (h.value.mode & 0o111) !== 0 && (h.value.mode & 0o170000) === 0o100000);
    return i >= 0 ? `${SEARCH_DIRS[i]}/${prog}` : undefined;
  });
}

function osReleaseName(body: string | undefined): string {
  if (!body) return 'unknown';
  const get = (k: string) => {
    const m = new RegExp(`^${k}=(.*)$`, 'm').exec(body);
    return m ? m[1]!.replace(/^["']|["']$/g, '') : undefined;
  };
  return get('PRETTY_NAME') ?? get('NAME') ?? 'unknown';
}

/** Is this system itself a virtual machine? (DMI vendor, the CPU's hypervisor flag, or virtio devices.) */
export function isGuest(ctx: Context): Promise<boolean> {
  return ctx.memo('guest', async () => {
    const [vendor, product, cpuinfo, virtio] = await Promise.all([
      ctx.host.readFile('/sys/class/dmi/id/sys_vendor'),
      ctx.host.readFile('/sys/class/dmi/id/product_name'),
      ctx.host.readFile('/proc/cpuinfo'),
      ctx.host.readdir('/sys/bus/virtio/devices'),
    ]);
    const dmi = `${text(vendor) ?? ''} ${text(product) ?? ''}`;
    if (/QEMU|KVM|Bochs|VirtualBox|VMware|Xen|Microsoft Corporation|innotek|Parallels|Firecracker/i.test(dmi)) return true;
    const flags = /^flags\s*:(.*)$/m.exec(text(cpuinfo) ?? '');
    if (flags && / hypervisor( |$)/.test(flags[1]!)) return true;
    // virtio devices exist only under a hypervisor that offers them (also where DMI is absent, e.g. on ARM).
    return virtio.ok && virtio.value.length > 0;
  });
}

export async function hostInfo(ctx: Context): Promise<HostInfo> {
  const [hostname, kernel, osr, user, guest] = await Promise.all([
    ctx.host.readFile('/proc/sys/kernel/hostname'),
    kernelRelease(ctx),
    ctx.host.readFile('/etc/os-release'),
    ctx.user,
    ctx.forceGuest ? Promise.resolve(true) : isGuest(ctx),
  ]);
  return {
    hostname: text(hostname)?.trim() ?? 'unknown',
    kernel,
    distro: osReleaseName(text(osr)),
    user: user.name,
    uid: user.uid,
    groups: user.groups.map((g) => g.name),
    euid: ctx.invoker.euid,
    guest,
    source: ctx.source,
  };
}
