// tun-module and tun-perms on real /dev/net/tun nodes, with QEMU as the judge.
import { realKernelSuite, type ScenarioSpec } from './harness.js';

// A tap pre-created for qnetuser: QEMU attaches to it without CAP_NET_ADMIN, so
// opening /dev/net/tun is the only thing between the user and a working backend.
const TAP_FOR_USER = 'ip tuntap add dev tap0 mode tap user qnetuser\n';
const TAP_BACKEND = 'tap,id=n0,ifname=tap0,script=no,downscript=no';

const tunModule: ScenarioSpec[] = [
  {
    name: 'tun-missing',
    title: 'no /dev/net/tun node',
    // The tap is made through a good node, which is then removed.
    setup: 'tun 0666\n' + TAP_FOR_USER + 'rm /dev/net/tun\n',
    check: 'tun-module',
    expect: 'fail',
    summary: /\/dev\/net\/tun/,
    others: { 'tun-perms': 'skip' },
    // Even root cannot use a tap without the node.
    qemu: { as: 'root', netdev: TAP_BACKEND, starts: false, stderr: /could not open \/dev\/net\/tun: No such file or directory/ },
  },
  {
    name: 'tun-wrong-minor',
    title: '/dev/net/tun is char 10:201, not 10:200',
    setup: 'tun 0666\n' + TAP_FOR_USER + 'rm /dev/net/tun\ntun 0666 201\n',
    check: 'tun-module',
    expect: 'fail',
    summary: /10:201/,
    qemu: { as: 'root', netdev: TAP_BACKEND, starts: false, stderr: /could not open \/dev\/net\/tun: No such device/ },
  },
  {
    name: 'tun-healthy',
    title: '/dev/net/tun is char 10:200, 0666',
    setup: 'tun 0666\n' + TAP_FOR_USER,
    check: 'tun-module',
    expect: 'pass',
    summary: /10:200/,
    others: { 'tun-perms': 'pass' },
    qemu: { as: 'root', netdev: TAP_BACKEND, starts: true },
  },
];

const tunPerms: ScenarioSpec[] = [
  {
    name: 'tun-0600',
    title: '/dev/net/tun 0600 root:root',
    setup: 'tun 0600\n' + TAP_FOR_USER,
    check: 'tun-perms',
    expect: 'fail',
    summary: /crw-------.*qnetuser cannot open it read-write/,
    others: { 'tun-module': 'pass' },
    qemu: { netdev: TAP_BACKEND, starts: false, stderr: /could not open \/dev\/net\/tun: Permission denied/ },
  },
  {
    name: 'tun-0666',
    title: '/dev/net/tun 0666',
    setup: 'tun 0666\n' + TAP_FOR_USER,
    check: 'tun-perms',
    expect: 'pass',
    summary: /qnetuser can open \/dev\/net\/tun read-write/,
    qemu: { netdev: TAP_BACKEND, starts: true },
  },
  {
    name: 'tun-0660-netdev-member',
    title: '/dev/net/tun 0660 root:netdev, qnetuser in netdev',
    setup: 'tun 0660\njoin_group netdev 4300\nchgrp netdev /dev/net/tun\n' + TAP_FOR_USER,
    check: 'tun-perms',
    expect: 'pass',
    summary: /qnetuser can open \/dev\/net\/tun read-write.*netdev/,
    qemu: { netdev: TAP_BACKEND, groups: 'init', starts: true },
  },
  {
    name: 'tun-0660-netdev-nonmember',
    title: '/dev/net/tun 0660 root:netdev, qnetuser not in netdev',
    setup: 'tun 0660\nif ! grep -q "^netdev:" /etc/group; then echo "netdev:x:4300:" >> /etc/group; fi\nchgrp netdev /dev/net/tun\n' + TAP_FOR_USER,
    check: 'tun-perms',
    expect: 'fail',
    summary: /crw-rw----.*qnetuser cannot open it read-write/,
    qemu: { netdev: TAP_BACKEND, groups: 'init', starts: false, stderr: /could not open \/dev\/net\/tun: Permission denied/ },
  },
];

realKernelSuite('real kernel: tun-module', tunModule);
realKernelSuite('real kernel: tun-perms', tunPerms);
