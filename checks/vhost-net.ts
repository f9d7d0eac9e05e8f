// vhost-net: /dev/vhost-net exists and the target user can open it. Only a
// warning: without it virtio-net works, slower, unless vhost=on was asked for.
import type { CheckCase } from '../src/check-cases.js';
import { nodeAccess } from '../src/facts/devnode.js';
import { groupGrantPlan } from '../src/fixes/plans.js';
import { loadModulePlan } from '../src/fixes/plans.js';
import type { Check } from '../src/types.js';

const VHOST = '/dev/vhost-net';

const check: Check = {
  id: 'vhost-net',
  area: 'kernel',
  order: 30,
  title: () => '/dev/vhost-net is usable',
  async run(ctx) {
    const acc = await nodeAccess(ctx, VHOST);
    const { user, evidence } = acc;
    const title = `/dev/vhost-net is usable by ${user.name}`;
    if (!acc.node.ok) {
      if (acc.node.code !== 'ENOENT') return { title, status: 'skip', summary: `${VHOST} cannot be read: ${acc.shown}`, evidence };
      return {
        title,
        status: 'warn',
        summary: `${VHOST} does not exist: virtio-net runs without in-kernel acceleration`,
        evidence,
        details: ['QEMU with -netdev tap,...,vhost=on then prints: tap: open vhost char device failed: No such file or directory (QEMU 7.2 then aborts on an assertion; other versions say: vhost-net requested but could not be initialized)'],
        fixes: [loadModulePlan('vhost-net/load', 'vhost_net')],
      };
    }
    if (acc.how) return { title, status: 'pass', summary: `${user.name} can open ${VHOST} read-write ${acc.how}`, evidence };
    return {
      title,
      status: 'warn',
      summary: `${VHOST} is ${acc.shown}; ${user.name} cannot open it, so vhost=on fails for ${user.name}`,
      evidence,
      fixes: [
        await groupGrantPlan(ctx, {
          id: 'vhost-net/group-udev', path: VHOST, kernel: 'vhost-net', preferGroups: ['kvm'], user,
          ruleFile: '/etc/udev/rules.d/60-qnet-vhost-net.rules', note: 'let members of kvm use vhost-net',
        }),
      ],
    };
  },
};

export default check;

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const chr = (mode: number, gid: number) => ({ '/dev/vhost-net': { type: 'chr' as const, mode, uid: 0, gid, rdev: [10, 238] as [number, number] } });
  return [
    { name: 'no /dev/vhost-net (a warning, never a failure)', host: {}, status: 'warn', summary: /does not exist/ },
    { name: '0660 root:kvm, alice in kvm', host: { files: { '/etc/group': 'root:x:0:\nkvm:x:104:alice\nalice:x:1000:\n' }, stats: chr(0o660, 104) }, status: 'pass', summary: 'alice can open /dev/vhost-net read-write through group kvm' },
  ];
}
