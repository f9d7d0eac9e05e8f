// guest-ifname: inside a VM, every interface named in network config exists
// (seed 000: the guest's interfaces file says eth0, QEMU's NIC is enp0s3).
import { guestMode } from '../src/facts/guest.js';
import type { Check } from '../src/types.js';
import { judgeNames } from '../src/facts/ifname-judge.js';

const check: Check = {
  id: 'guest-ifname',
  area: 'guest',
  order: 10,
  title: () => 'interfaces named in the guest\'s network config exist',
  async run(ctx) {
    if (!(await guestMode(ctx))) return { status: 'skip', summary: 'not a guest (no hypervisor detected; --guest forces the guest checks)' };
    return judgeNames(ctx, 'guest');
  },
};

export default check;
