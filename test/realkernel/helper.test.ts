// helper-setuid and helper-acl on Debian's real qemu-bridge-helper (a copy
// bind-mounted over /usr/lib/qemu/qemu-bridge-helper), judged by
// `-netdev bridge,id=n0,br=br0` started as qnetuser.
//
// What the helper needs besides root rights (found by running it, QEMU 7.2):
// it drops to the caller's uid at once keeping only CAP_NET_ADMIN, then reads
// bridge.conf AS THE USER ("failed to parse default acl file" when unreadable),
// then opens /dev/net/tun AS THE USER ("failed to open /dev/net/tun: Permission
// denied" with a 0600 node, setuid or not), then creates the tap ("failed to
// create tun device: Operation not permitted" without root rights). So every
// scenario here gives the user a 0666 node, and the helper scenarios a readable
// bridge.conf, to isolate the cause under test.
import { realKernelSuite, type ScenarioSpec } from './harness.js';

const BRIDGE = 'tun 0666\nip link add br0 type bridge\nip link set br0 up\n';
const ACL_BR0 = 'mkdir -p /etc/qemu\necho "allow br0" > /etc/qemu/bridge.conf\nchmod 0644 /etc/qemu/bridge.conf\n';
const BACKEND = 'bridge,id=n0,br=br0';
const NO_RIGHTS = /failed to create tun device: Operation not permitted[\s\S]*bridge helper failed/;

const setuid: ScenarioSpec[] = [
  {
    name: 'helper-not-setuid',
    title: "Debian's 0755 helper",
    setup: BRIDGE + ACL_BR0 + 'helper_mode 0755\n',
    check: 'helper-setuid',
    expect: 'fail',
    summary: /qemu-bridge-helper has no root rights.*no setuid/,
    others: { 'helper-acl': 'pass', 'tun-perms': 'pass' },
    qemu: { netdev: BACKEND, starts: false, stderr: NO_RIGHTS },
  },
  {
    name: 'helper-setuid',
    title: 'helper 4755 root:root',
    setup: BRIDGE + ACL_BR0 + 'helper_mode 4755\n',
    check: 'helper-setuid',
    expect: 'pass',
    summary: /runs with root rights \(setuid root\)/,
    others: { 'helper-acl': 'pass' },
    qemu: { netdev: BACKEND, starts: true },
  },
  {
    name: 'helper-setuid-nosuid-mount',
    title: 'helper 4755 on a nosuid mount',
    setup: BRIDGE + ACL_BR0 + 'helper_mode 4755\nmount -o remount,bind,nosuid /usr/lib/qemu/qemu-bridge-helper\n',
    check: 'helper-setuid',
    expect: 'fail',
    summary: /nosuid/,
    qemu: { netdev: BACKEND, starts: false, stderr: NO_RIGHTS },
  },
  {
    name: 'helper-setcap',
    title: 'helper 0755 with cap_net_admin+ep',
    setup: BRIDGE + ACL_BR0 + 'helper_mode 0755\nsetcap cap_net_admin+ep "$T/bin/qemu-bridge-helper"\n',
    check: 'helper-setuid',
    expect: 'pass',
    summary: /cap_net_admin/,
    needs: ['setcap'],
    qemu: { netdev: BACKEND, starts: true },
  },
  {
    name: 'helper-setuid-tun-0600',
    title: 'setuid helper, /dev/net/tun 0600: the helper opens it as the user',
    setup: BRIDGE + ACL_BR0 + 'helper_mode 4755\nchmod 0600 /dev/net/tun\n',
    check: 'tun-perms',
    expect: 'fail',
    summary: /qnetuser cannot open it read-write/,
    others: { 'helper-setuid': 'pass', 'helper-acl': 'pass' },
    qemu: { netdev: BACKEND, starts: false, stderr: /failed to open \/dev\/net\/tun: Permission denied/ },
  },
];

// A stock Debian has getcap (libcap2-bin) but not getfattr (attr): an overlay on /usr/bin whose
// whiteout hides getfattr, in the scenario's mount namespace only.
const NO_GETFATTR =
  'mkdir "$T/usrbin-up" "$T/usrbin-work"\nmknod "$T/usrbin-up/getfattr" c 0 0\n' +
  'mount -t overlay overlay -o "lowerdir=/usr/bin,upperdir=$T/usrbin-up,workdir=$T/usrbin-work" /usr/bin\n' +
  'if PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v getfattr; then echo "getfattr is still there" >&2; exit 1; fi\n';

const noGetfattr: ScenarioSpec[] = [
  {
    name: 'helper-setcap-no-getfattr',
    title: 'helper 0755 with cap_net_admin+ep, no getfattr (read with getcap)',
    setup: BRIDGE + ACL_BR0 + 'helper_mode 0755\nsetcap cap_net_admin+ep "$T/bin/qemu-bridge-helper"\n' + NO_GETFATTR,
    check: 'helper-setuid',
    expect: 'pass',
    summary: /runs with root rights \(the cap_net_admin\+ep file capability\)/,
    evidence: /^getcap -n \/usr\/lib\/qemu\/qemu-bridge-helper → cap_net_admin=ep$/m,
    needs: ['setcap', 'getcap'],
    qemu: { netdev: BACKEND, starts: true },
  },
  {
    name: 'helper-not-setuid-no-getfattr',
    title: "Debian's 0755 helper, no getfattr (read with getcap)",
    setup: BRIDGE + ACL_BR0 + 'helper_mode 0755\n' + NO_GETFATTR,
    check: 'helper-setuid',
    expect: 'fail',
    summary: /qemu-bridge-helper has no root rights.*no setuid/,
    evidence: /^getcap -n \/usr\/lib\/qemu\/qemu-bridge-helper → no file capabilities$/m,
    needs: ['getcap'],
    qemu: { netdev: BACKEND, starts: false, stderr: NO_RIGHTS },
  },
];

const SETUID = BRIDGE + 'helper_mode 4755\nmkdir -p /etc/qemu\n';
const acl: ScenarioSpec[] = [
  {
    name: 'acl-missing',
    title: 'no /etc/qemu/bridge.conf',
    setup: SETUID + 'rm -f /etc/qemu/bridge.conf\n',
    check: 'helper-acl',
    expect: 'fail',
    summary: /bridge\.conf does not exist/,
    others: { 'helper-setuid': 'pass' },
    qemu: { netdev: BACKEND, starts: false, stderr: /failed to parse default acl file `\/etc\/qemu\/bridge\.conf'/ },
  },
  {
    name: 'acl-no-allow',
    title: 'bridge.conf allows another bridge only',
    setup: SETUID + 'printf "# bridges for VMs\\nallow virbr0\\n" > /etc/qemu/bridge.conf\nchmod 0644 /etc/qemu/bridge.conf\n',
    check: 'helper-acl',
    expect: 'fail',
    summary: /no existing bridge is allowed \(br0\)/,
    qemu: { netdev: BACKEND, starts: false, stderr: /access denied by acl file/ },
  },
  {
    name: 'acl-deny-wins',
    title: 'bridge.conf: allow br0, then deny br0',
    setup: SETUID + 'printf "allow br0\\ndeny br0\\n" > /etc/qemu/bridge.conf\nchmod 0644 /etc/qemu/bridge.conf\n',
    check: 'helper-acl',
    expect: 'fail',
    summary: /no existing bridge is allowed/,
    qemu: { netdev: BACKEND, starts: false, stderr: /access denied by acl file/ },
  },
  {
    name: 'acl-allow-br0',
    title: 'bridge.conf: allow br0, 0644 root:root',
    setup: SETUID + ACL_BR0,
    check: 'helper-acl',
    expect: 'pass',
    summary: /allows br0/,
    qemu: { netdev: BACKEND, starts: true },
  },
  {
    name: 'acl-allow-br0-group-readable',
    title: 'bridge.conf: allow br0, 0640 root:qnetuser',
    setup: SETUID + ACL_BR0 + 'chgrp qnetuser /etc/qemu/bridge.conf\nchmod 0640 /etc/qemu/bridge.conf\n',
    check: 'helper-acl',
    expect: 'pass',
    summary: /allows br0/,
    qemu: { netdev: BACKEND, starts: true },
  },
  {
    name: 'acl-unreadable',
    title: 'bridge.conf: allow br0, but 0600 root:root',
    setup: SETUID + ACL_BR0 + 'chmod 0600 /etc/qemu/bridge.conf\n',
    check: 'helper-acl',
    expect: 'fail',
    summary: /qnetuser cannot read \/etc\/qemu\/bridge\.conf/,
    qemu: { netdev: BACKEND, starts: false, stderr: /failed to parse default acl file/ },
  },
  {
    name: 'acl-world-writable',
    title: 'bridge.conf: allow br0, but 0666',
    setup: SETUID + ACL_BR0 + 'chmod 0666 /etc/qemu/bridge.conf\n',
    check: 'helper-acl',
    expect: 'fail',
    summary: /writable by every user/,
    qemu: {
      netdev: BACKEND,
      starts: true,
      startsAnyway: 'the helper does not check the ACL file mode: it works, and any user can allow any bridge (the security finding qnet fails on)',
    },
  },
  {
    name: 'acl-allow-all',
    title: 'bridge.conf: allow all',
    setup: SETUID + 'echo "allow all" > /etc/qemu/bridge.conf\nchmod 0644 /etc/qemu/bridge.conf\n',
    check: 'helper-acl',
    expect: 'warn',
    summary: /allow all/,
    qemu: { netdev: BACKEND, starts: true },
  },
  {
    name: 'acl-unknown-command',
    title: 'bridge.conf: "Allow br0" (commands are case-sensitive)',
    setup: SETUID + 'echo "Allow br0" > /etc/qemu/bridge.conf\nchmod 0644 /etc/qemu/bridge.conf\n',
    check: 'helper-acl',
    expect: 'fail',
    summary: /Allow/,
    qemu: { netdev: BACKEND, starts: false, stderr: /Unknown command `Allow'/ },
  },
];

realKernelSuite('real kernel: helper-setuid', setuid, ['helper']);
realKernelSuite('real kernel: helper-acl', acl, ['helper']);
realKernelSuite('real kernel: helper-setuid without getfattr', noGetfattr, ['helper']);
