// Parsers for the places interface names are written down: ifupdown's
// interfaces(5), NetworkManager keyfiles, udev rename rules. (netplan YAML is
// read in facts/ifnames.ts, with the yaml library loaded only when needed.)

export interface NameRef {
  name: string;
  file: string;
  line: number;
  /**
   * physical: must already exist (a NIC); defined: created by this config
   * (a bridge, bond, vlan); bridge: a bridge other software expects; rename:
   * a udev rule's target name.
   */
  role: 'physical' | 'defined' | 'bridge' | 'rename';
  /** The MAC this reference is tied to, when the config gives one. */
  mac?: string;
  /**
   * netplan `match.name` with `set-name`: the kernel's name (or a glob of names) the
   * interface has until the rename happens; `name` is what it is renamed to.
   */
  before?: string;
  /** `name` is a glob (netplan `match.name: en*`): it must match some interface. */
  glob?: boolean;
  /** The config makes `name` a port of this bridge (or bond). */
  master?: string;
  /** What the config says, for evidence. */
  text: string;
}

/** fnmatch(3) as netplan uses it for match.name: `*`, `?`, `[...]` / `[!...]`. */
export function globMatch(pattern: string, name: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  try {
    return new RegExp(`^${re}$`).test(name);
  } catch {
    return false;
  }
}

// ---- interfaces(5) ---------------------------------------------------------

export interface IfupdownFile {
  refs: NameRef[];
  /** `source` / `source-directory` arguments, in order, with their line numbers. */
  sources: { kind: 'source' | 'source-directory'; arg: string; line: number }[];
}

const VIRTUAL_OPTS = /^(bridge[_-]ports|bond[_-]slaves|bond[_-]master|vlan[_-]raw[_-]device|pre-up\s+ip\s+link\s+add|tunnel|mode)\b/;

export function parseInterfaces(body: string, file: string): IfupdownFile {
  const out: IfupdownFile = { refs: [], sources: [] };
  const lines = body.split('\n');
  // Join continuation lines (trailing backslash), keeping the first line number.
  const logical: { text: string; line: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    let t = lines[i]!;
    const start = i + 1;
    while (t.endsWith('\\') && i + 1 < lines.length) t = t.slice(0, -1) + ' ' + lines[++i]!;
    logical.push({ text: t.replace(/#.*$/, '').trim(), line: start });
  }
  let current: { name: string; line: number; defined: boolean; mac?: string } | undefined;
  const stanzas: { name: string; line: number; defined: boolean; mac?: string }[] = [];
  const mentions: NameRef[] = [];
  for (const { text: t, line } of logical) {
    if (!t) continue;
    const [kw = '', ...rest] = t.split(/\s+/);
    if (kw === 'iface') {
      current = { name: rest[0] ?? '', line, defined: /^(br|bond|vlan|team|virbr|lo$)/.test(rest[0] ?? '') || (rest[0] ?? '').includes('.') || (rest[0] ?? '').includes(':') };
      stanzas.push(current);
    } else if (kw === 'auto' || kw.startsWith('allow-')) {
      for (const n of rest) mentions.push({ name: n, file, line, role: 'physical', text: t });
      current = undefined;
    } else if (kw === 'mapping') {
      current = undefined;
    } else if (kw === 'source' || kw === 'source-directory') {
      out.sources.push({ kind: kw, arg: rest.join(' '), line });
      current = undefined;
    } else if (current) {
      if (VIRTUAL_OPTS.test(t)) current.defined = true;
      const ports = /^(bridge[_-]ports|bond[_-]slaves)\s+(.*)$/.exec(t);
      if (ports) {
        const words = ports[2]!.split(/\s+/);
        if (!words.includes('regex')) {
          for (const p of words) if (p && p !== 'none' && p !== 'all') out.refs.push({ name: p, file, line, role: 'physical', master: current.name, text: t });
        }
      }
      const raw = /^vlan[_-]raw[_-]device\s+(\S+)/.exec(t);
      if (raw) out.refs.push({ name: raw[1]!, file, line, role: 'physical', text: t });
      const hw = /^hwaddress\s+(?:ether\s+)?([0-9a-fA-F:]{17})/.exec(t);
      if (hw) current.mac = hw[1]!.toLowerCase();
    }
  }
  const definedNames = new Set(stanzas.filter((s) => s.defined).map((s) => s.name));
  for (const s of stanzas) {
    if (!s.name || s.name === 'lo') continue;
    out.refs.push({ name: s.name, file, line: s.line, role: s.defined ? 'defined' : 'physical', ...(s.mac ? { mac: s.mac } : {}), text: `iface ${s.name}` });
  }
  for (const m of mentions) {
    if (m.name === 'lo') continue;
    out.refs.push(definedNames.has(m.name) ? { ...m, role: 'defined' } : m);
  }
  return out;
}

// ---- NetworkManager keyfiles ---------------------------------------------------

export interface Keyfile {
  id?: string;
  uuid?: string;
  type?: string;
  interfaceName?: string;
  mac?: string;
  autoconnect: boolean;
  /** `master`/`controller`: this profile is a port of another. */
  controller?: string;
  line: (key: string) => number;
}

export function parseKeyfile(body: string): Keyfile {
  const sections = new Map<string, Map<string, { value: string; line: number }>>();
  let cur = '';
  body.split('\n').forEach((raw, i) => {
    const t = raw.trim();
    if (!t || t.startsWith('#') || t.startsWith(';')) return;
    const sec = /^\[(.+)\]$/.exec(t);
    if (sec) {
      cur = sec[1]!;
      if (!sections.has(cur)) sections.set(cur, new Map());
      return;
    }
    const eq = t.indexOf('=');
    if (eq > 0 && cur) sections.get(cur)!.set(t.slice(0, eq).trim(), { value: t.slice(eq + 1).trim(), line: i + 1 });
  });
  const get = (s: string, k: string) => sections.get(s)?.get(k);
  const type = get('connection', 'type')?.value;
  const hwSection = type === 'wifi' || type === '802-11-wireless' ? 'wifi' : 'ethernet';
  const mac = (get(hwSection, 'mac-address') ?? get('802-3-ethernet', 'mac-address'))?.value;
  const k: Keyfile = {
    autoconnect: get('connection', 'autoconnect')?.value !== 'false',
    line: (key: string) => get('connection', key)?.line ?? 1,
  };
  const id = get('connection', 'id')?.value;
  const uuid = get('connection', 'uuid')?.value;
  const ifn = get('connection', 'interface-name')?.value;
  const ctl = (get('connection', 'controller') ?? get('connection', 'master'))?.value;
  if (id) k.id = id;
  if (uuid) k.uuid = uuid;
  if (type) k.type = type;
  if (ifn) k.interfaceName = ifn;
  if (mac && /^[0-9a-fA-F:]{17}$/.test(mac)) k.mac = mac.toLowerCase();
  if (ctl) k.controller = ctl;
  return k;
}

// ---- udev rules ----------------------------------------------------------------

export interface UdevRename {
  file: string;
  line: number;
  name: string;
  /** ATTR{address} the rule matches (==), if any. */
  mac?: string;
  /** Match keys written with a single '=' (an assignment: the rule then matches every device). */
  assignedMatches: string[];
  text: string;
}

const MATCH_KEYS = /^(ACTION|DEVPATH|KERNEL|KERNELS|NAME|SYMLINK|SUBSYSTEM|SUBSYSTEMS|DRIVER|DRIVERS|ATTR\{[^}]+\}|ATTRS\{[^}]+\}|ENV\{[^}]+\}|TAG|TAGS|TEST|PROGRAM|RESULT)$/;
const ALWAYS_MATCH_ONLY = /^(ACTION|DEVPATH|KERNEL|KERNELS|SUBSYSTEM|SUBSYSTEMS|DRIVER|DRIVERS|ATTR\{address\}|ATTRS\{[^}]+\}|TAGS|TEST|RESULT)$/;

export function parseUdevRules(body: string, file: string): UdevRename[] {
  const out: UdevRename[] = [];
  body.split('\n').forEach((raw, i) => {
    const t = raw.trim();
    if (!t || t.startsWith('#')) return;
    const pairs = [...t.matchAll(/([A-Za-z_]+(?:\{[^}]*\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"/g)];
    const name = pairs.find((p) => p[1] === 'NAME' && (p[2] === '=' || p[2] === ':='));
    if (!name || !MATCH_KEYS.test('NAME')) return;
    const mac = pairs.find((p) => p[1] === 'ATTR{address}' && p[2] === '==');
    // A key that can only be matched, written with '=': udev does not compare it (ATTR{address}= even writes the attribute).
    const assigned = pairs.filter((p) => p[2] === '=' && ALWAYS_MATCH_ONLY.test(p[1]!)).map((p) => `${p[1]}="${p[3]}"`);
    out.push({ file, line: i + 1, name: name[3]!, ...(mac ? { mac: mac[3]!.toLowerCase() } : {}), assignedMatches: assigned, text: t });
  });
  return out;
}

/** The same rule with every mistaken '=' on a match key turned into '=='. */
export function fixUdevLine(line: string): string {
  return line.replace(/([A-Za-z_]+(?:\{[^}]*\})?)(\s*)=(\s*")/g, (m, key: string, sp: string, rest: string) => (ALWAYS_MATCH_ONLY.test(key) ? `${key}${sp}==${rest}` : m));
}
