// vhost-net: /dev/vhost-net exists and the target user can open it. Only a
// warning: without it virtio-net works, slower, unless vhost=on was asked for.
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
