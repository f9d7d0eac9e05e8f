// qnet lint on UML command lines, with the real UML kernel (Debian 12 user-mode-linux,
// /usr/bin/linux.uml 6.1) as the judge: it boots as uid 4242 in a namespace with hostfs
// as root and an init script that brings eth0 up and powers off. eth0 comes up only when
// UML could open /dev/net/tun and attach its tap ("UMLINIT: eth0 up"); otherwise UML
// prints why (Failed to open /dev/net/tun, err = 13 / TUNSETIFF failed, errno = 1 /
// failed to exec uml_net on host: Permission denied). Seed 003 line 72's option
// (`./linux eth0=tuntap,tap0 ubda=...`) is kept; ubda= is dropped (no root_fs image).
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LintNs, whyNotNs } from './helpers/lint-ns.js';

const why = (() => {
  const w = whyNotNs();
  if (w) return w;
  if (spawnSync('linux.uml', ['--version']).status !== 0) return 'linux.uml is not installed (apt-get install user-mode-linux)';
  if (spawnSync('setpriv', ['--version']).status !== 0) return 'setpriv is missing';
  return '';
})();
if (why) console.log(`lint-vs-UML tests skipped: ${why}`);

const ns = new LintNs('uml');
const UID = 4242;
const TAP = `qlu${process.pid % 100000}`; // this file's own tap, owned by 4242
const ROOTTAP = `qlr${process.pid % 100000}`; // owned by root
const INIT = ['#!/bin/sh', 'echo "UMLINIT: start"', '/sbin/ip link set eth0 up && echo "UMLINIT: eth0 up"', 'echo o > /proc/sysrq-trigger', ''].join('\\n');
const setup = (tunMode: string) =>
  [
    `mknod /tmp/tun c 10 200 && chmod ${tunMode} /tmp/tun && mount --bind /tmp/tun /dev/net/tun`,
    `echo 'qnetuml:x:${UID}:${UID}::/tmp/h:/bin/sh' >> /etc/passwd && echo 'qnetuml:x:${UID}:' >> /etc/group`,
    `mkdir -p /tmp/h && chown ${UID}:${UID} /tmp/h`,
    `printf '${INIT}' > /tmp/init.sh && chmod 755 /tmp/init.sh`,
  ].join('\n');

function lintUml(args: string[], tunMode: string, asRoot = false) {
  return ns.lint(['linux', ...args], setup(tunMode), ['--user', asRoot ? 'root' : 'qnetuml']);
}
async function uml(args: string[], tunMode: string, asRoot = false) {
  const argv = [...(asRoot ? [] : ['setpriv', `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups']), 'env', 'HOME=/tmp/h', 'TMPDIR=/tmp', 'linux.uml', 'mem=64M', 'root=/dev/root', 'rootfstype=hostfs', 'rootflags=/', 'ro', 'init=/tmp/init.sh', ...args, 'con=null', 'con0=fd:0,fd:1'];
  const r = await ns.spawnJudge(argv, setup(tunMode), '', 45_000);
  return { up: /UMLINIT: eth0 up/.test(r.stdout + r.stderr), out: r.stdout + r.stderr };
}

beforeAll(() => {
  if (why) return;
  ns.create();
  ns.sh(`ip tuntap add dev ${TAP} mode tap user ${UID}; ip tuntap add dev ${ROOTTAP} mode tap user 0`);
});
afterAll(() => {
  if (!why) ns.destroy();
});

interface Case {
  name: string;
  args: string[];
  tun: string;
  verdict: 'pass' | 'warn' | 'fail';
  lintSays?: RegExp;
  umlSays?: RegExp;
  /** Run UML (and judge) as root instead of uid 4242. */
  asRoot?: boolean;
}

describe.skipIf(why !== '')('qnet lint agrees with real UML (linux.uml 6.1 as uid 4242)', () => {
  const cases: Case[] = [
    { name: 'seed 003:72 eth0=tuntap,TAP with a tap owned by the user', args: [`eth0=tuntap,${TAP}`], tun: '666', verdict: 'pass' },
    { name: 'eth0=tuntap,TAP,MAC,IP', args: [`eth0=tuntap,${TAP},fe:fd:01:02:03:04,192.168.0.254`], tun: '666', verdict: 'pass' },
    { name: 'a tap owned by root', args: [`eth0=tuntap,${ROOTTAP}`], tun: '666', verdict: 'fail', lintSays: /belongs to/, umlSays: /TUNSETIFF failed, errno = 1/ },
    { name: 'a missing tap', args: ['eth0=tuntap,qlnone0'], tun: '666', verdict: 'fail', lintSays: /does not exist/, umlSays: /TUNSETIFF failed, errno = 1/ },
    { name: '/dev/net/tun 0600 root (this host)', args: [`eth0=tuntap,${TAP}`], tun: '600', verdict: 'fail', lintSays: /\/dev\/net\/tun is not readable and writable/, umlSays: /Failed to open \/dev\/net\/tun, err = 13/ },
    { name: 'eth0=tuntap,,,IP: uml_net helper not executable by a non-member of uml-net', args: ['eth0=tuntap,,,192.168.0.254'], tun: '666', verdict: 'fail', lintSays: /uml_net/, umlSays: /failed to exec uml_net on host: Permission denied/ },
    { name: 'a MAC that is not one (UML picks a random MAC and still comes up)', args: [`eth0=tuntap,${TAP},zz:01:02:03:04:05`], tun: '666', verdict: 'warn', lintSays: /not a MAC address/, umlSays: /failed to parse 'zz:01:02:03:04:05'/ },
    { name: 'a missing tap, UML run as root (root creates it: it comes up, on no bridge)', args: ['eth0=tuntap,qlroot0'], tun: '600', verdict: 'warn', lintSays: /UML run as root creates it, but on no bridge/, asRoot: true },
    { name: 'eth0= twice (the first is kept)', args: [`eth0=tuntap,${TAP}`, `eth0=tuntap,${ROOTTAP}`], tun: '666', verdict: 'warn', lintSays: /given twice/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const l = lintUml(c.args, c.tun, c.asRoot);
      const r = l.results.find((x) => x.id === 'qemu-cmdline');
      expect(r?.status, JSON.stringify(l)).toBe(c.verdict);
      if (c.lintSays) expect([r!.summary, ...(r!.details ?? [])].join('\n')).toMatch(c.lintSays);
      const u = await uml(c.args, c.tun, c.asRoot);
      expect(u.up, u.out.slice(-3000)).toBe(c.verdict !== 'fail');
      if (c.umlSays) expect(u.out).toMatch(c.umlSays);
    });
  }
});

describe.skipIf(why !== '')('qnet lint on UML transports it does not judge', () => {
  for (const arg of ['vec0:transport=tap,ifname=tap0', 'eth0=vde,/tmp/switch', 'eth0=daemon', 'eth0=mcast']) {
    it(`${arg} is recognised, not silently skipped`, () => {
      const l = lintUml([arg], '666');
      const r = l.results.find((x) => x.id === 'qemu-cmdline');
      expect(r?.status, JSON.stringify(l)).toBe('pass');
      expect((r?.details ?? []).join('\n')).toMatch(/recognised but not judged/);
    });
  }
  it('a hostile tap name is refused, not run', () => {
    const l = lintUml(['eth0=tuntap,a;b$(x)toolongname'], '666');
    expect(l.results.find((x) => x.id === 'qemu-cmdline')?.status).toBe('fail');
  });
});
