// Fix plans that follow the actual defect, proven on real broken hosts (FixScenario:
// private namespaces, /etc an overlay, a copy of Debian's bridge helper), with QEMU
// as qnetuser as the judge.
//
// 1. bridge.conf says `allow br0` but is 0600 root:root. Debian's setuid helper drops
//    to the caller's uid before it reads the ACL, so QEMU as qnetuser fails with
//    "failed to parse default acl file". The first plan must be the permission fix,
//    not a second `allow br0` line.
// 2. /etc/qemu-ifup for qnetuser: QEMU run as qnetuser runs the script with
//    qnetuser's rights, so no script makes `-netdev tap` work for them. `qnet fix`
//    must not write one and call it verified.
import { describe, expect, it } from 'vitest';
import { skipReason } from './harness.js';
import { cliSuite, FixScenario, hostFingerprint, said } from './fix-harness.js';

const why = skipReason(['qemu', 'helper']);
if (why) console.log(`fix-plan-choice real-kernel tests skipped: ${why}`);

const BR0 = 'tun 0666\nip link add br0 type bridge\nip link set br0 up\n';

describe.skipIf(why !== '')('fix plans follow the defect, judged by QEMU as qnetuser', () => {
  const suite = cliSuite();

  it('helper-acl, `allow br0` in a 0600 bridge.conf: the permission fix first, verified, one allow line; QEMU starts; undo restores 0600', async () => {
    const setup = BR0 + 'helper_mode 4755\nmkdir -p /etc/qemu\necho "allow br0" > /etc/qemu/bridge.conf\nchmod 0600 /etc/qemu/bridge.conf\n';
    const f = await FixScenario.start('fix-acl-unreadable', suite.bin, setup);
    try {
      const qemu = { netdev: 'bridge,id=n0,br=br0' };
      const watch = ['/etc/qemu', '/etc/qemu/bridge.conf'];
      const before = await f.state(watch);
      const q0 = await f.sc.qemu(qemu);
      expect(q0.started, q0.stderr).toBe(false);
      expect(q0.stderr).toMatch(/failed to parse default acl file `\/etc\/qemu\/bridge\.conf'/);
      expect((await f.verdict('helper-acl')).status).toBe('fail');

      const dry = await f.qnet(['fix', '--dry-run', '--user', 'qnetuser', 'helper-acl']);
      expect(dry.code, said(dry)).toBe(0);
      expect(dry.stdout, said(dry)).toMatch(/make the ACL files root-owned, not writable by others and readable by qnetuser/);
      expect(dry.stdout, said(dry)).not.toMatch(/helper-acl\/allow|\+allow br0/);

      const fixed = await f.qnet(['fix', '--yes', '--user', 'qnetuser', 'helper-acl']);
      expect(fixed.code, said(fixed)).toBe(0);
      expect(fixed.stdout, said(fixed)).toContain('✔ verified helper-acl');
      expect((await f.verdict('helper-acl')).status).toBe('pass');
      expect(await f.out(['cat', '/etc/qemu/bridge.conf'])).toBe('allow br0');
      expect(await f.out(['stat', '-c', '%a %u:%g', '/etc/qemu/bridge.conf'])).toBe('644 0:0');
      const q1 = await f.sc.qemu(qemu);
      expect(q1.started, `QEMU should start after the fix:\n${q1.stderr}`).toBe(true);

      const undone = await f.qnet(['undo']);
      expect(undone.code, said(undone)).toBe(0);
      expect(await f.state(watch)).toBe(before);
      expect((await f.sc.qemu(qemu)).stderr).toMatch(/failed to parse default acl file/);
    } finally {
      await f.dispose();
    }
  });

  it('qemu-ifup for qnetuser: no script is written or called verified, and QEMU as qnetuser fails as before; for root the scripts are written and QEMU as root starts', async () => {
    // A tap owned by qnetuser, so that QEMU as qnetuser gets as far as running the script.
    const setup = BR0 + 'rm -f /etc/qemu-ifup /etc/qemu-ifdown\nip tuntap add dev qtap0 mode tap user 4242\n';
    const f = await FixScenario.start('fix-ifup-nonroot', suite.bin, setup);
    try {
      const watch = ['/etc/qemu-ifup', '/etc/qemu-ifdown'];
      const before = await f.state(watch);
      const asUser = { netdev: 'tap,id=n0,ifname=qtap0' };
      expect((await f.sc.qemu(asUser)).stderr).toMatch(/network script \/etc\/qemu-ifup failed with status 256/);

      const v = await f.verdict('qemu-ifup');
      expect(v.status, v.summary).toBe('warn');
      expect(v.summary).toMatch(/QEMU run by qnetuser runs \/etc\/qemu-ifup with qnetuser's rights/);
      const fixed = await f.qnet(['fix', '--yes', '--user', 'qnetuser', 'qemu-ifup']);
      expect(fixed.code, said(fixed)).toBe(0);
      expect(fixed.stdout, said(fixed)).not.toMatch(/verified|qemu-ifup\/write/);
      expect(await f.state(watch), 'a fix for qnetuser wrote scripts').toBe(before);

      // What the old diagnosis offered (a good script) would not have helped qnetuser:
      const forRoot = await f.qnet(['fix', '--yes', '--user', 'root', 'qemu-ifup']);
      expect(forRoot.stdout, said(forRoot)).toContain('✔ verified qemu-ifup');
      const q = await f.sc.qemu(asUser);
      expect(q.started, q.stderr).toBe(false);
      expect(q.stderr).toMatch(/RTNETLINK answers: Operation not permitted[\s\S]*network script \/etc\/qemu-ifup failed with status 512/);
      expect((await f.verdict('qemu-ifup')).status).toBe('warn');
      // ...while root's QEMU starts with it.
      const qr = await f.sc.qemu({ ...asUser, as: 'root' });
      expect(qr.started, qr.stderr).toBe(true);
    } finally {
      await f.dispose();
    }
  });

  it('the host itself is untouched', () => {
    expect(hostFingerprint()).toBe(suite.host);
  });
});
