// qemu-netdev: a qemu-system-* binary exists and has the user, tap and bridge
// network backends. Read without running QEMU: tap and bridge are part of every
// Linux build; since QEMU 7.2 `user` is libslirp, so the binary's dynamic
// section (DT_NEEDED) says whether it has it, and every library it needs must
// be where the loader looks, or QEMU does not start at all. `qnet doctor --deep`
// also asks QEMU itself (`-netdev help`, one QEMU start-up).
import { ARCH, qemuBackends } from '../src/facts/qemu-backends.js';
import { which } from '../src/facts/system.js';
import { captured } from '../src/host/host.js';
import type { Check, Evidence } from '../src/types.js';

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
    const native = `qemu-system-${ARCH[machine]?.qemu ?? machine}`;
    const target = found.find((p) => p.endsWith(`/${native}`)) ?? found.find((p) => p.endsWith('/qemu-kvm')) ?? found[0]!;
    const name = target.split('/').pop()!;
    const evidence: Evidence[] = [{ source: 'ls /usr/bin/qemu-system-*', observed: found.join(' ') }];
    const b = (await qemuBackends(ctx, target))!;
    evidence.push(...b.evidence);
    if (b.unreadable) return { status: 'warn', summary: `cannot tell which backends ${name} has: ${b.unreadable}; qnet doctor --deep asks QEMU itself`, evidence };
    if (b.missingLibs.length) {
      const lib = b.missingLibs[0]!;
      return {
        status: 'fail',
        summary: `${name} cannot start: ${b.cannotStart} (the loader stops with "error while loading shared libraries: ${lib}: cannot open shared object file")`,
        evidence,
        details: [`Reinstall the package that provides ${lib} (Debian: apt-get install --reinstall ${lib.startsWith('libslirp') ? 'libslirp0' : "the library's package"}), or your distribution's full QEMU package.`],
      };
    }
    if (b.cannotStart) return { status: 'fail', summary: `${target} ${b.cannotStart}`, evidence };
    const missing = ['user', 'tap', 'bridge'].filter((t) => b.has(t) === false);
    if (!missing.length) return { status: 'pass', summary: `${name} has the user, tap and bridge backends`, evidence };
    const deepNote = ctx.deep ? [] : ['A QEMU older than 7.2 may have it built in: qnet doctor --deep asks QEMU itself.'];
    if (missing.length === 1 && missing[0] === 'user' && !ctx.deep) {
      return { status: 'warn', summary: `${name} has no user backend: it is built without libslirp`, evidence, details: [NO_SLIRP, ...deepNote] };
    }
    return {
      status: missing.includes('tap') ? 'fail' : 'warn',
      summary: `${name} has no ${missing.join(', ')} backend${missing.length > 1 ? 's' : ''}`,
      evidence,
      details: missing.includes('user') ? [NO_SLIRP] : [],
    };
  },
};

export default check;
