// qnet lint on the real command lines of ../shared/seeds/ and of QEMU's own
// documentation, each judged twice on the same namespace: by lint, and by real
// qemu-system-x86_64 (7.2 on Debian 12). Where lint says fail, QEMU must fail;
// where lint says pass or warn, QEMU must bring its network backends up.
//
// Network options are verbatim. Adapted, and only these: -drive (the disk images
// do not exist here) dropped; -nographic dropped (the judge talks QMP on stdio,
// which -nographic would take for the serial console); a trailing shell `&`
// dropped; qemu-system-arm -machine raspi2b (seed 004) run as qemu-system-x86_64
// -M pc with -usb added, since raspi2b has the USB controller usb-net needs built
// in and pc does not. /usr/libexec/qemu-kvm lines are linted with that argv[0]
// (lint accepts it and warns that no such binary is here to ask for backends)
// and run as qemu-system-x86_64. Every case builds what it needs (taps,
// bridges, scripts, helper, ACL) in a private /tmp, /etc and /usr/lib/qemu.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backgroundQemu, LintNs, whyNotQemu } from './helpers/lint-ns.js';

const why = whyNotQemu();
if (why) console.log(`lint seed/doc tests skipped: ${why}`);

const ns = new LintNs('seeds');
const RESET = 'for i in tap0 tap1 brnm0 br0; do ip link del "$i" 2>/dev/null || true; done';
const TAP = (n: string) => `ip tuntap add dev ${n} mode tap`;
const IFUP = (path: string) => `printf '#!/bin/sh\\nip link set "$1" up\\n' > ${path} && chmod 755 ${path}`;
// Seed 001 lines 457-467, verbatim (its `//` comment is a command bash fails to find; the script still exits 0).
const SEED001_IFUP = `#!/bin/bash
# 桥接网络设备
switch=br0
if [ -n $1 ]; then          //$1为qemu-kvm传递值，这里是tap
    ip link set $1 up
    brctl addif \${switch} $1
    exit 0
else
   echo "no interface!"
   exit 1
fi
`;
const HELPER_SUID = 'cp /usr/lib/qemu/qemu-bridge-helper /usr/lib/qemu/qemu-bridge-helper-suid';
const ACL = (br: string) => `mkdir -p /etc/qemu && echo 'allow ${br}' > /etc/qemu/bridge.conf`;
const BRIDGE = (br: string) => `ip link add ${br} type bridge && ip link set ${br} up`;

interface Case {
  name: string;
  /** The command line as written (argv[0] included). */
  argv: string[];
  /** What the judge runs instead of argv[0]'s options, when adapted. */
  qemuArgs?: string[];
  setup: string;
  id: string;
  verdict: 'pass' | 'warn' | 'fail';
  qemuSays?: RegExp;
  lintSays?: RegExp;
}

const KVM = '/usr/libexec/qemu-kvm';
const S001_142 = [KVM, '-m', '8096', '-cpu', 'qemu64,+vmx', '-net', 'nic,vlan=0,macaddr=52:54:00:12:34:01', '-net', 'tap,vlan=0,ifname=tap0', '-smp', '4,sockets=4,cores=1,threads=1', '-vnc', '0.0.0.0:20'];
const S001_363 = [KVM, '-m', '1024', '-net', 'nic,model=virtio', '-net', 'tap,script=no', '-vnc', ':0'];
const S001_437 = [KVM, '-m', '1024', '-net', 'nic,model=virtio', '-net', 'tap,script=/tmp/qemu-ifup.sh', '-vnc', ':0'];
const S001_37 = ['qemu-system-x86_64', '-netdev', 'tap,fd=22,id=hostnet0,vhost=on,vhostfd=23', '-device', 'virtio-net-pci,netdev=hostnet0,id=net0,mac=52:54:00:1f:45:43,bus=pci.0,addr=0x3'];
const S002_39 = ['qemu-system-x86_64', '-netdev', 'user,id=usernet,hostfwd=tcp::2222-:22,hostfwd=tcp::8080-:80', '-device', 'e1000,netdev=usernet'];
const S002_85 = ['qemu-system-x86_64', '-netdev', 'tap,id=net0,ifname=tap0,script=no,downscript=no', '-device', 'e1000,netdev=net0'];
const S002_VM0 = ['qemu-system-x86_64', '-netdev', 'tap,id=net0,ifname=tap0,script=no,downscript=no', '-device', 'e1000,netdev=net0,mac=52:54:00:12:34:56'];
const S002_VM1 = ['qemu-system-x86_64', '-netdev', 'tap,id=net0,ifname=tap1,script=no,downscript=no', '-device', 'e1000,netdev=net0,mac=52:54:00:12:34:57'];
const S004 = ['qemu-system-x86_64', '-usb', '-netdev', 'tap,br=brnm0,helper=/usr/lib/qemu/qemu-bridge-helper-suid,id=net0', '-device', 'usb-net,netdev=net0,mac=40:54:00:52:20:03', '-vnc', ':12'];

const seedCases: Case[] = [
  // seed 001 line 142 (the seed's error: "qemu-kvm: -net tap,vlan=0,ifname=tap0: Device 'tap' could not be initialized").
  { name: 'seed 001:142 -net ...,vlan=0 with tap0 (qemu-kvm)', argv: S001_142, setup: RESET, id: 'qemu-cmdline', verdict: 'fail', lintSays: /vlan= was removed/, qemuSays: /Invalid parameter 'vlan'/ },
  // seed 001 lines 363-365
  { name: 'seed 001:363 -net tap,script=no (qemu-kvm; tap created by QEMU)', argv: S001_363, setup: RESET, id: 'qemu-cmdline', verdict: 'warn', lintSays: /qemu-kvm is not installed/ },
  { name: 'seed 001:363 as qemu-system-x86_64, no /etc/qemu-ifdown (downscript runs only at exit: QEMU starts)', argv: ['qemu-system-x86_64', ...S001_363.slice(1)], setup: `${RESET}; rm -f /etc/qemu-ifdown`, id: 'qemu-cmdline', verdict: 'warn', lintSays: /downscript \/etc\/qemu-ifdown/ },
  { name: 'seed 001:363 as qemu-system-x86_64 with /etc/qemu-ifdown', argv: ['qemu-system-x86_64', ...S001_363.slice(1)], setup: `${RESET}; ${IFUP('/etc/qemu-ifdown')}`, id: 'qemu-cmdline', verdict: 'pass' },
  // seed 001 lines 437-439, and its /tmp/qemu-ifup.sh (lines 457-467)
  { name: 'seed 001:437 script=/tmp/qemu-ifup.sh missing', argv: S001_437, setup: RESET, id: 'qemu-cmdline', verdict: 'fail', lintSays: /script \/tmp\/qemu-ifup.sh/, qemuSays: /network script \/tmp\/qemu-ifup.sh failed/ },
  { name: "seed 001:437 with the seed's own /tmp/qemu-ifup.sh", argv: S001_437, setup: `${RESET}; cat > /tmp/qemu-ifup.sh <<'EOF'\n${SEED001_IFUP}EOF\nchmod 755 /tmp/qemu-ifup.sh`, id: 'qemu-cmdline', verdict: 'warn' },
  { name: 'seed 001:437 with /tmp/qemu-ifup.sh not executable', argv: S001_437, setup: `${RESET}; ${IFUP('/tmp/qemu-ifup.sh')}; chmod 644 /tmp/qemu-ifup.sh`, id: 'qemu-cmdline', verdict: 'fail', lintSays: /not an executable file/, qemuSays: /network script \/tmp\/qemu-ifup.sh failed/ },
  // seed 001 line 37: libvirt's line copied from ps ("依葫芦画瓢 ... 发现启动报错")
  { name: "seed 001:37 libvirt's fd=22/vhostfd=23 line run by hand", argv: S001_37, setup: RESET, id: 'qemu-cmdline', verdict: 'fail', lintSays: /file descriptors/, qemuSays: /Can't use file descriptor 22/ },
  // seed 002 line 39
  { name: 'seed 002:39 user hostfwd 2222 and 8080, both free', argv: S002_39, setup: RESET, id: 'hostfwd-port', verdict: 'pass' },
  // seed 002 line 85
  { name: 'seed 002:85 tap0 pre-created', argv: S002_85, setup: `${RESET}; ${TAP('tap0')}`, id: 'qemu-cmdline', verdict: 'pass' },
  { name: 'seed 002:85 tap0 absent (root: QEMU creates it)', argv: S002_85, setup: RESET, id: 'qemu-cmdline', verdict: 'pass' },
  { name: 'seed 002:85 with ifname=tap0 written as a 16-byte name is cut, not refused', argv: ['qemu-system-x86_64', '-netdev', 'tap,id=net0,ifname=tap0tap0tap0tap0,script=no,downscript=no', '-device', 'e1000,netdev=net0'], setup: RESET, id: 'qemu-cmdline', verdict: 'warn', lintSays: /silently cuts/ },
  // seed 004 lines 424-445 (adapted: x86_64 + -usb, see the top)
  { name: 'seed 004:437 helper-suid absent', argv: S004, setup: `${RESET}; ${ACL('brnm0')}; ${BRIDGE('brnm0')}`, id: 'qemu-cmdline', verdict: 'fail', lintSays: /qemu-bridge-helper-suid/, qemuSays: /bridge helper failed/ },
  { name: 'seed 004:437 no /etc/qemu/bridge.conf', argv: S004, setup: `${RESET}; ${HELPER_SUID}; ${BRIDGE('brnm0')}`, id: 'qemu-cmdline', verdict: 'fail', lintSays: /ACL|bridge\.conf/, qemuSays: /failed to parse default acl file/ },
  { name: 'seed 004:437 ACL allows br0 only', argv: S004, setup: `${RESET}; ${HELPER_SUID}; ${ACL('br0')}; ${BRIDGE('brnm0')}`, id: 'qemu-cmdline', verdict: 'fail', lintSays: /does not allow brnm0/, qemuSays: /access denied by acl file/ },
  { name: 'seed 004:437 brnm0 absent', argv: S004, setup: `${RESET}; ${HELPER_SUID}; ${ACL('brnm0')}`, id: 'qemu-cmdline', verdict: 'fail', lintSays: /bridge brnm0 does not exist/, qemuSays: /bridge helper failed/ },
  { name: 'seed 004:437 helper, ACL and brnm0 in place', argv: S004, setup: `${RESET}; ${HELPER_SUID}; ${ACL('brnm0')}; ${BRIDGE('brnm0')}`, id: 'qemu-cmdline', verdict: 'pass' },
  { name: 'seed 004:437 with ifname= added (invalid with helper=)', argv: S004.map((a) => (a.startsWith('tap,br=') ? `${a},ifname=tap0` : a)), setup: `${RESET}; ${HELPER_SUID}; ${ACL('brnm0')}; ${BRIDGE('brnm0')}`, id: 'qemu-cmdline', verdict: 'fail', lintSays: /invalid with helper=/, qemuSays: /invalid with helper=/ },
];

// QEMU's own documentation: the examples of qemu-options.hx ("Network options": -netdev user,
// -netdev tap, -netdev bridge, -netdev socket, -netdev vde), as rendered in qemu(1), QEMU 7.x.
// Verbatim apart from: `linux.img`/`-hda linux.img -boot n` dropped (no disk here), the shell
// quotes around "helper=..." removed as the shell would, /path/to/qemu-bridge-helper read as
// Debian's /usr/lib/qemu/qemu-bridge-helper, `[...]` dropped.
const DOC = 'qemu-options.hx';
const X = 'qemu-system-x86_64';
const MCAST2 = ['-device', 'e1000,netdev=n2,mac=52:54:00:12:34:57', '-netdev', 'socket,id=n2,mcast=230.0.0.1:1234'];
const MROUTE = 'ip route replace 224.0.0.0/4 dev lo';
const docCases: Case[] = [
  { name: `${DOC} -netdev user hostfwd=: "-nic user,hostfwd=tcp:127.0.0.1:6001-:6000" (X11 example)`, argv: [X, '-nic', 'user,hostfwd=tcp:127.0.0.1:6001-:6000'], setup: RESET, id: 'hostfwd-port', verdict: 'pass' },
  { name: `${DOC} -netdev user hostfwd=: "-nic user,hostfwd=tcp::5555-:23" (telnet example)`, argv: [X, '-nic', 'user,hostfwd=tcp::5555-:23'], setup: RESET, id: 'qemu-cmdline', verdict: 'pass' },
  { name: `${DOC} -netdev user bootfile=: "-device e1000,netdev=n1 -netdev user,id=n1,tftp=/path/to/tftp/files,bootfile=/pxelinux.0"`, argv: [X, '-device', 'e1000,netdev=n1', '-netdev', 'user,id=n1,tftp=/path/to/tftp/files,bootfile=/pxelinux.0'], setup: RESET, id: 'qemu-cmdline', verdict: 'pass' },
  { name: `${DOC} -netdev user smb=dir ("a SAMBA server must be installed on the host"), Samba absent`, argv: [X, '-netdev', 'user,id=n1,smb=/tmp', '-device', 'e1000,netdev=n1'], setup: RESET, id: 'qemu-cmdline', verdict: 'fail', lintSays: /smbd/, qemuSays: /Could not find '\/usr\/sbin\/smbd'/ },
  { name: `${DOC} -netdev tap: "-nic tap" (launch with the default network script)`, argv: [X, '-nic', 'tap'], setup: `${RESET}; ${IFUP('/etc/qemu-ifup')}; ${IFUP('/etc/qemu-ifdown')}`, id: 'qemu-cmdline', verdict: 'pass' },
  { name: `${DOC} -netdev tap: "-nic tap" with /etc/qemu-ifup missing`, argv: [X, '-nic', 'tap'], setup: `${RESET}; rm -f /etc/qemu-ifup`, id: 'qemu-cmdline', verdict: 'fail', lintSays: /script \/etc\/qemu-ifup/, qemuSays: /network script \/etc\/qemu-ifup failed/ },
  { name: `${DOC} -netdev tap: two NICs on tap0 and tap1 (default scripts)`, argv: [X, '-netdev', 'tap,id=nd0,ifname=tap0', '-device', 'e1000,netdev=nd0', '-netdev', 'tap,id=nd1,ifname=tap1', '-device', 'rtl8139,netdev=nd1'], setup: `${RESET}; ${IFUP('/etc/qemu-ifup')}; ${IFUP('/etc/qemu-ifdown')}`, id: 'qemu-cmdline', verdict: 'pass' },
  { name: `${DOC} -netdev tap: "-device virtio-net-pci,netdev=n1 -netdev tap,id=n1,\"helper=/path/to/qemu-bridge-helper\"", br0 allowed`, argv: [X, '-device', 'virtio-net-pci,netdev=n1', '-netdev', 'tap,id=n1,helper=/usr/lib/qemu/qemu-bridge-helper'], setup: `${RESET}; ${ACL('br0')}; ${BRIDGE('br0')}`, id: 'qemu-cmdline', verdict: 'pass' },
  { name: `${DOC} -netdev bridge: "-netdev bridge,id=n1 -device virtio-net,netdev=n1" (br0 allowed)`, argv: [X, '-netdev', 'bridge,id=n1', '-device', 'virtio-net,netdev=n1'], setup: `${RESET}; ${ACL('br0')}; ${BRIDGE('br0')}`, id: 'qemu-cmdline', verdict: 'pass' },
  { name: `${DOC} -netdev bridge: "-netdev bridge,br=qemubr0,id=n1 -device virtio-net,netdev=n1" with no qemubr0`, argv: [X, '-netdev', 'bridge,br=qemubr0,id=n1', '-device', 'virtio-net,netdev=n1'], setup: `${RESET}; ${ACL('qemubr0')}`, id: 'qemu-cmdline', verdict: 'fail', lintSays: /bridge qemubr0 does not exist/, qemuSays: /bridge helper failed/ },
  { name: `${DOC} -netdev bridge: "-netdev bridge,br=qemubr0,id=n1" with qemubr0 but an ACL for br0 only`, argv: [X, '-netdev', 'bridge,br=qemubr0,id=n1', '-device', 'virtio-net,netdev=n1'], setup: `${RESET}; ip link del qemubr0 2>/dev/null || true; ${ACL('br0')}; ${BRIDGE('qemubr0')}`, id: 'qemu-cmdline', verdict: 'fail', lintSays: /does not allow qemubr0/, qemuSays: /access denied by acl file/ },
  { name: `${DOC} -netdev socket: first instance "-device e1000,netdev=n1,mac=52:54:00:12:34:56 -netdev socket,id=n1,listen=:1234"`, argv: [X, '-device', 'e1000,netdev=n1,mac=52:54:00:12:34:56', '-netdev', 'socket,id=n1,listen=:1234'], setup: RESET, id: 'qemu-cmdline', verdict: 'pass' },
  { name: `${DOC} -netdev socket: second instance "connect=127.0.0.1:1234", nobody listening (QEMU 7.2 connects non-blocking and starts)`, argv: [X, '-device', 'e1000,netdev=n2,mac=52:54:00:12:34:57', '-netdev', 'socket,id=n2,connect=127.0.0.1:1234'], setup: RESET, id: 'qemu-cmdline', verdict: 'pass' },
  { name: `${DOC} -netdev socket mcast: "mcast=230.0.0.1:1234" with a multicast route`, argv: [X, ...MCAST2], setup: `${RESET}; ${MROUTE}`, id: 'qemu-cmdline', verdict: 'pass' },
  { name: `${DOC} -netdev socket mcast: "mcast=230.0.0.1:1234" with no route for the group`, argv: [X, ...MCAST2], setup: `${RESET}; ip route del 224.0.0.0/4 dev lo 2>/dev/null || true`, id: 'qemu-cmdline', verdict: 'fail', lintSays: /no route to multicast group 230.0.0.1/, qemuSays: /can't add socket to multicast group 230.0.0.1: No such device/ },
  // The documentation's own third instance writes macaddr= on -device: QEMU 7.2 refuses it.
  { name: `${DOC} -netdev socket mcast: third instance "-device e1000,netdev=n3,macaddr=52:54:00:12:34:58" (a documentation bug)`, argv: [X, '-device', 'e1000,netdev=n3,macaddr=52:54:00:12:34:58', '-netdev', 'socket,id=n3,mcast=230.0.0.1:1234'], setup: `${RESET}; ${MROUTE}`, id: 'qemu-cmdline', verdict: 'fail', lintSays: /no macaddr= property/, qemuSays: /Property 'e1000.macaddr' not found/ },
  { name: `${DOC} -netdev socket mcast: UML compat "mcast=239.192.168.1:1102"`, argv: [X, '-device', 'e1000,netdev=n1,mac=52:54:00:12:34:56', '-netdev', 'socket,id=n1,mcast=239.192.168.1:1102'], setup: `${RESET}; ${MROUTE}`, id: 'qemu-cmdline', verdict: 'pass' },
  { name: `${DOC} -netdev socket mcast: "localaddr=1.2.3.4" on a host without that address`, argv: [X, '-device', 'e1000,netdev=n1,mac=52:54:00:12:34:56', '-netdev', 'socket,id=n1,mcast=239.192.168.1:1102,localaddr=1.2.3.4'], setup: `${RESET}; ${MROUTE}`, id: 'qemu-cmdline', verdict: 'fail', lintSays: /localaddr=1.2.3.4 is not an address/, qemuSays: /can't add socket to multicast group 239.192.168.1/ },
  { name: `${DOC} -netdev vde: "-nic vde,sock=/tmp/myswitch" with no switch running`, argv: [X, '-nic', 'vde,sock=/tmp/myswitch'], setup: RESET, id: 'qemu-cmdline', verdict: 'fail', lintSays: /vde sock=\/tmp\/myswitch/, qemuSays: /Could not open vde/ },
  { name: `${DOC} -netdev hubport ("connect the hubport to another netdev with netdev=nd")`, argv: [X, '-netdev', 'hubport,id=n1,hubid=0', '-netdev', 'user,id=u1', '-netdev', 'hubport,id=n2,hubid=0,netdev=u1', '-device', 'e1000,netdev=n1'], setup: RESET, id: 'qemu-cmdline', verdict: 'pass' },
  { name: `${DOC} -net nic / -net user ("Legacy option", hub 0 by default, no vlan=)`, argv: [X, '-net', 'nic', '-net', 'user'], setup: RESET, id: 'qemu-cmdline', verdict: 'pass' },
];

beforeAll(() => {
  if (why) return;
  ns.create();
});
afterAll(() => {
  if (!why) ns.destroy();
});

async function judge(c: Case) {
  const l = ns.lint(c.argv, c.setup);
  const r = l.results.find((x) => x.id === c.id);
  expect(r?.status, JSON.stringify(l)).toBe(c.verdict);
  if (c.lintSays) expect([r!.summary, ...(r!.details ?? [])].join('\n')).toMatch(c.lintSays);
  const q = await ns.qemu(c.qemuArgs ?? c.argv.slice(1), c.setup);
  if (c.verdict !== 'fail') expect(q.code, q.stderr).toBe(0);
  else {
    expect(q.code, q.stderr).not.toBe(0);
    if (c.qemuSays) expect(q.stderr).toMatch(c.qemuSays);
  }
}

describe.skipIf(why !== '')('qnet lint agrees with QEMU 7.2 on the seeds', () => {
  for (const c of seedCases) it(c.name, () => judge(c));

  it("seed 001:142 rewritten as lint suggests starts under QEMU (and fails, like the seed, without /etc/qemu-ifup)", async () => {
    const l = ns.lint(S001_142, RESET);
    const summary = l.results.find((x) => x.id === 'qemu-cmdline')!.summary;
    const modern = /write instead: (.*)$/.exec(summary)?.[1];
    expect(modern, summary).toBeDefined();
    const rest = S001_142.slice(1).filter((a, i, all) => a !== '-net' && all[i - 1] !== '-net');
    const argv = [KVM, ...rest, ...modern!.split(' ')];
    await judge({ name: 'rewritten', argv, setup: `${RESET}; ${IFUP('/etc/qemu-ifup')}; ${IFUP('/etc/qemu-ifdown')}`, id: 'qemu-cmdline', verdict: 'warn' });
    await judge({ name: 'rewritten, no /etc/qemu-ifup', argv, setup: `${RESET}; rm -f /etc/qemu-ifup`, id: 'qemu-cmdline', verdict: 'fail', lintSays: /script \/etc\/qemu-ifup/, qemuSays: /network script \/etc\/qemu-ifup failed/ });
  });

  it('seed 002:39 with port 2222 held by a real listener', async () => {
    const [cmd, ...rest] = ns.wrap('', [process.execPath, '-e', "require('net').createServer().listen(2222, '0.0.0.0', () => console.log('ready'))"]);
    const listener = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    try {
      await new Promise<void>((res) => listener.stdout!.once('data', () => res()));
      await judge({ name: 'busy', argv: S002_39, setup: RESET, id: 'hostfwd-port', verdict: 'fail', lintSays: /tcp port 2222 is taken by pid \d+ \(node\)/, qemuSays: /Could not set up host forwarding rule 'tcp::2222-:22'/ });
    } finally {
      process.kill(-listener.pid!, 'SIGKILL');
    }
  });

  it('seed 002:146-149 VM0 running on tap0: VM1 (tap1, its own MAC) starts; VM0 started twice meets a busy tap0', async () => {
    ns.sh(`${RESET}; ${TAP('tap0')}; ${TAP('tap1')}`);
    const vm0 = backgroundQemu(ns, S002_VM0.slice(1));
    try {
      await vm0.ready;
      await judge({ name: 'VM1', argv: S002_VM1, setup: '', id: 'qemu-cmdline', verdict: 'pass' });
      await judge({ name: 'VM0 again', argv: S002_VM0, setup: '', id: 'qemu-cmdline', verdict: 'fail', lintSays: /tap tap0 is held by running pid \d+/, qemuSays: /Device or resource busy/ });
      // The same line in another namespace holding its own tap0 is no conflict: lint judges only its own namespace.
      const other = new LintNs('seeds-other');
      other.create();
      try {
        other.sh(TAP('tap0'));
        const l = other.lint(S002_VM0, '');
        expect(l.results.find((x) => x.id === 'qemu-cmdline')?.status, JSON.stringify(l)).toBe('pass');
      } finally {
        other.destroy();
      }
    } finally {
      vm0.stop();
    }
  });
});

describe.skipIf(why !== '')("qnet lint agrees with QEMU 7.2 on QEMU's documented examples", () => {
  for (const c of docCases) it(c.name, () => judge(c));
});
