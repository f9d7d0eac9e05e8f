// kvm: /dev/kvm exists and the target user can open it. Without it QEMU runs
// guests with TCG (slow) or, with -enable-kvm / -accel kvm, does not start.
import type { CheckCase } from '../src/check-cases.js';
import { nodeAccess } from '../src/facts/devnode.js';
import { groupGrantPlan } from '../src/fixes/plans.js';
import { text, isChar } from '../src/host/host.js';
import { loadModulePlan } from '../src/fixes/plans.js';
import type { Check, FixPlan } from '../src/types.js';

const KVM = '/dev/kvm';

const check: Check = {
  id: 'kvm',
  area: 'kernel',
  order: 40,
  title: () => '/dev/kvm is usable',
  async run(ctx) {
    const acc = await nodeAccess(ctx, KVM);
    const { user, evidence } = acc;
    const title = `/dev/kvm is usable by ${user.name}`;
    if (!acc.node.ok) {
      if (acc.node.code !== 'ENOENT') return { title, status: 'skip', summary: `${KVM} cannot be read: ${acc.shown}`, evidence };
      const [cpuinfo, intel, amd] = await Promise.all([
        ctx.host.readFile('/proc/cpuinfo'),
        ctx.host.stat('/sys/module/kvm_intel'),
        ctx.host.stat('/sys/module/kvm_amd'),
      ]);
      const flags = /^flags\s*:(.*)$/m.exec(text(cpuinfo) ?? '')?.[1] ?? '';
      const vendor = / vmx( |$)/.test(flags) ? 'intel' : / svm( |$)/.test(flags) ? 'amd' : undefined;
      evidence.push({ source: 'read /proc/cpuinfo', observed: vendor ? `CPU flag ${vendor === 'intel' ? 'vmx' : 'svm'} present` : 'no vmx or svm flag' });
      const fixes: FixPlan[] = [];
      if (vendor && !(intel.ok || amd.ok)) {
        const mod = `kvm_${vendor}`;
        fixes.push(loadModulePlan('kvm/load', mod));
      }
      return {
        title,
        status: 'fail',
        summary: vendor
          ? `${KVM} does not exist although the CPU has ${vendor === 'intel' ? 'VT-x' : 'AMD-V'}: the kvm_${vendor} module is not loaded`
          : `${KVM} does not exist: the CPU shows no VT-x/AMD-V (disabled in firmware, or nested virtualization is off in this VM)`,
        evidence,
        details: ['QEMU with -enable-kvm then fails with: Could not access KVM kernel module: No such file or directory. Without it QEMU falls back to TCG, which is slow but networks the same.'],
        fixes,
      };
    }
    const st = acc.node.value;
    if (!isChar(st) || st.rdevMajor !== 10 || st.rdevMinor !== 232) {
      return { title, status: 'fail', summary: `${KVM} is not the character device 10:232`, evidence };
    }
    if (acc.how) return { title, status: 'pass', summary: `${user.name} can open ${KVM} read-write ${acc.how}`, evidence };
    return {
      title,
      status: 'fail',
      summary: `${KVM} is ${acc.shown}; ${user.name} cannot open it read-write`,
      evidence,
      details: ['QEMU with -enable-kvm then fails with: Could not access KVM kernel module: Permission denied'],
      fixes: [
        await groupGrantPlan(ctx, {
          id: 'kvm/group-udev', path: KVM, kernel: 'kvm', preferGroups: ['kvm'], user,
          ruleFile: '/etc/udev/rules.d/60-qnet-kvm.rules', note: 'let members of kvm use hardware virtualization',
        }),
      ],
    };
  },
};

export default check;

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const chr = (mode: number, gid: number) => ({ '/dev/kvm': { type: 'chr' as const, mode, uid: 0, gid, rdev: [10, 232] as [number, number] } });
  const kvmGroup = 'root:x:0:\nkvm:x:104:alice\nalice:x:1000:\n';
  return [
    { name: '0660 root:kvm, alice in kvm', host: { files: { '/etc/group': kvmGroup }, stats: chr(0o660, 104) }, status: 'pass', summary: /through group kvm/ },
    { name: '0600 root:root (this kind of VM)', host: { stats: chr(0o600, 0) }, status: 'fail', summary: /crw------- root:root; alice cannot open/, fixes: ['kvm/group-udev'] },
    { name: 'absent, CPU has vmx, module not loaded', host: { files: { '/proc/cpuinfo': 'flags\t\t: fpu vme vmx sse\n' } }, status: 'fail', summary: /kvm_intel module is not loaded/, fixes: ['kvm/load'] },
    { name: 'absent, no virtualization flags', host: { files: { '/proc/cpuinfo': 'flags\t\t: fpu vme sse hypervisor\n' } }, status: 'fail', summary: /no VT-x\/AMD-V/, fixes: [] },
  ];
}
