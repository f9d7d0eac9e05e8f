// qemu-ifup with QEMU as the judge: `-netdev tap,id=n0,ifname=qtap0` runs the
// default script /etc/qemu-ifup, with the rights of whoever started QEMU.
//
// Root's VMs: the script's defects, judged with --user root and QEMU run as root
// (the node is 0666 and br0 exists, so only the script decides). QEMU 7.2
// execv()s the script in a child that _exit(1)s when execv fails, so a missing
// file, a missing mode bit and a missing #! line all end in "network script
// /etc/qemu-ifup failed with status 256".
//
// A non-root user's VMs: even a good script cannot attach the tap. With a tap
// owned by qnetuser (so QEMU itself gets past TUNSETIFF), QEMU as qnetuser fails
// with "RTNETLINK answers: Operation not permitted" and "network script
// /etc/qemu-ifup failed with status 512" (ip's exit 2); qnet warns for qnetuser
// and points to what works, and a tap put on the bridge beforehand with
// script=no,downscript=no starts.
import { realKernelSuite, type ScenarioSpec } from './harness.js';

const BASE =
  'tun 0666\nip link add br0 type bridge\nip link set br0 up\n' +
  // A known qemu-ifdown (Debian's comes from the host's /etc otherwise).
  'printf \'#!/bin/sh\\nip link set dev "$1" down\\n\' > /etc/qemu-ifdown\nchmod 0755 /etc/qemu-ifdown\n';
const GOOD = 'printf \'#!/bin/sh\\nip link set dev "$1" master br0 up\\n\' > /etc/qemu-ifup\n';
const BACKEND = { netdev: 'tap,id=n0,ifname=qtap0', as: 'root' as const };
const ROOT = { user: 'root' };
const USER_TAP = 'ip tuntap add dev qtap0 mode tap user 4242\n';
const SCRIPT_FAILED = /network script \/etc\/qemu-ifup failed with status/;

const specs: ScenarioSpec[] = [
  {
    name: 'ifup-missing',
    title: 'no /etc/qemu-ifup',
    setup: BASE + 'rm -f /etc/qemu-ifup\n',
    check: 'qemu-ifup',
    ...ROOT,
    expect: 'fail',
    summary: /\/etc\/qemu-ifup is missing/,
    qemu: { ...BACKEND, starts: false, stderr: SCRIPT_FAILED },
  },
  {
    name: 'ifup-not-executable',
    title: '/etc/qemu-ifup 0644',
    setup: BASE + GOOD + 'chmod 0644 /etc/qemu-ifup\n',
    check: 'qemu-ifup',
    ...ROOT,
    expect: 'fail',
    summary: /\/etc\/qemu-ifup.*(executable|execute)/,
    qemu: { ...BACKEND, starts: false, stderr: SCRIPT_FAILED },
  },
  {
    name: 'ifup-no-shebang',
    title: '/etc/qemu-ifup without a #! line',
    setup: BASE + 'printf \'ip link set dev "$1" master br0 up\\n\' > /etc/qemu-ifup\nchmod 0755 /etc/qemu-ifup\n',
    check: 'qemu-ifup',
    ...ROOT,
    expect: 'fail',
    summary: /#!/,
    qemu: { ...BACKEND, starts: false, stderr: SCRIPT_FAILED },
  },
  {
    name: 'ifup-crlf',
    title: '/etc/qemu-ifup with CRLF line ends (#!/bin/sh\\r)',
    setup: BASE + 'printf \'#!/bin/sh\\r\\nip link set dev "$1" master br0 up\\r\\n\' > /etc/qemu-ifup\nchmod 0755 /etc/qemu-ifup\n',
    check: 'qemu-ifup',
    ...ROOT,
    expect: 'fail',
    summary: /#!|CRLF|\\r/,
    qemu: { ...BACKEND, starts: false, stderr: SCRIPT_FAILED },
  },
  {
    name: 'ifup-missing-bridge',
    title: '/etc/qemu-ifup attaches to br9, which does not exist',
    setup: BASE + 'printf \'#!/bin/sh\\nip link set dev "$1" master br9 up\\n\' > /etc/qemu-ifup\nchmod 0755 /etc/qemu-ifup\n',
    check: 'qemu-ifup',
    ...ROOT,
    expect: 'fail',
    summary: /br9/,
    qemu: { ...BACKEND, starts: false, stderr: SCRIPT_FAILED },
  },
  {
    name: 'ifup-good',
    title: '/etc/qemu-ifup 0755 attaches the tap to br0',
    setup: BASE + GOOD + 'chmod 0755 /etc/qemu-ifup\n',
    check: 'qemu-ifup',
    ...ROOT,
    expect: 'pass',
    summary: /executable scripts.*br0/,
    qemu: { ...BACKEND, starts: true },
  },
];

const NOT_FOR_USER =
  "a non-root user's QEMU runs the script with the user's rights: it cannot work for them, whatever it says; qnet warns (the user need not use the script at all) and names what works";

const nonRoot: ScenarioSpec[] = [
  {
    name: 'ifup-good-nonroot',
    title: 'a good /etc/qemu-ifup, judged for qnetuser, whose QEMU runs it',
    setup: BASE + GOOD + 'chmod 0755 /etc/qemu-ifup\n' + USER_TAP,
    check: 'qemu-ifup',
    expect: 'warn',
    summary: /^\/etc\/qemu-ifup cannot work for qnetuser: QEMU runs it with qnetuser's rights, and its `ip link set` \(line 2\) needs CAP_NET_ADMIN/,
    qemu: { netdev: 'tap,id=n0,ifname=qtap0', starts: false, stderr: /RTNETLINK answers: Operation not permitted[\s\S]*network script \/etc\/qemu-ifup failed with status 512/, failsAnyway: NOT_FOR_USER },
  },
  {
    name: 'ifup-good-root',
    title: 'the same good /etc/qemu-ifup, judged for root, whose QEMU runs it',
    setup: BASE + GOOD + 'chmod 0755 /etc/qemu-ifup\n' + USER_TAP,
    check: 'qemu-ifup',
    ...ROOT,
    expect: 'pass',
    summary: /executable scripts.*br0/,
    qemu: { ...BACKEND, starts: true },
  },
  {
    name: 'ifup-nonroot-tap-on-bridge',
    title: "qnetuser's tap put on br0 beforehand, script=no,downscript=no (what the warning points to)",
    setup: BASE + GOOD + 'chmod 0755 /etc/qemu-ifup\n' + USER_TAP + 'ip link set dev qtap0 master br0 up\n',
    check: 'qemu-ifup',
    expect: 'warn',
    summary: /cannot work for qnetuser/,
    qemu: { netdev: 'tap,id=n0,ifname=qtap0,script=no,downscript=no', starts: true },
  },
];

realKernelSuite('real kernel: qemu-ifup, for root', specs);
realKernelSuite('real kernel: qemu-ifup, for a non-root user', nonRoot);
