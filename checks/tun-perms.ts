// tun-perms: the target user can open /dev/net/tun read-write. Opening it is
// necessary, not sufficient: creating a tap also needs CAP_NET_ADMIN, so the
// details name the routes that exist without it.
import { links } from '../src/facts/links.js';
import { groupName, groupsFile, modeAllows, targetUser, userName, type TargetUser } from '../src/facts/users.js';
import { describeError, modeString } from '../src/host/host.js';
import type { Context } from '../src/context.js';
import type { Check, Evidence, FixPlan } from '../src/types.js';
import { TUN_PATH } from './tun-module.js';

/** Named ACL entries that grant rw to the user, from `getfacl -n`. */
async function aclGrants(ctx: Context, user: TargetUser, evidence: Evidence[]): Promise<boolean | undefined> {
  const r = await ctx.host.exec(['getfacl', '-n', '-p', TUN_PATH]);
  if (!r.ok || r.value.exitCode !== 0) return undefined;
  const lines = r.value.stdout.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean);
  const mask = lines.find((l) => l.startsWith('mask::'))?.slice(6) ?? 'rwx';
  const named = lines.filter((l) => /^(user|group):\d+:/.test(l));
  if (named.length) evidence.push({ source: `getfacl -n ${TUN_PATH}`, observed: named.concat(`mask::${mask}`).join(' ') });
  const rw = (perm: string) => perm.startsWith('rw') && mask.startsWith('rw');
  return named.some((l) => {
    const [kind, id, perm] = l.split(':') as [string, string, string];
    if (kind === 'user') return Number(id) === user.uid && rw(perm);
    return user.groups.some((g) => g.gid === Number(id)) && rw(perm);
  });
}

async function fixes(ctx: Context, user: TargetUser): Promise<FixPlan[]> {
  const groups = await groupsFile(ctx);
  // Debian and Ubuntu use netdev for network devices; Fedora and Arch have kvm. Prefer one that exists.
  const group = groups.find((g) => g.name === 'netdev') ?? groups.find((g) => g.name === 'kvm');
  const gname = group?.name ?? 'netdev';
  const rule = `# qnet: let members of ${gname} open /dev/net/tun (creating taps still needs CAP_NET_ADMIN)\nKERNEL=="tun", GROUP="${gname}", MODE="0660", OPTIONS+="static_node=net/tun"\n`;
  const plans: FixPlan[] = [
    {
      id: 'tun-perms/group-udev',
      title: `make ${TUN_PATH} 0660 for group ${gname} (udev rule) and add ${user.name} to ${gname}`,
      risk: 'low',
      root: true,
      explain: `the narrowest grant that persists; ${user.name} needs a new login for the group to apply`,
      actions: [
        ...(group ? [] : [{ kind: 'run' as const, argv: ['groupadd', '--system', gname], inverse: ['groupdel', gname] }]),
        { kind: 'write-file', path: '/etc/udev/rules.d/60-qnet-tun.rules', content: rule, mode: 0o644, uid: 0, gid: 0 },
        { kind: 'chgrp', path: TUN_PATH, group: gname },
        { kind: 'chmod', path: TUN_PATH, mode: 0o660 },
        { kind: 'run', argv: ['usermod', '-aG', gname, user.name], inverse: ['gpasswd', '-d', user.name, gname] },
      ],
    },
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
  title: () => `${TUN_PATH} is usable by the target user`,
  async run(ctx) {
    const [user, node] = await Promise.all([targetUser(ctx), ctx.host.stat(TUN_PATH)]);
    const title = `${TUN_PATH} is usable by ${user.name}`;
    if (!node.ok) {
      return { title, status: 'skip', summary: `${TUN_PATH} cannot be read (${describeError(node)}); see tun-module`, evidence: [{ source: `stat ${TUN_PATH}`, observed: describeError(node) }] };
    }
    const st = node.value;
    const groups = await groupsFile(ctx);
    const owner = `${await userName(ctx, st.uid)}:${groupName(groups, st.gid)}`;
    const evidence: Evidence[] = [
      { source: `stat ${TUN_PATH}`, observed: `${modeString(st.mode)} ${st.uid}:${st.gid} ${st.rdevMajor}:${st.rdevMinor}` },
      { source: 'user', observed: `${user.name} uid ${user.uid}, groups ${user.groups.map((g) => `${g.name}(${g.gid})`).join(' ') || 'none'}` },
    ];
    if (user.uid === 0) return { title, status: 'pass', summary: `${user.name} has uid 0: ${TUN_PATH} is usable`, evidence };

    let how: string | undefined;
    if (modeAllows(user, st, 6)) {
      how = st.uid === user.uid ? 'as its owner' : user.groups.some((g) => g.gid === st.gid) ? `through group ${groupName(groups, st.gid)}` : 'as any user (mode allows others rw)';
    } else if (((st.mode >> 3) & 6) === 6 && (await aclGrants(ctx, user, evidence))) {
      how = 'through an ACL entry';
    }

    if (how) {
      return {
        title,
        status: 'pass',
        summary: `${user.name} can open ${TUN_PATH} read-write ${how}`,
        evidence,
        details: [
          `Opening it is not enough to create a tap: that needs CAP_NET_ADMIN. Without it: a tap pre-created for ${user.name} (ip tuntap add dev tap0 mode tap user ${user.name}), or -netdev bridge through a privileged qemu-bridge-helper.`,
        ],
      };
    }
    // Which routes to a working tap exist without CAP_NET_ADMIN? (The detailed listing is only paid for here.)
    const ls = await links(ctx);
    const owned = ls.links.filter((l) => l.kind === 'tun' && l.tunType === 'tap' && l.tunOwner === user.uid).map((l) => l.name);
    const routes = [
      owned.length
        ? `pre-created taps owned by ${user.name}: ${owned.join(', ')} (use -netdev tap,ifname=${owned[0]},script=no,downscript=no)`
        : `no tap is owned by ${user.name}: root can pre-create one (ip tuntap add dev tap0 mode tap user ${user.name})`,
      'or -netdev bridge through a privileged qemu-bridge-helper (see helper-setuid, helper-acl)',
    ];
    return {
      title,
      status: 'fail',
      summary: `${TUN_PATH} is ${modeString(st.mode)} ${owner}; ${user.name} cannot open it read-write`,
      evidence,
      details: [
        'QEMU then fails with: could not open /dev/net/tun: Permission denied',
        `Even once it opens, creating a tap needs CAP_NET_ADMIN. Routes without it: ${routes.join('; ')}`,
      ],
      fixes: await fixes(ctx, user),
    };
  },
};

export default check;
