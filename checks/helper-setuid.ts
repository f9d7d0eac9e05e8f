// helper-setuid: placeholder until the check lands.
import type { Check } from '../src/types.js';

const check: Check = {
  id: 'helper-setuid',
  area: 'qemu',
  title: () => 'helper-setuid',
  async run() {
    return { status: 'skip', summary: 'not implemented yet' };
  },
};

export default check;
