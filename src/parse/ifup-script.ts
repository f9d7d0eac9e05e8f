// What a qemu-ifup/qemu-ifdown script does with bridges, read statically:
// literal bridge names it attaches taps to (brctl addif BR, ip link set ...
// master BR, ovs-vsctl add-port BR), resolving simple VAR=value assignments,
// whether the bridge is computed at run time (Debian's stock script takes
// the device of the default route), and which of its commands change network
// configuration (they need CAP_NET_ADMIN: QEMU runs the script with the rights
// of whoever started QEMU, so a non-root user's run ends in "RTNETLINK answers:
// Operation not permitted") or raise their rights first (sudo, doas, pkexec).

export interface ScriptFacts {
  /** Literal bridge names with their line numbers. */
  bridges: { name: string; line: number }[];
  /** The bridge is computed when the script runs (no literal name). */
  dynamic: boolean;
  /** Uses brctl as its way to attach (not only as a fallback behind `ip`). */
  needsBrctl: boolean;
  shebang?: { interpreter: string; args: string; crlf: boolean };
  /**
   * The file starts with a UTF-8 byte-order mark before `#!`: the kernel sees
   * EF BB BF, not `#!`, and refuses the file (ENOEXEC); `shebang` is then unset.
   */
  bom?: boolean;
  /** Commands that change network configuration, run with the caller's own rights (e.g. `ip link set`). */
  privileged: { line: number; cmd: string }[];
  /** Such commands run through sudo, doas, pkexec or su. */
  elevated: { line: number; cmd: string }[];
}

/**
 * Commands that change interfaces, bridges, addresses, routes or firewall state: each needs
 * CAP_NET_ADMIN (ip's RTNETLINK requests, brctl's and ifconfig's ioctls, tunctl's TUNSETOWNER).
 * Read-only forms (`ip link show`, `brctl show`, `ifconfig` alone) do not match.
 */
const PRIVILEGED: RegExp[] = [
  /(?:^|[\s;&|(`/])(ip(?:\s+-\S+)*\s+(?:l|li|lin|link|a|ad|addr|address|r|ro|route|n|neigh|neighbor|neighbour|tuntap|tap|tun)\s+(?:set|s|add|a|del|delete|d|replace|change|flush))\b/,
  /(?:^|[\s;&|(`/])(ip\s+(?:-\S+\s+)*-batch)\b/,
  /(?:^|[\s;&|(`/])(brctl\s+(?:addif|delif|addbr|delbr|stp|setfd|sethello|setmaxage|setageing|setbridgeprio|setpathcost|setportprio))\b/,
  /(?:^|[\s;&|(`/])(ifconfig\s+\S+\s+\S+)/,
  /(?:^|[\s;&|(`/])(ovs-vsctl)\b/,
  /(?:^|[\s;&|(`/])(tunctl)\b/,
  /(?:^|[\s;&|(`/])(sysctl\s+(?:-\S+\s+)*-w)\b/,
  /(?:^|[\s;&|(`/])(ethtool\s+-[sKA])\b/,
];
const ELEVATE = /(?:^|[\s;&|(`/])(sudo|doas|pkexec|su)(?=\s)/;

const ASSIGN_HEAD = /^\s*(?:export\s+|local\s+|readonly\s+)?([A-Za-z_][A-Za-z0-9_]*)=/;

/**
 * Reads one shell word starting at `i`: single quotes, double quotes and
 * backslashes as sh reads them. `literal` is false when it expands anything
 * ($, backquotes, globs outside quotes).
 */
export function shellWord(line: string, i: number): { value: string; literal: boolean } {
  let value = '';
  let literal = true;
  while (i < line.length && !/[\s;&|()<>]/.test(line[i]!)) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { value, literal: false };
      value += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length) i++;
        else if (line[i] === '$' || line[i] === '`') literal = false;
        value += line[i];
        i++;
      }
      i++;
    } else if (c === '\\') {
      value += line[i + 1] ?? '';
      i += 2;
    } else {
      if (c === '$' || c === '`' || c === '*' || c === '?' || c === '[') literal = false;
      value += c;
      i++;
    }
  }
  return { value, literal };
}

function unquote(word: string, vars: Map<string, string>): string | undefined {
  const w = word.replace(/^["']|["']$/g, '');
  const v = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(w);
  if (v) return vars.get(v[1]!);
  if (/[$`*?]/.test(w) || !w) return undefined;
  return w;
}

export function scriptFacts(body: string): ScriptFacts {
  const lines = body.split('\n');
  const vars = new Map<string, string>();
  const out: ScriptFacts = { bridges: [], dynamic: false, needsBrctl: false, privileged: [], elevated: [] };
  let first = lines[0] ?? '';
  if (first.startsWith('\uFEFF')) {
    first = first.slice(1);
    if (first.startsWith('#!')) out.bom = true;
  }
  if (first.startsWith('#!') && !out.bom) {
    const crlf = first.endsWith('\r');
    const rest = first.slice(2).replace(/\r$/, '').trim();
    const [interpreter = '', ...args] = rest.split(/\s+/);
    out.shebang = { interpreter, args: args.join(' '), crlf };
  }
  const usesIp = /\bip\s+link\s+set\b/.test(body);
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').replace(/(^|\s)#.*$/, '');
    const a = ASSIGN_HEAD.exec(line);
    if (a) {
      const w = shellWord(line, a[0].length);
      if (w.literal && w.value) vars.set(a[1]!, w.value);
      else vars.delete(a[1]!);
    }
    const add = (word: string | undefined) => {
      if (!word) return;
      const name = unquote(word, vars);
      if (name) out.bridges.push({ name, line: i + 1 });
      else out.dynamic = true; // attached to whatever a variable holds at run time
    };
    let m = /\bbrctl\s+addif\s+(\S+)/.exec(line);
    if (m) {
      add(m[1]);
      if (!usesIp) out.needsBrctl = true;
    }
    m = /\bip\s+link\s+set\b.*\bmaster\s+(\S+)/.exec(line);
    if (m) add(m[1]);
    m = /\bovs-vsctl\s+(?:--\S+\s+)*add-port\s+(\S+)/.exec(line);
    if (m) add(m[1]);
    for (const re of PRIVILEGED) {
      const p = re.exec(line);
      if (!p) continue;
      const cmd = p[1]!.replace(/\s+/g, ' ');
      // Raised only when sudo (doas, ...) comes before the command on its line.
      const e = ELEVATE.exec(line);
      (e && e.index < p.index + p[0].indexOf(p[1]!) ? out.elevated : out.privileged).push({ line: i + 1, cmd });
      break;
    }
  });
  const seen = new Set<string>();
  out.bridges = out.bridges.filter((b) => (seen.has(b.name) ? false : (seen.add(b.name), true)));
  return out;
}
