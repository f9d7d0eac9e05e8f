// `qnet fix` and `qnet undo` on broken hosts built for real, with QEMU (run
// as the non-root qnetuser) as the judge: it fails before the fix, starts its
// network backend after it, and fails again after the undo, which restores
// every file, mode and owner exactly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCopy, Scenario, skipReason, type QemuSpec } from './harness.js';

const why = skipReason(['qemu', 'helper']);
if (why) console.log(`repair tests skipped: ${why}`);

let bin = '';
beforeAll(async () => {
  if (why) return;
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  bin = await bundleCopy(mkdtempSync(join(tmpdir(), 'qnet-repair-bin-')));
});

interface Case {
  name: string;
  setup: string;
  fix: string[];
  check: string;
  /** Paths whose bytes, mode and owner must come back exactly after undo. */
  watch: string[];
  /** No QEMU judge where QEMU starting is not the symptom (br-netfilter, ifname-mismatch). */
  qemu?: QemuSpec;
  /** What QEMU says before the fix (and after the undo): the cause, not a usage error. */
  says?: RegExp;
}

const TUN_BRIDGE = 'ip link add br0 type bridge\nip link set br0 up\n';
const cases: Case[] = [
  {
    name: 'tun-perms/group-udev',
    setup: 'tun 0600\nip tuntap add dev tap0 mode tap user 4242\n',
    fix: ['fix', '--yes', '--user', 'qnetuser', 'tun-perms'],
    check: 'tun-perms',
    watch: ['/dev/net/tun', '/etc/group', '/etc/udev/rules.d/60-qnet-tun.rules'],
    qemu: { netdev: 'tap,id=n0,ifname=tap0,script=no,downscript=no', groups: 'init' },
    says: /could not open \/dev\/net\/tun: Permission denied/,
  },
  {
    name: 'tun-perms/mode-0666',
    setup: 'tun 0600\nip tuntap add dev tap0 mode tap user 4242\n',
    fix: ['fix', '--yes', '--user', 'qnetuser', '--plan', 'tun-perms/mode-0666'],
    check: 'tun-perms',
    watch: ['/dev/net/tun', '/etc/udev/rules.d/60-qnet-tun.rules'],
    qemu: { netdev: 'tap,id=n0,ifname=tap0,script=no,downscript=no' },
    says: /could not open \/dev\/net\/tun: Permission denied/,
  },
  {
    name: 'helper-acl/create',
    setup: 'tun 0666\n' + TUN_BRIDGE + 'helper_mode 4755\n',
    fix: ['fix', '--yes', '--user', 'qnetuser', 'helper-acl'],
    check: 'helper-acl',
    watch: ['/etc/qemu/bridge.conf', '/etc/qemu'],
    qemu: { netdev: 'bridge,id=n0,br=br0' },
    says: /failed to parse default acl file/,
  },
  {
    name: 'helper-setuid/setcap',
    setup: 'tun 0666\n' + TUN_BRIDGE + 'mkdir -p /etc/qemu\necho "allow br0" > /etc/qemu/bridge.conf\n',
    fix: ['fix', '--yes', '--user', 'qnetuser', '--plan', 'helper-setuid/setcap'],
    check: 'helper-setuid',
    watch: ['/usr/lib/qemu/qemu-bridge-helper'],
    qemu: { netdev: 'bridge,id=n0,br=br0' },
    says: /failed to create tun device: Operation not permitted/,
  },
  {
    name: 'qemu-ifup/write',
    setup: 'tun 0666\n' + TUN_BRIDGE + 'rm -f /etc/qemu-ifup /etc/qemu-ifdown\n',
    fix: ['fix', '--yes', '--user', 'qnetuser', 'qemu-ifup'],
    check: 'qemu-ifup',
    watch: ['/etc/qemu-ifup', '/etc/qemu-ifdown'],
    qemu: { netdev: 'tap,id=n0,ifname=qtap0', netAdmin: true },
    says: /network script \/etc\/qemu-ifup failed/,
  },
  {
    name: 'tun-module/mknod',
    // The tap is made through a node that is then removed: the driver is there, the node is not.
    setup: 'tun 0666\nip tuntap add dev tap0 mode tap user 4242\nrm /dev/net/tun\n',
    fix: ['fix', '--yes', '--user', 'qnetuser', 'tun-module'],
    check: 'tun-module',
    watch: ['/dev/net/tun'],
    qemu: { netdev: 'tap,id=n0,ifname=tap0,script=no,downscript=no' },
    says: /could not open \/dev\/net\/tun: No such file or directory/,
  },
  {
    name: 'br-netfilter/sysctl-off',
    setup: 'tun 0666\n' + TUN_BRIDGE + 'iptables -P FORWARD DROP\n',
    fix: ['fix', '--yes', '--user', 'qnetuser', '--plan', 'br-netfilter/sysctl-off'],
    check: 'br-netfilter',
    watch: ['/proc/sys/net/bridge/bridge-nf-call-iptables', '/proc/sys/net/bridge/bridge-nf-call-ip6tables', '/proc/sys/net/bridge/bridge-nf-call-arptables', '/etc/sysctl.d/99-qnet-bridge-nf.conf', '/etc/udev/rules.d/99-qnet-bridge-nf.rules'],
  },
  {
    name: 'ifname-mismatch/rename-in-config',
    setup: 'ip link add enp0s3 address 52:54:00:12:34:56 type veth peer name peer0\nmkdir -p /etc/network\nprintf "auto lo\\niface lo inet loopback\\nauto eth0\\niface eth0 inet dhcp\\n" > /etc/network/interfaces\n',
    fix: ['fix', '--yes', '--user', 'qnetuser', 'ifname-mismatch'],
    check: 'ifname-mismatch',
    watch: ['/etc/network/interfaces'],
  },
];

/** Bytes, mode, owner and capabilities of each watched path, or "absent". */
async function state(sc: Scenario, paths: string[]): Promise<string> {
  const lines: string[] = [];
  for (const p of paths) {
    const st = await sc.inNs(['stat', '-c', '%F %a %u:%g %t:%T', p]);
    if (st.code !== 0) {
      lines.push(`${p}: absent`);
      continue;
    }
    // /proc/sys files: their value (sha256sum of a sysctl file works too, but the value reads better in a diff).
    const sum = p.startsWith('/proc/') ? (await sc.inNs(['cat', p])).stdout.trim() : st.stdout.startsWith('regular') ? (await sc.inNs(['sha256sum', p])).stdout.split(' ')[0] : '';
    const cap = st.stdout.startsWith('regular') ? (await sc.inNs(['getfattr', '--absolute-names', '-n', 'security.capability', '-e', 'hex', p])).stdout.trim() : '';
    lines.push(`${p}: ${st.stdout.trim()} ${sum} ${cap}`);
  }
  return lines.join('\n');
}

describe.skipIf(why !== '')('qnet fix and qnet undo, judged by QEMU', () => {
  const scenarios: Scenario[] = [];
  afterAll(async () => {
    for (const sc of scenarios) await sc.dispose();
  });

  for (const c of cases) {
    const title = c.qemu
      ? `${c.name}: QEMU fails, fix → doctor passes and QEMU starts, undo → exactly as before and QEMU fails`
      : `${c.name}: fix → doctor passes, undo → exactly as before`;
    it(title, async () => {
      const sc = await Scenario.start(c.name.replace(/\W/g, '-'));
      scenarios.push(sc);
      await sc.sh(c.setup);
      const env = { QNET_STATE_DIR: `${sc.nsDir}/state` };
      const qnet = (args: string[]) => sc.inNs([process.execPath, bin, ...args], { env, timeoutMs: 60_000 });
      const before = await state(sc, c.watch);

      if (c.qemu) {
        const q0 = await sc.qemu(c.qemu);
        expect(q0.started, `QEMU should fail before the fix:\n${q0.stderr}`).toBe(false);
        expect(q0.stderr).toMatch(c.says!);
      }

      const fixed = await qnet(c.fix);
      expect(fixed.code, `${fixed.stdout}\n${fixed.stderr}`).toBe(0);
      expect(fixed.stdout).toMatch(new RegExp(`✔ verified ${c.check}`));

      const doc = JSON.parse((await qnet(['doctor', '--json', '--user', 'qnetuser', '--only', c.check])).stdout);
      expect(doc.results[0].status, doc.results[0].summary).toBe('pass');

      if (c.qemu) {
        const q1 = await sc.qemu(c.qemu);
        expect(q1.started, `QEMU should start after the fix:\n${q1.stderr}`).toBe(true);
      }

      const again = await qnet(c.fix);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/Nothing to fix/);

      const undone = await qnet(['undo']);
      expect(undone.code, undone.stderr).toBe(0);
      expect(await state(sc, c.watch)).toBe(before);

      if (c.qemu) {
        const q2 = await sc.qemu(c.qemu);
        expect(q2.started, `QEMU should fail again after the undo:\n${q2.stderr}`).toBe(false);
        expect(q2.stderr).toMatch(c.says!);
      }
      await sc.dispose();
    });
  }

  it('tun-perms/group-udev killed after every step: the next run restores the host exactly', async () => {
    const sc = await Scenario.start('repair-crash');
    scenarios.push(sc);
    await sc.sh('tun 0600\n');
    const watch = ['/dev/net/tun', '/etc/group', '/etc/udev/rules.d/60-qnet-tun.rules'];
    const before = await state(sc, watch);
    // The plan: (groupadd when missing,) write the rule, chgrp, chmod, usermod.
    const plan = JSON.parse((await sc.inNs([process.execPath, bin, 'doctor', '--json', '--user', 'qnetuser', '--only', 'tun-perms'])).stdout);
    const steps = (plan.results[0].fixes[0].preview as string[]).filter((l) => !l.startsWith('#')).length;
    expect(steps).toBeGreaterThanOrEqual(4);
    for (let step = 0; step < steps; step++) {
      for (const phase of ['begin', 'done']) {
        const env = { QNET_STATE_DIR: `${sc.nsDir}/state-${step}-${phase}`, QNET_TEST_CRASH_AT: `${phase}:${step}` };
        const r = await sc.inNs([process.execPath, bin, 'fix', '--yes', '--user', 'qnetuser', 'tun-perms'], { env, timeoutMs: 60_000 });
        expect(r.signal, `${phase}:${step} ${r.stderr}`).toBe('SIGKILL');
        const list = await sc.inNs([process.execPath, bin, 'undo', '--list'], { env: { QNET_STATE_DIR: env.QNET_STATE_DIR } });
        expect(list.stdout).toMatch(/interrupted/);
        const next = await sc.inNs([process.execPath, bin, 'undo'], { env: { QNET_STATE_DIR: env.QNET_STATE_DIR } });
        expect(next.stdout + next.stderr).toMatch(/rolled back fix set/);
        expect(await state(sc, watch), `after a kill at ${phase}:${step}`).toBe(before);
      }
    }
    await sc.dispose();
  });
});
