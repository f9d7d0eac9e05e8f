// br-netfilter: placeholder until the check lands.
import type { Check } from '../src/types.js';

const check: Check = {
  id: 'br-netfilter',
  area: 'kernel',
  title: () => 'br-netfilter',
  async run() {
    return { status: 'skip', summary: 'not implemented yet' };
  },
};

export default check;
