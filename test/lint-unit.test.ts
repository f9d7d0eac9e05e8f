// lint's judgement of a bridge helper for a non-root user, on recorded host reads:
// the setuid bit or a cap_net_admin+ep file capability (decoded from getfattr, the
// same read helper-setuid makes) is what lets the helper work.
import { describe, expect, it } from 'vitest';
import { lint, quotedWhole } from '../src/lint/index.js';
import { UsageError } from '../src/errors.js';
import { createContext } from '../src/session.js';
import { SnapshotHost } from '../src/host/record.js';
import { fakeHost, ipLinks, type FakeSpec } from './helpers/fake-host.js';

const HELPER = '/usr/lib/qemu/qemu-bridge-helper-suid';
const GETFATTR = `getfattr --absolute-names -n security.capability -e hex ${HELPER}`;
// VFS_CAP_REVISION_2 | effective, permitted = CAP_NET_ADMIN (bit 12), inheritable 0.
const NET_ADMIN_EP = `# file: ${HELPER}\nsecurity.capability=0x0100000200100000000000000000000000000000\n`;
// The same without the effective flag (cap_net_admin=p).
const NET_ADMIN_P = `# file: ${HELPER}\nsecurity.capability=0x0000000200100000000000000000000000000000\n`;

type Exec = { stdout?: string; stderr?: string; exitCode?: number } | null;
async function lintAsAlice(mode: number, getfattr: Exec, getcap?: Exec) {
  const spec: FakeSpec = {
    stats: { [HELPER]: { mode, uid: 0, gid: 0 } },
    files: { '/etc/qemu/bridge.conf': 'allow brnm0\n' },
    exec: { ...ipLinks([{ name: 'lo' }, { name: 'brnm0', kind: 'bridge' }]), [GETFATTR]: getfattr, ...(getcap !== undefined ? { [`getcap -n ${HELPER}`]: getcap } : {}) },
  };
  const snap = fakeHost(spec);
  const ctx = await createContext({ host: new SnapshotHost(snap.reads), invoker: snap.invoker, user: 'alice', source: 'snapshot' });
  const report = await lint(ctx, ['qemu-system-x86_64', '-netdev', `tap,br=brnm0,helper=${HELPER},id=net0`, '-device', 'virtio-net-pci,netdev=net0']);
  const r = report.results.find((x) => x.id === 'qemu-cmdline')!;
  return [r.summary, ...(r.details ?? [])].join('\n');
}

describe('lint: a helper= for a non-root user', () => {
  it('0755 without setuid or capability: the helper fails for alice', async () => {
    expect(await lintAsAlice(0o100755, { exitCode: 1, stderr: `${HELPER}: security.capability: No such attribute` })).toMatch(/neither setuid root nor given cap_net_admin, so it fails for alice/);
  });
  it('0755 with cap_net_admin+ep: the capability is enough', async () => {
    expect(await lintAsAlice(0o100755, { stdout: NET_ADMIN_EP })).not.toMatch(/neither setuid root/);
  });
  it('cap_net_admin=p without the effective flag does not help', async () => {
    expect(await lintAsAlice(0o100755, { stdout: NET_ADMIN_P })).toMatch(/neither setuid root nor given cap_net_admin/);
  });
  it("the installed helper's check (helper-setuid) is not run for a helper= elsewhere: lint judges that one itself", async () => {
    const snap = fakeHost({ stats: { [HELPER]: { mode: 0o104755, uid: 0, gid: 0 } }, files: { '/etc/qemu/bridge.conf': 'allow brnm0\n' }, exec: ipLinks([{ name: 'lo' }, { name: 'brnm0', kind: 'bridge' }]) });
    const ctx = await createContext({ host: new SnapshotHost(snap.reads), invoker: snap.invoker, user: 'alice', source: 'snapshot' });
    const ids = (await lint(ctx, ['qemu-system-x86_64', '-netdev', `tap,br=brnm0,helper=${HELPER},id=net0`])).results.map((r) => r.id);
    expect(ids).toContain('helper-acl');
    expect(ids).not.toContain('helper-setuid');
    const plain = (await lint(ctx, ['qemu-system-x86_64', '-netdev', 'bridge,br=brnm0,id=net0'])).results.map((r) => r.id);
    expect(plain).toContain('helper-setuid');
  });
  // A stock Debian has getcap (libcap2-bin) but not getfattr (attr): the same verdicts from getcap's text.
  it('no getfattr, getcap shows cap_net_admin=ep: the capability is enough', async () => {
    expect(await lintAsAlice(0o100755, null, { stdout: `${HELPER} cap_net_admin=ep\n` })).not.toMatch(/neither setuid root|not known/);
  });
  it('no getfattr, getcap shows nothing: the helper fails for alice', async () => {
    expect(await lintAsAlice(0o100755, null, { stdout: '' })).toMatch(/neither setuid root nor given cap_net_admin, so it fails for alice/);
  });
  it('neither tool: not known, a warning rather than a wrong verdict', async () => {
    const r = await lintAsAlice(0o100755, null, null);
    expect(r).toMatch(/whether it has cap_net_admin is not known \(neither getfattr/);
    expect(r).not.toMatch(/neither setuid root nor given/);
  });
  it('setuid root (04755): no capability needed', async () => {
    expect(await lintAsAlice(0o104755, { exitCode: 1, stderr: 'No such attribute' })).not.toMatch(/neither setuid root/);
  });
});

// hostfwd host ports, on recorded host reads. A port below net.ipv4.ip_unprivileged_port_start
// needs root or CAP_NET_BIND_SERVICE: QEMU 7.2 run by uid 4242 with hostfwd=tcp::80-:22 stops
// with "Could not set up host forwarding rule" (test/lint-user.test.ts has the real QEMU).
async function hostfwd(fwd: string, opts: { user?: string; start?: string | null } = {}) {
  const start = opts.start === undefined ? '1024\n' : opts.start;
  const snap = fakeHost({
    files: { '/proc/sys/net/ipv4/ip_unprivileged_port_start': start },
    exec: ipLinks([{ name: 'lo' }]),
  });
  const ctx = await createContext({ host: new SnapshotHost(snap.reads), invoker: snap.invoker, user: opts.user ?? 'alice', source: 'snapshot' });
  const report = await lint(ctx, ['qemu-system-x86_64', '-netdev', `user,id=n0,hostfwd=${fwd}`, '-device', 'e1000,netdev=n0']);
  return report.results.find((r) => r.id === 'hostfwd-port')!;
}

describe('lint: hostfwd ports a non-root user may not bind', () => {
  it('tcp::80 for alice: below ip_unprivileged_port_start (1024), a fail that says why', async () => {
    const r = await hostfwd('tcp::80-:22');
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/tcp port 80 is below net\.ipv4\.ip_unprivileged_port_start \(1024\): only root or a process with CAP_NET_BIND_SERVICE may bind it, and QEMU runs as alice/);
    expect(r.details).toContain('QEMU then fails with: Could not set up host forwarding rule');
    expect(r.evidence).toContainEqual({ source: 'read /proc/sys/net/ipv4/ip_unprivileged_port_start', observed: '1024' });
  });
  it('udp::53 for alice as well', async () => {
    expect((await hostfwd('udp::53-:53')).summary).toMatch(/udp port 53 is below/);
  });
  it('tcp::80 for root: free, a pass', async () => {
    expect((await hostfwd('tcp::80-:22', { user: 'root' })).status).toBe('pass');
  });
  it('the limit is read, not assumed: lowered to 80, port 80 is fine for alice', async () => {
    expect((await hostfwd('tcp::80-:22', { start: '80\n' })).status).toBe('pass');
    expect((await hostfwd('tcp::79-:22', { start: '80\n' })).summary).toMatch(/port 79 is below .* \(80\)/);
  });
  it('a kernel without the sysctl: the old fixed limit 1024', async () => {
    const r = await hostfwd('tcp::1023-:22', { start: null });
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/\(1024\)/);
  });
  it('port 0 (the kernel picks one) and 2222 are fine for alice', async () => {
    expect((await hostfwd('tcp::0-:22')).status).toBe('pass');
    expect((await hostfwd('tcp:127.0.0.1:2222-:22')).status).toBe('pass');
  });
});

describe('lint: a whole command line passed as one argument', () => {
  it.each([
    [['qemu-system-x86_64 -netdev user,id=n0'], ['qemu-system-x86_64', '-netdev', 'user,id=n0']],
    [['/usr/bin/qemu-system-x86_64 -append "console=ttyS0 root=/dev/vda" -m 1G'], ['/usr/bin/qemu-system-x86_64', '-append', 'console=ttyS0 root=/dev/vda', '-m', '1G']],
    [["  kvm -name 'my vm'  ", '-nic', 'user'], ['kvm', '-name', 'my vm', '-nic', 'user']],
    [['./linux eth0=tuntap,tap0 mem=64M'], ['./linux', 'eth0=tuntap,tap0', 'mem=64M']],
  ])('%j is recognised and split', (argv, words) => {
    expect(quotedWhole(argv)).toEqual(words);
  });
  it.each([[['qemu-system-x86_64', '-m', '1G']], [['ls -l /']], [['my qemu-system-x86_64']]])('%j is not', (argv) => {
    expect(quotedWhole(argv)).toBeUndefined();
  });
  it('gets a one-line usage error with the command split into words', async () => {
    const snap = fakeHost({ exec: ipLinks([{ name: 'lo' }]) });
    const ctx = await createContext({ host: new SnapshotHost(snap.reads), invoker: snap.invoker, source: 'snapshot' });
    const err = await lint(ctx, ['qemu-system-x86_64 -netdev user,id=n0 -append "a b"']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    expect(msg).toMatch(/came as one argument .*pass its words as separate arguments.*: qnet lint -- qemu-system-x86_64 -netdev user,id=n0 -append 'a b'$/);
  });
});

describe('lint: a tap script run by a non-root user', () => {
  const GOOD = '#!/bin/sh\nip link set dev "$1" master br0 up\n';
  async function tapLint(user: string, script: string, netdev = 'tap,id=n0,ifname=tap0') {
    const snap = fakeHost({
      files: { '/etc/qemu-ifup': script, '/etc/qemu-ifdown': '#!/bin/sh\nexit 0\n' },
      stats: { '/etc/qemu-ifup': { mode: 0o755 }, '/etc/qemu-ifdown': { mode: 0o755 }, '/bin/sh': { mode: 0o755 } },
      exec: ipLinks([{ name: 'lo' }, { name: 'br0', kind: 'bridge' }, { name: 'tap0', kind: 'tun' }]),
    });
    const ctx = await createContext({ host: new SnapshotHost(snap.reads), invoker: snap.invoker, user, source: 'snapshot' });
    const report = await lint(ctx, ['qemu-system-x86_64', '-netdev', netdev, '-device', 'e1000,netdev=n0']);
    return report.results.find((r) => r.id === 'qemu-cmdline')!;
  }
  it("the default /etc/qemu-ifup runs with alice's rights: its ip link set fails (a fail)", async () => {
    const r = await tapLint('alice', GOOD);
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/script \/etc\/qemu-ifup runs with alice's rights, and its `ip link set` \(line 2\) needs CAP_NET_ADMIN .*RTNETLINK answers: Operation not permitted.*failed with status 512/);
  });
  it('for root the same script is fine', async () => {
    // (a warning remains: the fake host has no qemu-system-x86_64 to ask for its backends)
    const r = await tapLint('root', GOOD);
    expect(r.status, r.summary).not.toBe('fail');
    expect([r.summary, ...(r.details ?? [])].join('\n')).not.toMatch(/CAP_NET_ADMIN/);
  });
  it('script=no,downscript=no: nothing runs, nothing to say about scripts', async () => {
    expect((await tapLint('alice', GOOD, 'tap,id=n0,ifname=tap0,script=no,downscript=no')).summary).not.toMatch(/script/);
  });
  it('a script that raises its rights with sudo is not judged unusable', async () => {
    expect((await tapLint('alice', '#!/bin/sh\nsudo -n ip link set dev "$1" master br0 up\n')).summary).not.toMatch(/CAP_NET_ADMIN/);
  });
});

describe('lint judges with the checks\' own judges', () => {
  const run = async (spec: FakeSpec, argv: string[], opts: { strict?: boolean } = {}) => {
    const snap = fakeHost(spec);
    const host = opts.strict ? new SnapshotHost(snap.reads) : new SnapshotHost(new Proxy(snap.reads, { get: (t, k: string) => t[k] ?? { ok: false, code: 'ENOENT', message: k }, has: () => true, getOwnPropertyDescriptor: (t, k: string) => ({ value: t[k] ?? { ok: false, code: 'ENOENT', message: k }, writable: false, enumerable: true, configurable: true }) }));
    const ctx = await createContext({ host, invoker: snap.invoker, user: 'alice', source: 'snapshot' });
    return (await lint(ctx, argv)).results;
  };
  it('UML: /dev/net/tun granted to alice by an ACL entry is usable, as tun-perms says (lint used to ignore ACLs)', async () => {
    const spec: FakeSpec = {
      stats: { '/dev/net/tun': { type: 'chr', mode: 0o660, rdev: [10, 200] } },
      exec: { ...ipLinks([{ name: 'lo' }, { name: 'tap0', kind: 'tun', info: { type: 'tap', user: 1000 } }]), 'getfacl -n -p /dev/net/tun': { stdout: '# file: /dev/net/tun\nuser::rw-\nuser:1000:rw-\ngroup::rw-\nmask::rw-\nother::---\n' } },
    };
    const results = await run(spec, ['./linux', 'eth0=tuntap,tap0']);
    expect(results.find((r) => r.id === 'qemu-cmdline')).toMatchObject({ status: 'pass' });
    expect(results.find((r) => r.id === 'tun-perms')).toMatchObject({ status: 'pass' });
  });
  it('a setuid helper= on a nosuid mount fails for alice, as helper-setuid says (lint used to pass it)', async () => {
    const spec: FakeSpec = {
      stats: { [HELPER]: { mode: 0o104755, uid: 0, gid: 0 } },
      files: { '/etc/qemu/bridge.conf': 'allow brnm0\n', '/proc/self/mountinfo': '22 1 8:1 / / rw - ext4 /dev/sda1 rw\n30 22 8:2 / /usr/lib/qemu rw,nosuid - ext4 /dev/sda2 rw\n' },
      exec: ipLinks([{ name: 'lo' }, { name: 'brnm0', kind: 'bridge' }]),
    };
    const r = (await run(spec, ['qemu-system-x86_64', '-netdev', `tap,br=brnm0,helper=${HELPER},id=net0`])).find((x) => x.id === 'qemu-cmdline')!;
    expect([r.summary, ...(r.details ?? [])].join('\n')).toMatch(/neither setuid root nor given cap_net_admin.*nosuid/);
  });
  it('a snapshot without the unprivileged port limit: hostfwd-port is a skip saying so, not a crash', async () => {
    const spec: FakeSpec = { exec: ipLinks([{ name: 'lo' }]), files: { '/proc/net/tcp': '  sl  local_address rem_address   st\n' } };
    const results = await run(spec, ['qemu-system-x86_64', '-netdev', 'user,id=n0,hostfwd=tcp::2222-:22'], { strict: true });
    expect(results.find((r) => r.id === 'hostfwd-port')).toMatchObject({ status: 'skip', summary: expect.stringMatching(/ip_unprivileged_port_start was not captured/) });
  });
});
