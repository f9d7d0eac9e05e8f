// qemu-ifup with QEMU as the judge: `-netdev tap,id=n0,ifname=qtap0` runs the
// default script /etc/qemu-ifup. A non-root user cannot create or configure
// interfaces, so QEMU runs as qnetuser with ambient CAP_NET_ADMIN (which the
// script's `ip` inherits); the node is 0666 and br0 exists, so only the script
// decides. QEMU 7.2 execv()s the script in a child that _exit(1)s when execv
// fails, so a missing file, a missing mode bit and a missing #! line all end in
// "network script /etc/qemu-ifup failed with status 256".
import { realKernelSuite, type ScenarioSpec } from './harness.js';

const BASE =
  'tun 0666\nip link add br0 type bridge\nip link set br0 up\n' +
  // A known qemu-ifdown (Debian's comes from the host's /etc otherwise).
  'printf \'#!/bin/sh\\nip link set dev "$1" down\\n\' > /etc/qemu-ifdown\nchmod 0755 /etc/qemu-ifdown\n';
const GOOD = 'printf \'#!/bin/sh\\nip link set dev "$1" master br0 up\\n\' > /etc/qemu-ifup\n';
const BACKEND = { netdev: 'tap,id=n0,ifname=qtap0', netAdmin: true };
const SCRIPT_FAILED = /network script \/etc\/qemu-ifup failed with status/;

const specs: ScenarioSpec[] = [
  {
    name: 'ifup-missing',
    title: 'no /etc/qemu-ifup',
    setup: BASE + 'rm -f /etc/qemu-ifup\n',
    check: 'qemu-ifup',
    expect: 'fail',
    summary: /\/etc\/qemu-ifup is missing/,
    qemu: { ...BACKEND, starts: false, stderr: SCRIPT_FAILED },
  },
  {
    name: 'ifup-not-executable',
    title: '/etc/qemu-ifup 0644',
    setup: BASE + GOOD + 'chmod 0644 /etc/qemu-ifup\n',
    check: 'qemu-ifup',
    expect: 'fail',
    summary: /\/etc\/qemu-ifup.*(executable|execute)/,
    qemu: { ...BACKEND, starts: false, stderr: SCRIPT_FAILED },
  },
  {
    name: 'ifup-no-shebang',
    title: '/etc/qemu-ifup without a #! line',
    setup: BASE + 'printf \'ip link set dev "$1" master br0 up\\n\' > /etc/qemu-ifup\nchmod 0755 /etc/qemu-ifup\n',
    check: 'qemu-ifup',
    expect: 'fail',
    summary: /#!/,
    qemu: { ...BACKEND, starts: false, stderr: SCRIPT_FAILED },
  },
  {
    name: 'ifup-crlf',
    title: '/etc/qemu-ifup with CRLF line ends (#!/bin/sh\\r)',
    setup: BASE + 'printf \'#!/bin/sh\\r\\nip link set dev "$1" master br0 up\\r\\n\' > /etc/qemu-ifup\nchmod 0755 /etc/qemu-ifup\n',
    check: 'qemu-ifup',
    expect: 'fail',
    summary: /#!|CRLF|\\r/,
    qemu: { ...BACKEND, starts: false, stderr: SCRIPT_FAILED },
  },
  {
    name: 'ifup-missing-bridge',
    title: '/etc/qemu-ifup attaches to br9, which does not exist',
    setup: BASE + 'printf \'#!/bin/sh\\nip link set dev "$1" master br9 up\\n\' > /etc/qemu-ifup\nchmod 0755 /etc/qemu-ifup\n',
    check: 'qemu-ifup',
    expect: 'fail',
    summary: /br9/,
    qemu: { ...BACKEND, starts: false, stderr: SCRIPT_FAILED },
  },
  {
    name: 'ifup-good',
    title: '/etc/qemu-ifup 0755 attaches the tap to br0',
    setup: BASE + GOOD + 'chmod 0755 /etc/qemu-ifup\n',
    check: 'qemu-ifup',
    expect: 'pass',
    summary: /executable scripts.*br0/,
    qemu: { ...BACKEND, starts: true },
  },
];

realKernelSuite('real kernel: qemu-ifup', specs);
