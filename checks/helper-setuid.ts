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
import type { CheckCase, ExecSpec, HostSpec, StatSpec } from '../src/check-cases.js';
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

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const host = setuidHost;
  const DEB = '/usr/lib/qemu/qemu-bridge-helper';
  const SUID_COPY = '/usr/lib/qemu/qemu-bridge-helper-suid';
  const FED = '/usr/libexec/qemu-bridge-helper';
  // Real `getfattr --absolute-names -n security.capability -e hex` values, made on Debian 12
  // with setcap on copies of /usr/lib/qemu/qemu-bridge-helper.
  const CAP = {
    /** setcap cap_net_admin+ep */
    ep: '0x0100000200100000000000000000000000000000',
    /** setcap cap_net_admin+p */
    p: '0x0000000200100000000000000000000000000000',
    /** setcap cap_net_admin+ep run inside a user namespace whose root is host uid 100000 */
    v3: '0x0100000300100000000000000000000000000000a0860100',
  };
  const getfattr = (p: string) => `getfattr --absolute-names -n security.capability -e hex ${p}`;
  const getcap = (p: string) => `getcap -n ${p}`;
  const noAttr = (p: string) => ({ [getfattr(p)]: { exitCode: 1, stderr: `${p}: security.capability: No such attribute\n` } });
  const withCap = (p: string, hex: string) => ({ [getfattr(p)]: { stdout: `# file: ${p}\nsecurity.capability=${hex}\n\n` } });
  const onlyGetcap = (out: ExecSpec) => ({ exec: { [getfattr(DEB)]: null, [getcap(DEB)]: out } });
  const ROOT_MOUNT = '22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n';
  return [
    { name: 'Debian helper made setuid root', host: host({ [DEB]: { mode: 0o4755 } }), status: 'pass', summary: /qemu-bridge-helper runs with root rights \(setuid root\) and alice can execute it/ },
    { name: 'Fedora ships it 4755 in /usr/libexec', host: host({ [FED]: { mode: 0o4755 } }), status: 'pass', summary: /\/usr\/libexec\/qemu-bridge-helper runs with root rights/ },
    { name: 'cap_net_admin+ep instead of setuid', host: host({ [DEB]: { mode: 0o755 } }, { exec: withCap(DEB, CAP.ep) }), status: 'pass', summary: /cap_net_admin\+ep file capability/ },
    { name: 'Debian as shipped: 0755, no capability', host: host({ [DEB]: { mode: 0o755 } }, { exec: noAttr(DEB) }), status: 'fail', summary: /has no root rights: it is -rwxr-xr-x root:root: no setuid bit/ },
    // seed 004
    { name: 'only the -suid copy is setuid', host: host({ [DEB]: { mode: 0o755 }, [SUID_COPY]: { mode: 0o4755 } }, { exec: noAttr(DEB) }), status: 'warn', summary: /only \/usr\/lib\/qemu\/qemu-bridge-helper-suid has root rights .* works only with helper=\/usr\/lib\/qemu\/qemu-bridge-helper-suid/ },
    { name: 'not installed at all (Debian)', host: host({}), status: 'fail', summary: /not installed \(debian: package qemu-system-common\)/ },
    { name: 'setuid on a nosuid mount', host: host({ [DEB]: { mode: 0o4755 } }, { files: { '/proc/self/mountinfo': ROOT_MOUNT + '40 22 0:40 / /usr rw,nosuid,relatime - ext4 /dev/vdb rw\n' }, exec: noAttr(DEB) }), status: 'fail', summary: /mounted nosuid/ },
    { name: 'capability without the effective flag', host: host({ [DEB]: { mode: 0o755 } }, { exec: withCap(DEB, CAP.p) }), status: 'fail', summary: /no root rights/ },
    { name: 'capability set inside a user namespace (v3, rootid 100000)', host: host({ [DEB]: { mode: 0o755 } }, { exec: withCap(DEB, CAP.v3) }), status: 'fail', summary: /no root rights/ },
    { name: 'neither getfattr nor getcap, not setuid', host: host({ [DEB]: { mode: 0o755 } }, { exec: { [getfattr(DEB)]: null, [getcap(DEB)]: null } }), status: 'warn', summary: /cannot read its file capabilities \(neither getfattr \(package attr\) nor getcap \(package libcap2-bin\) is installed\)/ },
    { name: 'no getfattr (stock Debian), getcap shows cap_net_admin=ep', host: host({ [DEB]: { mode: 0o755 } }, onlyGetcap({ stdout: `${DEB} cap_net_admin=ep\n` })), status: 'pass', summary: /cap_net_admin\+ep file capability/ },
    { name: 'no getfattr, getcap prints nothing: no capabilities', host: host({ [DEB]: { mode: 0o755 } }, onlyGetcap({ stdout: '' })), status: 'fail', summary: /has no root rights: it is -rwxr-xr-x root:root: no setuid bit/ },
    { name: 'no getfattr, getcap shows cap_net_admin=p', host: host({ [DEB]: { mode: 0o755 } }, onlyGetcap({ stdout: `${DEB} cap_net_admin=p\n` })), status: 'fail', summary: /no root rights/ },
    { name: 'no getfattr, getcap shows a rootid (set in a user namespace)', host: host({ [DEB]: { mode: 0o755 } }, onlyGetcap({ stdout: `${DEB} cap_net_admin=ep [rootid=100000]\n` })), status: 'fail', summary: /no root rights/ },
    { name: 'no getfattr, getcap cannot read the file (it exits 0 and says so on stderr)', host: host({ [DEB]: { mode: 0o755 } }, onlyGetcap({ stderr: `${DEB} (Permission denied)\n` })), status: 'warn', summary: /cannot read its file capabilities \(getcap: .*Permission denied/ },
    { name: '4750 root:kvm and alice is not in kvm', host: host({ [DEB]: { mode: 0o4750, gid: 104 } }, { exec: noAttr(DEB) }), status: 'fail', summary: /alice cannot execute it/ },
    { name: '4750 root:kvm and alice is in kvm', host: host({ [DEB]: { mode: 0o4750, gid: 104 } }, { files: { '/etc/group': 'root:x:0:\nkvm:x:104:alice\nalice:x:1000:\n' } }), status: 'pass', summary: /setuid root/ },
    { name: 'setuid but owned by alice', host: host({ [DEB]: { mode: 0o4755, uid: 1000 } }, { exec: noAttr(DEB) }), status: 'fail', summary: /setuid but owned by alice:root, not root/ },
    { name: 'NixOS wrapper only', host: host({ '/run/wrappers/bin/qemu-bridge-helper': { mode: 0o4511 } }, { files: { '/etc/os-release': 'ID=nixos\n' } }), status: 'warn', summary: /NixOS wrapper .* helper=\/run\/wrappers\/bin\/qemu-bridge-helper/ },
    { name: 'a replayed snapshot without the directory listings', host: {}, snapshot: true, status: 'skip', summary: 'not captured' },
  ];
}

/**
 * A host record for the table above and test/checks/helper-setuid.test.ts: Debian 12 with one root
 * mount, and `helpers` (path → its stat) in their directories next to vhost-user-gpu; `extra` adds to it.
 */
export function setuidHost(helpers: Record<string, StatSpec>, extra: HostSpec = {}): HostSpec {
  const dirs: Record<string, string[]> = {};
  for (const p of Object.keys(helpers)) {
    const d = p.slice(0, p.lastIndexOf('/'));
    (dirs[d] ??= ['vhost-user-gpu']).push(p.slice(d.length + 1));
  }
  return {
    ...extra,
    files: { '/proc/self/mountinfo': '22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n', '/etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n', ...extra.files },
    dirs: { ...dirs, ...extra.dirs },
    stats: { ...helpers, ...extra.stats },
    exec: { ...extra.exec },
  };
}
