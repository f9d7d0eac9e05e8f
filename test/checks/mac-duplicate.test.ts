import { describe, expect, it } from 'vitest';
import macDuplicate from '../../checks/mac-duplicate.js';
import { defaultMac, nicMacs, parseOpts, parseQemuCmdline } from '../../src/parse/qemu-cmdline.js';
import { fakeHost, runCheck } from '../helpers/fake-host.js';

const procs = (cmds: Record<number, string[]>) =>
  fakeHost({
    dirs: { '/proc': Object.keys(cmds) },
    files: Object.fromEntries(Object.entries(cmds).map(([pid, argv]) => [`/proc/${pid}/cmdline`, argv.join('\0') + '\0'])),
  });
const vm = (...nic: string[]) => ['qemu-system-x86_64', '-M', 'pc', ...nic.flatMap((n) => ['-device', n])];

describe('mac-duplicate', () => {
  it('fails for two VMs that both took the default MAC (seed 002)', async () => {
    const r = await runCheck(macDuplicate, procs({ 100: vm('virtio-net-pci,netdev=n0'), 200: vm('e1000,netdev=n0'), 1: ['/sbin/init'] }));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/VMs 100 and 200 share MAC 52:54:00:12:34:56 \(QEMU's default/);
  });
  it('fails for an explicit MAC given twice', async () => {
    const r = await runCheck(macDuplicate, procs({ 100: vm('virtio-net-pci,netdev=n0,mac=52:54:00:AA:00:01'), 200: ['qemu-kvm', '-net', 'nic,macaddr=52:54:00:aa:00:01'] }));
    expect(r.status).toBe('fail');
    expect(r.summary).toContain('52:54:00:aa:00:01');
  });
  it('passes for distinct MACs', async () => {
    const r = await runCheck(macDuplicate, procs({ 100: vm('virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01'), 200: vm('virtio-net-pci,netdev=n0') }));
    expect(r.status).toBe('pass');
  });
  it("a VM in another network namespace (a container's) does not share our network: no conflict", async () => {
    const cmds = { 100: vm('virtio-net-pci,netdev=n0'), 200: vm('e1000,netdev=n0') };
    const spec = (otherNs: string) =>
      fakeHost({
        dirs: { '/proc': Object.keys(cmds) },
        files: Object.fromEntries(Object.entries(cmds).map(([pid, argv]) => [`/proc/${pid}/cmdline`, argv.join('\0') + '\0'])),
        readlinks: { '/proc/self/ns/net': 'net:[4026531840]', '/proc/100/ns/net': 'net:[4026531840]', '/proc/200/ns/net': otherNs },
      });
    expect((await runCheck(macDuplicate, spec('net:[4026532999]'))).status).toBe('pass');
    expect((await runCheck(macDuplicate, spec('net:[4026531840]'))).status).toBe('fail');
  });
  it('skips without running VMs', async () => {
    expect((await runCheck(macDuplicate, procs({ 1: ['/sbin/init'] }))).status).toBe('skip');
  });
});

describe('QEMU option syntax', () => {
  it('reads doubled commas as literal commas', () => {
    expect(parseOpts('tap,id=n0,script=/etc/a,,b').props.get('script')).toBe('/etc/a,b');
  });
  it('numbers default MACs per NIC without one, in order', () => {
    const c = parseQemuCmdline(vm('e1000', 'e1000,mac=52:54:00:00:00:09', 'virtio-net-pci'));
    expect(nicMacs(c).map((m) => m.mac)).toEqual([defaultMac(0), '52:54:00:00:00:09', '52:54:00:12:34:57']);
  });
});
