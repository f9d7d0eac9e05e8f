// ifname-mismatch: placeholder until the check lands.
import type { Check } from '../src/types.js';

const check: Check = {
  id: 'ifname-mismatch',
  area: 'config',
  title: () => 'ifname-mismatch',
  async run() {
    return { status: 'skip', summary: 'not implemented yet' };
  },
};

export default check;
