// helper-acl: placeholder until the check lands.
import type { Check } from '../src/types.js';

const check: Check = {
  id: 'helper-acl',
  area: 'qemu',
  title: () => 'helper-acl',
  async run() {
    return { status: 'skip', summary: 'not implemented yet' };
  },
};

export default check;
