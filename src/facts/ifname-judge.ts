// Every interface named in network configuration must exist: the judge behind
// ifname-mismatch (on a host) and guest-ifname (inside a VM). A name the config
// uses that no interface has (/etc/network/interfaces says eth0, the NIC is
// enp0s3 with predictable names), netplan matches that match nothing, and udev
// rename rules written with '=' (an assignment, so they match every NIC).
import type { Context } from '../context.js';
import { configNames } from './ifnames.js';
import { requireLinks, validIfname, type Link } from '../model/network.js';
import { text } from '../host/host.js';
import { fixUdevLine, globMatch, type NameRef } from '../parse/netconfig.js';
import type { Evidence, Finding, FixPlan } from '../types.js';
import { NotCaptured } from '../errors.js';
import { showArgv } from '../output/shell.js';

interface Missing {
  ref: NameRef;
  suggestion?: Link;
  why?: string;
}

function suggest(ref: NameRef, links: Link[], referenced: Set<string>): { link?: Link; why?: string } {
  if (ref.mac) {
    const byMac = links.find((l) => l.mac === ref.mac);
    if (byMac) return { link: byMac, why: 'same MAC' };
  }
  const nics = links.filter((l) => l.physical && !referenced.has(l.name));
  const predictable = nics.filter((l) => /^(en|wl|ww)/.test(l.name));
  if (/^eth\d+$/.test(ref.name) && predictable.length === 1) return { link: predictable[0]!, why: 'predictable name of the only unconfigured NIC' };
  if (nics.length === 1) return { link: nics[0]!, why: 'the only NIC no config names' };
  return {};
}

/**
 * Names qnet writes into a config file or udev rule. ifupdown runs its
 * commands through `sh -c` with the name pasted in (`ip link set dev %iface% up`),
 * and udev expands `$` and `%` in NAME=: a name like `a;b` or `$(id)`, legal
 * for the kernel, is never written by a fix.
 */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/;
const safeName = (n: string) => validIfname(n) && SAFE_NAME.test(n);

/** A netplan `match: {macaddress: ...}` reference: its name is only the config's ID. */
const byMac = (ref: NameRef) => ref.mac !== undefined && /\.match\.macaddress: /.test(ref.text);

function renameInFile(body: string, from: string, to: string): string {
  const re = new RegExp(`(^|[\\s:=,"'\\[])${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=$|[\\s:,"'\\]#.])`, 'gm');
  return body.replace(re, (_m, pre: string) => `${pre}${to}`);
}

/**
 * The one judge of the interface names network configuration uses: reported by
 * ifname-mismatch on a host and by guest-ifname inside a VM, never by both.
 */
export async function judgeNames(ctx: Context, area: 'config' | 'guest'): Promise<Finding> {
  const [names, ls] = await Promise.all([configNames(ctx), requireLinks(ctx)]);
  if (names.notCaptured && !names.files.length) throw new NotCaptured('the network configuration files');
  // lo always exists, even where the listing lacks it (a snapshot without iproute2).
  const exists = new Set(['lo', ...ls.links.map((l) => l.name)]);
  const macs = new Map(ls.links.filter((l) => l.mac && l.name !== 'lo').map((l) => [l.mac!.toLowerCase(), l]));
  const referenced = new Set(names.refs.map((r) => r.name));
  const evidence: Evidence[] = [{ source: ls.source, observed: ls.links.map((l) => `${l.name}${l.mac && l.name !== 'lo' ? ` (${l.mac})` : ''}`).join(', ') }];
  for (const f of names.files) evidence.push({ source: `read ${f}`, observed: [...new Set(names.refs.filter((r) => r.file === f).map((r) => r.name))].join(', ') || 'no interface names' });
  const fails: string[] = [];
  const warns: string[] = names.notes.filter((n) => n.level === 'warn').map((n) => n.text);
  const details: string[] = names.notes.filter((n) => n.level === 'info').map((n) => n.text);
  const fixes: FixPlan[] = [];
  const missing: Missing[] = [];

  const macFixes: { ref: NameRef; to: Link }[] = [];
  const reported = new Map<string, string[]>();
  for (const ref of names.refs) {
    // netplan matched by MAC: the NIC is whatever interface has that MAC.
    if (byMac(ref) || ref.role === 'rename') {
      const where = `${ref.file}:${ref.line}`;
      const nic = macs.get(ref.mac!);
      if (!nic) {
        const s = suggest({ ...ref, mac: undefined } as NameRef, ls.links, referenced);
        if (s.link?.mac) macFixes.push({ ref, to: s.link });
        fails.push(`${where} (${ref.text}) matches MAC ${ref.mac}, which no interface has${s.link ? `; the NIC here is ${s.link.name}${s.link.mac ? ` (${s.link.mac})` : ''}` : ''}`);
      } else if (ref.role === 'rename' && nic.name !== ref.name) {
        warns.push(`${where} renames ${nic.name} (${ref.mac}) to ${ref.name}, which has not happened yet: netplan renames at boot (or netplan apply with the interface down)`);
      }
      continue;
    }
    // netplan match.name globs, and renames by name (match.name + set-name).
    if (ref.glob || ref.before) {
      if (ref.before && exists.has(ref.name)) continue; // renamed already
      const where = `${ref.file}:${ref.line}`;
      const nics = ls.links.filter((l) => l.name !== 'lo');
      const pattern = ref.before ?? ref.name;
      const now = ref.glob ? nics.filter((l) => globMatch(pattern, l.name)).map((l) => l.name) : nics.filter((l) => l.name === pattern).map((l) => l.name);
      if (!ref.before) {
        if (!now.length) fails.push(`${where} (${ref.text}) matches no interface; the NICs here: ${nics.map((l) => l.name).join(', ') || 'none'}`);
      } else if (now.length) {
        warns.push(`${where} renames ${now.join(', ')} to ${ref.name}, which has not happened yet: netplan renames at boot (or netplan apply with the interface down)`);
      } else {
        fails.push(`${where} (${ref.text}): neither ${ref.before} nor ${ref.name} exists; the NICs here: ${nics.map((l) => l.name).join(', ') || 'none'}`);
      }
      continue;
    }
    if (exists.has(ref.name)) continue;
    const where = `${ref.file}:${ref.line}`;
    // One line per missing name and file; later mentions are listed with the first.
    const key = `${ref.file}\0${ref.name}`;
    if (reported.has(key)) {
      reported.get(key)!.push(String(ref.line));
      continue;
    }
    reported.set(key, []);
    if (!validIfname(ref.name)) {
      fails.push(`${where} names "${ref.name}", which can never exist (interface names have 1 to 15 bytes, no spaces, '/' or ':')`);
      continue;
    }
    if (ref.role === 'defined') warns.push(`${where} defines ${ref.name}, which does not exist yet: bring it up (${showArgv(['ifup', ref.name])}, netplan apply, or nmcli connection up)`);
    else if (ref.role === 'bridge') {
      if (ref.file.includes('bridge.conf')) warns.push(`${where} allows bridge ${ref.name}, which does not exist`);
      else fails.push(`${where} attaches taps to bridge ${ref.name}, which does not exist`);
    } else {
      const s = suggest(ref, ls.links, referenced);
      missing.push({ ref, ...(s.link ? { suggestion: s.link } : {}), ...(s.why ? { why: s.why } : {}) });
      fails.push(
        `${where} configures ${ref.name}, which does not exist` +
          (s.link ? `; the NIC here is ${s.link.name}${s.link.mac ? ` (${s.link.mac})` : ''}` : ''),
      );
    }
  }

  for (const [key, lines] of reported) {
    if (lines.length) details.push(`${key.split('\0')[1]} is also named at ${key.split('\0')[0]} line${lines.length > 1 ? 's' : ''} ${lines.join(', ')}`);
  }

  // udev rename rules.
  for (const r of names.renames) {
    const where = `${r.file}:${r.line}`;
    if (r.assignedMatches.length) {
      fails.push(`${where}: ${r.assignedMatches.join(', ')} uses '=', an assignment, not a match: the rule matches every network device and tries to name them all ${r.name} (write ==)`);
      const body = text(await ctx.host.readFile(r.file));
      if (body !== undefined) {
        const fixed = body.split('\n').map((l, i) => (i + 1 === r.line ? fixUdevLine(l) : l)).join('\n');
        fixes.push({ id: `${area === 'guest' ? 'guest-ifname' : 'ifname-mismatch'}/udev-match`, title: `make ${r.file}:${r.line} match with ==`, risk: 'low', root: true, explain: 'takes effect at the next boot (or: udevadm control --reload && udevadm trigger -c add -s net)', actions: [{ kind: 'write-file', path: r.file, content: fixed, mode: 0o644, uid: 0, gid: 0 }] });
      }
      continue;
    }
    if (r.mac) {
      const nic = ls.links.find((l) => l.mac === r.mac);
      if (!nic) warns.push(`${where} renames MAC ${r.mac} to ${r.name}, but no interface has that MAC (a stale rule, e.g. from a cloned VM)`);
      else if (nic.name !== r.name) warns.push(`${where} should have named ${nic.name} (${r.mac}) ${r.name}; the rename has not happened (it applies when the device appears: reboot, or udevadm trigger -c add -s net)`);
    }
  }

  // Fixes for missing NIC names: rename in the file (recommended), a udev rule by MAC, or net.ifnames=0.
  const id = (x: string) => `${area === 'guest' ? 'guest-ifname' : 'ifname-mismatch'}/${x}`;
  const m = missing.find((x) => x.suggestion);
  if (m?.suggestion) {
    const body = text(await ctx.host.readFile(m.ref.file));
    if (body !== undefined && safeName(m.suggestion.name)) {
      fixes.unshift({
        id: id('rename-in-config'),
        title: `use ${m.suggestion.name} instead of ${m.ref.name} in ${m.ref.file}`,
        risk: 'medium',
        root: true,
        disruptive: true,
        explain: `${m.why ?? ''}; the interface is configured by its real name (${showArgv(['ifup', m.suggestion.name])}, or reboot)`.replace(/^; /, ''),
        actions: [{ kind: 'write-file', path: m.ref.file, content: renameInFile(body, m.ref.name, m.suggestion.name), mode: 0o644, uid: 0, gid: 0 }],
      });
    }
    if (m.suggestion.mac && safeName(m.ref.name)) {
      fixes.push({
        id: id('udev-rename'),
        title: `rename the NIC with MAC ${m.suggestion.mac} to ${m.ref.name} at boot (udev rule, ==)`,
        risk: 'medium',
        root: true,
        disruptive: true,
        explain: 'keeps the config as it is; takes effect at the next boot',
        actions: [{ kind: 'write-file', path: '/etc/udev/rules.d/70-qnet-rename.rules', content: `SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="${m.suggestion.mac}", NAME="${m.ref.name}"\n`, mode: 0o644, uid: 0, gid: 0 }],
      });
    }
    if (/^eth\d+$/.test(m.ref.name)) {
      const grub = text(await ctx.host.readFile('/etc/default/grub'));
      if (grub !== undefined && !/net\.ifnames=0/.test(grub)) {
        const edited = grub.replace(/^GRUB_CMDLINE_LINUX="([^"]*)"/m, (_x, v: string) => `GRUB_CMDLINE_LINUX="${`${v} net.ifnames=0`.trim()}"`);
        if (edited !== grub) {
          fixes.push({
            id: id('net-ifnames-0'),
            title: 'go back to eth0-style names: net.ifnames=0 on the kernel command line',
            risk: 'medium',
            root: true,
            disruptive: true,
            explain: 'renames every NIC at the next boot; other configs naming en* names would then break',
            actions: [
              { kind: 'write-file', path: '/etc/default/grub', content: edited, mode: 0o644, uid: 0, gid: 0 },
              // update-grub writes grub.cfg and nothing else: the journal keeps it, so undo puts it back.
              { kind: 'run', argv: ['update-grub'], why: 'regenerate grub.cfg; reboot to apply', touches: ['/boot/grub/grub.cfg'], onlyTouches: true },
            ],
          });
        }
      }
    }
  }

  const mf = macFixes[0];
  if (mf) {
    const body = text(await ctx.host.readFile(mf.ref.file));
    const re = new RegExp(mf.ref.mac!.replace(/:/g, '[:-]'), 'gi');
    if (body !== undefined && re.test(body)) {
      fixes.unshift({
        id: id('mac-in-config'),
        title: `match ${mf.to.name}'s MAC ${mf.to.mac} instead of ${mf.ref.mac} in ${mf.ref.file}`,
        risk: 'medium',
        root: true,
        disruptive: true,
        explain: 'the only NIC no config names; applies at the next boot or netplan apply',
        actions: [{ kind: 'write-file', path: mf.ref.file, content: body.replace(re, mf.to.mac!), mode: 0o600, uid: 0, gid: 0 }],
      });
    }
  }

  const scope = area === 'guest' ? "this guest's network configuration" : 'the network configuration';
  if (fails.length) return { status: 'fail', summary: fails[0]!, evidence, fixes, details: [...fails.slice(1), ...warns, ...details] };
  if (warns.length) return { status: 'warn', summary: warns[0]!, evidence, fixes, details: [...warns.slice(1), ...details] };
  const n = names.refs.length;
  return {
    status: 'pass',
    summary: n ? `all ${new Set(names.refs.map((r) => r.name)).size} interface name(s) in ${scope} exist` : `no interface names in ${scope}`,
    evidence,
    ...(details.length ? { details } : {}),
  };
}

