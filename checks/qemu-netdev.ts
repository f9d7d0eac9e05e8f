// qemu-netdev: a qemu-system-* binary exists and has the user, tap and bridge
// network backends (QEMU 7.2+ built without libslirp has no `user`).
import { which } from '../src/facts/system.js';
import type { Check, Evidence } from '../src/types.js';

const WANTED = ['user', 'tap', 'bridge'];

function nativeBinary(arch: string): string {
  const map: Record<string, string> = { x86_64: 'x86_64', aarch64: 'aarch64', armv7l: 'arm', ppc64le: 'ppc64', s390x: 's390x', riscv64: 'riscv64' };
  return `qemu-system-${map[arch] ?? arch}`;
}

const check: Check = {
  id: 'qemu-netdev',
  area: 'qemu',
  title: () => 'QEMU has the user, tap and bridge backends',
  async run(ctx) {
    const [bin, dir, arch] = await Promise.all([
      ctx.host.readdir('/usr/bin'),
      ctx.host.stat('/usr/libexec/qemu-kvm'),
      ctx.host.readFile('/proc/sys/kernel/arch'),
    ]);
    const found = (bin.ok ? bin.value : []).filter((n) => /^qemu-system-[\w.-]+$/.test(n)).map((n) => `/usr/bin/${n}`);
    if (dir.ok) found.push('/usr/libexec/qemu-kvm');
    const local = await which(ctx, 'qemu-system-x86_64');
    if (local && !found.includes(local)) found.push(local);
    if (!found.length) {
      return { status: 'fail', summary: 'no qemu-system-* binary is installed', details: ['Debian/Ubuntu: apt-get install qemu-system-x86; Fedora: dnf install qemu-kvm (or qemu-system-x86)'] };
    }
    // Asking a binary costs a QEMU start-up (~0.1 s): ask only the one for this machine's architecture.
    const native = nativeBinary(arch.ok ? arch.value.toString().trim() : 'x86_64');
    const target = found.find((p) => p.endsWith(`/${native}`)) ?? found.find((p) => p.endsWith('/qemu-kvm')) ?? found[0]!;
    const evidence: Evidence[] = [{ source: 'ls /usr/bin/qemu-system-*', observed: found.join(' ') }];
    const r = await ctx.host.exec([target, '-netdev', 'help']);
    if (!r.ok || r.value.exitCode !== 0) {
      const why = r.ok ? (r.value.stderr.trim().split('\n')[0] ?? `exit ${r.value.exitCode}`) : r.code;
      return { status: 'fail', summary: `${target} does not run: ${why}`, evidence };
    }
    const have = r.value.stdout.split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
    evidence.push({ source: `${target} -netdev help`, observed: have.join(' ') });
    const missing = WANTED.filter((w) => !have.includes(w));
    if (!missing.length) return { status: 'pass', summary: `${target.split('/').pop()} has the user, tap and bridge backends`, evidence };
    return {
      status: missing.includes('tap') ? 'fail' : 'warn',
      summary: `${target.split('/').pop()} has no ${missing.join(', ')} backend${missing.length > 1 ? 's' : ''}`,
      evidence,
      details: missing.includes('user') ? ['QEMU 7.2 and later need libslirp for -netdev user; a build without it rejects "user" ("network backend \'user\' is not compiled into this binary"). Install your distribution\'s full QEMU package, or use tap/bridge.'] : [],
    };
  },
};

export default check;
