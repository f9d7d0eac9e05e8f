// Crash safety of `qnet fix`, through the CLI, on a real host: the executor is
// SIGKILLed (QNET_TEST_CRASH_AT, src/fixes/executor.ts crashHook) right after
// journaling `begin` and right after journaling `done` of every step of
// tun-perms/group-udev (groupadd when the group is missing, the udev rule, chgrp,
// chmod, usermod). Each time `qnet undo --list` shows the set as interrupted, a
// `qnet fix --dry-run` says so and changes nothing (it takes no lock and rolls
// nothing back), and the next run that changes the host (alternately `qnet fix`
// and `qnet undo`) takes over the dead process's lock, saying whose it was, and
// rolls the set back: the host is exactly as before, and QEMU as qnetuser still
// fails the same way.
import { describe, expect, it } from 'vitest';
import { skipReason } from './harness.js';
import { cliSuite, FixScenario, hostFingerprint, said } from './fix-harness.js';

const why = skipReason(['qemu']);
if (why) console.log(`fix crash-safety real-kernel tests skipped: ${why}`);

// Neither netdev nor kvm exists, so the plan starts with `groupadd --system netdev` (five steps).
const SETUP = `tun 0600
ip tuntap add dev tap0 mode tap user 4242
sed -i '/^netdev:/d;/^kvm:/d' /etc/group /etc/gshadow
`;
const WATCH = ['/dev/net/tun', '/etc/group', '/etc/gshadow', 'group:qnetuser', '/etc/udev'];
const QEMU = { netdev: 'tap,id=n0,ifname=tap0,script=no,downscript=no', groups: 'init' as const };

describe.skipIf(why !== '')('qnet fix killed at every step of tun-perms/group-udev', () => {
  const suite = cliSuite();

  it('SIGKILL after begin:N and done:N for every step N: the next run restores the exact before-state', async () => {
    const f = await FixScenario.start('fix-crash', suite.bin, SETUP);
    try {
      const before = await f.state(WATCH);
      const dry = await f.qnet(['fix', '--dry-run', '--user', 'qnetuser', 'tun-perms']);
      expect(dry.code, said(dry)).toBe(0);
      // The recommended plan's steps, as the dry run lists them (up to the next plan).
      const plan = dry.stdout.split(/\n  tun-perms\/mode-0666/)[0]!.split('\n');
      const steps = plan.filter((l) => /^ {6}(groupadd|write |chgrp|chmod|usermod)/.test(l)).map((l) => l.trim().split(' (')[0]!);
      expect(steps).toEqual([
        'groupadd --system netdev',
        'write /etc/udev/rules.d/60-qnet-tun.rules',
        'chgrp netdev /dev/net/tun',
        'chmod 0660 /dev/net/tun',
        'usermod -aG netdev qnetuser',
      ]);

      let n = 0;
      for (let step = 0; step < steps.length; step++) {
        for (const phase of ['begin', 'done'] as const) {
          const at = `${phase}:${step} (${steps[step]})`;
          const state = `${f.stateDir}-${step}-${phase}`;
          const env = { QNET_STATE_DIR: state };
          const killed = await f.qnet(['fix', '--yes', '--user', 'qnetuser', 'tun-perms'], { ...env, QNET_TEST_CRASH_AT: `${phase}:${step}` });
          expect(killed.signal, `${at}: ${said(killed)}`).toBe('SIGKILL');
          // Killed mid-way, the host is not as before (except where nothing had changed yet).
          const mid = await f.state(WATCH);
          if (phase === 'done') expect(mid, `${at}: the step should have changed something`).not.toBe(before);

          const list = await f.qnet(['undo', '--list'], env);
          expect(list.stdout, `${at}: ${said(list)}`).toMatch(/^\S+\s+interrupted\s+tun-perms \(tun-perms\/group-udev\)$/m);

          // A dry run reads only: the set stays interrupted, the host as the kill left it.
          const dry = await f.qnet(['fix', '--dry-run', '--user', 'qnetuser', 'tun-perms'], env);
          expect(dry.code, `${at}: ${said(dry)}`).toBe(0);
          expect(dry.stdout, at).toMatch(/fix set \S+ was interrupted half-way/);
          expect(dry.stdout + dry.stderr, at).not.toMatch(/rolled back/);
          expect(dry.stdout, at).toMatch(/--dry-run: nothing was changed|Nothing to fix/);
          expect(await f.state(WATCH), `${at}: the dry run changed the host`).toBe(mid);
          expect((await f.qnet(['undo', '--list'], env)).stdout, at).toMatch(/^\S+\s+interrupted\s+tun-perms/m);

          // `qnet fix` (not a terminal, no --yes: it applies nothing) or `qnet undo` recovers.
          const next = n++ % 2 === 0 ? await f.qnet(['fix', '--user', 'qnetuser', 'tun-perms'], env) : await f.qnet(['undo'], env);
          expect(next.stdout + next.stderr, `${at}: ${said(next)}`).toMatch(/rolled back fix set \S+, which an earlier run left half-applied/);
          expect(next.stdout, `${at}: ${said(next)}`).toMatch(/took over the lock of pid \d+ \(qnet fix --yes --user qnetuser tun-perms\), since \S+, which ended without releasing it/);
          expect(await f.state(WATCH), `after a kill at ${at} and the next run`).toBe(before);
          expect((await f.qnet(['undo', '--list'], env)).stdout, at).toMatch(/^\S+\s+rolled-back\s+tun-perms/m);
          if (next.stdout.includes('✖ tun-perms')) {
            // The fix after the recovery sees the host as broken as before and offers the same plan.
            expect(next.stdout).toMatch(/✖ tun-perms {2}\/dev\/net\/tun is crw------- root:root/);
            expect(next.stderr).toMatch(/not a terminal, so nothing was applied/);
          }
        }
      }
      const v = await f.verdict('tun-perms');
      expect(v.status, v.summary).toBe('fail');
      const q = await f.sc.qemu(QEMU);
      expect(q.started, q.stderr).toBe(false);
      expect(q.stderr).toMatch(/could not open \/dev\/net\/tun: Permission denied/);

      // And the plan still works after all that: fix, QEMU starts, undo, exact state.
      const ok = await f.qnet(['fix', '--yes', '--user', 'qnetuser', 'tun-perms']);
      expect(ok.code, said(ok)).toBe(0);
      expect(ok.stdout).toContain('✔ verified tun-perms');
      expect((await f.sc.qemu(QEMU)).started).toBe(true);
      const undone = await f.qnet(['undo']);
      expect(undone.code, said(undone)).toBe(0);
      expect(await f.state(WATCH)).toBe(before);
    } finally {
      await f.dispose();
    }
    expect(hostFingerprint()).toBe(suite.host);
  }, 150_000);
});
