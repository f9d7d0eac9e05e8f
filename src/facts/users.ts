// The target user: whose access the checks judge (--user, SUDO_USER, or the invoker).
import type { Context, Group, TargetUser } from '../context.js';
import { text } from '../host/host.js';
import { UsageError } from '../errors.js';
import type { IdentityUses } from '../host/redact.js';

export type { IdentityUses };

export type { Group, TargetUser } from '../context.js';

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

/**
 * Which passwd and group entries this run looked at: the target user, the owners of
 * files and taps the checks stat, groups asked for by name. A snapshot keeps only
 * these entries (src/host/redact.ts), and replays to the same results.
 */
const USES = new WeakMap<Context, IdentityUses>();
const GROUP_USES = new WeakMap<readonly Group[], IdentityUses>();

export function identityUses(ctx: Context): IdentityUses {
  let u = USES.get(ctx);
  if (!u) {
    u = { users: new Set(), uids: new Set(), groups: new Set(), gids: new Set(), members: new Set() };
    USES.set(ctx, u);
  }
  return u;
}

function parsePasswd(body: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of body.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 4) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!f[0] || !Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0], uid, gid });
  }
  return out;
}

export function parseGroup(body: string): Group[] {
  const out: Group[] = [];
  for (const line of body.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3) continue;
    const gid = Number(f[2]);
    if (!f[0] || !Number.isInteger(gid)) continue;
    out.push({ name: f[0], gid, members: (f[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean) });
  }
  return out;
}

/** /etc/group, parsed. Look entries up with `groupName` / `groupNamed`, which note what was asked. */
export function groupsFile(ctx: Context): Promise<Group[]> {
  return ctx.memo('groups', async () => {
    const groups = parseGroup(text(await ctx.host.readFile('/etc/group')) ?? '');
    GROUP_USES.set(groups, identityUses(ctx));
    return groups;
  });
}

function passwdFile(ctx: Context): Promise<PasswdEntry[]> {
  return ctx.memo('passwd-entries', async () => parsePasswd(text(await ctx.host.readFile('/etc/passwd')) ?? ''));
}

async function lookupPasswd(ctx: Context, by: { name?: string; uid?: number }): Promise<PasswdEntry | undefined> {
  const entries = await passwdFile(ctx);
  const uses = identityUses(ctx);
  if (by.name !== undefined) uses.users.add(by.name);
  if (by.uid !== undefined) uses.uids.add(by.uid);
  const hit = entries.find((e) => (by.name !== undefined ? e.name === by.name : e.uid === by.uid));
  if (hit) return hit;
  // Users from NSS (LDAP, sssd): ask getent, by argv.
  const key = by.name ?? String(by.uid);
  const r = await ctx.host.exec(['getent', 'passwd', key]);
  if (r.ok && r.value.exitCode === 0) return parsePasswd(r.value.stdout)[0];
  return undefined;
}

/**
 * Whose access the checks judge: --user, else SUDO_USER under sudo, else the invoker.
 * Resolved once, when the context is made (createContext); UsageError for an unknown --user.
 */
export async function resolveTargetUser(ctx: Context): Promise<TargetUser> {
  {
    const inv = ctx.invoker;
    let entry: PasswdEntry | undefined;
    if (ctx.userOption !== undefined) {
      const opt = ctx.userOption;
      entry = /^\d+$/.test(opt) ? await lookupPasswd(ctx, { uid: Number(opt) }) : await lookupPasswd(ctx, { name: opt });
      if (!entry) throw new UsageError(`--user ${opt}: no such user on this host`);
    } else if (inv.euid === 0 && inv.sudoUser) {
      entry = await lookupPasswd(ctx, { name: inv.sudoUser });
    }
    if (!entry) entry = await lookupPasswd(ctx, { uid: inv.uid });
    if (!entry) entry = { name: inv.user ?? `uid${inv.uid}`, uid: inv.uid, gid: inv.uid };
    const all = await groupsFile(ctx);
    const uses = identityUses(ctx);
    uses.users.add(entry.name);
    uses.members.add(entry.name);
    uses.gids.add(entry.gid);
    const groups = all.filter((g) => g.gid === entry!.gid || g.members.includes(entry!.name));
    if (!groups.some((g) => g.gid === entry!.gid)) groups.unshift({ name: String(entry.gid), gid: entry.gid, members: [] });
    return { name: entry.name, uid: entry.uid, gid: entry.gid, groups, fromFiles: true };
  }
}


/** Can `user` access a file with these owner/mode bits? `want` is 4 (r), 2 (w), 1 (x) or a sum. */
export function modeAllows(user: TargetUser, st: { mode: number; uid: number; gid: number }, want: number): boolean {
  if (user.uid === 0) return want & 1 ? (st.mode & 0o111) !== 0 : true;
  let bits: number;
  if (st.uid === user.uid) bits = (st.mode >> 6) & 7;
  else if (user.groups.some((g) => g.gid === st.gid)) bits = (st.mode >> 3) & 7;
  else bits = st.mode & 7;
  return (bits & want) === want;
}

export function groupName(groups: Group[], gid: number): string {
  GROUP_USES.get(groups)?.gids.add(gid);
  return groups.find((g) => g.gid === gid)?.name ?? String(gid);
}

/** The group called `name` in `groups` (from groupsFile), if any. */
export function groupNamed(groups: Group[], name: string): Group | undefined {
  GROUP_USES.get(groups)?.groups.add(name);
  return groups.find((g) => g.name === name);
}

/** The name of a uid from /etc/passwd, or the number. */
export async function userName(ctx: Context, uid: number): Promise<string> {
  identityUses(ctx).uids.add(uid);
  return (await passwdFile(ctx)).find((e) => e.uid === uid)?.name ?? String(uid);
}

