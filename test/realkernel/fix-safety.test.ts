// Real-kernel proof that `qnet fix` and `qnet undo` are safe on a host people
// care about, through the built CLI in private namespaces:
//   - one lock: two applies at once, and an apply with a dry run (and an undo)
//     at once, leave the host in exactly one consistent state, every time;
//   - undo never gets stuck: an inverse already done by hand counts as done, and
//     an undo that stops half-way continues where it stopped;
//   - a fix that does not verify is rolled back (unless --keep);
//   - an irreversible plan is refused unattended without --allow-irreversible;
//   - SIGINT/SIGTERM during an apply roll it back and exit 130;
//   - an unusable QNET_STATE_DIR is one line, exit 2, nothing changed;
//   - creating /dev/net is a typed step that undo removes again.
// QEMU run as qnetuser is the judge where the symptom is QEMU failing.
import { describe, expect, it } from 'vitest';
import { run, skipReason, type QemuSpec } from './harness.js';
import { cliSuite, FixScenario, said } from './fix-harness.js';

const why = skipReason(['qemu']);
if (why) console.log(`fix safety real-kernel tests skipped: ${why}`);

const ITERATIONS = 20;

// tun-perms/group-udev in five steps: groupadd, udev rule, chgrp, chmod, usermod.
// groupadd and usermod take QNET_SLOW seconds (as with a slow directory service), so
// that runs started together really overlap: wrappers bind-mounted over the tools.
const TUN_SETUP = `tun 0600
ip tuntap add dev tap0 mode tap user 4242
sed -i '/^netdev:/d;/^kvm:/d' /etc/group /etc/gshadow
for t in groupadd usermod; do
  cp "/usr/sbin/$t" "$T/bin/$t.real"
  printf '#!/bin/sh\\nsleep "\${QNET_SLOW:-0}"\\nexec "%s" "$@"\\n' "$T/bin/$t.real" > "$T/bin/$t"
  chmod 0755 "$T/bin/$t"
  mount --bind "$T/bin/$t" "/usr/sbin/$t"
done
`;
const TUN_WATCH = ['/dev/net/tun', '/etc/group', '/etc/gshadow', 'group:qnetuser', '/etc/udev'];
const TUN_QEMU: QemuSpec = { netdev: 'tap,id=n0,ifname=tap0,script=no,downscript=no', groups: 'init' };
const FIX = ['fix', '--yes', '--user', 'qnetuser', 'tun-perms'];

interface Listed {
  id: string;
  state: string;
  rest: string;
}
async function sets(f: FixScenario): Promise<Listed[]> {
  const r = await f.qnet(['undo', '--list']);
  expect(r.code, said(r)).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => /^\d{8}T/.test(l))
    .map((l) => {
      const [id = '', state = '', ...rest] = l.split(/\s+/);
      return { id, state, rest: rest.join(' ') };
    });
}

/** The journal events of one set, as qnet wrote them. */
async function journal(f: FixScenario, id: string): Promise<{ event: string; step?: number; outcome?: string }[]> {
  const text = await f.out(['cat', `${f.stateDir}/sets/${id}/journal.jsonl`]);
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; step?: number });
}

/** Waits until a set not in `known` shows step N begun in its journal; returns it and the pid applying it. */
async function waitForBegin(f: FixScenario, step: number, known: Set<string> = new Set()): Promise<{ id: string; pid: number }> {
  const end = Date.now() + 20_000;
  for (;;) {
    const ls = await f.sc.inNs(['ls', `${f.stateDir}/sets`]);
    for (const id of ls.stdout.split('\n').filter((x) => x && !known.has(x))) {
      const text = await f.out(['cat', `${f.stateDir}/sets/${id}/journal.jsonl`]);
      if (text.split('\n').some((l) => l.includes(`"event":"begin","step":${step},`))) {
        // The applying process, as seen in the scenario's PID namespace (the oldest `qnet fix --yes`).
        const pid = Number(await f.out(['pgrep', '-o', '-f', 'qnet\\.js fix --yes']));
        if (!pid) throw new Error('the applying qnet is not running');
        return { id, pid };
      }
    }
    if (Date.now() > end) throw new Error(`no step ${step} begun within 20 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(why !== '')('qnet fix and undo on a host people care about', () => {
  const suite = cliSuite({ checkHost: true });

  it(`two applies started together, ${ITERATIONS} times: one applies and verifies, the other refuses naming it; the host ends fixed, one set journaled`, async () => {
    const f = await FixScenario.start('fix-lock-two', suite.bin, TUN_SETUP);
    try {
      const before = await f.state(TUN_WATCH);
      const ok = await f.qnet(FIX);
      expect(ok.code, said(ok)).toBe(0);
      const fixed = await f.state(TUN_WATCH);
      expect((await f.qnet(['undo'])).code).toBe(0);
      expect(await f.state(TUN_WATCH)).toBe(before);
      let refusals = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        const known = new Set((await sets(f)).map((s) => s.id));
        // Each step lingers a little, so that the two overlap for real.
        const [a, b] = await Promise.all([f.qnet(FIX, { QNET_SLOW: '0.3' }), f.qnet(FIX, { QNET_SLOW: '0.3' })]);
        const runs = [a, b];
        const applied = runs.filter((r) => r.code === 0 && r.stdout.includes('✔ verified tun-perms'));
        const ctx = `iteration ${i}:\n${said(a)}\n---\n${said(b)}`;
        expect(applied, ctx).toHaveLength(1);
        const other = runs.find((r) => r !== applied[0])!;
        if (other.code === 2) {
          refusals++;
          expect(other.stderr, ctx).toMatch(/^qnet: another qnet is changing this host: pid \d+ \(qnet fix --yes --user qnetuser tun-perms\), since \d{4}-\d\d-\d\dT[\d:.]+Z; run this again when it has finished\n$/);
        } else {
          // It started after the first had finished: nothing left to do.
          expect(other.code, ctx).toBe(0);
          expect(other.stdout, ctx).toMatch(/Nothing to fix/);
        }
        expect(await f.state(TUN_WATCH), ctx).toBe(fixed);
        const added = (await sets(f)).filter((s) => !known.has(s.id));
        expect(added.map((s) => s.state), ctx).toEqual(['applied']);
        if (i === 0 || i === ITERATIONS - 1) {
          const q = await f.sc.qemu(TUN_QEMU);
          expect(q.started, `${ctx}\n${q.stderr}`).toBe(true);
        }
        const undone = await f.qnet(['undo']);
        expect(undone.code, said(undone)).toBe(0);
        expect(await f.state(TUN_WATCH), ctx).toBe(before);
      }
      // The race was real: most pairs overlapped.
      expect(refusals).toBeGreaterThan(ITERATIONS / 2);
      const q = await f.sc.qemu(TUN_QEMU);
      expect(q.stderr).toMatch(/could not open \/dev\/net\/tun: Permission denied/);
    } finally {
      await f.dispose();
    }
  }, 400_000);

  it(`an apply with a dry run (and an undo, and the doctor) started against it, ${ITERATIONS} times: only the apply changes anything`, async () => {
    const f = await FixScenario.start('fix-lock-dry', suite.bin, TUN_SETUP);
    try {
      const before = await f.state(TUN_WATCH);
      expect((await f.qnet(FIX)).code).toBe(0);
      const fixed = await f.state(TUN_WATCH);
      expect((await f.qnet(['undo'])).code).toBe(0);
      for (let i = 0; i < ITERATIONS; i++) {
        const known = new Set((await sets(f)).map((s) => s.id));
        const apply = f.qnet(FIX, { QNET_SLOW: i % 2 ? '1.5' : '0.3' });
        let dry;
        let undo;
        if (i % 2) {
          // Started while the apply is half-way: the dry run sees it running and leaves it alone.
          const running = await waitForBegin(f, 1, known);
          [dry, undo] = await Promise.all([f.qnet(['fix', '--dry-run', '--user', 'qnetuser', 'tun-perms']), f.qnet(['undo'])]);
          expect(dry.stdout, `iteration ${i}: ${said(dry)}\n--- apply:\n${said(await apply)}`).toMatch(new RegExp(`fix set ${running.id} is being applied right now by pid ${running.pid} \\(qnet fix --yes --user qnetuser tun-perms\\)`));
          expect(undo.code, said(undo)).toBe(2);
          expect(undo.stderr).toMatch(new RegExp(`^qnet: another qnet is changing this host: pid ${running.pid} \\(qnet fix --yes`));
          const doc = await f.qnet(['doctor', '--json', '--only', 'tun-perms']);
          expect(doc.stderr, said(doc)).not.toMatch(/interrupted half-way/);
        } else {
          dry = await f.qnet(['fix', '--dry-run', '--user', 'qnetuser', 'tun-perms']);
        }
        const a = await apply;
        const ctx = `iteration ${i}:\n${said(a)}\n--- dry run:\n${said(dry)}`;
        expect(dry.code, ctx).toBe(0);
        expect(dry.stdout + dry.stderr, ctx).not.toMatch(/rolled back/);
        expect(a.code, ctx).toBe(0);
        expect(a.stdout, ctx).toContain('✔ verified tun-perms');
        expect(await f.state(TUN_WATCH), ctx).toBe(fixed);
        const added = (await sets(f)).filter((s) => !known.has(s.id));
        expect(added.map((s) => s.state), ctx).toEqual(['applied']);
        if (i === ITERATIONS - 1) expect((await f.sc.qemu(TUN_QEMU)).started).toBe(true);
        expect((await f.qnet(['undo'])).code).toBe(0);
        expect(await f.state(TUN_WATCH), ctx).toBe(before);
      }
    } finally {
      await f.dispose();
    }
  }, 400_000);

  it('undo after the user was removed from the group by hand: that step is already undone, the rest is reverted, QEMU fails again', async () => {
    const f = await FixScenario.start('fix-undo-by-hand', suite.bin, TUN_SETUP);
    try {
      const before = await f.state(TUN_WATCH);
      const fixed = await f.qnet(FIX);
      expect(fixed.code, said(fixed)).toBe(0);
      expect((await f.sc.qemu(TUN_QEMU)).started).toBe(true);
      expect(await f.out(['gpasswd', '-d', 'qnetuser', 'netdev'])).toMatch(/Removing user qnetuser from group netdev/);
      const undone = await f.qnet(['undo']);
      expect(undone.code, said(undone)).toBe(0);
      expect(undone.stdout).toMatch(/^= step 5: usermod -aG netdev qnetuser \(already undone\)$/m);
      expect(undone.stdout).not.toMatch(/since qnet wrote it/);
      expect(await f.state(TUN_WATCH)).toBe(before);
      expect((await sets(f)).map((s) => s.state)).toEqual(['undone']);
      const q = await f.sc.qemu(TUN_QEMU);
      expect(q.started).toBe(false);
      expect(q.stderr).toMatch(/could not open \/dev\/net\/tun: Permission denied/);
    } finally {
      await f.dispose();
    }
  });

  it('an undo that stops at a step it cannot revert keeps its progress; once the cause is gone, undo continues and reverts each step exactly once', async () => {
    const f = await FixScenario.start('fix-undo-continue', suite.bin, TUN_SETUP);
    try {
      const before = await f.state(TUN_WATCH);
      expect((await f.qnet(FIX)).code).toBe(0);
      const [set] = await sets(f);
      // groupdel refuses a group that is some user's primary group.
      await f.sc.sh('echo "blocker:x:4343:$(getent group netdev | cut -d: -f3)::/nonexistent:/usr/sbin/nologin" >> /etc/passwd', 'a user whose primary group is netdev');
      const stuck = await f.qnet(['undo']);
      expect(stuck.code, said(stuck)).toBe(1);
      expect(stuck.stderr).toMatch(/^qnet: could not revert everything: step 1: groupdel netdev exited 8: groupdel: cannot remove the primary group of user 'blocker'\. The steps put back so far are journaled: fix the cause and run `qnet undo \S+` again to continue, or `qnet undo --forget \S+` to drop the set and keep the host as it is\n$/);
      expect(await sets(f)).toMatchObject([{ id: set!.id, state: 'partly-undone' }]);
      // Everything else is already back.
      expect(await f.out(['id', 'qnetuser'])).not.toMatch(/netdev/);
      await f.sc.sh("sed -i '/^blocker:/d' /etc/passwd", 'remove the blocker');
      const again = await f.qnet(['undo']);
      expect(again.code, said(again)).toBe(0);
      expect(await f.state(TUN_WATCH)).toBe(before);
      const reverted = (await journal(f, set!.id)).filter((e) => e.event === 'reverted').map((e) => e.step).sort();
      expect(reverted).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await f.dispose();
    }
  });

  it('a fix that does not verify is rolled back and says so; with --keep it stays, and undo reverts it', async () => {
    const f = await FixScenario.start('fix-unverified', suite.bin, 'true\n');
    try {
      // A LAN bridge, down, whose uplink has no carrier: bringing it up does not make it pass.
      const peer = await f.sc.nic('enp1s0');
      await f.sc.sh('ip link add br0 type bridge\nip link set enp1s0 master br0\n', 'bridge');
      const cut = await run(['nsenter', '-t', String(peer), '-n', '--', 'ip', 'link', 'set', 'cable0', 'down']);
      expect(cut.code, cut.stderr).toBe(0);
      const watch = ['link:br0'];
      const before = await f.state(watch);
      expect(before).not.toMatch(/\bUP\b/);
      expect((await f.verdict('bridge-state')).summary).toBe('br0 is down');

      const r = await f.qnet(['fix', '--yes', 'bridge-state']);
      expect(r.code, said(r)).toBe(1);
      expect(r.stdout).toMatch(/^✖ not verified bridge-state: br0's uplink enp1s0 has no carrier .*; rolled back \(--keep keeps a fix that does not verify\)$/m);
      expect(await f.state(watch)).toBe(before);
      expect((await sets(f)).map((s) => s.state)).toEqual(['rolled-back']);

      const kept = await f.qnet(['fix', '--yes', '--keep', 'bridge-state']);
      expect(kept.code, said(kept)).toBe(1);
      expect(kept.stdout).toMatch(/✖ not verified bridge-state: .*\(kept, as --keep asks\)/);
      expect(await f.state(watch)).toMatch(/\bUP\b/);
      expect((await sets(f)).map((s) => s.state)).toEqual(['rolled-back', 'applied']);
      expect((await f.qnet(['undo'])).code).toBe(0);
      expect(await f.state(watch)).toBe(before);
    } finally {
      await f.dispose();
    }
  });

  it('a plan that cannot be undone (installing the helper) is marked in the preview and refused with --yes alone', async () => {
    // No bridge helper anywhere, and an apt-get that only writes down how it was called.
    const setup = `tun 0666
umount /usr/lib/qemu/qemu-bridge-helper 2>/dev/null || true
mount -t tmpfs -o mode=0755 qnet-no-helper /usr/lib/qemu
printf '#!/bin/sh\\necho "$*" >> "%s/apt.log"\\n' "$T" > "$T/bin/apt-get"
chmod 0755 "$T/bin/apt-get"
mount --bind "$T/bin/apt-get" /usr/bin/apt-get
`;
    const f = await FixScenario.start('fix-irreversible', suite.bin, setup);
    try {
      const log = `${f.sc.nsDir}/apt.log`;
      const dry = await f.qnet(['fix', '--dry-run', 'helper-setuid']);
      expect(dry.code, said(dry)).toBe(0);
      expect(dry.stdout).toMatch(/helper-setuid\/install \(recommended\): install qemu-system-common, which ships qemu-bridge-helper \[risk low, needs root, cannot be undone\]/);
      expect(dry.stdout).toContain('# cannot be undone by qnet undo: apt-get install -y qemu-system-common has no inverse');

      const refused = await f.qnet(['fix', '--yes', 'helper-setuid']);
      expect(refused.code, said(refused)).toBe(2);
      expect(refused.stderr).toBe('qnet: qnet undo could not revert helper-setuid/install (apt-get install -y qemu-system-common has no inverse); pass --allow-irreversible with --yes to apply it anyway\n');
      expect(await f.out(['cat', log])).toMatch(/^exit 1:/);
      expect(await sets(f)).toEqual([]);

      const allowed = await f.qnet(['fix', '--yes', '--allow-irreversible', 'helper-setuid']);
      expect(await f.out(['cat', log])).toBe('install -y qemu-system-common');
      // The fake install leaves the helper missing: not verified, and what could be rolled back was.
      expect(allowed.code, said(allowed)).toBe(1);
      expect(allowed.stdout).toMatch(/✖ not verified helper-setuid: .*rolled back/);
      expect(allowed.stdout).toContain('  ! step 1: apt-get install -y qemu-system-common has no inverse; left as it is');
    } finally {
      await f.dispose();
    }
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} in the middle of an apply: the steps done are rolled back, exit 130, the host as before`, async () => {
      const f = await FixScenario.start(`fix-${sig.toLowerCase()}`, suite.bin, TUN_SETUP);
      try {
        const before = await f.state(TUN_WATCH);
        // Stopped while usermod, the last step, runs (it takes 2 s here).
        const apply = f.qnet(FIX, { QNET_SLOW: '2' });
        const { pid } = await waitForBegin(f, 4);
        const k = await f.sc.inNs(['kill', `-${sig.slice(3)}`, String(pid)]);
        expect(k.code, k.stderr).toBe(0);
        const r = await apply;
        expect(r.code, said(r)).toBe(130);
        expect(r.stderr).toMatch(new RegExp(`qnet: ${sig === 'SIGINT' ? 'interrupted' : 'terminated'}; rolling back what was applied…\\nqnet: interrupted; what was applied has been rolled back\\n$`));
        expect(await f.state(TUN_WATCH)).toBe(before);
        expect((await sets(f)).map((s) => s.state)).toEqual(['rolled-back']);
        expect((await f.sc.qemu(TUN_QEMU)).stderr).toMatch(/could not open \/dev\/net\/tun: Permission denied/);
      } finally {
        await f.dispose();
      }
    });
  }

  it('QNET_STATE_DIR naming a file or a read-only directory: one line naming the cause, exit 2, the host unchanged', async () => {
    const f = await FixScenario.start('fix-state-dir', suite.bin, TUN_SETUP + 'mkdir "$T/ro"\nmount -t tmpfs -o ro,mode=0700 qnet-ro "$T/ro"\n');
    try {
      const before = await f.state(TUN_WATCH);
      const cases: [string, RegExp][] = [
        ['/etc/passwd', /^qnet: QNET_STATE_DIR \/etc\/passwd is not a directory\n$/],
        [`${f.sc.nsDir}/ro`, new RegExp(`^qnet: cannot write QNET_STATE_DIR ${f.sc.nsDir}/ro: read-only file system \\(EROFS\\)\\n$`)],
      ];
      for (const [dir, re] of cases) {
        for (const args of [FIX, ['undo'], ['undo', '--list']]) {
          const r = await f.qnet(args, { QNET_STATE_DIR: dir });
          const what = `${args.join(' ')} with QNET_STATE_DIR=${dir}: ${said(r)}`;
          if (args[1] === '--list' && dir.endsWith('/ro')) {
            // Listing reads only: an empty read-only directory simply holds no set.
            expect(r.code, what).toBe(0);
            continue;
          }
          expect(r.code, what).toBe(2);
          expect(r.stderr, what).toMatch(args[1] === '--list' ? /^qnet: QNET_STATE_DIR \/etc\/passwd is not a directory\n$/ : re);
        }
      }
      expect(await f.state(TUN_WATCH)).toBe(before);
    } finally {
      await f.dispose();
    }
  });

  it('tun-module/mknod where /dev/net is missing: the directory is a typed step; QEMU starts; undo removes node and directory', async () => {
    // The tap is made through a good node; then a fresh /dev without /dev/net.
    const setup = `tun 0666
ip tuntap add dev tap0 mode tap user 4242
mount -t tmpfs -o mode=0755 qnet-dev /dev
for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
  IFS=: read -r name maj min <<< "$n"; mknod -m 0666 "/dev/$name" c "$maj" "$min"
done
ln -s /proc/self/fd /dev/fd
`;
    const f = await FixScenario.start('fix-mkdir-dev-net', suite.bin, setup);
    try {
      const watch = ['/dev/net', '/dev/net/tun'];
      const before = await f.state(watch);
      expect(before).toBe('/dev/net: absent\n/dev/net/tun: absent');
      const qemu: QemuSpec = { netdev: 'tap,id=n0,ifname=tap0,script=no,downscript=no' };
      expect((await f.sc.qemu(qemu)).stderr).toMatch(/could not open \/dev\/net\/tun: No such file or directory/);
      const dry = await f.qnet(['fix', '--dry-run', 'tun-module']);
      expect(dry.stdout).toMatch(/tun-module\/mknod \(recommended\): create the \/dev\/net\/tun node \(10:200\) \[risk low, needs root\]\n {6}mkdir -p \/dev\/net\n/);
      const fixed = await f.qnet(['fix', '--yes', 'tun-module']);
      expect(fixed.code, said(fixed)).toBe(0);
      expect(await f.state(watch)).toMatch(/^\/dev\/net: directory 755 0:0 0:0 \[tun c 666 0:0\]$/m);
      expect((await f.sc.qemu(qemu)).started).toBe(true);
      const undone = await f.qnet(['undo']);
      expect(undone.code, said(undone)).toBe(0);
      expect(await f.state(watch)).toBe(before);
    } finally {
      await f.dispose();
    }
  });
});
