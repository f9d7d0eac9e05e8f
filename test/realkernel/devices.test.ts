// kvm and vhost-net on real device nodes: the scenario's /dev/kvm is a private
// node bind-mounted over the host's (see the harness), so its mode and group can
// be broken here; QEMU with -accel kvm, run as qnetuser, is the judge.
import { existsSync } from 'node:fs';
import { realKernelSuite, type ScenarioSpec } from './harness.js';

const TAP_FOR_USER = 'tun 0666\nip tuntap add dev tap0 mode tap user qnetuser\n';
const TAP = 'tap,id=n0,ifname=tap0,script=no,downscript=no';

const specs: ScenarioSpec[] = [
  {
    name: 'kvm-0600',
    title: '/dev/kvm is 0600 root:root',
    setup: TAP_FOR_USER + 'kvm_node 0600\n',
    check: 'kvm',
    expect: 'fail',
    summary: /\/dev\/kvm is crw------- .*qnetuser cannot open it read-write/,
    qemu: { as: 'user', accel: 'kvm', netdev: TAP, starts: false, stderr: /Could not access KVM kernel module: Permission denied/ },
  },
  {
    name: 'kvm-group-nonmember',
    title: '/dev/kvm is 0660 root:kvm and qnetuser is not in kvm',
    setup: TAP_FOR_USER + 'grep -q "^kvm:" /etc/group || echo "kvm:x:104:" >> /etc/group\nkvm_node 0660 kvm\n',
    check: 'kvm',
    expect: 'fail',
    summary: /qnetuser cannot open it read-write/,
    qemu: { as: 'user', groups: 'init', accel: 'kvm', netdev: TAP, starts: false, stderr: /Could not access KVM kernel module: Permission denied/ },
  },
  {
    name: 'kvm-group-member',
    title: '/dev/kvm is 0660 root:kvm and qnetuser is in kvm',
    setup: TAP_FOR_USER + 'join_group kvm 104\nkvm_node 0660 kvm\n',
    check: 'kvm',
    expect: 'pass',
    summary: /qnetuser can open \/dev\/kvm read-write/,
    qemu: { as: 'user', groups: 'init', accel: 'kvm', netdev: TAP, starts: true },
  },
  {
    name: 'vhost-net-missing',
    title: 'no /dev/vhost-net (this kernel has no vhost_net)',
    setup: TAP_FOR_USER,
    check: 'vhost-net',
    expect: 'warn',
    summary: /\/dev\/vhost-net does not exist/,
    qemu: {
      as: 'user',
      netdev: `${TAP},vhost=on`,
      starts: false,
      // QEMU 7.2 warns, then aborts on an assertion (net/net.c) instead of a clean error.
      stderr: /tap: open vhost char device failed: No such file or directory[\s\S]*Assertion `nc' failed/,
      failsAnyway: 'vhost is an accelerator: without vhost=on the same backend starts (tun-healthy), so the doctor warns; it is vhost=on that fails',
    },
  },
];

// /dev is the host's devtmpfs even in a private mount namespace (removing a node there
// removes the host's), so these need the host as it is: /dev/kvm present, /dev/vhost-net absent.
const usable = specs.filter((s) => {
  const why = s.check === 'kvm' && !existsSync('/dev/kvm') ? 'this host has no /dev/kvm' : s.check === 'vhost-net' && existsSync('/dev/vhost-net') ? 'this host has /dev/vhost-net' : '';
  if (why) console.log(`real-kernel scenario ${s.name} left out: ${why}`);
  return !why;
});
realKernelSuite('real kernel: /dev/kvm and /dev/vhost-net', usable);
