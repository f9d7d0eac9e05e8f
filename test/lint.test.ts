// qnet lint against real QEMU: for each command line, lint's verdict on the
// network options and QEMU's own (does it start its network backend?) agree.
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = `${ROOT}bin/qnet.js`;
const why = (() => {
  if (process.getuid?.() !== 0) return 'not root';
  if (spawnSync('qemu-system-x86_64', ['--version']).status !== 0) return 'qemu-system-x86_64 is not installed';
  if (spawnSync('unshare', ['-n', 'true']).status !== 0) return 'no network namespaces';
  return '';
})();
if (why) console.log(`lint-vs-QEMU tests skipped: ${why}`);

const NS = `qnet-lint-${process.pid}`;
const inNs = (argv: string[]) => ['ip', 'netns', 'exec', NS, ...argv];

/** Runs QEMU paused, in the test's network namespace, and quits it over QMP: exit 0 means the backends came up. */
function qemu(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const [cmd, ...rest] = inNs(['qemu-system-x86_64']);
    const p = spawn(cmd!, [...rest, '-M', 'pc', '-nodefaults', '-display', 'none', '-S', '-no-user-config', '-qmp', 'stdio', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (b) => (stderr += b));
    p.stdout.on('data', () => undefined);
    p.stdin.on('error', () => undefined);
    p.stdin.write('{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n');
    const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stderr });
    });
  });
}

function lintJson(args: string[]) {
  const [cmd, ...rest] = inNs([process.execPath, BIN, 'lint', '--json', '--', 'qemu-system-x86_64', ...args]);
  const r = spawnSync(cmd!, rest, { encoding: 'utf8' });
  if (r.status === 2) return { code: 2, stderr: r.stderr, results: [] as { id: string; status: string; summary: string }[] };
  const doc = JSON.parse(r.stdout) as { results: { id: string; status: string; summary: string }[] };
  return { code: r.status, stderr: r.stderr, results: doc.results };
}

// A real listener inside the namespace holds one port, as sshd would on a host.
const busyPort = 18022;
let listener: ReturnType<typeof spawn> | undefined;
beforeAll(async () => {
  if (why) return;
  spawnSync('ip', ['netns', 'add', NS]);
  spawnSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  const [cmd, ...rest] = inNs([process.execPath, '-e', `require('net').createServer().listen(${busyPort}, '0.0.0.0', () => console.log('ready'))`]);
  listener = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res) => listener!.stdout!.once('data', () => res()));
});
afterAll(() => {
  listener?.kill('SIGKILL');
  spawnSync('ip', ['netns', 'del', NS]);
});

describe.skipIf(why !== '')('qnet lint agrees with QEMU', () => {
  const cases: { name: string; args: () => string[]; id: string; verdict: 'pass' | 'warn' | 'fail'; qemuSays?: RegExp }[] = [
    { name: 'user networking with a free hostfwd port (seed 002)', args: () => ['-netdev', 'user,id=n0,hostfwd=tcp::0-:22', '-device', 'e1000,netdev=n0'], id: 'qemu-cmdline', verdict: 'pass' },
    { name: 'hostfwd to a port a real listener holds', args: () => ['-netdev', `user,id=n0,hostfwd=tcp::${busyPort}-:22`, '-device', 'e1000,netdev=n0'], id: 'hostfwd-port', verdict: 'fail', qemuSays: /Could not set up host forwarding rule/ },
    { name: 'the removed -net ...,vlan= syntax (seed 001)', args: () => ['-net', 'nic,vlan=0,model=e1000', '-net', 'user,vlan=0'], id: 'qemu-cmdline', verdict: 'fail', qemuSays: /vlan/ },
    { name: 'two netdevs with one id', args: () => ['-netdev', 'user,id=n0', '-netdev', 'user,id=n0', '-device', 'e1000,netdev=n0'], id: 'qemu-cmdline', verdict: 'fail', qemuSays: /Duplicate ID 'n0'/ },
    { name: 'a netdev id that is not an identifier (a;b)', args: () => ['-netdev', 'user,id=a;b', '-device', 'e1000,netdev=a;b'], id: 'qemu-cmdline', verdict: 'fail', qemuSays: /Parameter 'id' expects an identifier/ },
    { name: 'a NIC naming a netdev that is not there', args: () => ['-netdev', 'user,id=n0', '-device', 'e1000,netdev=n9'], id: 'qemu-cmdline', verdict: 'fail', qemuSays: /n9/ },
    // QEMU cuts a long ifname to 15 bytes and starts: a warning, not a failure.
    { name: 'an ifname of 16 bytes', args: () => ['-netdev', 'tap,id=n0,ifname=tap0123456789abc,script=no,downscript=no', '-device', 'e1000,netdev=n0'], id: 'qemu-cmdline', verdict: 'warn' },
    { name: 'a script that does not exist', args: () => ['-netdev', 'tap,id=n0,ifname=qlint0,script=/nonexistent/qemu-ifup,downscript=no', '-device', 'e1000,netdev=n0'], id: 'qemu-cmdline', verdict: 'fail', qemuSays: /could not launch network script|network script .* failed/ },
    { name: 'a tap created by root with script=no', args: () => ['-netdev', 'tap,id=n0,ifname=qlint1,script=no,downscript=no', '-device', 'virtio-net-pci,netdev=n0'], id: 'qemu-cmdline', verdict: 'pass' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const args = c.args();
      const l = lintJson(args);
      const r = l.results.find((x) => x.id === c.id);
      expect(r?.status, JSON.stringify(l)).toBe(c.verdict);
      const q = await qemu(args);
      if (c.verdict !== 'fail') expect(q.code, q.stderr).toBe(0);
      else {
        expect(q.code, q.stderr).not.toBe(0);
        if (c.qemuSays) expect(q.stderr).toMatch(c.qemuSays);
      }
    });
  }
  it('a malformed command line is exit 2 with the reason', () => {
    const l = lintJson(['-netdev']);
    expect(l.code).toBe(2);
    expect(l.stderr).toMatch(/-netdev needs a value/);
  });
});
