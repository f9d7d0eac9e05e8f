// Can the target user open a device node read-write? Mode, owner, groups,
// and POSIX ACL entries (read with getfacl only when the mode alone says no).
import type { Context } from '../context.js';
import { describeError, modeString, type Read, type StatInfo } from '../host/host.js';
import type { Evidence } from '../types.js';
import { groupName, groupNamed, groupsFile, modeAllows, userName, type TargetUser } from './users.js';

export interface NodeAccess {
  user: TargetUser;
  node: Read<StatInfo>;
  /** How access is granted ('as its owner', 'through group kvm', ...), or undefined when it is not. */
  how?: string;
  /** "crw------- root:root" for summaries. */
  shown: string;
  evidence: Evidence[];
}

async function aclGrants(ctx: Context, path: string, user: TargetUser, evidence: Evidence[]): Promise<boolean> {
  const r = await ctx.host.exec(['getfacl', '-n', '-p', path]);
  if (!r.ok || r.value.exitCode !== 0) return false;
  const lines = r.value.stdout.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean);
  const mask = lines.find((l) => l.startsWith('mask::'))?.slice(6) ?? 'rwx';
  const named = lines.filter((l) => /^(user|group):\d+:/.test(l));
  if (named.length) evidence.push({ source: `getfacl -n ${path}`, observed: named.concat(`mask::${mask}`).join(' ') });
  const rw = (perm: string) => perm.startsWith('rw') && mask.startsWith('rw');
  return named.some((l) => {
    const [kind, id, perm] = l.split(':') as [string, string, string];
    if (kind === 'user') return Number(id) === user.uid && rw(perm);
    return user.groups.some((g) => g.gid === Number(id)) && rw(perm);
  });
}

export async function nodeAccess(ctx: Context, path: string): Promise<NodeAccess> {
  const [user, node, groups] = await Promise.all([ctx.user, ctx.host.stat(path), groupsFile(ctx)]);
  const userLine = { source: 'user', observed: `${user.name} uid ${user.uid}, groups ${user.groups.map((g) => `${g.name}(${g.gid})`).join(' ') || 'none'}` };
  if (!node.ok) return { user, node, shown: describeError(node), evidence: [{ source: `stat ${path}`, observed: describeError(node) }, userLine] };
  const st = node.value;
  const shown = `${modeString(st.mode)} ${await userName(ctx, st.uid)}:${groupName(groups, st.gid)}`;
  const evidence: Evidence[] = [{ source: `stat ${path}`, observed: `${modeString(st.mode)} ${st.uid}:${st.gid} ${st.rdevMajor}:${st.rdevMinor}` }, userLine];
  let how: string | undefined;
  if (user.uid === 0) how = 'as root';
  else if (modeAllows(user, st, 6)) {
    how = st.uid === user.uid ? 'as its owner' : user.groups.some((g) => g.gid === st.gid) ? `through group ${groupName(groups, st.gid)}` : 'as any user (mode allows others rw)';
  } else if (((st.mode >> 3) & 6) === 6 && (await aclGrants(ctx, path, user, evidence))) {
    how = 'through an ACL entry';
  }
  return { user, node, shown, evidence, ...(how ? { how } : {}) };
}
