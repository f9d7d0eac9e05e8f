// kvm: /dev/kvm exists and the target user can open it. Without it QEMU runs
// guests with TCG (slow) or, with -enable-kvm / -accel kvm, does not start.
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
