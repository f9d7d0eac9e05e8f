// guest-dhcp's and guest-route's tables of cases are in checks/guest-dhcp.ts and checks/guest-route.ts.
import { describe, expect, it } from 'vitest';
import { defaultRoutes, hexToIpv4, parseProcRoute } from '../../src/parse/proc-net.js';
import { elfWithNeeded } from '../helpers/elf.js';
import { fakeHost, runCheck, type FakeSpec } from '../helpers/fake-host.js';

const ROUTE = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n';
const routeVia = (dev: string, gwHex: string) => `${ROUTE}${dev}\t00000000\t${gwHex}\t0003\t0\t0\t0\t00000000\n`;

describe('guest-dhcp', () => {
  it.each([
    ['DMI says QEMU', { files: { '/sys/class/dmi/id/sys_vendor': 'QEMU\n' } }, true],
    ['the CPU has the hypervisor flag', { files: { '/proc/cpuinfo': 'flags\t: fpu vme hypervisor\n' } }, true],
    ['virtio devices without DMI (an ARM guest)', { files: { '/proc/cpuinfo': 'Features\t: fp asimd\n' }, dirs: { '/sys/bus/virtio/devices': ['virtio0'] } }, true],
    ['bare metal', { files: { '/sys/class/dmi/id/sys_vendor': 'Dell Inc.\n', '/proc/cpuinfo': 'flags\t: fpu vme\n' }, dirs: { '/sys/bus/virtio/devices': [] } }, false],
  ] as const)('guest detection: %s → %s', async (_t, spec, want) => {
    const { createContext } = await import('../../src/session.js');
    const { SnapshotHost } = await import('../../src/host/record.js');
    const { isGuest } = await import('../../src/facts/system.js');
    const snap = fakeHost(spec as FakeSpec);
    expect(await isGuest(await createContext({ host: new SnapshotHost(snap.reads), invoker: snap.invoker, source: 'snapshot' }))).toBe(want);
  });
});

describe('guest-route', () => {
  it('decodes /proc/net/route addresses', () => {
    expect(hexToIpv4('010200C0')).toBe('192.0.2.1');
    expect(defaultRoutes(parseProcRoute(routeVia('eth0', '010200C0')))).toEqual([{ dev: 'eth0', gateway: '192.0.2.1' }]);
  });
});

describe('qemu-netdev', async () => {
  const { default: qemuNetdev } = await import('../../checks/qemu-netdev.js');
  const DEBIAN = ['libslirp.so.0', 'libglib-2.0.so.0', 'libc.so.6'];
  const LIBDIR = '/lib/x86_64-linux-gnu';
  const host = (needed: string[] | null, installed = needed ?? [], extra: FakeSpec = {}): FakeSpec => ({
    ...extra,
    files: { '/proc/sys/kernel/arch': 'x86_64\n', ...extra.files },
    dirs: { '/usr/bin': ['qemu-img', 'qemu-system-i386', 'qemu-system-x86_64'] },
    binaries: { ...(needed ? { '/usr/bin/qemu-system-x86_64': elfWithNeeded(needed, { interp: '/lib64/ld-linux-x86-64.so.2' }) } : {}), ...extra.binaries },
    stats: { '/usr/bin/qemu-system-x86_64': { mode: 0o755 }, ...Object.fromEntries(installed.map((l) => [`${LIBDIR}/${l}`, { mode: 0o644 }])), ...extra.stats },
  });
  it('passes when it links libslirp and every library is there (Debian 12), without running QEMU', async () => {
    const r = await runCheck(qemuNetdev, fakeHost(host(DEBIAN)));
    expect(r.status).toBe('pass');
    expect(r.evidence.map((e) => e.observed).join(' ')).toContain(`libslirp.so.0 (${LIBDIR}/libslirp.so.0)`);
  });
  it('warns for a build without libslirp (no user backend)', async () => {
    const r = await runCheck(qemuNetdev, fakeHost(host(['libglib-2.0.so.0', 'libc.so.6'])));
    expect(r.status).toBe('warn');
    expect(r.summary).toContain('no user backend');
  });
  it('fails when a library it needs is gone (the loader would refuse to start it)', async () => {
    const r = await runCheck(qemuNetdev, fakeHost(host(DEBIAN, ['libglib-2.0.so.0', 'libc.so.6'])));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/cannot start: it needs libslirp\.so\.0, which is not installed/);
  });
  it('finds a library through ld.so.cache (a directory of ld.so.conf)', async () => {
    const cache = ldCache({ 'libslirp.so.0': '/opt/slirp/lib/libslirp.so.0' });
    const spec = host(DEBIAN, ['libglib-2.0.so.0', 'libc.so.6'], { binaries: { '/etc/ld.so.cache': cache }, stats: { '/opt/slirp/lib/libslirp.so.0': { mode: 0o644 } } });
    expect((await runCheck(qemuNetdev, fakeHost(spec))).status).toBe('pass');
    // The same host without that cache entry: the loader would not find it.
    expect((await runCheck(qemuNetdev, fakeHost(host(DEBIAN, ['libglib-2.0.so.0', 'libc.so.6'])))).status).toBe('fail');
  });
  it('asks QEMU itself with --deep', async () => {
    const help = (types: string[]) => ({ stdout: `Available netdev backend types:\n${types.join('\n')}\n` });
    const spec = { ...host(DEBIAN), exec: { '/usr/bin/qemu-system-x86_64 -netdev help': help(['socket', 'tap', 'bridge']) } };
    const r = await runCheck(qemuNetdev, fakeHost(spec), { deep: true });
    expect(r.status).toBe('warn');
    expect(r.evidence.map((e) => e.source)).toContain('/usr/bin/qemu-system-x86_64 -netdev help');
  });
  it('warns, without guessing, when the binary is not ELF', async () => {
    const spec = host(null);
    spec.files = { ...spec.files, '/usr/bin/qemu-system-x86_64': '#!/bin/sh\nexec qemu "$@"\n' };
    const r = await runCheck(qemuNetdev, fakeHost(spec));
    expect(r.status).toBe('warn');
    expect(r.summary).toMatch(/cannot tell which backends qemu-system-x86_64 has: not an ELF file; qnet doctor --deep/);
  });
  it('fails when no QEMU is installed', async () => {
    expect((await runCheck(qemuNetdev, fakeHost({ dirs: { '/usr/bin': ['ls'] } }))).summary).toMatch(/no qemu-system-\* binary/);
  });
});

/** An /etc/ld.so.cache in glibc's 1.1 format with the given name → path entries. */
function ldCache(entries: Record<string, string>): Buffer {
  const names = Object.entries(entries);
  const head = 48;
  const table = names.length * 24;
  let strings = '';
  const offs: [number, number][] = [];
  for (const [k, v] of names) {
    const ko = head + table + strings.length;
    strings += `${k}\0`;
    const vo = head + table + strings.length;
    strings += `${v}\0`;
    offs.push([ko, vo]);
  }
  const b = Buffer.alloc(head + table + strings.length);
  b.write('glibc-ld.so.cache1.1', 0, 'latin1');
  b.writeUInt32LE(names.length, 20);
  b.writeUInt32LE(strings.length, 24);
  offs.forEach(([ko, vo], i) => {
    b.writeInt32LE(0x0303, head + i * 24);
    b.writeUInt32LE(ko, head + i * 24 + 4);
    b.writeUInt32LE(vo, head + i * 24 + 8);
  });
  b.write(strings, head + table, 'latin1');
  return b;
}
