// tun-perms: the target user can open /dev/net/tun read-write. Opening it is
// necessary, not sufficient: creating a tap also needs CAP_NET_ADMIN, so the
// details name the routes that exist without it.
import type { CheckCase, HostSpec } from '../src/check-cases.js';
import { nodeAccess } from '../src/facts/devnode.js';
import { groupGrantPlan } from '../src/fixes/plans.js';
import { network, tapOwnedBy } from '../src/model/network.js';
import type { TargetUser } from '../src/facts/users.js';
import type { Context } from '../src/context.js';
import type { Check, FixPlan } from '../src/types.js';
import { TUN_PATH } from './tun-module.js';
import { showArgv } from '../src/output/shell.js';

async function fixes(ctx: Context, user: TargetUser): Promise<FixPlan[]> {
  // Debian and Ubuntu use netdev for network devices; Fedora and Arch have kvm. Prefer one that exists.
  const plans: FixPlan[] = [
    await groupGrantPlan(ctx, {
      id: 'tun-perms/group-udev', path: TUN_PATH, kernel: 'tun', preferGroups: ['netdev', 'kvm'], user,
      ruleFile: '/etc/udev/rules.d/60-qnet-tun.rules', note: 'let the group open /dev/net/tun (creating taps still needs CAP_NET_ADMIN)',
    }),
    {
      id: 'tun-perms/mode-0666',
      title: `make ${TUN_PATH} 0666 (what Debian's and Fedora's udev rules ship)`,
      risk: 'medium',
      root: true,
      explain:
        'distributions ship 0666 because opening the node grants little: creating a tap needs CAP_NET_ADMIN and attaching to one needs to own it; still, every local user gets it',
      actions: [
        { kind: 'write-file', path: '/etc/udev/rules.d/60-qnet-tun.rules', content: 'KERNEL=="tun", MODE="0666", OPTIONS+="static_node=net/tun"\n', mode: 0o644, uid: 0, gid: 0 },
        { kind: 'chmod', path: TUN_PATH, mode: 0o666 },
      ],
    },
  ];
  return plans;
}

const check: Check = {
  id: 'tun-perms',
  area: 'kernel',
  order: 20,
  title: () => `${TUN_PATH} is usable by the target user`,
  async run(ctx) {
    const acc = await nodeAccess(ctx, TUN_PATH);
    const { user, evidence } = acc;
    const title = `${TUN_PATH} is usable by ${user.name}`;
    if (!acc.node.ok) {
      return { title, status: 'skip', summary: `${TUN_PATH} cannot be read (${acc.shown}); see tun-module`, evidence: evidence.slice(0, 1) };
    }
    if (user.uid === 0) return { title, status: 'pass', summary: `${user.name} has uid 0: ${TUN_PATH} is usable`, evidence };
    if (acc.how) {
      return {
        title,
        status: 'pass',
        summary: `${user.name} can open ${TUN_PATH} read-write ${acc.how}`,
        evidence,
        details: [
          `Opening it is not enough to create a tap: that needs CAP_NET_ADMIN. Without it: a tap pre-created for ${user.name} (${showArgv(['ip', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap', 'user', user.name])}), or -netdev bridge through a privileged qemu-bridge-helper (which opens ${TUN_PATH} as ${user.name} too).`,
        ],
      };
    }
    // Which routes to a working tap exist without CAP_NET_ADMIN? (The detailed listing is only paid for here.)
    const owned = (await network(ctx)).taps().filter((l) => tapOwnedBy(l, user)).map((l) => l.name);
    const routes = [
      owned.length
        ? `pre-created taps owned by ${user.name}: ${owned.join(', ')} (use -netdev tap,ifname=${owned[0]},script=no,downscript=no)`
        : `no tap is owned by ${user.name}: root can pre-create one (${showArgv(['ip', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap', 'user', user.name])})`,
      'or -netdev bridge through a privileged qemu-bridge-helper (see helper-setuid, helper-acl)',
    ];
    // Debian's helper is built with libcap-ng: it drops to the caller's uid, keeping only
    // CAP_NET_ADMIN, and then opens /dev/net/tun as the caller. No route avoids this node.
    return {
      title,
      status: 'fail',
      summary: `${TUN_PATH} is ${acc.shown}; ${user.name} cannot open it read-write`,
      evidence,
      details: [
        'QEMU then fails with: could not open /dev/net/tun: Permission denied',
        `Every route needs this node: QEMU opens it for -netdev tap, and qemu-bridge-helper opens it as ${user.name} for -netdev bridge ("failed to open /dev/net/tun: Permission denied").`,
        `Once it opens, creating a tap needs CAP_NET_ADMIN. Routes without it: ${routes.join('; ')}`,
      ],
      fixes: await fixes(ctx, user),
    };
  },
};

export default check;

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const base = tunNodeHost;
  const aclAlice = '# file: /dev/net/tun\nuser::rw-\nuser:1000:rw-\ngroup::rw-\nmask::rw-\nother::---\n';
  return [
    { name: 'mode 0666', host: base(0o666), status: 'pass', summary: /alice can open .* as any user/ },
    { name: '0660 group netdev, alice is a member', host: base(0o660, 108, { files: { '/etc/group': 'root:x:0:\nnetdev:x:108:alice\nalice:x:1000:\n' } }), status: 'pass', summary: /through group netdev/ },
    // seed 001, before the fix
    { name: '0600 root:root', host: base(0o600), status: 'fail', summary: /crw------- root:root; alice cannot open it read-write/ },
    { name: '0660 group netdev, alice not a member', host: base(0o660, 108), status: 'fail', summary: /alice cannot open/ },
    { name: 'root judged for itself', host: base(0o600, 0, { invoker: { uid: 0, euid: 0, user: 'root' } }), status: 'pass', summary: /uid 0/ },
    { name: '--user bob on a 0600 node', host: base(0o600), user: 'bob', status: 'fail', summary: /bob cannot open/ },
    { name: 'root under sudo judges SUDO_USER', host: base(0o600, 0, { invoker: { uid: 0, euid: 0, user: 'root', sudoUser: 'bob' } }), status: 'fail', summary: /bob cannot open/ },
    { name: 'ACL grants alice rw', host: base(0o660, 0, { exec: { 'getfacl -n -p /dev/net/tun': { stdout: aclAlice } } }), status: 'pass', summary: /through an ACL entry/ },
    { name: 'no /dev/net/tun: nothing to judge', host: { stats: { '/dev/net/tun': null } }, status: 'skip', summary: '/dev/net/tun cannot be read (ENOENT); see tun-module' },
    { name: 'a replayed snapshot without the node', host: {}, snapshot: true, status: 'skip', summary: 'not captured' },
  ];
}

/** A host record for the table above and test/checks/tun.test.ts: the tun driver registered, /dev/net/tun 10:200 root:`gid` with `mode`. */
export function tunNodeHost(mode: number, gid = 0, extra: HostSpec = {}): HostSpec {
  return {
    ...extra,
    files: { '/proc/misc': '200 tun\n 61 kvm\n', ...extra.files },
    stats: { '/dev/net/tun': { type: 'chr', mode, uid: 0, gid, rdev: [10, 200] }, ...extra.stats },
  };
}
