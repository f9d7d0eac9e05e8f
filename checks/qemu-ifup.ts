// qemu-ifup: placeholder until the check lands.
import type { Check } from '../src/types.js';

const check: Check = {
  id: 'qemu-ifup',
  area: 'qemu',
  title: () => 'qemu-ifup',
  async run() {
    return { status: 'skip', summary: 'not implemented yet' };
  },
};

export default check;
