// Hostile bridge names through qemu-ifup/write. The kernel accepts bridges named
// `a;b`, `$(id)` or `it's` (dev_valid_name refuses only "", ".", "..", '/', ':' and
// whitespace, and names of 16 bytes or more). With such a bridge as the only one,
// the generated /etc/qemu-ifup, run by the real QEMU as root (the scripts are for
// root's VMs: a non-root user's QEMU cannot attach a tap from a script, and qnet
// does not offer them to one), must attach the tap to exactly that bridge: the name is data,
// never shell code. A probe downscript prints the tap's master (`ip -j link show`)
// before the tap goes away, then runs the generated /etc/qemu-ifdown.
import { describe, expect, it } from 'vitest';
import { skipReason } from './harness.js';
import { cliSuite, FixScenario, said } from './fix-harness.js';

const why = skipReason(['qemu']);
if (why) console.log(`hostile-name real-kernel tests skipped: ${why}`);

const SETUP = `tun 0666
rm -f /etc/qemu-ifup /etc/qemu-ifdown
printf '%s\\n' '#!/bin/sh' 'printf "PROBE %s\\n" "$(ip -j link show dev "$1")" >&2' 'exec /etc/qemu-ifdown "$1"' > /etc/qnet-probe-down
chmod 0755 /etc/qnet-probe-down
`;
const QEMU = { netdev: 'tap,id=n0,ifname=qtap0,script=/etc/qemu-ifup,downscript=/etc/qnet-probe-down', as: 'root' as const };

/** Names the kernel takes and a shell would not: a command separator, a command substitution, a quote. */
const NAMES = ['a;b', '$(id)', "it's", '`id`>x'];

describe.skipIf(why !== '')('qemu-ifup/write with hostile bridge names, run by the real QEMU', () => {
  const suite = cliSuite({ checkHost: true });

  for (const name of NAMES) {
    it(`bridge ${JSON.stringify(name)}: the tap joins exactly that bridge`, async () => {
      const f = await FixScenario.start('fix-hostile', suite.bin, SETUP);
      try {
        // argv, no shell: the kernel decides whether the name is acceptable.
        for (const argv of [['ip', 'link', 'add', name, 'type', 'bridge'], ['ip', 'link', 'set', name, 'up']]) {
          const r = await f.sc.inNs(argv);
          expect(r.code, `the kernel refused ${argv.join(' ')}: ${r.stderr}`).toBe(0);
        }
        const links = JSON.parse(await f.out(['ip', '-j', 'link', 'show', 'type', 'bridge'])) as { ifname: string }[];
        expect(links.map((l) => l.ifname)).toEqual([name]);

        const watch = ['/etc/qemu-ifup', '/etc/qemu-ifdown', '/etc'];
        const before = await f.state(watch);
        const q0 = await f.sc.qemu(QEMU);
        expect(q0.started, q0.stderr).toBe(false);
        expect(q0.stderr).toMatch(/network script \/etc\/qemu-ifup failed/);

        const dry = await f.qnet(['fix', '--dry-run', '--user', 'root', 'qemu-ifup']);
        expect(dry.stdout, said(dry)).toContain(`for bridge ${name} (iproute2, quoted, 0755 root)`);
        const fixed = await f.qnet(['fix', '--yes', '--user', 'root', 'qemu-ifup']);
        expect(fixed.code, said(fixed)).toBe(0);
        expect(fixed.stdout).toContain('✔ verified qemu-ifup');
        const script = await f.out(['cat', '/etc/qemu-ifup']);
        expect(script).toMatch(/^#!\/bin\/sh\n/);

        // The real judge: QEMU runs the script; the tap's master is the bridge, byte for byte.
        const q1 = await f.sc.qemu(QEMU);
        expect(q1.started, `QEMU should start:\n${q1.stderr}\nscript:\n${script}`).toBe(true);
        const probe = /^PROBE (.*)$/m.exec(q1.stderr);
        expect(probe, `the probe downscript printed nothing:\n${q1.stderr}`).not.toBeNull();
        const tap = (JSON.parse(probe![1]!) as { ifname: string; master?: string }[])[0]!;
        expect(tap.ifname).toBe('qtap0');
        expect(tap.master, `script:\n${script}`).toBe(name);
        // Nothing the name could have run as shell code left a trace: the script printed nothing,
        // and no file named after a redirection appeared in /, /etc or the cwd of the script.
        expect(q1.stderr.replace(/^PROBE .*\n?/m, '').trim()).toBe('');
        for (const p of ['/x', '/etc/x', '/b']) expect(await f.out(['stat', '-c', '%n', p])).toMatch(/^exit 1:/);

        const undone = await f.qnet(['undo']);
        expect(undone.code, said(undone)).toBe(0);
        expect(await f.state(watch)).toBe(before);
        const q2 = await f.sc.qemu(QEMU);
        expect(q2.started).toBe(false);
      } finally {
        await f.dispose();
      }
    });
  }
});
