// qnet lint --user qnetuser against real QEMU run as that user (uid 4242): what a
// non-root user cannot do. QEMU binds hostfwd ports with the user's rights, so a
// port below net.ipv4.ip_unprivileged_port_start (1024 unless lowered; the sysctl
// belongs to the network namespace) ends in "Could not set up host forwarding
// rule"; and it runs /etc/qemu-ifup with the user's rights, so a script that puts
// the tap on a bridge ends in "RTNETLINK answers: Operation not permitted".
// Each case runs lint and QEMU in the same namespace after the same setup.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LintNs, whyNotQemu } from './helpers/lint-ns.js';

const why = (() => {
  const w = whyNotQemu();
  if (w) return w;
  if (spawnSync('setpriv', ['--version']).status !== 0) return 'setpriv is not installed (Debian: util-linux)';
  return '';
})();
if (why) console.log(`lint-as-a-user tests skipped: ${why}`);

const ns = new LintNs('user');
const UID = 4242;
const TAP = `qlx${process.pid % 100000}`; // owned by 4242, made once for this file
// qnetuser in the case's private /etc; a 0666 tun node of its own over /dev/net/tun; br0; a good /etc/qemu-ifup.
const SETUP = [
  `echo 'qnetuser:x:${UID}:${UID}::/nonexistent:/usr/sbin/nologin' >> /etc/passwd && echo 'qnetuser:x:${UID}:' >> /etc/group`,
  'mknod /tmp/tun c 10 200 && chmod 0666 /tmp/tun && mount --bind /tmp/tun /dev/net/tun',
  `printf '#!/bin/sh\\nip link set dev "$1" master br0 up\\n' > /etc/qemu-ifup && chmod 755 /etc/qemu-ifup`,
  `printf '#!/bin/sh\\nip link set dev "$1" nomaster\\n' > /etc/qemu-ifdown && chmod 755 /etc/qemu-ifdown`,
].join('\n');
const LOWER_80 = 'sysctl -q -w net.ipv4.ip_unprivileged_port_start=80';

/** QEMU paused, as qnetuser (or root), quit over QMP: exit 0 means its backends came up. */
function qemu(args: string[], asRoot: boolean, setup: string) {
  const who = asRoot ? [] : ['setpriv', `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups'];
  return ns.spawnJudge([...who, 'qemu-system-x86_64', '-M', 'pc', '-nodefaults', '-display', 'none', '-S', '-no-user-config', '-qmp', 'stdio', ...args], setup, '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n');
}

beforeAll(() => {
  if (why) return;
  ns.create();
  ns.sh(`ip link add br0 type bridge && ip link set br0 up && ip tuntap add dev ${TAP} mode tap user ${UID}`);
});
afterAll(() => {
  if (!why) ns.destroy();
});

interface Case {
  name: string;
  args: string[];
  user: 'qnetuser' | 'root';
  id: 'hostfwd-port' | 'qemu-cmdline';
  verdict: 'pass' | 'warn' | 'fail';
  lintSays?: RegExp;
  qemuSays?: RegExp;
  setup?: string;
}

// Explicit MACs: QEMUs of other test files running meanwhile may hold QEMU's default one.
const NIC = 'e1000,netdev=n0,mac=52:54:00:4e:55:01';
const fwd = (port: number) => ['-netdev', `user,id=n0,hostfwd=tcp::${port}-:22`, '-device', NIC];
const cases: Case[] = [
  { name: 'hostfwd=tcp::80-:22 for qnetuser', args: fwd(80), user: 'qnetuser', id: 'hostfwd-port', verdict: 'fail', lintSays: /tcp port 80 is below net\.ipv4\.ip_unprivileged_port_start \(1024\)/, qemuSays: /Could not set up host forwarding rule/ },
  { name: 'hostfwd=tcp::1023-:22 for qnetuser', args: fwd(1023), user: 'qnetuser', id: 'hostfwd-port', verdict: 'fail', qemuSays: /Could not set up host forwarding rule/ },
  { name: 'hostfwd=tcp::1024-:22 for qnetuser', args: fwd(1024), user: 'qnetuser', id: 'hostfwd-port', verdict: 'pass' },
  { name: 'hostfwd=tcp::80-:22 for root', args: fwd(80), user: 'root', id: 'hostfwd-port', verdict: 'pass' },
  { name: 'hostfwd=tcp::80-:22 for qnetuser, ip_unprivileged_port_start lowered to 80 in this namespace', args: fwd(80), user: 'qnetuser', id: 'hostfwd-port', verdict: 'pass', setup: LOWER_80 },
  { name: 'hostfwd=tcp::79-:22 for qnetuser, the limit lowered to 80', args: fwd(79), user: 'qnetuser', id: 'hostfwd-port', verdict: 'fail', lintSays: /\(80\)/, qemuSays: /Could not set up host forwarding rule/, setup: LOWER_80 },
  {
    name: "a tap of qnetuser's with the default /etc/qemu-ifup, for qnetuser",
    args: ['-netdev', `tap,id=n0,ifname=${TAP}`, '-device', NIC],
    user: 'qnetuser',
    id: 'qemu-cmdline',
    verdict: 'fail',
    lintSays: /script \/etc\/qemu-ifup runs with qnetuser's rights, and its `ip link set` \(line 2\) needs CAP_NET_ADMIN/,
    qemuSays: /RTNETLINK answers: Operation not permitted[\s\S]*network script \/etc\/qemu-ifup failed with status 512/,
  },
  { name: "the same tap with script=no,downscript=no, for qnetuser", args: ['-netdev', `tap,id=n0,ifname=${TAP},script=no,downscript=no`, '-device', NIC], user: 'qnetuser', id: 'qemu-cmdline', verdict: 'pass' },
  { name: 'the same tap with the default /etc/qemu-ifup, for root', args: ['-netdev', `tap,id=n0,ifname=${TAP}`, '-device', NIC], user: 'root', id: 'qemu-cmdline', verdict: 'pass' },
];

describe.skipIf(why !== '')('qnet lint --user agrees with QEMU run as that user', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const setup = `${SETUP}\n${c.setup ?? ''}`;
      try {
        const l = ns.lint(['qemu-system-x86_64', ...c.args], setup, ['--user', c.user]);
        const r = l.results.find((x) => x.id === c.id);
        const said = `lint: ${JSON.stringify(r ?? l)}`;
        expect(r?.status, said).toBe(c.verdict);
        if (c.lintSays) expect(r!.summary, said).toMatch(c.lintSays);
        const q = await qemu(c.args, c.user === 'root', setup);
        if (c.verdict === 'fail') {
          expect(q.code, q.stderr).not.toBe(0);
          if (c.qemuSays) expect(q.stderr).toMatch(c.qemuSays);
        } else expect(q.code, `${said}\nQEMU: ${q.stderr}`).toBe(0);
      } finally {
        // The sysctl belongs to the file's namespace: put it back for the next case.
        if (c.setup === LOWER_80) ns.sh('sysctl -q -w net.ipv4.ip_unprivileged_port_start=1024');
      }
    });
  }
});

describe('a whole command line passed as one argument', () => {
  it('exit 2, one line on stderr that shows the words', () => {
    const r = spawnSync(process.execPath, [new URL('../bin/qnet.js', import.meta.url).pathname, 'lint', '--', 'qemu-system-x86_64 -netdev user,id=n0'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/one argument "qemu-system-x86_64 -netdev user,id=n0"; pass its words as separate arguments.*: qnet lint -- qemu-system-x86_64 -netdev user,id=n0$/m);
  });
});
