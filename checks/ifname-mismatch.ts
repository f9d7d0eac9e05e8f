// ifname-mismatch: every interface named in network config exists (on a host;
// inside a VM the same judgement is guest-ifname's).
import { guestMode } from '../src/facts/guest.js';
import { judgeNames } from '../src/facts/ifname-judge.js';
import type { Check } from '../src/types.js';

const check: Check = {
  id: 'ifname-mismatch',
  area: 'config',
  title: () => 'interfaces named in network config exist',
  async run(ctx) {
    if (await guestMode(ctx)) return { status: 'skip', summary: 'this system is a VM: guest-ifname judges its network configuration' };
    return judgeNames(ctx, 'config');
  },
};

export default check;
