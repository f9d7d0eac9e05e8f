// Every interface name written in network configuration, with where it is
// written: interfaces(5) and what it sources, netplan, NetworkManager
// keyfiles, /etc/qemu/bridge.conf, /etc/qemu-ifup, udev rename rules.
import type { Context } from '../context.js';
import { describeError, NOT_CAPTURED, text } from '../host/host.js';
import { readBridgeAcl } from './bridge-helper.js';
import { scriptFacts } from '../parse/ifup-script.js';
import { nmKeyfiles } from './nm.js';
import { parseInterfaces, parseUdevRules, type NameRef, type UdevRename } from '../parse/netconfig.js';

export interface ConfigNames {
  refs: NameRef[];
  renames: UdevRename[];
  /** Files read, for evidence. */
  files: string[];
  /** Things worth saying that are not a missing name (unreadable files, unsourced interfaces.d). */
  notes: { level: 'warn' | 'info'; text: string }[];
  /** Some read was not captured in the snapshot. */
  notCaptured: boolean;
}

function globToRe(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

async function expandGlob(ctx: Context, pattern: string): Promise<string[]> {
  if (!/[*?]/.test(pattern)) return [pattern];
  const slash = pattern.lastIndexOf('/');
  const dir = pattern.slice(0, slash) || '/';
  const re = globToRe(pattern.slice(slash + 1));
  const r = await ctx.host.readdir(dir);
  return r.ok ? r.value.filter((n) => re.test(n) && !n.startsWith('.')).map((n) => `${dir}/${n}`) : [];
}

async function readInterfaces(ctx: Context, out: ConfigNames): Promise<void> {
  const seen = new Set<string>();
  const visit = async (file: string, depth: number): Promise<void> => {
    if (seen.has(file) || depth > 8) return;
    seen.add(file);
    const r = await ctx.host.readFile(file);
    if (!r.ok) {
      if (r.code === NOT_CAPTURED) out.notCaptured = true;
      else if (r.code !== 'ENOENT' || depth > 0) out.notes.push({ level: 'warn', text: `${file}: ${describeError(r)}` });
      return;
    }
    out.files.push(file);
    const parsed = parseInterfaces(r.value.toString('utf8'), file);
    out.refs.push(...parsed.refs);
    const base = file.slice(0, file.lastIndexOf('/')) || '/';
    for (const s of parsed.sources) {
      const arg = s.arg.startsWith('/') ? s.arg : `${base}/${s.arg}`;
      if (s.kind === 'source') for (const f of await expandGlob(ctx, arg)) await visit(f, depth + 1);
      else {
        const d = await ctx.host.readdir(arg);
        if (d.ok) for (const n of d.value.filter((x) => /^[a-zA-Z0-9_-]+$/.test(x))) await visit(`${arg}/${n}`, depth + 1);
      }
    }
  };
  await visit('/etc/network/interfaces', 0);
  if (!out.files.includes('/etc/network/interfaces')) return;
  // Seed 004: files in interfaces.d do nothing unless the main file sources them.
  const d = await ctx.host.readdir('/etc/network/interfaces.d');
  if (d.ok) {
    const unsourced = d.value.filter((n) => /^[a-zA-Z0-9_-]+$/.test(n) && !seen.has(`/etc/network/interfaces.d/${n}`));
    if (unsourced.length) {
      out.notes.push({ level: 'warn', text: `/etc/network/interfaces.d/ has ${unsourced.join(', ')}, but /etc/network/interfaces does not source it (add: source /etc/network/interfaces.d/*)` });
    }
  }
}

interface NetplanDoc {
  network?: Record<string, Record<string, Record<string, unknown>> | unknown>;
}

const NETPLAN_SECTIONS = ['ethernets', 'wifis', 'bridges', 'bonds', 'vlans', 'tunnels', 'vrfs'];

async function readNetplan(ctx: Context, out: ConfigNames): Promise<void> {
  // Same file name: /run shadows /etc, which shadows /lib (netplan-generate(8)).
  const byName = new Map<string, string>();
  for (const dir of ['/lib/netplan', '/etc/netplan', '/run/netplan']) {
    const r = await ctx.host.readdir(dir);
    if (r.ok) for (const n of r.value.filter((x) => x.endsWith('.yaml'))) byName.set(n, `${dir}/${n}`);
    else if (r.code === NOT_CAPTURED) out.notCaptured = true;
  }
  if (!byName.size) return;
  // yaml is CommonJS: in the esbuild bundle its chunk exports only `default` (module.exports).
  const mod = (await import('yaml')) as Partial<typeof import('yaml')> & { default?: typeof import('yaml') };
  const { parseDocument, LineCounter } = (mod.parseDocument ? mod : mod.default!) as typeof import('yaml');
  // Parse every file first: a bridge's `interfaces:` names netplan IDs, which may be
  // defined (with match: and set-name:) in another file.
  const docs: { file: string; net: Record<string, unknown>; lineOf: (path: string[]) => number }[] = [];
  for (const file of [...byName.keys()].sort().map((n) => byName.get(n)!)) {
    const r = await ctx.host.readFile(file);
    if (!r.ok) {
      out.notes.push({ level: 'warn', text: `${file}: ${describeError(r)}${r.code === 'EACCES' ? ' (netplan files are often root-only: run as root)' : ''}` });
      continue;
    }
    out.files.push(file);
    const lc = new LineCounter();
    const doc = parseDocument(r.value.toString('utf8'), { lineCounter: lc });
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      out.notes.push({ level: 'warn', text: `${file}:${e.linePos?.[0]?.line ?? '?'}: not valid YAML (${e.message.split('\n')[0]}); netplan refuses the whole configuration` });
      continue;
    }
    const data = doc.toJS() as NetplanDoc | null;
    // The line of the key itself (`eth0:`), not of its first setting.
    const lineOf = (path: string[]) => {
      const parent = doc.getIn(path.slice(0, -1), true) as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | undefined;
      const key = parent?.items?.find((it) => it.key?.value === path[path.length - 1])?.key;
      return key?.range ? lc.linePos(key.range[0]).line : 1;
    };
    docs.push({ file, net: (data?.network ?? {}) as Record<string, unknown>, lineOf });
  }
  const deviceIds = new Set(docs.flatMap((d) => NETPLAN_SECTIONS.flatMap((sec) => Object.keys((d.net[sec] ?? {}) as object))));
  for (const { file, net, lineOf } of docs) {
    for (const section of NETPLAN_SECTIONS) {
      const entries = net[section];
      if (!entries || typeof entries !== 'object') continue;
      for (const [id, raw] of Object.entries(entries as Record<string, unknown>)) {
        const conf = (raw ?? {}) as Record<string, unknown>;
        const line = lineOf(['network', section, id]);
        const match = conf.match as Record<string, unknown> | undefined;
        const setName = typeof conf['set-name'] === 'string' ? (conf['set-name'] as string) : undefined;
        if (section === 'ethernets' || section === 'wifis') {
          if (match) {
            const mac = typeof match.macaddress === 'string' ? match.macaddress.toLowerCase() : undefined;
            const name = typeof match.name === 'string' ? match.name : undefined;
            const glob = name !== undefined && /[*?[]/.test(name);
            if (name && setName) {
              // Renamed by name: the interface is `name` until the rename, `setName` after it.
              out.refs.push({ name: setName, before: name, ...(glob ? { glob } : {}), file, line, role: 'physical', ...(mac ? { mac } : {}), text: `${section}.${id}.match.name: ${name}, set-name: ${setName}` });
            } else if (name) out.refs.push({ name, ...(glob ? { glob } : {}), file, line, role: 'physical', ...(mac ? { mac } : {}), text: `${section}.${id}.match.name: ${name}` });
            else if (mac) out.refs.push({ name: setName ?? id, file, line, role: setName ? 'rename' : 'physical', mac, text: `${section}.${id}.match.macaddress: ${mac}` });
          } else {
            out.refs.push({ name: id, file, line, role: 'physical', text: `${section}.${id}` });
          }
        } else {
          out.refs.push({ name: id, file, line, role: 'defined', text: `${section}.${id}` });
          const members = Array.isArray(conf.interfaces) ? conf.interfaces : [];
          for (const m of members) if (typeof m === 'string' && !deviceIds.has(m)) out.refs.push({ name: m, file, line, role: 'physical', master: id, text: `${section}.${id}.interfaces: ${m}` });
          if (section === 'vlans' && typeof conf.link === 'string' && !deviceIds.has(conf.link)) out.refs.push({ name: conf.link, file, line, role: 'physical', text: `${section}.${id}.link: ${conf.link}` });
        }
      }
    }
  }
}

async function readKeyfiles(ctx: Context, out: ConfigNames): Promise<void> {
  const nm = await nmKeyfiles(ctx);
  if (nm.notCaptured) out.notCaptured = true;
  for (const u of nm.unreadable) {
    out.notes.push({ level: 'info', text: u.dir ? `${u.path} is not readable as this user; run as root to include NetworkManager profiles` : `${u.path} is readable only by root (as NetworkManager requires); run as root to include it` });
  }
  // connection.controller names the bridge by interface name or by its profile's UUID.
  const ifnameOfUuid = new Map(nm.profiles.filter((p) => p.keyfile.uuid && p.keyfile.interfaceName).map((p) => [p.keyfile.uuid!, p.keyfile.interfaceName!]));
  for (const { path, name, keyfile: k } of nm.profiles) {
    out.files.push(path);
    if (!k.interfaceName) continue;
    const defined = ['bridge', 'bond', 'vlan', 'team', 'tun', 'dummy', 'wireguard', 'ip-tunnel', 'vrf'].includes(k.type ?? '');
    out.refs.push({ name: k.interfaceName, file: path, line: k.line('interface-name'), role: defined ? 'defined' : 'physical', ...(k.mac ? { mac: k.mac } : {}), ...(k.controller ? { master: ifnameOfUuid.get(k.controller) ?? k.controller } : {}), text: `interface-name=${k.interfaceName} (${k.type ?? 'profile'} "${k.id ?? name}")` });
  }
}

async function readQemuFiles(ctx: Context, out: ConfigNames): Promise<void> {
  const acl = await readBridgeAcl(ctx);
  for (const rule of acl.rules) {
    if (rule.iface !== 'all' && rule.type === 'allow') out.refs.push({ name: rule.iface, file: rule.file, line: rule.line, role: 'bridge', text: `allow ${rule.iface}` });
  }
  for (const path of ['/etc/qemu-ifup', '/etc/qemu-ifdown']) {
    const body = text(await ctx.host.readFile(path));
    if (!body) continue;
    for (const b of scriptFacts(body).bridges) out.refs.push({ name: b.name, file: path, line: b.line, role: 'bridge', text: `attaches taps to ${b.name}` });
  }
}

async function readUdev(ctx: Context, out: ConfigNames): Promise<void> {
  for (const dir of ['/etc/udev/rules.d', '/run/udev/rules.d']) {
    const r = await ctx.host.readdir(dir);
    if (!r.ok) continue;
    for (const n of r.value.filter((x) => x.endsWith('.rules'))) {
      const file = `${dir}/${n}`;
      const body = text(await ctx.host.readFile(file));
      if (body === undefined) continue;
      const renames = parseUdevRules(body, file);
      if (renames.length) out.files.push(file);
      out.renames.push(...renames);
    }
  }
}

export function configNames(ctx: Context): Promise<ConfigNames> {
  return ctx.memo('config-names', async () => {
    const out: ConfigNames = { refs: [], renames: [], files: [], notes: [], notCaptured: false };
    await Promise.all([readInterfaces(ctx, out), readNetplan(ctx, out), readKeyfiles(ctx, out), readQemuFiles(ctx, out), readUdev(ctx, out)]);
    // The readers ran concurrently: give every run (live or replayed) the same order.
    const byPlace = (a: { file: string; line: number }, b: { file: string; line: number }) => a.file.localeCompare(b.file) || a.line - b.line;
    out.refs.sort(byPlace);
    out.renames.sort(byPlace);
    out.files.sort();
    out.notes.sort((a, b) => a.text.localeCompare(b.text));
    return out;
  });
}
