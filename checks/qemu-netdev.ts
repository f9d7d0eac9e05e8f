// qemu-netdev: a qemu-system-* binary exists and has the user, tap and bridge
// network backends. Read without running QEMU: tap and bridge are part of every
// Linux build; since QEMU 7.2 `user` is libslirp, so the binary's dynamic
// section (DT_NEEDED) says whether it has it, and every library it needs must
// be where the loader looks, or QEMU does not start at all. `qnet doctor --deep`
// also asks QEMU itself (`-netdev help`, one QEMU start-up).
import type { Context } from '../src/context.js';
import { which } from '../src/facts/system.js';
import { captured, describeError } from '../src/host/host.js';
import { NotElf, readDynamic } from '../src/parse/elf.js';
import type { Check, Evidence, Finding } from '../src/types.js';
import { NotCaptured } from '../src/errors.js';

const WANTED = ['user', 'tap', 'bridge'];
const SLIRP = /^libslirp\.so(\.|$)/;

const ARCH: Record<string, { qemu: string; triplet: string }> = {
  x86_64: { qemu: 'x86_64', triplet: 'x86_64-linux-gnu' },
  aarch64: { qemu: 'aarch64', triplet: 'aarch64-linux-gnu' },
  armv7l: { qemu: 'arm', triplet: 'arm-linux-gnueabihf' },
  ppc64le: { qemu: 'ppc64', triplet: 'powerpc64le-linux-gnu' },
  s390x: { qemu: 's390x', triplet: 's390x-linux-gnu' },
  riscv64: { qemu: 'riscv64', triplet: 'riscv64-linux-gnu' },
};

/** Where the loader finds libraries by default (before ld.so.cache's extra directories). */
const libDirs = (triplet: string) => [`/lib/${triplet}`, `/usr/lib/${triplet}`, '/lib64', '/usr/lib64', '/lib', '/usr/lib'];

/** Library names listed in /etc/ld.so.cache (the directories of ld.so.conf), with their paths. */
function ldCacheEntries(buf: Buffer): Map<string, string> {
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
        const st = await ctx.host.stat(`${d}/${lib}`);
        if (st.ok) return void found.set(lib, `${d}/${lib}`);
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

/** The explicit deep check: QEMU lists its backends itself (one QEMU start-up). */
async function askQemu(ctx: Context, target: string, evidence: Evidence[]): Promise<Finding> {
  const r = captured(await ctx.host.exec([target, '-netdev', 'help']), `${target} -netdev help`);
  if (!r.ok || r.value.exitCode !== 0) {
    const why = r.ok ? (r.value.stderr.trim().split('\n')[0] ?? `exit ${r.value.exitCode}`) : describeError(r);
    return { status: 'fail', summary: `${target} does not run: ${why}`, evidence };
  }
  const have = r.value.stdout.split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
  evidence.push({ source: `${target} -netdev help`, observed: have.join(' ') });
  const missing = WANTED.filter((w) => !have.includes(w));
  const name = target.split('/').pop();
  if (!missing.length) return { status: 'pass', summary: `${name} has the user, tap and bridge backends`, evidence };
  return {
    status: missing.includes('tap') ? 'fail' : 'warn',
    summary: `${name} has no ${missing.join(', ')} backend${missing.length > 1 ? 's' : ''}`,
    evidence,
    details: missing.includes('user') ? [NO_SLIRP] : [],
  };
}

const NO_SLIRP =
  'QEMU 7.2 and later need libslirp for -netdev user; a build without it rejects "user" ("network backend \'user\' is not compiled into this binary"). Install your distribution\'s full QEMU package, or use tap/bridge.';

const check: Check = {
  id: 'qemu-netdev',
  area: 'qemu',
  order: 40,
  title: () => 'QEMU has the user, tap and bridge backends',
  async run(ctx) {
    const [bin, dir, arch] = await Promise.all([
      ctx.host.readdir('/usr/bin'),
      ctx.host.stat('/usr/libexec/qemu-kvm'),
      ctx.host.readFile('/proc/sys/kernel/arch'),
    ]);
    captured(bin, 'the listing of /usr/bin');
    const found = (bin.ok ? bin.value : []).filter((n) => /^qemu-system-[\w.-]+$/.test(n)).map((n) => `/usr/bin/${n}`);
    if (dir.ok) found.push('/usr/libexec/qemu-kvm');
    const local = await which(ctx, 'qemu-system-x86_64');
    if (local && !found.includes(local)) found.push(local);
    if (!found.length) {
      return { status: 'fail', summary: 'no qemu-system-* binary is installed', details: ['Debian/Ubuntu: apt-get install qemu-system-x86; Fedora: dnf install qemu-kvm (or qemu-system-x86)'] };
    }
    const machine = arch.ok ? arch.value.toString().trim() : 'x86_64';
    const a = ARCH[machine] ?? { qemu: machine, triplet: `${machine}-linux-gnu` };
    const target = found.find((p) => p.endsWith(`/qemu-system-${a.qemu}`)) ?? found.find((p) => p.endsWith('/qemu-kvm')) ?? found[0]!;
    const name = target.split('/').pop()!;
    const evidence: Evidence[] = [{ source: 'ls /usr/bin/qemu-system-*', observed: found.join(' ') }];
    if (ctx.deep) return askQemu(ctx, target, evidence);

    let dyn;
    try {
      dyn = await readDynamic(async (off, len) => {
        const r = captured(await ctx.host.readRange(target, off, len), `the headers of ${target}`);
        return r.ok ? r.value : undefined;
      });
    } catch (err) {
      // A snapshot from an earlier qnet recorded QEMU's own answer instead of the headers.
      if (err instanceof NotCaptured && ctx.source === 'snapshot') return askQemu(ctx, target, evidence);
      if (!(err instanceof NotElf)) throw err;
      return { status: 'warn', summary: `cannot tell which backends ${name} has: ${err.message}; qnet doctor --deep asks QEMU itself`, evidence };
    }
    const origin = target.slice(0, target.lastIndexOf('/')) || '/';
    const libs = await resolveLibs(ctx, dyn.needed, dyn.runpath, origin, a.triplet);
    const missing = dyn.needed.filter((l) => !libs.get(l));
    const slirp = dyn.needed.find((l) => SLIRP.test(l));
    evidence.push({
      source: `ELF dynamic section of ${target}`,
      observed: dyn.needed.length
        ? `needs ${dyn.needed.length} libraries${slirp ? `, ${slirp} (${libs.get(slirp) ?? 'not found'})` : ', not libslirp'}${missing.length ? `; not found: ${missing.join(', ')}` : ''}`
        : 'statically linked',
    });
    if (missing.length) {
      return {
        status: 'fail',
        summary: `${name} cannot start: it needs ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not installed (the loader stops with "error while loading shared libraries: ${missing[0]}: cannot open shared object file")`,
        evidence,
        details: [`Reinstall the package that provides ${missing[0]} (Debian: apt-get install --reinstall ${missing[0]!.startsWith('libslirp') ? 'libslirp0' : 'the library\'s package'}), or your distribution's full QEMU package.`],
      };
    }
    if (!slirp && dyn.needed.length) {
      return { status: 'warn', summary: `${name} has no user backend: it is built without libslirp`, evidence, details: [NO_SLIRP, 'A QEMU older than 7.2 may have it built in: qnet doctor --deep asks QEMU itself.'] };
    }
    return { status: 'pass', summary: `${name} has the user, tap and bridge backends`, evidence };
  },
};

export default check;
