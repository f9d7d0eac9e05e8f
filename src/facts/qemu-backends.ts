// Which network backends a QEMU binary has, read without running it: `tap`,
// `bridge`, `socket`, `hubport`, `l2tpv3`, `vhost-user` and `vhost-vdpa` are
// part of every Linux build; `user` is libslirp (external since QEMU 7.2),
// `vde` libvdeplug and `af-xdp` libxdp, so the binary's DT_NEEDED entries say
// whether it has them; and every library it needs must be where the loader
// looks, or QEMU does not start at all. With --deep QEMU itself is asked
// (`-netdev help`, one QEMU start-up). The qemu-netdev check and lint share this.
import type { Context } from '../context.js';
import { NotCaptured } from '../errors.js';
import { captured, describeError } from '../host/host.js';
import { NotElf, readDynamic } from '../parse/elf.js';
import type { Evidence } from '../types.js';
import { which } from './system.js';

const ALWAYS = ['tap', 'bridge', 'socket', 'hubport', 'l2tpv3', 'vhost-user', 'vhost-vdpa'];
const BY_LIBRARY: [string, RegExp][] = [
  ['user', /^libslirp\.so(\.|$)/],
  ['vde', /^libvdeplug\.so(\.|$)/],
  ['af-xdp', /^libxdp\.so(\.|$)/],
];

export const ARCH: Record<string, { qemu: string; triplet: string }> = {
  x86_64: { qemu: 'x86_64', triplet: 'x86_64-linux-gnu' },
  aarch64: { qemu: 'aarch64', triplet: 'aarch64-linux-gnu' },
  armv7l: { qemu: 'arm', triplet: 'arm-linux-gnueabihf' },
  ppc64le: { qemu: 'ppc64', triplet: 'powerpc64le-linux-gnu' },
  s390x: { qemu: 's390x', triplet: 's390x-linux-gnu' },
  riscv64: { qemu: 'riscv64', triplet: 'riscv64-linux-gnu' },
};

export interface QemuBackends {
  path: string;
  /** The binary does not start: why (a library it needs is missing, or it fails to run). */
  cannotStart?: string;
  /** Libraries it needs that the loader would not find. */
  missingLibs: string[];
  /** Does it have this backend? undefined: cannot tell without asking QEMU. */
  has(type: string): boolean | undefined;
  /** What QEMU listed itself (--deep), or what the headers prove. */
  known: string[];
  /** The headers could not be read as ELF: why. */
  unreadable?: string;
  evidence: Evidence[];
}

/** Where the loader finds libraries by default (before ld.so.cache's extra directories). */
const libDirs = (triplet: string) => [`/lib/${triplet}`, `/usr/lib/${triplet}`, '/lib64', '/usr/lib64', '/lib', '/usr/lib'];

/** Library names listed in /etc/ld.so.cache (the directories of ld.so.conf), with their paths. */
export function ldCacheEntries(buf: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  const MAGIC = 'glibc-ld.so.cache1.1';
  const start = buf.indexOf(MAGIC, 0, 'latin1');
  if (start < 0 || buf.length < start + 48) return out;
  const nlibs = buf.readUInt32LE(start + 20);
  const str = (off: number) => {
    const at = start + off;
    const end = buf.indexOf(0, at);
    return at < buf.length ? buf.toString('latin1', at, end < 0 ? buf.length : end) : '';
  };
  for (let i = 0; i < nlibs && start + 48 + (i + 1) * 24 <= buf.length; i++) {
    const e = start + 48 + i * 24;
    const key = str(buf.readUInt32LE(e + 4));
    const value = str(buf.readUInt32LE(e + 8));
    if (key && value && !out.has(key)) out.set(key, value);
  }
  return out;
}

/** Where the loader would find each library, or undefined for those it would not find. */
async function resolveLibs(ctx: Context, libs: string[], runpath: string[], origin: string, triplet: string): Promise<Map<string, string | undefined>> {
  const dirs = [...runpath.map((d) => d.replace(/\$(ORIGIN|\{ORIGIN\})/g, origin)), ...libDirs(triplet)];
  const found = new Map<string, string | undefined>();
  await Promise.all(
    libs.map(async (lib) => {
      for (const d of dirs) {
        if ((await ctx.host.stat(`${d}/${lib}`)).ok) return void found.set(lib, `${d}/${lib}`);
      }
      found.set(lib, undefined);
    }),
  );
  const missing = libs.filter((l) => !found.get(l));
  if (missing.length) {
    // Directories of /etc/ld.so.conf reach the loader through its cache.
    const cache = await ctx.host.readFile('/etc/ld.so.cache');
    const entries = cache.ok ? ldCacheEntries(cache.value) : new Map<string, string>();
    for (const lib of missing) {
      const p = entries.get(lib);
      if (p && (await ctx.host.stat(p)).ok) found.set(lib, p);
    }
  }
  return found;
}

async function machineTriplet(ctx: Context): Promise<string> {
  const arch = await ctx.host.readFile('/proc/sys/kernel/arch');
  const machine = arch.ok ? arch.value.toString().trim() : 'x86_64';
  return ARCH[machine]?.triplet ?? `${machine}-linux-gnu`;
}

/** QEMU's own answer: one start-up. */
async function askQemu(ctx: Context, path: string): Promise<QemuBackends> {
  const r = captured(await ctx.host.exec([path, '-netdev', 'help']), `${path} -netdev help`);
  if (!r.ok || r.value.exitCode !== 0) {
    const why = r.ok ? (r.value.stderr.trim().split('\n')[0] ?? `exit ${r.value.exitCode}`) : describeError(r);
    return { path, cannotStart: `does not run: ${why}`, missingLibs: [], has: () => false, known: [], evidence: [] };
  }
  const known = r.value.stdout.split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
  return { path, missingLibs: [], has: (t) => known.includes(t), known, evidence: [{ source: `${path} -netdev help`, observed: known.join(' ') }] };
}

/** The backends of the QEMU binary at `path` (resolved on the standard PATH when bare). */
export function qemuBackends(ctx: Context, binary: string): Promise<QemuBackends | undefined> {
  return ctx.memo(`qemu-backends ${binary}`, async () => {
    const path = binary.includes('/') ? binary : await which(ctx, binary);
    if (!path || !(await ctx.host.stat(path)).ok) return undefined;
    if (ctx.deep) return askQemu(ctx, path);
    let dyn;
    try {
      dyn = await readDynamic(async (off, len) => {
        const r = captured(await ctx.host.readRange(path, off, len), `the headers of ${path}`);
        return r.ok ? r.value : undefined;
      });
    } catch (err) {
      // A snapshot from an earlier qnet recorded QEMU's own answer instead of the headers.
      if (err instanceof NotCaptured && ctx.source === 'snapshot') return askQemu(ctx, path);
      if (!(err instanceof NotElf)) throw err;
      return { path, missingLibs: [], has: () => undefined, known: [], unreadable: err.message, evidence: [] };
    }
    const origin = path.slice(0, path.lastIndexOf('/')) || '/';
    const libs = await resolveLibs(ctx, dyn.needed, dyn.runpath, origin, await machineTriplet(ctx));
    const missingLibs = dyn.needed.filter((l) => !libs.get(l));
    const slirp = dyn.needed.find((l) => BY_LIBRARY[0]![1].test(l));
    const linked = new Set(BY_LIBRARY.filter(([, re]) => dyn.needed.some((l) => re.test(l))).map(([t]) => t));
    const known = dyn.needed.length ? [...ALWAYS, ...linked] : ALWAYS;
    const evidence: Evidence[] = [
      {
        source: `ELF dynamic section of ${path}`,
        observed: dyn.needed.length
          ? `needs ${dyn.needed.length} libraries${slirp ? `, ${slirp} (${libs.get(slirp) ?? 'not found'})` : ', not libslirp'}${missingLibs.length ? `; not found: ${missingLibs.join(', ')}` : ''}`
          : 'statically linked',
      },
    ];
    return {
      path,
      ...(missingLibs.length ? { cannotStart: `it needs ${missingLibs.join(', ')}, which ${missingLibs.length > 1 ? 'are' : 'is'} not installed` } : {}),
      missingLibs,
      known,
      // A static binary may have anything built in; a dynamic one has a library backend only if it links the library.
      has: (t) => (ALWAYS.includes(t) ? true : BY_LIBRARY.some(([b]) => b === t) ? (dyn.needed.length ? linked.has(t) : undefined) : undefined),
      evidence,
    };
  });
}
