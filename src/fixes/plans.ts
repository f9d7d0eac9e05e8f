// Fix plans and steps several checks share, each with its inverse and the probe
// that tells undo the inverse's work is already done.
import type { Action, FixPlan, Probe } from '../types.js';
import type { Context } from '../context.js';
import { groupNamed, groupsFile, type TargetUser } from '../facts/users.js';

/** The backup copies groupadd, groupdel, usermod -aG and gpasswd write beside the files they edit. */
export const GROUP_TOOL_BACKUPS = ['/etc/group-', '/etc/gshadow-'];

/** Holds (exit 3) when USER is not listed in GROUP's member list in /etc/group, or GROUP does not exist. */
export function notMemberProbe(user: string, group: string): Probe {
  return {
    // Fixed program; the names are data (awk -v), compared as whole fields.
    argv: ['awk', '-F:', '-v', `g=${group}`, '-v', `u=${user}`, '$1 == g { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) found = 1 } END { exit found ? 0 : 3 }', '/etc/group'],
    holdsOn: [3],
  };
}

/** `usermod -aG GROUP USER`, undone by `gpasswd -d USER GROUP` unless the user already left the group. */
export function addToGroup(user: string, group: string): Extract<Action, { kind: 'run' }> {
  return {
    kind: 'run',
    argv: ['usermod', '-aG', group, user],
    inverse: ['gpasswd', '-d', user, group],
    inverseUnless: notMemberProbe(user, group),
    touches: GROUP_TOOL_BACKUPS,
  };
}

/** `groupadd --system GROUP`, undone by `groupdel GROUP` unless it is gone already (getent exits 2). */
export function createGroup(group: string): Extract<Action, { kind: 'run' }> {
  return {
    kind: 'run',
    argv: ['groupadd', '--system', group],
    inverse: ['groupdel', group],
    unless: ['getent', 'group', group],
    inverseUnless: { argv: ['getent', 'group', group], holdsOn: [2] },
    touches: GROUP_TOOL_BACKUPS,
  };
}

/** Holds when no interface NAME exists (ip exits 1): an inverse that configures it has nothing left to do. */
export const linkGone = (name: string): Probe => ({ argv: ['ip', 'link', 'show', 'dev', name], holdsOn: [1] });

/** iptables ARGS with -A/-I, undone by -D unless the rule is gone (-C exits 1). `args` start with the table options, if any. */
export function iptablesRule(args: string[], opts: { skipIfPresent?: boolean } = {}): Extract<Action, { kind: 'run' }> {
  const swap = (to: string) => args.map((x) => (x === '-A' || x === '-I' ? to : x));
  const check = swap('-C');
  return {
    kind: 'run',
    argv: ['iptables', ...args],
    inverse: ['iptables', ...swap('-D')],
    ...(opts.skipIfPresent ? { unless: ['iptables', ...check] } : {}),
    inverseUnless: { argv: ['iptables', ...check], holdsOn: [1] },
  };
}

/** Load a kernel module now (modprobe, undone by modprobe -r) and at every boot (modules-load.d). */
export function loadModulePlan(id: string, module: string, title = `load ${module} now and at every boot`): FixPlan {
  // /proc/modules lists loaded modules by name at the start of a line.
  const loaded = ['grep', '-q', `^${module} `, '/proc/modules'];
  return {
    id,
    title,
    risk: 'low',
    root: true,
    actions: [
      { kind: 'run', argv: ['modprobe', module], inverse: ['modprobe', '-r', module], unless: loaded, inverseUnless: { argv: loaded, holdsOn: [1] } },
      { kind: 'write-file', path: `/etc/modules-load.d/qnet-${module.replace(/_/g, '-')}.conf`, content: `${module}\n`, mode: 0o644, uid: 0, gid: 0 },
    ],
  };
}

/** The usual grant: a udev rule giving `group` rw on the node, applied now, and the user added to the group. */
export async function groupGrantPlan(
  ctx: Context,
  opts: { id: string; path: string; kernel: string; preferGroups: string[]; user: TargetUser; ruleFile: string; note: string },
): Promise<FixPlan> {
  const groups = await groupsFile(ctx);
  const group = opts.preferGroups.map((n) => groupNamed(groups, n)).find(Boolean);
  const gname = group?.name ?? opts.preferGroups[0]!;
  const rule = `# qnet: ${opts.note}\nKERNEL=="${opts.kernel}", GROUP="${gname}", MODE="0660", OPTIONS+="static_node=${opts.path.replace(/^\/dev\//, '')}"\n`;
  return {
    id: opts.id,
    title: `make ${opts.path} 0660 for group ${gname} (udev rule) and add ${opts.user.name} to ${gname}`,
    risk: 'low',
    root: true,
    explain: `the narrowest grant that persists; ${opts.user.name} needs a new login for the group to apply`,
    actions: [
      ...(group ? [] : [createGroup(gname)]),
      { kind: 'write-file', path: opts.ruleFile, content: rule, mode: 0o644, uid: 0, gid: 0 },
      { kind: 'chgrp', path: opts.path, group: gname },
      { kind: 'chmod', path: opts.path, mode: 0o660 },
      addToGroup(opts.user.name, gname),
    ],
  };
}
