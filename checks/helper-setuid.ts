// helper-setuid: qemu-bridge-helper runs with root rights. -netdev bridge (and
// tap with br=) makes QEMU run the helper, which creates a tap with TUNSETIFF and
// adds it to the bridge: both need CAP_NET_ADMIN. The helper gets it from the
// setuid bit on a root-owned file (Fedora and RHEL ship it 4755; Debian, Ubuntu
// and Arch ship it 0755) or from a `cap_net_admin+ep` file capability.
//
// Tried on Debian 12 (QEMU 7.2, helper linked with libcap-ng), as uid 4242:
//   0755 helper      → failed to create tun device: Operation not permitted
//   4755 helper      → works; the helper immediately switches to the real uid
//                      keeping only CAP_NET_ADMIN, so bridge.conf and
//                      /dev/net/tun are then opened AS THE USER
//   4755 on nosuid   → same as 0755
//   cap_net_admin+ep → works (and also reads bridge.conf as the user)
import { bridgeHelpers, helperPackage, judgeHelper, type HelperFile, type HelperJudgement } from '../src/facts/bridge-helper.js';
import { which } from '../src/facts/system.js';
import { groupName, groupsFile, type TargetUser } from '../src/facts/users.js';
import { isFile } from '../src/host/host.js';
import type { Context } from '../src/context.js';
import type { Action, Check, Evidence, Finding, FixPlan } from '../src/types.js';
import { addToGroup } from '../src/fixes/plans.js';

const QEMU_FAILS_UNPRIVILEGED = [
  'QEMU then fails with: failed to create tun device: Operation not permitted',
  'followed by: qemu-system-x86_64: -netdev bridge,id=n0,br=br0: bridge helper failed',
];
const DROPS_TO_USER =
  'Built with libcap-ng (Debian, Fedora, RHEL), a setuid helper switches to the calling uid at once and keeps only CAP_NET_ADMIN, so /etc/qemu/bridge.conf and /dev/net/tun must be usable by the user (see helper-acl, tun-perms).';

type Judged = HelperJudgement<HelperFile>;

function octalMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Plans that give the helper at `path` root rights. */
async function privilegePlans(ctx: Context, j: Judged, user: TargetUser): Promise<FixPlan[]> {
  const { h } = j;
  const st = h.stat!;
  const path = h.path;
  if (j.nosuid) {
    return [
      {
        id: 'helper-setuid/nosuid-mount',
        title: `${path} is on a nosuid mount: neither setuid nor file capabilities work there`,
        risk: 'medium',
        root: true,
        explain: 'remounting a file system without nosuid affects every file on it; qnet does not do it for you',
        actions: [{ kind: 'note', text: `remove nosuid from the mount holding ${path} (fstab or the systemd mount unit), or install the helper on a file system without nosuid and pass helper=PATH` }],
      },
    ];
  }
  const plans: FixPlan[] = [];
  const mode = ((st.mode & 0o777) | 0o4000 | 0o011) & ~0o022; // setuid, executable by all, no group/other write
  const chownFirst: Action[] = st.uid !== 0 || st.gid !== 0 ? [{ kind: 'chown', path, uid: 0, gid: 0 }] : [];
  const statoverride = await which(ctx, 'dpkg-statoverride');
  if (statoverride) {
    plans.push({
      id: 'helper-setuid/setuid',
      title: `make ${path} setuid root (${octalMode(mode)}), recorded with dpkg-statoverride so upgrades keep it`,
      risk: 'medium',
      root: true,
      explain:
        'what Fedora and RHEL ship; dpkg would reset a plain chmod on the next qemu-system-common upgrade, a statoverride survives it. The helper runs as root only until its first lines drop to your uid with CAP_NET_ADMIN, but a bug before that point is a root bug',
      actions: [
        ...chownFirst,
        {
          kind: 'run',
          argv: ['dpkg-statoverride', '--add', 'root', 'root', octalMode(mode), path],
          inverse: ['dpkg-statoverride', '--remove', path],
          unless: ['dpkg-statoverride', '--list', path],
          inverseUnless: { argv: ['dpkg-statoverride', '--list', path], holdsOn: [1] },
          // dpkg keeps the previous database beside it.
          touches: ['/var/lib/dpkg/statoverride-old'],
          why: 'dpkg keeps this mode across package upgrades',
        },
        { kind: 'chmod', path, mode },
      ],
    });
  } else {
    plans.push({
      id: 'helper-setuid/setuid',
      title: `make ${path} setuid root (chmod u+s → ${octalMode(mode)})`,
      risk: 'medium',
      root: true,
      explain:
        'what Fedora and RHEL ship; a package upgrade that replaces the file may reset the mode (pacman does), so re-run qnet after upgrades. The helper runs as root only until it drops to your uid with CAP_NET_ADMIN',
      actions: [...chownFirst, { kind: 'chmod', path, mode }],
    });
  }
  plans.push({
    id: 'helper-setuid/setcap',
    title: `give ${path} the cap_net_admin+ep file capability instead of setuid`,
    risk: 'low',
    root: true,
    explain:
      'narrower than setuid: the helper never runs as root, only with CAP_NET_ADMIN (enough for the tap and the bridge). Costs: a package upgrade or a copy without xattrs drops it silently, dpkg-statoverride cannot record it, and the file system must keep security.* xattrs',
    actions: [
      ...chownFirst,
      ...((st.mode & 0o011) !== 0o011 ? [{ kind: 'chmod' as const, path, mode: (st.mode & 0o777 & ~0o022) | 0o011 }] : []),
      // setcap -r fails on a file without capabilities: undo is done once `setcap -v` no longer finds ours (exit 1).
      { kind: 'run', argv: ['setcap', 'cap_net_admin+ep', path], inverse: ['setcap', '-r', path], inverseUnless: { argv: ['setcap', '-v', 'cap_net_admin+ep', path], holdsOn: [1] } },
    ],
  });
  // 4750 root:kvm style helpers: joining the group is the narrow fix.
  if (!j.userCanExec && isFile(st) && (st.mode & 0o010) && st.gid !== 0) {
    const g = groupName(await groupsFile(ctx), st.gid);
    plans.unshift({
      id: 'helper-setuid/join-group',
      title: `add ${user.name} to group ${g}, which may run ${path}`,
      risk: 'low',
      root: true,
      explain: `${user.name} needs a new login for the group to apply`,
      actions: [addToGroup(user.name, g)],
    });
  }
  return plans;
}

const check: Check = {
  id: 'helper-setuid',
  area: 'qemu',
  order: 20,
  title: () => 'qemu-bridge-helper runs with root rights',
  async run(ctx): Promise<Finding> {
    const [user, hs] = await Promise.all([ctx.user, bridgeHelpers(ctx)]);
    const evidence: Evidence[] = [];
    const notCaptured = hs.unread.filter((u) => u.notCaptured);
    if (!hs.helpers.length) {
      if (notCaptured.length) {
        return { status: 'skip', summary: `cannot look for qemu-bridge-helper: ${notCaptured.map((u) => u.dir).join(', ')} not captured in the snapshot` };
      }
      const pkg = await helperPackage(ctx);
      const fixes: FixPlan[] = pkg.install
        ? [{ id: 'helper-setuid/install', title: `install ${pkg.pkg}, which ships qemu-bridge-helper`, risk: 'low', root: true, actions: [{ kind: 'run', argv: pkg.install }] }]
        : [];
      return {
        status: 'fail',
        summary: `qemu-bridge-helper is not installed${pkg.pkg ? ` (${pkg.distro}: package ${pkg.pkg})` : ''}`,
        evidence: [{ source: 'looked in', observed: '/usr/lib/qemu /usr/libexec /usr/local/libexec /run/wrappers/bin' }, ...hs.unread.map((u) => ({ source: `readdir ${u.dir}`, observed: u.error }))],
        details: [
          'Without it QEMU prints only: qemu-system-x86_64: -netdev bridge,id=n0,br=br0: bridge helper failed (no word about the missing file)',
          'Debian/Ubuntu: qemu-system-common (/usr/lib/qemu); Fedora: qemu-common, RHEL: qemu-kvm-common (/usr/libexec, shipped setuid); Arch: qemu-common (/usr/lib/qemu).',
        ],
        fixes,
      };
    }

    const unreadable = hs.helpers.filter((h) => !h.stat);
    for (const h of unreadable) evidence.push({ source: `stat ${h.path}`, observed: h.error ?? 'unreadable' });
    const judged: Judged[] = [];
    // Defaults first; stop once a default helper is privileged (no getfattr beyond need).
    const ordered = [...hs.helpers.filter((h) => h.stat)].sort((a, b) => Number(b.isDefault) - Number(a.isDefault));
    for (const h of ordered) judged.push(await judgeHelper(ctx, h, user, evidence));

    const defaults = judged.filter((j) => j.h.isDefault);
    const copies = judged.filter((j) => !j.h.isDefault);
    const goodDefault = defaults.find((j) => j.via);
    const goodCopy = copies.find((j) => j.via);
    const how = (j: Judged) => (j.via === 'setuid' ? 'setuid root' : 'the cap_net_admin+ep file capability');

    if (goodDefault) {
      const others = defaults.filter((j) => j !== goodDefault && !j.via).map((j) => `${j.h.path} (${j.h.dir.layout}) has no root rights: ${j.why.join('; ')}`);
      return {
        status: 'pass',
        summary: `${goodDefault.h.path} runs with root rights (${how(goodDefault)}) and ${user.name} can execute it`,
        evidence,
        details: [DROPS_TO_USER, ...others],
      };
    }
    const badDefault = defaults[0];
    if (goodCopy) {
      const nix = goodCopy.h.dir.wrapper;
      return {
        status: 'warn',
        summary: nix
          ? `only the NixOS wrapper ${goodCopy.h.path} has root rights: plain QEMU needs helper=${goodCopy.h.path} (libvirt uses it by default)`
          : `only ${goodCopy.h.path} has root rights (${how(goodCopy)}); QEMU's default ${badDefault?.h.path ?? `${goodCopy.h.dir.dir}/qemu-bridge-helper`} does not, so bridge networking works only with helper=${goodCopy.h.path}`,
        evidence,
        details: [
          `Use: -netdev bridge,id=n0,br=BRIDGE,helper=${goodCopy.h.path} (or -netdev tap,br=BRIDGE,helper=${goodCopy.h.path}); without helper= QEMU runs the default and fails with: failed to create tun device: Operation not permitted`,
          ...(badDefault ? [`${badDefault.h.path}: ${badDefault.why.join('; ')}`] : []),
          DROPS_TO_USER,
        ],
        fixes: badDefault ? await privilegePlans(ctx, badDefault, user) : [],
      };
    }
    const target = badDefault ?? judged[0];
    if (!target) {
      // Every helper found could not be stat'ed (a snapshot without those reads, or EACCES).
      return { status: 'skip', summary: `found ${unreadable.map((h) => `${h.path} (${h.error})`).join(', ')} but cannot read its mode`, evidence };
    }
    if (target.capsUnknown && !target.nosuid && target.userCanExec) {
      return {
        status: target.capsUnknown.includes('not captured') ? 'skip' : 'warn',
        summary: target.capsUnknown.includes('not captured')
          ? `${target.h.path} is not setuid root and its file capabilities were not captured in the snapshot`
          : `${target.h.path} is not setuid root and qnet cannot read its file capabilities (${target.capsUnknown})`,
        evidence,
        details: [
          'If it has no cap_net_admin+ep capability, QEMU fails with: failed to create tun device: Operation not permitted',
          `qnet reads file capabilities with getfattr (package attr) or getcap (package libcap2-bin); \`getcap ${target.h.path}\` shows them.`,
        ],
        fixes: await privilegePlans(ctx, target, user),
      };
    }
    return {
      status: 'fail',
      summary: `${target.h.path} has no root rights: ${target.why[0] ?? 'no setuid bit, no cap_net_admin'}`,
      evidence,
      details: [
        ...target.why.slice(1).map((w) => `also: ${w}`),
        ...QEMU_FAILS_UNPRIVILEGED,
        ...copies.filter((j) => j !== target).map((j) => `${j.h.path}: ${j.why.join('; ')}`),
        DROPS_TO_USER,
      ],
      fixes: await privilegePlans(ctx, target, user),
    };
  },
};

export default check;
