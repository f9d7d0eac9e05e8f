// helper-acl: the bridge helper's ACL (/etc/qemu/bridge.conf and its includes)
// exists, is root-owned and not writable by others, is readable by the user,
// and allows the bridges that exist.
//
// Tried on Debian 12 (QEMU 7.2) with a setuid helper, as uid 4242:
//   no bridge.conf                → failed to parse default acl file `/etc/qemu/bridge.conf'
//   bridge.conf 0600 root:root    → the same (the helper reads it after switching to the
//                                   user's uid, keeping only CAP_NET_ADMIN)
//   0640 root:<user's group>      → works
//   no allow for br0              → access denied by acl file
//   `allow br0` then `deny br0`   → access denied by acl file
//   allow only in a 0600 include  → access denied by acl file (the include is skipped silently)
//   `Allow br0`                   → Unknown command `Allow' + failed to parse default acl file
//   include loop                  → with ulimit -n 20000 the helper segfaults (bridge helper
//                                   failed, no message); with 1024 it runs out of descriptors
//                                   and carries on
import type { CheckCase, HostSpec, StatSpec } from '../src/check-cases.js';
import { aclFor, aclPaths, bridgeHelpers, readBridgeAcl } from '../src/facts/bridge-helper.js';
import { requireLinks, validIfname } from '../src/model/network.js';
import { groupName, groupsFile, modeAllows, userName } from '../src/facts/users.js';
import { describeError, isDir, modeString, type StatInfo } from '../src/host/host.js';
import { aclAllows, type AclRule, type BridgeAcl } from '../src/parse/bridge-conf.js';
import type { Context } from '../src/context.js';
import type { Action, Check, Evidence, Finding, FixPlan } from '../src/types.js';

/** Bridges that container runtimes create for themselves; nobody means to put VMs there. */
const CONTAINER_BRIDGE = /^(docker\d+|br-[0-9a-f]{12}|podman\d+|cni\d+)$/;

const dirOf = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';

interface PathFacts {
  path: string;
  st?: StatInfo;
  error?: string;
}

async function statAll(ctx: Context, paths: string[]): Promise<PathFacts[]> {
  return Promise.all(
    paths.map(async (path) => {
      const r = await ctx.host.stat(path);
      return r.ok ? { path, st: r.value } : { path, error: describeError(r) };
    }),
  );
}

/** What makes a root-read ACL file or its directory unsafe: owner or write bits. */
function unsafe(st: StatInfo, owner: string): string | undefined {
  if (st.uid !== 0) return `owned by ${owner}, not root`;
  if (st.mode & 0o002) return `writable by every user (${modeString(st.mode)})`;
  if (st.mode & 0o020 && st.gid !== 0) return `writable by group ${owner.split(':')[1]} (${modeString(st.mode)})`;
  return undefined;
}

function aclContent(current: string | undefined, add: string[]): string {
  const head = current ?? '# qemu-bridge-helper ACL: one `allow BRIDGE` or `deny BRIDGE` per line; deny wins.\n';
  const sep = head === '' || head.endsWith('\n') ? '' : '\n';
  return head + sep + add.map((b) => `allow ${b}\n`).join('');
}

const check: Check = {
  id: 'helper-acl',
  area: 'qemu',
  order: 30,
  title: () => 'the bridge helper ACL allows the bridges',
  async run(ctx): Promise<Finding> {
    const hs = await bridgeHelpers(ctx);
    if (!hs.helpers.length) {
      const nc = hs.unread.filter((u) => u.notCaptured);
      if (nc.length) return { status: 'skip', summary: `cannot look for qemu-bridge-helper: ${nc.map((u) => u.dir).join(', ')} not captured in the snapshot` };
      return { status: 'skip', summary: 'no qemu-bridge-helper is installed, so nothing reads a bridge ACL (see helper-setuid)' };
    }
    const [path, ...otherAcls] = aclPaths(hs) as [string, ...string[]];
    const title = `${path} allows the bridges`;
    const user = ctx.user;
    const groups = await groupsFile(ctx);
    const ownerOf = async (st: StatInfo) => `${await userName(ctx, st.uid)}:${groupName(groups, st.gid)}`;
    const acl: BridgeAcl = await readBridgeAcl(ctx, path);
    const top = acl.files[0];
    const evidence: Evidence[] = [];
    const fails: string[] = [];
    const warns: string[] = [];
    const details: string[] = [];
    const fixes: FixPlan[] = [];

    const ls = await requireLinks(ctx);
    const allBridges = ls.bridges().map((l) => l.name);
    const candidates = allBridges.filter((b) => !CONTAINER_BRIDGE.test(b) && validIfname(b));
    evidence.push({ source: ls.source, observed: allBridges.length ? `bridges: ${allBridges.join(', ')}` : 'no bridges' });
    if (ls.error) details.push(`Interfaces read from ${ls.source}: ${ls.error}`);

    // --- the top file itself
    if (top?.readError === 'not captured in the snapshot') {
      return { title, status: 'skip', summary: `${path} was not captured in the snapshot`, evidence };
    }
    const [topStat] = await statAll(ctx, [path]);
    if (topStat!.error === 'not captured in the snapshot') return { title, status: 'skip', summary: `stat ${path} was not captured in the snapshot`, evidence };
    const missing = top?.readError === 'ENOENT' || topStat!.error === 'ENOENT';
    if (missing) {
      evidence.unshift({ source: `read ${path}`, observed: 'ENOENT' });
      const add = candidates;
      fixes.push({
        id: 'helper-acl/create',
        title: add.length ? `create ${path} (root, 0644) allowing ${add.join(', ')}` : `create ${path} (root, 0644) with no bridge allowed yet`,
        risk: 'low',
        root: true,
        explain: add.length ? 'only bridges that exist, named one by one (never `allow all`)' : 'add `allow BRIDGE` once the bridge exists',
        actions: [{ kind: 'write-file', path, content: aclContent(undefined, add), mode: 0o644, uid: 0, gid: 0 }],
      });
      return {
        title,
        status: 'fail',
        summary: `${path} does not exist: the bridge helper refuses every bridge`,
        evidence,
        details: [`QEMU then fails with: failed to parse default acl file \`${path}'`, 'followed by: bridge helper failed'],
        fixes,
      };
    }

    // --- ownership, write and read permissions of the files and their directories
    const files = acl.files.filter((f) => !f.readError || f.readError !== 'ENOENT').map((f) => f.path);
    const dirs = [...new Set(files.map(dirOf))];
    const facts = await statAll(ctx, [...files, ...dirs]);
    const unreadableByUser = new Set<string>();
    const permFixes: Extract<Action, { kind: 'chown' | 'chmod' }>[] = [];
    for (const f of facts) {
      if (!f.st) {
        if (f.error !== 'ENOENT') evidence.push({ source: `stat ${f.path}`, observed: f.error! });
        continue;
      }
      const owner = await ownerOf(f.st);
      const dir = isDir(f.st);
      evidence.push({ source: `stat ${f.path}`, observed: `${modeString(f.st.mode)} ${f.st.uid}:${f.st.gid}` });
      const bad = unsafe(f.st, owner);
      if (bad) fails.push(`${f.path} is ${bad}: whoever can write it can put any tap on any bridge`);
      const want = dir ? 1 : 4;
      const readable = modeAllows(user, f.st, want);
      if (!readable) {
        unreadableByUser.add(f.path);
        const what = dir ? `${user.name} cannot enter ${f.path}` : `${user.name} cannot read ${f.path}`;
        const effect =
          f.path === path
            ? `the helper reads it as ${user.name} and fails with: failed to parse default acl file \`${path}'`
            : dir
              ? 'the helper cannot open the ACL files inside'
              : 'the helper reads it as the user and skips it silently, with every rule in it';
        const msg = `${what} (${modeString(f.st.mode)} ${owner}): ${effect}`;
        if (f.path === path || (dir && f.path === dirOf(path))) fails.push(msg);
        else warns.push(msg);
      }
      if (bad || !readable) {
        // The state after the fix: root-owned, no group/other write, and still usable by the user.
        const uid = 0;
        const gid = f.st.uid === 0 ? f.st.gid : 0;
        let mode = f.st.mode & 0o7777 & ~0o022;
        if (!modeAllows(user, { mode, uid, gid }, want)) mode |= dir ? 0o055 : 0o044;
        if (f.st.uid !== uid || f.st.gid !== gid) permFixes.push({ kind: 'chown', path: f.path, uid, gid });
        if ((f.st.mode & 0o7777) !== mode) permFixes.push({ kind: 'chmod', path: f.path, mode });
      }
    }
    if (permFixes.length) {
      // chown first: it clears setuid/setgid bits, and the chmod sets the final mode.
      const chowns = permFixes.filter((a) => a.kind === 'chown');
      const chmods = permFixes.filter((a) => a.kind === 'chmod');
      fixes.push({
        id: 'helper-acl/permissions',
        title: `make the ACL files root-owned, not writable by others and readable by ${user.name}`,
        risk: 'low',
        root: true,
        explain: 'the ACL lists bridge names only; nothing in it is secret, but only root may change it',
        actions: [...chowns, ...chmods],
      });
    }
    if (user.uid === 0) details.push('The target user is root: the helper reads the ACL with root rights.');

    // --- parse problems
    for (const p of acl.problems) {
      const where = p.line ? `${p.file}:${p.line}` : p.file;
      if (p.fatal && p.message.startsWith('include loop')) {
        fails.push(`${where}: ${p.message}: the helper recurses until it crashes (QEMU says only: bridge helper failed) or runs out of file descriptors`);
      } else if (p.fatal) fails.push(`${where}: ${p.message}: the helper refuses the whole file (failed to parse default acl file \`${path}')`);
      else warns.push(`${where}: ${p.message}`);
    }
    if (top?.readError && top.readError !== 'ENOENT' && !unreadableByUser.has(path)) {
      warns.push(`qnet cannot read ${path} (${top.readError}); run it with sudo to judge the rules`);
    }
    for (const f of acl.files) if (!f.path.startsWith('/')) warns.push(`include ${f.path} is a relative path: the helper resolves it against QEMU's working directory`);

    // --- the rules, as the helper sees them when run by the user
    if (top?.readError) {
      const status = fails.length ? 'fail' : 'warn';
      return { title, status, summary: fails[0] ?? warns[0]!, evidence, details: [...fails.slice(1), ...warns.slice(fails.length ? 0 : 1), ...details], fixes };
    }
    // The rules as the helper sees them when run by the user: the judge lint shares.
    const { rules } = await aclFor(ctx, path, user);
    const at = (r: AclRule) => `${r.file}:${r.line}`;
    const allowAll = rules.filter((r) => r.type === 'allow' && r.iface === 'all');
    for (const r of allowAll) {
      warns.push(`\`allow all\` at ${at(r)} lets ${user.name} put a VM on every bridge, including ones added later`);
    }
    const named = rules.filter((r) => r.type === 'allow' && r.iface !== 'all');
    for (const r of named) {
      if (!validIfname(r.iface)) warns.push(`\`allow ${r.iface}\` at ${at(r)} can never match: "${r.iface}" is not a valid interface name`);
      else if (!allBridges.includes(r.iface)) {
        const other = ls.links.find((l) => l.name === r.iface);
        warns.push(other ? `\`allow ${r.iface}\` at ${at(r)}: ${r.iface} exists but is not a bridge` : `\`allow ${r.iface}\` at ${at(r)}: no bridge ${r.iface} exists`);
      }
    }
    const allowed = allBridges.filter((b) => aclAllows(rules, b));
    const notAllowed = candidates.filter((b) => !aclAllows(rules, b));
    for (const b of notAllowed) {
      const deny = rules.find((r) => r.type === 'deny' && (r.iface === b || r.iface === 'all'));
      if (deny) details.push(`${b}: \`deny ${deny.iface}\` at ${at(deny)} wins over any allow`);
    }
    const containers = allBridges.filter((b) => CONTAINER_BRIDGE.test(b) && !aclAllows(rules, b));
    if (containers.length) details.push(`Not expected in the ACL (container runtimes' bridges): ${containers.join(', ')}`);
    if (candidates.length && !candidates.some((b) => allowed.includes(b)) && !fails.length) {
      fails.push(`no existing bridge is allowed (${candidates.join(', ')}): QEMU fails with: access denied by acl file`);
    } else if (notAllowed.length) {
      warns.push(`bridge${notAllowed.length > 1 ? 's' : ''} ${notAllowed.join(', ')} ${notAllowed.length > 1 ? 'are' : 'is'} not allowed: -netdev bridge,br=${notAllowed[0]} fails with: access denied by acl file`);
    }

    // Fix: allow the existing bridges that no rule allows. A bridge that an `allow` allows in a file
    // the user cannot read (bridge.conf 0600 root:root: the helper reads it with the user's uid and
    // fails) needs the permission fix, not a second `allow`: plans follow the defect.
    const denied = (b: string) => acl.rules.some((r) => r.type === 'deny' && (r.iface === b || r.iface === 'all'));
    const addable = notAllowed.filter((b) => !aclAllows(acl.rules, b) && !denied(b));
    const topText = top && !top.readError ? (await ctx.host.readFile(path)) : undefined;
    const current = topText?.ok ? topText.value.toString('utf8') : undefined;
    if (addable.length && current !== undefined) {
      const st = facts.find((f) => f.path === path)?.st;
      const keep = st && !unsafe(st, '') && modeAllows(user, st, 4);
      // The rewrite gives the top file a safe, readable mode and the other files' permission fixes
      // come along, so this one plan mends both; the permission plan alone would leave the bridge out.
      const others = permFixes.filter((a) => a.path !== path);
      const perm = fixes.findIndex((f) => f.id === 'helper-acl/permissions');
      if (perm >= 0) fixes.splice(perm, 1);
      fixes.unshift({
        id: 'helper-acl/allow',
        title: `allow ${addable.join(', ')} in ${path}${perm >= 0 ? `, and make the ACL files root-owned, not writable by others and readable by ${user.name}` : ''}`,
        risk: 'low',
        root: true,
        explain: 'names the existing bridges one by one; `allow all` would also admit bridges created later',
        actions: [
          { kind: 'write-file', path, content: aclContent(current, addable), mode: keep ? st.mode & 0o7777 : 0o644, uid: 0, gid: keep ? st.gid : 0 },
          ...others.filter((a) => a.kind === 'chown'),
          ...others.filter((a) => a.kind === 'chmod'),
        ],
      });
    }
    // Fix: replace `allow all` in the top file with the bridges that exist.
    if (allowAll.some((r) => r.file === path) && current !== undefined) {
      const lines = current.split('\n');
      const allowAllLines = new Set(allowAll.filter((r) => r.file === path).map((r) => r.line - 1));
      const rewritten = lines.map((l, i) => (allowAllLines.has(i) ? `# ${l.trim()}    (qnet: replaced by named bridges)` : l)).join('\n');
      const names = candidates.filter((b) => !named.some((r) => r.iface === b));
      fixes.push({
        id: 'helper-acl/no-allow-all',
        title: `replace \`allow all\` in ${path} with ${names.length ? names.map((b) => `allow ${b}`).join(', ') : 'nothing (no bridge exists)'}`,
        risk: 'low',
        root: true,
        explain: 'VMs started by any user could otherwise join any bridge, including ones created later',
        actions: [{ kind: 'write-file', path, content: aclContent(rewritten, names), mode: 0o644, uid: 0, gid: 0 }],
      });
    }

    if (otherAcls.length) details.push(`Another installed helper reads ${otherAcls.join(', ')} (not judged here).`);
    evidence.push({ source: `rules in ${path}${acl.files.length > 1 ? ` and ${acl.files.length - 1} include(s)` : ''}`, observed: acl.rules.length ? acl.rules.map((r) => `${r.type} ${r.iface}`).join(', ') : 'none' });

    if (fails.length) {
      return { title, status: 'fail', summary: fails[0]!, evidence, details: [...fails.slice(1), ...warns, ...details], fixes };
    }
    if (warns.length) {
      return { title, status: 'warn', summary: warns[0]!, evidence, details: [...warns.slice(1), ...details], fixes };
    }
    if (!candidates.length) {
      return {
        title,
        status: 'pass',
        summary: `${path} is valid and root-owned; no bridge exists yet to allow`,
        evidence,
        details: [...details, 'Once a bridge exists, add `allow BRIDGE` for it (qnet fix will offer it).'],
      };
    }
    return { title, status: 'pass', summary: `${path} allows ${allowed.filter((b) => candidates.includes(b)).join(', ')} and is root-owned, readable by ${user.name}`, evidence, details };
  },
};

export default check;

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const host = aclHost;
  const CONF = '/etc/qemu/bridge.conf';
  const privateInclude = (allow: string) => ({ files: { '/etc/qemu/private.conf': allow }, stats: { '/etc/qemu/private.conf': { mode: 0o600 } } });
  return [
    { name: 'allow br0, br0 exists, root 0644', host: host(), status: 'pass', summary: /allows br0 and is root-owned, readable by alice/ },
    { name: '0640 root:alice is readable through the group', host: host({ confStat: { mode: 0o640, gid: 1000 } }), status: 'pass', summary: /allows br0/ },
    { name: 'no bridges yet, valid file', host: host({ bridges: [], conf: '# nothing yet\n' }), status: 'pass', summary: /valid and root-owned; no bridge exists yet/ },
    { name: 'only Docker bridges and a valid file', host: host({ bridges: ['docker0', 'br-0123456789ab'], conf: '# none\n' }), status: 'pass', summary: /no bridge exists yet/ },
    { name: 'no helper installed', host: host({ helper: false, conf: null }), status: 'skip', summary: /no qemu-bridge-helper/ },
    { name: 'missing bridge.conf', host: host({ conf: null }), status: 'fail', summary: /\/etc\/qemu\/bridge.conf does not exist/ },
    { name: 'owned by alice', host: host({ confStat: { mode: 0o644, uid: 1000, gid: 1000 } }), status: 'fail', summary: /owned by alice:alice, not root: whoever can write it can put any tap on any bridge/ },
    { name: 'writable by everyone', host: host({ confStat: { mode: 0o666 } }), status: 'fail', summary: /writable by every user/ },
    { name: 'group-writable by netdev', host: host({ confStat: { mode: 0o664, gid: 108 } }), status: 'fail', summary: /writable by group netdev/ },
    { name: '/etc/qemu writable by a group', host: host({ dirStat: { type: 'dir', mode: 0o775, gid: 1000 } }), status: 'fail', summary: /^\/etc\/qemu is writable by group alice/ },
    { name: '0600 root: the helper reads it as alice', host: host({ confStat: { mode: 0o600 } }), status: 'fail', summary: /alice cannot read \/etc\/qemu\/bridge.conf .*failed to parse default acl file/ },
    { name: '0600 root judged for root', host: host({ confStat: { mode: 0o600 }, extra: { invoker: { uid: 0, euid: 0, user: 'root' } } }), status: 'pass', summary: /allows br0/ },
    { name: 'capitalised Allow', host: host({ conf: 'Allow br0\n' }), status: 'fail', summary: /^\/etc\/qemu\/bridge.conf:1: unknown command "Allow"/ },
    { name: 'missing argument', host: host({ conf: 'allow br0\nallow\n' }), status: 'fail', summary: /bridge.conf:2: invalid line/ },
    { name: '16-byte name', host: host({ conf: 'allow br0\nallow 0123456789abcdef\n' }), status: 'fail', summary: /bridge.conf:2: name .* 16 bytes/ },
    { name: 'include loop', host: host({ conf: 'allow br0\ninclude /etc/qemu/a.conf\n', extra: { files: { '/etc/qemu/a.conf': `include ${CONF}\n` }, stats: { '/etc/qemu/a.conf': { mode: 0o644 } } } }), status: 'fail', summary: /include loop.*crashes/ },
    { name: 'allow all', host: host({ conf: 'allow all\n' }), status: 'warn', summary: /`allow all` at \/etc\/qemu\/bridge.conf:1/ },
    { name: 'allows a bridge that does not exist', host: host({ conf: 'allow br0\nallow br9\n' }), status: 'warn', summary: /no bridge br9 exists/ },
    { name: 'allows a NIC, not a bridge', host: host({ conf: 'allow br0\nallow eth0\n' }), status: 'warn', summary: /eth0 exists but is not a bridge/ },
    { name: 'allows a name that can never match', host: host({ conf: 'allow br0\nallow a b\n' }), status: 'warn', summary: /can never match/ },
    { name: 'one of two bridges not allowed', host: host({ bridges: ['br0', 'br1'] }), status: 'warn', summary: /bridge br1 is not allowed/ },
    { name: 'no existing bridge allowed', host: host({ conf: 'allow br1\n' }), status: 'fail', summary: /no existing bridge is allowed \(br0\).*access denied by acl file/ },
    { name: 'allow then deny', host: host({ conf: 'allow br0\ndeny br0\n' }), status: 'fail', summary: /no existing bridge is allowed/ },
    { name: 'deny then allow', host: host({ conf: 'deny br0\nallow br0\n' }), status: 'fail', summary: /no existing bridge is allowed/ },
    { name: 'tab separator works', host: host({ conf: 'allow\tbr0\n' }), status: 'pass', summary: /allows br0/ },
    { name: 'allow only in an include alice cannot read', host: host({ conf: 'include /etc/qemu/private.conf\n', extra: privateInclude('allow br0\n') }), status: 'fail', summary: /no existing bridge is allowed/ },
    { name: 'an include alice cannot read, while the top file still allows the bridge', host: host({ conf: 'allow br0\ninclude /etc/qemu/private.conf\n', extra: privateInclude('allow br1\n') }), status: 'warn', summary: /alice cannot read \/etc\/qemu\/private.conf .*skips it silently/ },
    { name: 'missing include next to a working allow', host: host({ conf: 'allow br0\ninclude /etc/qemu/gone.conf\n', extra: { files: { '/etc/qemu/gone.conf': null } } }), status: 'warn', summary: /gone.conf: included file cannot be read/ },
    { name: 'bridge named a;b allowed', host: host({ bridges: ['a;b'], conf: 'allow a;b\n' }), status: 'pass', summary: /allows a;b/ },
    { name: 'a replayed snapshot without the file', host: { ...host(), files: {} }, snapshot: true, status: 'skip', summary: 'not captured' },
  ];
}

/**
 * A host record for the table above and test/checks/helper-acl.test.ts: qemu-bridge-helper installed
 * setuid (unless `helper` is false), /etc/qemu/bridge.conf holding `conf` (default `allow br0`; null:
 * missing) with `confStat`, /etc/qemu with `dirStat`, the bridges `bridges` (default br0) next to eth0
 * and the NICs `others`; `extra` adds to it.
 */
export function aclHost(o: { conf?: string | null; confStat?: StatSpec; dirStat?: StatSpec; bridges?: string[]; others?: string[]; extra?: HostSpec; helper?: boolean } = {}): HostSpec {
  const CONF = '/etc/qemu/bridge.conf';
  const links = [{ name: 'lo' }, { name: 'eth0' }, ...(o.others ?? []).map((name) => ({ name })), ...(o.bridges ?? ['br0']).map((name) => ({ name, kind: 'bridge' }))];
  const conf = o.conf === undefined ? 'allow br0\n' : o.conf;
  const x = o.extra ?? {};
  return {
    ...x,
    files: { [CONF]: conf, ...x.files },
    dirs: o.helper === false ? {} : { '/usr/lib/qemu': ['qemu-bridge-helper'], ...x.dirs },
    stats: {
      '/usr/lib/qemu/qemu-bridge-helper': { mode: 0o4755 },
      ...(conf === null ? { [CONF]: null } : { [CONF]: o.confStat ?? { mode: 0o644 } }),
      '/etc/qemu': o.dirStat ?? { type: 'dir', mode: 0o755 },
      ...x.stats,
    },
    links,
    exec: { ...x.exec },
  };
}
