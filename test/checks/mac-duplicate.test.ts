// mac-duplicate's table of cases is in checks/mac-duplicate.ts.
import { describe, expect, it } from 'vitest';
import { defaultMac, nicMacs, parseOpts, parseQemuCmdline } from '../../src/parse/qemu-cmdline.js';

const vm = (...nic: string[]) => ['qemu-system-x86_64', '-M', 'pc', ...nic.flatMap((n) => ['-device', n])];

describe('QEMU option syntax', () => {
  it('reads doubled commas as literal commas', () => {
    expect(parseOpts('tap,id=n0,script=/etc/a,,b').props.get('script')).toBe('/etc/a,b');
  });
  it('numbers default MACs per NIC without one, in order', () => {
    const c = parseQemuCmdline(vm('e1000', 'e1000,mac=52:54:00:00:00:09', 'virtio-net-pci'));
    expect(nicMacs(c).map((m) => m.mac)).toEqual([defaultMac(0), '52:54:00:00:00:09', '52:54:00:12:34:57']);
  });
});
