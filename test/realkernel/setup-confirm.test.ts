// Confirm-or-revert of `qnet setup`, for real: a change that moves the host's
// address and default route (bridge mode on the only uplink) is kept only when
// the reachability probe passes and, in a terminal, the user confirms in time.
// Every way of not confirming leaves the namespace exactly as before (links,
// addresses, routes, files, firewall): a failed probe, no answer within the
// limit, a lost terminal (SIGHUP), qnet killed while it waits (its watchdog
// rolls back), and a SIGKILL at any step (the watchdog, or the next run).
import { describe, expect, it } from 'vitest';
import { cliSuite, said } from './fix-harness.js';
import { skipReason, TEST_USER } from './harness.js';
import { hasTmux, SetupScenario, setupDoc } from './setup-harness.js';

const why = skipReason(['qemu', 'helper', 'iptables']);
if (why) console.log(`qnet setup confirm-or-revert tests skipped: ${why}`);
const noTmux = why || hasTmux() ? '' : 'tmux is not installed';
if (noTmux) console.log(`qnet setup terminal tests skipped: ${noTmux}`);

const BRIDGE = ['setup', '--mode', 'bridge', '--uplink', 'enp1s0', '--user', TEST_USER, '--vm-kind', 'qemu', '--access', 'helper', '--vms', '1'];

/** Why the newest fix set was rolled back, from its journal. */
async function rolledBackWhy(s: SetupScenario): Promise<string> {
  const r = await s.f.sc.inNs(['sh', '-c', 'cat "$(ls -d "$1"/sets/* | tail -1)/journal.jsonl"', 'sh', s.f.stateDir]);
  const ev = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; reason?: string }).find((e) => e.event === 'rolled-back');
  return ev?.reason ?? `no rollback in the journal: ${r.stdout}${r.stderr}`;
}

async function until(what: string, fn: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(why !== '')('qnet setup: confirm-or-revert', () => {
  const suite = cliSuite({ checkHost: true });

  it('a failed probe rolls everything back: an SSH session over IPv6 link-local through the uplink would die with the move', async () => {
    const s = await SetupScenario.start('setup-probe', suite.bin);
    try {
      const ll = async (argv: (a: string[]) => Promise<{ stdout: string }>, dev: string) => {
        let addr = '';
        await until(`${dev}'s link-local address`, async () => {
          const a = JSON.parse((await argv(['ip', '-j', '-6', 'addr', 'show', 'dev', dev, 'scope', 'link'])).stdout) as { addr_info: { local: string; tentative?: boolean }[] }[];
          const x = a[0]?.addr_info.find((i) => !i.tentative);
          addr = x?.local ?? '';
          return Boolean(addr);
        });
        return addr;
      };
      const peer = await ll((a) => s.inLan(a), 'lan0');
      const local = await ll((a) => s.f.sc.inNs(a), 'enp1s0');
      const before = await s.netState();
      const r = await s.qnet([...BRIDGE, '--yes', '--json'], { SSH_CONNECTION: `${peer}%enp1s0 50022 ${local}%enp1s0 22` });
      const doc = setupDoc(r);
      expect(r.code, said(r)).toBe(1);
      expect(doc.applied).toBe(false);
      expect(doc.reason).toMatch(/the reachability probe failed: the SSH peer fe80::\S+ does not answer on enp1s0/);
      expect(await s.netState()).toBe(before);
      // The same change without that session: the gateway answers, so it is kept.
      const ok = await s.qnet([...BRIDGE, '--yes', '--json']);
      expect(ok.code, said(ok)).toBe(0);
      expect(setupDoc(ok).verified).toBe(true);
      expect(await s.netState()).not.toBe(before);
      expect((await s.qnet(['undo'])).code).toBe(0);
      expect(await s.netState()).toBe(before);
    } finally {
      await s.dispose();
    }
  }, 120_000);

  it('SIGKILL at every step: each time the change is rolled back (the watchdog for the risky steps, the next run for the others)', async () => {
    const s = await SetupScenario.start('setup-crash', suite.bin);
    try {
      const before = await s.netState();
      for (const mode of [['--mode', 'nat'], ['--mode', 'bridge', '--uplink', 'enp1s0']]) {
        const args = ['setup', ...mode, '--user', TEST_USER, '--access', 'helper', '--vm-kind', 'qemu', '--vms', '1'];
        const dry = setupDoc(await s.qnet([...args, '--dry-run', '--json']));
        const actions = dry.steps.flatMap((x) => x.preview);
        expect(actions.length, JSON.stringify(dry.steps)).toBeGreaterThan(4);
        for (let step = 0; step < actions.length; step++) {
          for (const phase of ['begin', 'done'] as const) {
            const at = `${mode[1]} ${phase}:${step} (${actions[step]!.split('\n')[0]})`;
            const killed = await s.qnet([...args, '--yes'], { QNET_TEST_CRASH_AT: `${phase}:${step}` });
            expect(killed.signal, `${at}: ${said(killed)}`).toBe('SIGKILL');
            if (mode[1] === 'bridge') {
              // No next run needed: the watchdog sees qnet die and rolls back.
              await until(`${at}: the watchdog's rollback`, async () => (await s.netState()) === before).catch(async (e: Error) => {
                expect(await s.netState(), `${at}: ${e.message}`).toBe(before);
              });
            } else {
              // Killed after a step that changes something, the namespace is not as before until the next run.
              if (phase === 'done' && !actions[step]!.startsWith('#')) expect(await s.netState(), `${at}: the step should have changed something`).not.toBe(before);
              const next = await s.qnet([...args, '--dry-run']);
              expect(next.stdout + next.stderr, `${at}: ${said(next)}`).toMatch(/rolled back fix set \S+, which an earlier run left half-applied/);
              expect(await s.netState(), at).toBe(before);
            }
          }
        }
      }
    } finally {
      await s.dispose();
    }
  }, 600_000);

  describe.skipIf(noTmux !== '')('in a terminal', () => {
    const fresh = async (name: string) => {
      const s = await SetupScenario.start(name, suite.bin);
      return { s, before: await s.netState() };
    };

    it('no answer within --confirm-timeout: rolled back, exit 1', async () => {
      const { s, before } = await fresh('setup-timeout');
      try {
        const t = s.pty([...BRIDGE, '--confirm-timeout', '6']);
        await t.waitFor(/Apply it \(with confirm-or-revert\)\?/);
        t.keys('y', 'Enter');
        await t.waitFor(/Keep the new network configuration\? Answer y within \d+ s/, 60_000);
        expect(await s.netState()).not.toBe(before);
        const end = await t.waitFor(/EXIT=\d+/, 30_000);
        expect(end).toMatch(/not confirmed within 6 s/);
        expect(end).toMatch(/EXIT=1/);
        expect(await s.netState()).toBe(before);
        expect(await rolledBackWhy(s)).toBe('not confirmed within 6 s');
      } finally {
        await s.dispose();
      }
    }, 120_000);

    it('a lost terminal (SIGHUP) while it waits: rolled back', async () => {
      const { s, before } = await fresh('setup-sighup');
      try {
        const t = s.pty(BRIDGE);
        await t.waitFor(/Apply it \(with confirm-or-revert\)\?/);
        t.keys('y', 'Enter');
        await t.waitFor(/Keep the new network configuration\?/, 60_000);
        expect(await s.netState()).not.toBe(before);
        t.kill(); // the terminal goes away: SIGHUP
        await until('rollback after SIGHUP', async () => (await s.netState()) === before).catch(async (e: Error) => {
          const list = await s.qnet(['undo', '--list']);
          const ps = await s.f.sc.inNs(['ps', '-eo', 'pid,stat,args']);
          expect(await s.netState(), `${e.message}\n${list.stdout}\n${ps.stdout}`).toBe(before);
        });
        // qnet itself rolled back (its watchdog is the second line of defence).
        expect(await rolledBackWhy(s)).toBe('interrupted (SIGHUP)');
      } finally {
        await s.dispose();
      }
    }, 120_000);

    it('qnet killed while it waits: its watchdog rolls back', async () => {
      const { s, before } = await fresh('setup-watchdog');
      try {
        const t = s.pty(BRIDGE);
        await t.waitFor(/Apply it \(with confirm-or-revert\)\?/);
        t.keys('y', 'Enter');
        await t.waitFor(/Keep the new network configuration\?/, 60_000);
        const pid = t.qnetPid();
        expect(pid).toBeGreaterThan(1);
        process.kill(pid, 'SIGKILL');
        await until('the watchdog\'s rollback', async () => (await s.netState()) === before);
        expect((await s.qnet(['undo', '--list'])).stdout).toMatch(/rolled-back\s+setup \(setup\/bridge-qbr0\)/);
        expect(await rolledBackWhy(s)).toBe('not confirmed: qnet setup ended before the change was confirmed');
      } finally {
        await s.dispose();
      }
    }, 120_000);

    it('asked as a person would: what the VMs need, which VM, how the user reaches the bridge, how many; then the plan, applied and proven', async () => {
      const { s, before } = await fresh('setup-questions');
      try {
        const t = s.pty(['setup', '--user', TEST_USER]);
        const first = await t.waitFor(/What do the VMs need\?/);
        expect(first).toMatch(/Uplink: enp1s0 \(wired, 192\.168\.50\.2\/24\), default route via 192\.168\.50\.1\./);
        expect(first).toMatch(/nat: guests get a private subnet here .*\(recommended\)/);
        t.keys('Enter'); // the recommended nat
        await t.waitFor(/Which kind of VM\?/);
        t.keys('Enter'); // QEMU/KVM
        await t.waitFor(/How should qnetuser's QEMU reach the bridge without root\?/);
        t.keys('Down', 'Enter'); // persistent taps
        await t.waitFor(/How many VMs\?/);
        t.keys('2', 'Enter');
        const plan = await t.waitFor(/Apply it\?/);
        expect(plan).toMatch(/The plan: mode nat, bridge qbr0, subnet 10\.77\.0\.1\/24, backend runtime .* for qnetuser \(persistent taps\)/);
        expect(plan).toMatch(/create persistent taps qbr0-vm1, qbr0-vm2 owned by uid 4242, attached to qbr0/);
        t.keys('Enter'); // default: yes
        const end = await t.waitFor(/EXIT=\d+/, 60_000);
        expect(end).toMatch(/✔ Set up and verified\./);
        expect(end).toMatch(/vm1: qemu-system-x86_64 … -netdev tap,id=n0,ifname=qbr0-vm1,script=no,downscript=no -device virtio-net-pci,netdev=n0,mac=52:54:00:/);
        expect(end).toMatch(/vm2: qemu-system-x86_64 … -netdev tap,id=n0,ifname=qbr0-vm2,/);
        expect(end).toMatch(/EXIT=0/);
        expect((await s.qnet(['undo'])).code).toBe(0);
        expect(await s.netState()).toBe(before);
      } finally {
        await s.dispose();
      }
    }, 120_000);

    it('the wizard offers "Set up VM networking" first on a host with no VM network, and it leads into setup', async () => {
      const { s } = await fresh('setup-wizard');
      try {
        const t = s.pty([]);
        const menu = await t.waitFor(/What next\?/);
        expect(menu).toMatch(/❯ Set up VM networking/);
        t.keys('Enter');
        await t.waitFor(/What do the VMs need\?/);
      } finally {
        await s.dispose();
      }
    }, 60_000);

    it('confirmed in time: kept, verified, and undone exactly', async () => {
      const { s, before } = await fresh('setup-confirmed');
      try {
        const t = s.pty(BRIDGE);
        await t.waitFor(/Apply it \(with confirm-or-revert\)\?/);
        t.keys('y', 'Enter');
        await t.waitFor(/Keep the new network configuration\?/, 60_000);
        t.keys('y', 'Enter');
        const end = await t.waitFor(/EXIT=\d+/);
        expect(end).toMatch(/✔ Set up and verified\./);
        expect(end).toMatch(/EXIT=0/);
        expect(end).toMatch(/-netdev bridge,id=n0,br=qbr0 -device virtio-net-pci,netdev=n0,mac=52:54:00:/);
        expect(await s.netState()).not.toBe(before);
        expect((await s.qnet(['undo'])).code).toBe(0);
        expect(await s.netState()).toBe(before);
      } finally {
        await s.dispose();
      }
    }, 120_000);
  });
});
