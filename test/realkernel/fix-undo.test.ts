// Real-kernel proof of `qnet fix` and `qnet undo`, one broken host per fix plan.
//
// For each plan: build the broken host inside private namespaces; record the exact
// state of everything the plan touches; QEMU, run as the non-root qnetuser (or as root,
// for a plan meant for root's VMs: the qemu-ifup scripts), fails
// to start its network backend; `qnet fix --yes --user qnetuser ID` exits 0 and
// says "verified"; the doctor passes; QEMU starts; a second `qnet fix` finds nothing
// to fix and changes nothing; `qnet undo` restores the recorded state exactly
// (bytes, modes, owners, capabilities, sysctls, group membership; files and
// directories the fix created are gone); the doctor fails again and QEMU fails
// again with the same message.
//
// Where QEMU starting is not the symptom (br-netfilter, ifname-mismatch) the doctor's
// verdict and the recorded values are the judge.
//
// Always `qnet fix ... ID`, never a bare `qnet fix --yes`: each test proves one plan.
// (/dev/kvm is a private copy in every scenario, so even a bare fix would not reach the host's.)
import { describe, expect, it } from 'vitest';
import { missingTool, skipReason, type Need, type QemuSpec } from './harness.js';
import { cliSuite, FixScenario, hostFingerprint, said } from './fix-harness.js';

const why = skipReason(['qemu', 'helper']);
if (why) console.log(`fix/undo real-kernel tests skipped: ${why}`);

interface Case {
  /** The plan's ID; also the scenario's name. */
  plan: string;
  /** What distinguishes this case from another of the same plan (for the title). */
  variant?: string;
  setup: string;
  /** qnet fix arguments after `fix --yes --user qnetuser`. */
  args: string[];
  /** Everything the plan touches, for FixScenario.state(). */
  watch: string[];
  qemu?: QemuSpec;
  /** What QEMU prints before the fix and after the undo. */
  says?: RegExp;
  /** Lines the state must contain after the fix (what the plan was meant to do). */
  after?: RegExp[];
  /** Whose access the fix and the doctor judge (--user); default qnetuser. */
  user?: string;
  /** Programs the case needs besides QEMU and the helper; it skips, naming them, when one is missing. */
  needs?: Need[];
}

const BR0 = 'ip link add br0 type bridge\nip link set br0 up\n';
// A routed VM network: uplink enp1s0 (a dummy NIC) with the default route, NAT bridge virbr9.
const ROUTED =
  'ip link add enp1s0 type veth peer name cable0\nip link set cable0 up\nip addr add 192.0.2.2/24 dev enp1s0\nip link set enp1s0 up\nip route add default via 192.0.2.1 dev enp1s0\n' +
  'ip link add virbr9 type bridge\nip addr add 10.66.0.1/24 dev virbr9\nip link set virbr9 up\n';
const TAP_FOR_USER = 'ip tuntap add dev tap0 mode tap user 4242\n';
const PRECREATED_TAP = 'tap,id=n0,ifname=tap0,script=no,downscript=no';

const cases: Case[] = [
  {
    plan: 'tun-perms/group-udev',
    setup: 'tun 0600\n' + TAP_FOR_USER,
    args: ['tun-perms'],
    // /etc/group- and /etc/gshadow-: groupadd and usermod rewrite their backups too; undo puts them back.
    watch: ['/dev/net/tun', '/etc/group', '/etc/gshadow', '/etc/group-', '/etc/gshadow-', 'group:qnetuser', '/etc/udev'],
    // --init-groups: QEMU gets qnetuser's groups from the scenario's /etc/group, as a new login would.
    qemu: { netdev: PRECREATED_TAP, groups: 'init' },
    says: /could not open \/dev\/net\/tun: Permission denied/,
    after: [/^\/dev\/net\/tun: character special file 660 0:\d+ a:c8$/m, /^group:qnetuser: .*groups=.*\(netdev\)/m, /^\/etc\/udev: .*rules\.d d 755 0:0/m],
  },
  {
    plan: 'tun-perms/mode-0666',
    setup: 'tun 0600\n' + TAP_FOR_USER,
    args: ['--plan', 'tun-perms/mode-0666', 'tun-perms'],
    watch: ['/dev/net/tun', '/etc/group', 'group:qnetuser', '/etc/udev'],
    qemu: { netdev: PRECREATED_TAP },
    says: /could not open \/dev\/net\/tun: Permission denied/,
    after: [/^\/dev\/net\/tun: character special file 666 0:0 a:c8$/m],
  },
  {
    plan: 'tun-module/mknod',
    // The tap is made through a node that is then removed: the driver is there, the node is not.
    setup: 'tun 0666\n' + TAP_FOR_USER + 'rm /dev/net/tun\n',
    args: ['tun-module'],
    watch: ['/dev/net/tun', '/dev/net'],
    qemu: { netdev: PRECREATED_TAP },
    says: /could not open \/dev\/net\/tun: No such file or directory/,
    after: [/^\/dev\/net\/tun: character special file 666 0:0 a:c8$/m],
  },
  {
    plan: 'qemu-ifup/write',
    setup: 'tun 0666\n' + BR0 + 'rm -f /etc/qemu-ifup /etc/qemu-ifdown\n',
    args: ['qemu-ifup'],
    watch: ['/etc/qemu-ifup', '/etc/qemu-ifdown'],
    // The default script=/etc/qemu-ifup runs with the rights of whoever starts QEMU: the scripts are
    // for root's VMs (a non-root user's QEMU cannot attach a tap from a script; see qemu-ifup.test.ts).
    user: 'root',
    qemu: { netdev: 'tap,id=n0,ifname=qtap0', as: 'root' },
    says: /network script \/etc\/qemu-ifup failed/,
    after: [/^\/etc\/qemu-ifup: regular file 755 0:0 /m, /^\/etc\/qemu-ifdown: regular file 755 0:0 /m],
  },
  {
    plan: 'helper-setuid/setcap',
    setup: 'tun 0666\n' + BR0 + 'mkdir -p /etc/qemu\necho "allow br0" > /etc/qemu/bridge.conf\n',
    args: ['--plan', 'helper-setuid/setcap', 'helper-setuid'],
    watch: ['/usr/lib/qemu/qemu-bridge-helper', '/var/lib/dpkg/statoverride'],
    qemu: { netdev: 'bridge,id=n0,br=br0' },
    says: /failed to create tun device: Operation not permitted/,
    // getfattr's hex where attr is installed, getcap's text where it is not.
    after: [/^\/usr\/lib\/qemu\/qemu-bridge-helper: regular file 755 0:0 .* cap=(security\.capability=0x0[12]0000\w*|cap_net_admin=ep)$/m],
    needs: ['setcap'],
  },
  {
    plan: 'helper-setuid/setuid',
    setup: 'tun 0666\n' + BR0 + 'mkdir -p /etc/qemu\necho "allow br0" > /etc/qemu/bridge.conf\n',
    args: ['--plan', 'helper-setuid/setuid', 'helper-setuid'],
    // dpkg-statoverride writes /var/lib/dpkg/statoverride (the scenario's private overlay copy).
    watch: ['/usr/lib/qemu/qemu-bridge-helper', '/var/lib/dpkg/statoverride', '/var/lib/dpkg/statoverride-old', '/var/lib/dpkg'],
    qemu: { netdev: 'bridge,id=n0,br=br0' },
    says: /failed to create tun device: Operation not permitted/,
    after: [/^\/usr\/lib\/qemu\/qemu-bridge-helper: regular file 4755 0:0 .* cap=none$/m],
    needs: ['dpkg-statoverride'],
  },
  {
    plan: 'helper-acl/create',
    setup: 'tun 0666\n' + BR0 + 'helper_mode 4755\n',
    args: ['helper-acl'],
    watch: ['/etc/qemu'],
    qemu: { netdev: 'bridge,id=n0,br=br0' },
    says: /failed to parse default acl file/,
    after: [/^\/etc\/qemu: directory 755 0:0 .*\[bridge\.conf f 644 0:0\]$/m],
  },
  {
    plan: 'helper-acl/allow',
    // An existing ACL, 0640 root:qnetuser (readable by the user), allowing no bridge yet. (One that also
    // names a bridge that does not exist, `allow virbr9`, stays a warning after the fix: see the test below.)
    setup: 'tun 0666\n' + BR0 + 'helper_mode 4755\nmkdir -p /etc/qemu\nprintf "# mine\\n# bridges for VMs:\\n" > /etc/qemu/bridge.conf\nchgrp 4242 /etc/qemu/bridge.conf\nchmod 0640 /etc/qemu/bridge.conf\n',
    args: ['helper-acl'],
    watch: ['/etc/qemu', '/etc/qemu/bridge.conf'],
    qemu: { netdev: 'bridge,id=n0,br=br0' },
    says: /access denied by acl file/,
  },
  {
    plan: 'br-netfilter/sysctl-off',
    setup: 'tun 0666\n' + BR0 + 'iptables -P FORWARD DROP\n',
    args: ['--plan', 'br-netfilter/sysctl-off', 'br-netfilter'],
    needs: ['iptables'],
    watch: [
      '/proc/sys/net/bridge/bridge-nf-call-iptables',
      '/proc/sys/net/bridge/bridge-nf-call-ip6tables',
      '/proc/sys/net/bridge/bridge-nf-call-arptables',
      '/etc/sysctl.d',
      '/etc/udev',
    ],
    after: [/bridge-nf-call-iptables: 0$/m, /bridge-nf-call-ip6tables: 0$/m, /bridge-nf-call-arptables: 0$/m, /^\/etc\/sysctl\.d: .*99-qnet-bridge-nf\.conf f 644 0:0/m],
  },
  {
    plan: 'br-netfilter/sysctl-off',
    variant: "a bridge's own nf_call_iptables on",
    // The bridge's own option is set back to 1 by undo (the plan's per-bridge step has an inverse).
    setup: 'tun 0666\nip link add br0 type bridge nf_call_iptables 1\nip link set br0 up\niptables -P FORWARD DROP\n',
    args: ['--plan', 'br-netfilter/sysctl-off', 'br-netfilter'],
    watch: [
      '/proc/sys/net/bridge/bridge-nf-call-iptables',
      '/sys/class/net/br0/bridge/nf_call_iptables',
      '/sys/class/net/br0/bridge/nf_call_ip6tables',
      '/etc/sysctl.d',
    ],
    after: [/bridge-nf-call-iptables: 0$/m],
  },
  {
    plan: 'br-netfilter/accept-bridged',
    setup: 'tun 0666\nip link add br0 type bridge nf_call_iptables 1\nip link set br0 up\niptables -P FORWARD DROP\n',
    args: ['--plan', 'br-netfilter/accept-bridged', 'br-netfilter'],
    needs: ['iptables'],
    watch: ['iptables:filter', '/proc/sys/net/bridge/bridge-nf-call-iptables'],
    after: [/-A FORWARD -m physdev --physdev-is-bridged -j ACCEPT/, /bridge-nf-call-iptables: 1$/m],
  },
  {
    plan: 'forward-policy/virbr9',
    setup: ROUTED + 'iptables -P FORWARD DROP\n',
    args: ['forward-policy'],
    needs: ['iptables'],
    watch: ['iptables:filter'],
    after: [/-A FORWARD -i virbr9 -o enp1s0 .*-j ACCEPT/],
  },
  {
    plan: 'forward-policy/virbr9',
    variant: "Docker's DOCKER-USER chain",
    // As Docker leaves it: FORWARD DROP, jumping first to DOCKER-USER, which is empty.
    setup: ROUTED + 'iptables -N DOCKER-USER\niptables -A FORWARD -j DOCKER-USER\niptables -P FORWARD DROP\n',
    args: ['forward-policy'],
    needs: ['iptables'],
    watch: ['iptables:filter'],
    after: [/-A DOCKER-USER -i virbr9 -o enp1s0 .*-j ACCEPT/],
  },
  {
    plan: 'nat-masquerade/virbr9',
    setup: ROUTED + 'iptables -t nat -A POSTROUTING -s 10.99.0.0/24 -j MASQUERADE\n',
    args: ['nat-masquerade'],
    needs: ['iptables'],
    watch: ['iptables:nat'],
    after: [/-A POSTROUTING -s 10\.66\.0\.0\/24 .*-o enp1s0 -j MASQUERADE/],
  },
  {
    plan: 'ip-forward/sysctl',
    setup: ROUTED + 'sysctl -qw net.ipv4.ip_forward=0\n',
    args: ['ip-forward'],
    needs: ['sysctl'],
    watch: ['/proc/sys/net/ipv4/ip_forward', '/etc/sysctl.d'],
    after: [/ip_forward: 1$/m],
  },
  {
    plan: 'bridge-state/up-br0',
    setup: 'ip link add br0 type bridge\nip link add qtap type veth peer name qtap-p\nip link set qtap master br0\nip link set qtap up\nip link set qtap-p up\n',
    args: ['bridge-state'],
    watch: ['link:br0'],
    after: [/^link:br0: .*\bUP\b/m],
  },
  {
    plan: 'helper-acl/permissions',
    // World-writable: the helper still works (so no QEMU judge), but any user can allow any bridge.
    setup: 'tun 0666\n' + BR0 + 'helper_mode 4755\nmkdir -p /etc/qemu\necho "allow br0" > /etc/qemu/bridge.conf\nchmod 0666 /etc/qemu/bridge.conf\n',
    args: ['helper-acl'],
    watch: ['/etc/qemu/bridge.conf'],
    after: [/^\/etc\/qemu\/bridge\.conf: regular file 644 0:0 /m],
  },
  {
    plan: 'tun-module/recreate-node',
    // A node with the wrong minor (10:201): QEMU gets ENODEV.
    setup: 'tun 0666\n' + TAP_FOR_USER + 'rm /dev/net/tun\ntun 0666 201\n',
    args: ['tun-module'],
    watch: ['/dev/net'],
    qemu: { netdev: PRECREATED_TAP },
    says: /could not open \/dev\/net\/tun: No such device/,
  },
  {
    plan: 'tap-state/attach-tap0',
    // interfaces(5) makes tap0 a port of br0; the tap exists but was never attached.
    setup: 'tun 0666\n' + BR0 + TAP_FOR_USER + 'ip link set tap0 up\nmkdir -p /etc/network\nprintf "auto br0\\niface br0 inet manual\\n    bridge_ports tap0\\n" > /etc/network/interfaces\n',
    args: ['tap-state'],
    watch: ['link:tap0'],
    after: [/^link:tap0: .* master=br0$/m],
  },
  {
    plan: 'ifname-mismatch/rename-in-config',
    // 0640 root:adm (gid 4), so that undo has to restore a mode and group the fix's 0644 root:root changed.
    setup:
      'ip link add enp0s3 address 52:54:00:12:34:56 type veth peer name peer0\nmkdir -p /etc/network\n' +
      'printf "auto lo\\niface lo inet loopback\\n\\nauto eth0\\niface eth0 inet dhcp\\n" > /etc/network/interfaces\nchgrp 4 /etc/network/interfaces\nchmod 0640 /etc/network/interfaces\n',
    args: ['ifname-mismatch'],
    watch: ['/etc/network/interfaces', '/etc/network'],
  },
];

/** Exact contents the fixes must write, where the plan's text is the point. */
const CONTENT: Record<string, { path: string; text: string }> = {
  'ifname-mismatch/rename-in-config': { path: '/etc/network/interfaces', text: 'auto lo\niface lo inet loopback\n\nauto enp0s3\niface enp0s3 inet dhcp\n' },
  'helper-acl/allow': { path: '/etc/qemu/bridge.conf', text: '# mine\n# bridges for VMs:\nallow br0\n' },
};

describe.skipIf(why !== '')('qnet fix / qnet undo on real broken hosts, judged by QEMU as qnetuser', () => {
  const suite = cliSuite();

  for (const c of cases) {
    const judge = c.qemu ? 'QEMU fails → fix → doctor passes, QEMU starts → undo → exact before-state, QEMU fails' : 'fix → doctor passes → undo → exact before-state';
    it(`${c.plan}${c.variant ? ` (${c.variant})` : ''}: ${judge}`, async (ctx) => {
      const missing = missingTool(c.needs ?? []);
      if (missing) {
        console.log(`fix/undo real-kernel case ${c.plan} skipped: ${missing}`);
        ctx.skip(missing);
        return;
      }
      const user = c.user ?? 'qnetuser';
      const f = await FixScenario.start(`fix-${c.plan.replace(/\W/g, '-')}${c.variant ? '-v' : ''}`, suite.bin, c.setup);
      try {
        const check = c.plan.split('/')[0]!;
        const before = await f.state(c.watch);
        const v0 = await f.verdict(check, user);
        expect(v0.status, `before the fix: ${v0.summary}`).toBe('fail');

        // 2. QEMU as qnetuser fails to start its network backend.
        if (c.qemu) {
          const q = await f.sc.qemu(c.qemu);
          expect(q.timedOut).toBe(false);
          expect(q.started, `QEMU should fail before the fix:\n${q.stderr}`).toBe(false);
          expect(q.stderr).toMatch(c.says!);
        }

        // 3. the fix, 4. the doctor
        const fixed = await f.qnet(['fix', '--yes', '--user', user, ...c.args]);
        expect(fixed.code, said(fixed)).toBe(0);
        expect(fixed.stdout, said(fixed)).toContain(`✔ verified ${check}`);
        expect(fixed.stdout).not.toMatch(/not verified/);
        const v1 = await f.verdict(check, user);
        expect(v1.status, `after the fix: ${v1.summary}`).toBe('pass');
        const after = await f.state(c.watch);
        expect(after, 'the fix changed nothing it was watched for').not.toBe(before);
        for (const re of c.after ?? []) expect(after).toMatch(re);
        const want = CONTENT[c.plan];
        if (want) expect(await f.out(['cat', want.path])).toBe(want.text.trimEnd());
        if (c.plan === 'helper-setuid/setuid') {
          expect(await f.out(['dpkg-statoverride', '--list', '/usr/lib/qemu/qemu-bridge-helper'])).toBe('root root 4755 /usr/lib/qemu/qemu-bridge-helper');
        }

        // 5. QEMU starts.
        if (c.qemu) {
          const q = await f.sc.qemu(c.qemu);
          expect(q.started, `QEMU should start after the fix:\n${q.stderr}`).toBe(true);
        }

        // Idempotence: nothing to fix, nothing changed, no new journal entry.
        const list1 = await f.qnet(['undo', '--list']);
        const again = await f.qnet(['fix', '--yes', '--user', user, ...c.args]);
        expect(again.code, said(again)).toBe(0);
        expect(again.stdout).toMatch(/Nothing to fix/);
        expect(await f.state(c.watch), 'a second fix changed the host').toBe(after);
        expect((await f.qnet(['undo', '--list'])).stdout).toBe(list1.stdout);
        expect(list1.stdout.trim().split('\n')).toHaveLength(1);
        expect(list1.stdout).toMatch(new RegExp(`applied\\s+${check} \\(${c.plan}\\)`));

        // 6. undo: the exact before-state, and the symptom is back.
        const undone = await f.qnet(['undo']);
        expect(undone.code, said(undone)).toBe(0);
        expect(undone.stdout).toMatch(/^Undone: /m);
        expect(await f.state(c.watch), 'undo did not restore the before-state').toBe(before);
        const v2 = await f.verdict(check, user);
        expect(v2.status, `after the undo: ${v2.summary}`).toBe('fail');
        expect(v2.summary).toBe(v0.summary);
        if (c.qemu) {
          const q = await f.sc.qemu(c.qemu);
          expect(q.started, `QEMU should fail again after the undo:\n${q.stderr}`).toBe(false);
          expect(q.stderr).toMatch(c.says!);
        }
        expect((await f.qnet(['undo', '--list'])).stdout).toMatch(/undone/);

      } finally {
        await f.dispose();
      }
    });
  }

  it('helper-acl/allow where bridge.conf also allows a bridge not created yet: verified as no longer failing, the warning named, QEMU starts; undo restores', async () => {
    const setup = 'tun 0666\n' + BR0 + 'helper_mode 4755\nmkdir -p /etc/qemu\nprintf "allow virbr9\\n" > /etc/qemu/bridge.conf\nchmod 0644 /etc/qemu/bridge.conf\n';
    const f = await FixScenario.start('fix-helper-acl-allow-warn', suite.bin, setup);
    try {
      const watch = ['/etc/qemu', '/etc/qemu/bridge.conf'];
      const before = await f.state(watch);
      expect((await f.verdict('helper-acl')).status).toBe('fail');
      const qemu: QemuSpec = { netdev: 'bridge,id=n0,br=br0' };
      expect((await f.sc.qemu(qemu)).stderr).toMatch(/access denied by acl file/);
      const fixed = await f.qnet(['fix', '--yes', '--user', 'qnetuser', 'helper-acl']);
      expect(fixed.code, said(fixed)).toBe(0);
      expect(fixed.stdout, said(fixed)).toMatch(/✔ verified, no longer failing; a warning remains: helper-acl: .*virbr9/);
      expect((await f.verdict('helper-acl')).status).toBe('warn');
      const q = await f.sc.qemu(qemu);
      expect(q.started, q.stderr).toBe(true);
      expect((await f.qnet(['undo'])).code).toBe(0);
      expect(await f.state(watch)).toBe(before);
    } finally {
      await f.dispose();
    }
  });

  it('the host itself is untouched: no /var/lib/qnet, same /dev/net/tun, /dev/kvm, statoverride, groups, sysctls, helper', () => {
    expect(hostFingerprint()).toBe(suite.host);
  });
});
