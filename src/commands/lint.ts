// qnet lint -- CMD... / qnet lint --pid PID: judges a QEMU or UML command
// line's network options against this host. Results use the qemu-cmdline and
// hostfwd-port IDs, plus the host checks the command line depends on.
import { ALL_CHECKS } from '../../checks/index.js';
import type { Context } from '../context.js';
import { runChecks, selectChecks, summarize } from '../engine.js';
import { bridgeHelpers, fileCaps } from '../facts/bridge-helper.js';
import { network, processes, tapOwnedBy, validIfname, vms } from '../model/network.js';
import { sysctl, which } from '../facts/system.js';
import { modeAllows, targetUser } from '../facts/users.js';
import { describeError, isFile, modeString, NOT_CAPTURED, text } from '../host/host.js';
import { aclAllows, readBridgeAcl } from '../parse/bridge-conf.js';
import { grantsNetAdmin } from '../parse/vfs-cap.js';
import { isQemuBinary, nicMacs, parseOpts, parseQemuCmdline, type QemuCmdline } from '../parse/qemu-cmdline.js';
import type { Check, CheckId, Evidence, Finding, Result } from '../types.js';
import { UsageError } from '../types.js';
import { showArgv } from '../fixes/preview.js';
import { scriptFacts } from '../parse/ifup-script.js';

const VALUE_OPTS = new Set(['-netdev', '-nic', '-net', '-device', '-M', '-machine', '-m', '-smp', '-drive', '-kernel', '-append', '-name', '-qmp', '-monitor', '-serial', '-display', '-cpu', '-accel', '-hda', '-cdrom', '-boot']);

export interface LintReport {
  kind: 'qemu' | 'uml';
  results: Result[];
}

interface Problem {
  level: 'fail' | 'warn';
  text: string;
}

/** ethN=tuntap,TAP[,MAC[,IP]] from a UML command line. */
export function umlTaps(argv: readonly string[]): { dev: string; tap: string; mac?: string }[] {
  const out: { dev: string; tap: string; mac?: string }[] = [];
  for (const a of argv.slice(1)) {
    const m = /^(eth\d+)=tuntap,([^,]*)(?:,([^,]*))?/.exec(a);
    if (m) out.push({ dev: m[1]!, tap: m[2]!, ...(m[3] ? { mac: m[3].toLowerCase() } : {}) });
  }
  return out;
}

/** Splits a command line into words as sh would (quotes, backslashes, whitespace); no expansions. */
function splitWords(line: string): string[] {
  const words: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      const stop = end < 0 ? line.length : end;
      cur = (cur ?? '') + line.slice(i + 1, stop);
      i = stop;
    } else if (c === '"') {
      cur ??= '';
      for (i++; i < line.length && line[i] !== '"'; i++) cur += line[i] === '\\' && '"\\$`'.includes(line[i + 1] ?? '') ? line[++i] : line[i];
    } else if (c === '\\') cur = (cur ?? '') + (line[++i] ?? '');
    else cur = (cur ?? '') + c;
  }
  if (cur !== undefined) words.push(cur);
  return words;
}

/**
 * A whole command line passed as one quoted argument (`qnet lint -- "qemu-system-x86_64 -m 1G"`),
 * recognised by its first word naming QEMU or UML: the words it should have been.
 */
export function quotedWhole(argv: readonly string[]): string[] | undefined {
  const first = argv[0] ?? '';
  if (!/\s/.test(first.trim())) return undefined;
  const words = splitWords(first);
  const bin = words[0] ?? '';
  return isQemuBinary(bin) || /(^|\/)(linux|vmlinux)(-[\w.]+)?$/.test(bin) ? [...words, ...argv.slice(1)] : undefined;
}

function checkShape(argv: readonly string[]): 'qemu' | 'uml' {
  if (!argv.length || !argv[0]) throw new UsageError('lint needs a command line: qnet lint -- qemu-system-x86_64 ...');
  const words = quotedWhole(argv);
  if (words) {
    // Shown split only when it holds no control character (the quoted form escapes them).
    const shown = /[\u0000-\u001f\u007f]/.test(words.join('')) ? undefined : showArgv(words);
    const example = shown === undefined ? '' : `: qnet lint -- ${shown.length > 300 ? `${shown.slice(0, 300)}…` : shown}`;
    throw new UsageError(`the command line came as one argument ${JSON.stringify(argv[0]!.length > 300 ? `${argv[0]!.slice(0, 300)}…` : argv[0])}; pass its words as separate arguments, without quotes around the whole${example}`);
  }
  if (isQemuBinary(argv[0])) {
    for (let i = 1; i < argv.length; i++) {
      if (VALUE_OPTS.has(argv[i]!) && (argv[i + 1] === undefined || (argv[i + 1]!.startsWith('-') && argv[i] !== '-append'))) {
        throw new UsageError(`malformed command line: ${argv[i]} needs a value`);
      }
    }
    return 'qemu';
  }
  if (umlTaps(argv).length || argv.slice(1).some((a) => /^(eth\d+=|vec\d+:)/.test(a)) || /(^|\/)(linux|vmlinux)(-[\w.]+)?$/.test(argv[0])) return 'uml';
  throw new UsageError(`not a QEMU or UML command line: ${argv[0]} (expected qemu-system-*, qemu-kvm, kvm, or a UML linux binary)`);
}

/** The removed `-net ...,vlan=N` pairs, rewritten as -netdev/-device. */
function modernise(cmd: QemuCmdline): string[] {
  const byVlan = new Map<string, { nic?: string; backend?: string }>();
  for (const o of cmd.legacyNet) {
    const vlan = o.props.get('vlan');
    if (vlan === undefined) continue;
    const e = byVlan.get(vlan) ?? {};
    const props = o.pairs.filter(([k]) => k !== 'vlan' && k !== 'name' && k !== 'model' && k !== 'macaddr');
    if (o.type === 'nic') {
      const mac = o.props.get('macaddr');
      const model = o.props.get('model') ?? 'e1000';
      e.nic = `-device ${model === 'virtio' ? 'virtio-net-pci' : model},netdev=net${vlan}${mac ? `,mac=${mac}` : ''}`;
    } else {
      e.backend = `-netdev ${[o.type, `id=net${vlan}`, ...props.map(([k, v]) => `${k}=${v}`)].join(',')}`;
    }
    byVlan.set(vlan, e);
  }
  return [...byVlan.values()].map((e) => [e.backend ?? '-netdev user,id=net?', e.nic ?? ''].join(' ').trim());
}

interface Listener {
  proto: 'tcp' | 'udp';
  port: number;
  inode: string;
}

async function listeners(ctx: Context): Promise<Listener[]> {
  const out: Listener[] = [];
  for (const [proto, file] of [['tcp', '/proc/net/tcp'], ['tcp', '/proc/net/tcp6'], ['udp', '/proc/net/udp'], ['udp', '/proc/net/udp6']] as const) {
    for (const line of (text(await ctx.host.readFile(file)) ?? '').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const state = f[3];
      if (proto === 'tcp' && state !== '0A') continue; // LISTEN
      const port = parseInt(f[1]!.split(':')[1] ?? '', 16);
      if (Number.isInteger(port)) out.push({ proto, port, inode: f[9]! });
    }
  }
  return out;
}

/** Which process holds each socket inode (one pass over every process's descriptors). */
async function socketOwners(ctx: Context): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const p of await processes(ctx)) {
    const fds = await ctx.host.readdir(`/proc/${p.pid}/fd`);
    if (!fds.ok) continue;
    for (const fd of fds.value) {
      const l = await ctx.host.readlink(`/proc/${p.pid}/fd/${fd}`);
      const m = l.ok ? /^socket:\[(\d+)\]$/.exec(l.value) : null;
      if (m && !out.has(m[1]!)) out.set(m[1]!, `pid ${p.pid} (${(p.argv[0] ?? '?').split('/').pop()})`);
    }
  }
  return out;
}

async function netdevBackends(ctx: Context, binary: string): Promise<string[] | undefined> {
  const path = binary.includes('/') ? binary : await which(ctx, binary);
  if (!path) return undefined;
  const r = await ctx.host.exec([path, '-netdev', 'help']);
  if (!r.ok || r.value.exitCode !== 0) return undefined;
  return r.value.stdout.split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
}

async function lintQemu(ctx: Context, argv: readonly string[], triggered: Set<CheckId>): Promise<{ cmdline: Finding; hostfwd: Finding }> {
  const cmd = parseQemuCmdline(argv);
  const problems: Problem[] = [];
  const evidence: Evidence[] = [{ source: 'command line', observed: `${cmd.netdevs.length} backend(s), ${cmd.nics.length} NIC(s)` }];
  const [ls, user] = await Promise.all([network(ctx), targetUser(ctx)]);
  // Everything below is linear in the command line: lookups go through sets and maps built once.
  const linkNames = new Set(ls.links.map((l) => l.name));
  const exists = (n: string) => linkNames.has(n);
  // Linting a running VM (--pid): the same argv is a live process, so its fd= were open.
  const argvKey = argv.join('\0');
  const sameArgv = (other: readonly string[]) => other.length === argv.length && other.join('\0') === argvKey;
  const runningSelf = (await processes(ctx)).some((p) => sameArgv(p.argv));

  const vlans = cmd.legacyNet.filter((o) => o.props.has('vlan'));
  if (vlans.length) {
    problems.push({ level: 'fail', text: `-net ...,vlan= was removed in QEMU 3.0 (hubs replaced vlans); write instead: ${modernise(cmd).join(' ')}` });
  }
  const idCount = new Map<string, number>();
  for (const n of cmd.netdevs) if (n.via === '-netdev') idCount.set(n.id ?? '', (idCount.get(n.id ?? '') ?? 0) + 1);
  for (const [id, count] of idCount) {
    if (!id) problems.push({ level: 'fail', text: '-netdev without id=: a NIC cannot refer to it' });
    else if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(id)) problems.push({ level: 'fail', text: `netdev id "${id}" is not an identifier (QEMU: "Parameter 'id' expects an identifier": letters, digits, '-', '.', '_', starting with a letter)` });
    else if (count > 1) problems.push({ level: 'fail', text: `netdev id "${id}" is used twice ("Duplicate ID '${id}' for netdev")` });
  }
  for (const nic of cmd.nics) {
    // macaddr= is -net nic's spelling; a -device NIC has mac= (QEMU 7.2: "Property 'e1000.macaddr' not found").
    if (nic.via === '-device' && parseOpts(nic.raw).props.has('macaddr')) problems.push({ level: 'fail', text: `-device ${nic.model} has no macaddr= property (that is -net nic's spelling): write mac= (QEMU: "Property '${nic.model}.macaddr' not found")` });
    if (nic.netdev && !idCount.has(nic.netdev)) problems.push({ level: 'fail', text: `${nic.model} refers to netdev "${nic.netdev}", which no -netdev defines` });
  }
  const backends = await netdevBackends(ctx, cmd.binary);
  if (backends) evidence.push({ source: `${cmd.binary} -netdev help`, observed: backends.join(' ') });
  else problems.push({ level: 'warn', text: `${cmd.binary} is not installed here (or did not answer), so its backends were not checked` });

  for (const nd of cmd.netdevs) {
    if (backends && nd.type && !backends.includes(nd.type) && nd.type !== 'nic') {
      problems.push({ level: 'fail', text: `this ${cmd.binary} has no "${nd.type}" backend${nd.type === 'user' ? ' (QEMU 7.2+ built without libslirp)' : ''}; it has: ${backends.join(', ')}` });
    }
    const ifname = nd.props.get('ifname');
    if (ifname !== undefined && !validIfname(ifname)) {
      const long = Buffer.byteLength(ifname) > 15;
      // QEMU copies the name into a 16-byte buffer: a long name is cut, silently (checked with QEMU 7.2).
      problems.push(
        long && validIfname(Buffer.from(ifname).subarray(0, 15).toString())
          ? { level: 'warn', text: `ifname "${ifname}" is ${Buffer.byteLength(ifname)} bytes: QEMU silently cuts it to "${Buffer.from(ifname).subarray(0, 15).toString()}", which scripts and bridge configs naming the full name will not find` }
          : { level: 'fail', text: `ifname "${ifname}" is not a name Linux accepts (1 to 15 bytes, no spaces, '/' or ':')` },
      );
    }
    // tap with fd=/fds= or helper= rejects the options of the other forms (QEMU 7.2 net/tap.c net_init_tap).
    const tapHelper = nd.type === 'tap' ? nd.props.get('helper') : undefined;
    if (nd.type === 'tap' && (nd.props.has('fd') || nd.props.has('fds'))) {
      const multi = nd.props.has('fds');
      const bad = ['ifname', 'script', 'downscript', 'vnet_hdr', 'helper', 'queues', multi ? 'vhostfd' : 'vhostfds'].filter((k) => nd.props.has(k));
      if (bad.length) problems.push({ level: 'fail', text: `${bad.map((k) => `${k}=`).join(', ')} cannot be combined with ${multi ? 'fds' : 'fd'}= (QEMU: "ifname=, script=, downscript=, vnet_hdr=, helper=, queues=, and ${multi ? 'vhostfd' : 'vhostfds'}= are invalid with ${multi ? 'fds' : 'fd'}=")` });
      // fd=N names a descriptor whoever starts QEMU hands it (libvirt does); typed by hand it is not open.
      if (!runningSelf) {
        const fds = [nd.props.get('fd'), ...(nd.props.get('fds') ?? '').split(':'), nd.props.get('vhostfd')].filter((x): x is string => !!x);
        problems.push({ level: 'fail', text: `fd=/fds=/vhostfd= (${fds.join(', ')}) name file descriptors that the program starting QEMU must pass it open (libvirt does); run by hand they are not open (QEMU 7.2: "Can't use file descriptor ${fds[0]}: Bad file descriptor"); use ifname=/script= or -netdev bridge instead` });
      }
    } else if (nd.type === 'tap' && tapHelper !== undefined) {
      const bad = ['ifname', 'script', 'downscript', 'vnet_hdr', 'queues', 'vhostfds'].filter((k) => nd.props.has(k));
      if (bad.length) problems.push({ level: 'fail', text: `${bad.map((k) => `${k}=`).join(', ')} cannot be combined with helper= (QEMU: "ifname=, script=, downscript=, vnet_hdr=, queues=, and vhostfds= are invalid with helper=")` });
    } else if (nd.type === 'tap') {
      triggered.add('tun-perms');
      for (const [key, def, checkId] of [['script', '/etc/qemu-ifup', 'qemu-ifup'], ['downscript', '/etc/qemu-ifdown', 'qemu-ifup']] as const) {
        const v = nd.props.get(key);
        if (v === 'no' || v === '') continue;
        const path = v ?? def;
        if (path === def) triggered.add(checkId);
        const st = await ctx.host.stat(path);
        // QEMU runs script= before the VM starts (a failure stops it) but downscript= only when
        // the tap closes: QEMU 7.2 starts with a missing downscript and prints the error at exit.
        const level = key === 'script' ? 'fail' : 'warn';
        const when = key === 'script' ? '' : ' when the VM stops (QEMU still starts, but the tap is not taken down or out of its bridge)';
        if (!st.ok) problems.push({ level, text: `${key} ${path}: ${describeError(st)} (QEMU: "network script ${path} failed with status 256"${when}); pass ${key}=no if the tap is set up by hand` });
        else if (!isFile(st.value) || (st.value.mode & 0o111) === 0) problems.push({ level, text: `${key} ${path} is not an executable file${when}` });
        else if (user.uid !== 0) {
          // QEMU runs the script with its user's rights: a command that changes the network fails
          // there (QEMU 7.2 as uid 4242: "RTNETLINK answers: Operation not permitted", then
          // "network script /etc/qemu-ifup failed with status 512").
          const body = await ctx.host.readFile(path);
          const first = body.ok ? scriptFacts(body.value.toString('utf8')).privileged[0] : undefined;
          if (first) {
            problems.push({
              level,
              text: `${key} ${path} runs with ${user.name}'s rights, and its \`${first.cmd}\` (line ${first.line}) needs CAP_NET_ADMIN (QEMU: "RTNETLINK answers: Operation not permitted", then "network script ${path} failed with status 512"${when}); for ${user.name} use -netdev bridge,br=BRIDGE (the bridge helper), or a tap owned by ${user.name} put on the bridge beforehand, with script=no,downscript=no`,
            });
          }
        }
      }
      if (ifname && validIfname(ifname)) {
        if (!exists(ifname) && user.uid !== 0) {
          problems.push({ level: 'warn', text: `tap ${ifname} does not exist: QEMU run by ${user.name} can create it only with CAP_NET_ADMIN (pre-create it: ${showArgv(['ip', 'tuntap', 'add', 'dev', ifname, 'mode', 'tap', 'user', user.name])})` });
        }
        if (exists(ifname)) {
          triggered.add('tap-state');
          // A tap another process has open: QEMU 7.2 "could not configure /dev/net/tun (tap0): Device or resource busy".
          for (const h of await vms(ctx)) {
            if (h.taps.includes(ifname) && !runningSelf) {
              problems.push({ level: 'fail', text: `tap ${ifname} is held by running pid ${h.pid} (${(h.argv[0] ?? '?').split('/').pop()}): a second QEMU fails with "could not configure /dev/net/tun (${ifname}): Device or resource busy"` });
              break;
            }
          }
        }
      }
      if (nd.props.get('vhost') === 'on') {
        triggered.add('vhost-net');
        const vh = await ctx.host.stat('/dev/vhost-net');
        if (!vh.ok) problems.push({ level: 'fail', text: 'vhost=on, but /dev/vhost-net does not exist' });
      }
    }
    // -netdev bridge, and -netdev tap,helper=... (which runs the helper the same way, br= or br0).
    if (nd.type === 'bridge' || tapHelper !== undefined) {
      const br = nd.props.get('br') ?? 'br0';
      const helper = nd.props.get('helper');
      const found = await bridgeHelpers(ctx);
      // helper-setuid judges the installed helper(s); a helper= elsewhere is judged here only.
      if (!helper || found.helpers.some((h) => h.path === helper)) triggered.add('helper-setuid');
      triggered.add('helper-acl');
      triggered.add('tun-perms');
      const path = helper ?? found.helpers.find((h) => h.isDefault)?.path;
      let helperOk = true;
      if (path) {
        const st = await ctx.host.stat(path);
        if (!st.ok) {
          helperOk = false;
          problems.push({ level: 'fail', text: `helper ${path}: ${describeError(st)} (QEMU: "bridge helper failed")` });
        } else if (!isFile(st.value) || (st.value.mode & 0o111) === 0) {
          helperOk = false;
          problems.push({ level: 'fail', text: `helper ${path} is not an executable file (QEMU: "bridge helper failed")` });
        } else if (user.uid !== 0 && (st.value.uid !== 0 || (st.value.mode & 0o4000) === 0)) {
          // Without setuid root or a cap_net_admin+ep file capability the helper cannot open /dev/net/tun
          // or enslave the tap. The same read and decoding helper-setuid uses (getfattr, or getcap).
          // (Only for an absolute path: a relative one could read as an option.)
          const fc = path.startsWith('/') ? await fileCaps(ctx, path) : undefined;
          if (fc?.kind === 'unknown') {
            problems.push({ level: 'warn', text: `helper ${path} is not setuid root, and whether it has cap_net_admin is not known (${fc.why}); without it the helper fails for ${user.name} (QEMU: "bridge helper failed")` });
          } else if (!(fc?.kind === 'caps' && grantsNetAdmin(fc.cap).ok)) {
            problems.push({ level: 'fail', text: `helper ${path} is neither setuid root nor given cap_net_admin, so it fails for ${user.name} (QEMU: "bridge helper failed")` });
          }
        }
      }
      const acl = await readBridgeAcl(ctx);
      if (helperOk && acl.unusable) problems.push({ level: 'fail', text: `the helper cannot read its ACL /etc/qemu/bridge.conf (helper: "failed to parse default acl file \`/etc/qemu/bridge.conf'")` });
      else if (!acl.unusable && !aclAllows(acl.rules, br)) problems.push({ level: 'fail', text: `/etc/qemu/bridge.conf does not allow ${br} ("access denied by acl file")` });
      if (!exists(br)) problems.push({ level: 'fail', text: `bridge ${br} does not exist (the helper fails: "failed to get mtu of bridge \`${br}'")` });
    }
    // socket,mcast=GROUP:PORT joins the group on the interface the kernel routes it to (localaddr= picks
    // one); with no route QEMU 7.2 stops: "can't add socket to multicast group G: No such device".
    if (nd.type === 'socket' && nd.props.has('mcast') && !nd.props.has('localaddr')) {
      const group = /^([\d.]+):\d+$/.exec(nd.props.get('mcast') ?? '')?.[1];
      if (!group) problems.push({ level: 'fail', text: `mcast=${nd.props.get('mcast')} is not GROUP:PORT with an IPv4 multicast group` });
      else {
        const r = await ctx.host.exec(['ip', 'route', 'get', group]);
        if (r.ok && r.value.exitCode !== 0) {
          problems.push({ level: 'fail', text: `no route to multicast group ${group} (ip route get: ${r.value.stderr.trim() || `exit ${r.value.exitCode}`}), so the socket cannot join it (QEMU: "can't add socket to multicast group ${group}: No such device"); add a route (ip route add 224.0.0.0/4 dev IFACE) or give localaddr=` });
        } else if (r.ok) evidence.push({ source: `ip route get ${group}`, observed: r.value.stdout.trim().split('\n')[0] ?? '' });
      }
    }
    // socket,...,localaddr=A binds to A: it must be an address of this host (of this namespace).
    if (nd.type === 'socket' && nd.props.has('localaddr')) {
      const a = nd.props.get('localaddr')!;
      if (!ls.links.some((l) => l.addrs.some((x) => x.local === a))) problems.push({ level: 'fail', text: `localaddr=${a} is not an address of this host, so the multicast socket cannot join its group there (QEMU 7.2: "can't add socket to multicast group ...: No such device")` });
    }
    // vde,sock=PATH: the vde_switch control socket (directory) must exist (QEMU 7.2: "Could not open vde: No such file or directory").
    if (nd.type === 'vde' && nd.props.has('sock')) {
      const st = await ctx.host.stat(nd.props.get('sock')!);
      if (!st.ok) problems.push({ level: 'fail', text: `vde sock=${nd.props.get('sock')}: ${describeError(st)}; start the switch first (vde_switch -F -sock ${nd.props.get('sock')}) (QEMU: "Could not open vde")` });
    }
    // user,smb=DIR runs smbd; QEMU 7.2 refuses to start without it ("Could not find '/usr/sbin/smbd', please install it").
    if (nd.type === 'user' && nd.props.has('smb')) {
      const smbd = await ctx.host.stat('/usr/sbin/smbd');
      if (!smbd.ok) problems.push({ level: 'fail', text: `smb= needs Samba's smbd, and /usr/sbin/smbd is missing (${describeError(smbd)}; QEMU: "Could not find '/usr/sbin/smbd', please install it"; Debian: apt install samba)` });
    }
  }

  // MACs: within this command line, and against running VMs.
  const macs = nicMacs(cmd);
  const seen = new Map<string, number>();
  for (const m of macs) seen.set(m.mac, (seen.get(m.mac) ?? 0) + 1);
  for (const [mac, n] of seen) if (n > 1) problems.push({ level: 'fail', text: `MAC ${mac} is given to ${n} NICs of this VM` });
  const running = (await vms(ctx)).filter((p) => p.kind === 'qemu' && !sameArgv(p.argv));
  for (const p of running) {
    const theirs = new Set(nicMacs(parseQemuCmdline(p.argv)).map((m) => m.mac));
    for (const m of macs) {
      if (theirs.has(m.mac)) {
        triggered.add('mac-duplicate');
        problems.push({ level: 'fail', text: `MAC ${m.mac}${m.defaulted ? " (QEMU's default; give this NIC mac=)" : ''} is already used by running VM pid ${p.pid}` });
      }
    }
  }

  // hostfwd host ports.
  const fwds = cmd.netdevs.filter((n) => n.type === 'user').flatMap((n) => n.pairs.filter(([k]) => k === 'hostfwd').map(([, v]) => v));
  let hostfwd: Finding;
  if (!fwds.length) hostfwd = { status: 'skip', summary: 'no hostfwd= on this command line' };
  else hostfwd = await hostfwdPorts(ctx, fwds, user);
  const fails = problems.filter((p) => p.level === 'fail');
  const warns = problems.filter((p) => p.level === 'warn');
  const cmdline: Finding = fails.length
    ? { status: 'fail', summary: fails[0]!.text, evidence, details: [...fails.slice(1), ...warns].map((p) => p.text) }
    : warns.length
      ? { status: 'warn', summary: warns[0]!.text, evidence, details: warns.slice(1).map((p) => p.text) }
      : { status: 'pass', summary: 'the network options are valid for this host', evidence };
  return { cmdline, hostfwd };
}

/** net.ipv4.ip_unprivileged_port_start of this network namespace: ports below it need root or CAP_NET_BIND_SERVICE. */
async function unprivilegedPortStart(ctx: Context): Promise<{ start: number; evidence: Evidence }> {
  const key = 'net.ipv4.ip_unprivileged_port_start';
  const r = await sysctl(ctx, key);
  const n = Number(r.value);
  // Kernels before 4.11 have no such sysctl: the limit is the old fixed 1024 (PROT_SOCK).
  if (r.value !== undefined && Number.isInteger(n) && n >= 0) return { start: n, evidence: { source: `read /proc/sys/${key.replace(/\./g, '/')}`, observed: String(n) } };
  return { start: 1024, evidence: { source: `read /proc/sys/${key.replace(/\./g, '/')}`, observed: `${r.error ?? 'unreadable'}; the kernel's fixed limit 1024 applies` } };
}

/**
 * hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport: QEMU binds the host port as
 * the user who runs it, so a port another socket listens on, or one below
 * ip_unprivileged_port_start for a non-root user, ends in "Could not set up host forwarding
 * rule" (QEMU 7.2). Port 0 lets the kernel pick a free one.
 */
async function hostfwdPorts(ctx: Context, fwds: string[], user: { name: string; uid: number }): Promise<Finding> {
  const socks = await listeners(ctx);
  const byPort = new Map<string, Listener>();
  for (const l of socks) if (!byPort.has(`${l.proto}:${l.port}`)) byPort.set(`${l.proto}:${l.port}`, l);
  const bad: string[] = [];
  const taken: string[] = [];
  const privileged: string[] = [];
  const evidence: Evidence[] = [];
  const limit = user.uid !== 0 ? await unprivilegedPortStart(ctx) : undefined;
  if (limit) evidence.push(limit.evidence);
  let owners: Promise<Map<string, string>> | undefined;
  for (const f of fwds) {
    const m = /^(tcp|udp)?:([^:]*):(\d+)-([^:]*):(\d+)$/.exec(f);
    if (!m) {
      bad.push(`hostfwd=${f} is not [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport`);
      continue;
    }
    const proto = (m[1] ?? 'tcp') as 'tcp' | 'udp';
    const port = Number(m[3]);
    if (port > 65535) {
      bad.push(`hostfwd=${f}: port ${port} is above 65535`);
      continue;
    }
    const hit = byPort.get(`${proto}:${port}`);
    if (hit && port !== 0) {
      owners ??= socketOwners(ctx);
      taken.push(`${proto} port ${port} is taken by ${(await owners).get(hit.inode) ?? 'another process'}`);
    } else if (limit && port !== 0 && port < limit.start) {
      privileged.push(`${proto} port ${port}`);
    }
  }
  const priv = privileged.length
    ? [
        `${privileged.join(', ')} ${privileged.length > 1 ? 'are' : 'is'} below net.ipv4.ip_unprivileged_port_start (${limit!.start}): only root or a process with CAP_NET_BIND_SERVICE may bind ${privileged.length > 1 ? 'them' : 'it'}, and QEMU runs as ${user.name}; pick a host port of ${limit!.start} or more (hostfwd=tcp::${Math.max(limit!.start, 2222)}-:22)`,
      ]
    : [];
  const problems = [...bad, ...taken, ...priv];
  if (!problems.length) return { status: 'pass', summary: `hostfwd ports free: ${fwds.join(', ')}`, evidence };
  return { status: 'fail', summary: problems.join('; '), evidence, details: ['QEMU then fails with: Could not set up host forwarding rule'] };
}

/**
 * UML's network options, judged as linux.uml 6.1 (Debian 12) behaves, run as the target user
 * (checked in a namespace as uid 4242): eth0=tuntap,TAP opens /dev/net/tun ("Failed to open
 * /dev/net/tun, err = 13") and attaches TAP ("TUNSETIFF failed, errno = 1" for a tap owned by
 * someone else or missing); eth0=tuntap,,,IP runs the setuid uml_net helper ("failed to exec
 * uml_net on host: Permission denied"); a bad MAC is ignored for a random one ("setup_etheraddr:
 * failed to parse"); a second eth0= is refused with a kernel warning, the first one kept.
 */
async function lintUml(ctx: Context, argv: readonly string[], triggered: Set<CheckId>): Promise<Finding> {
  const opts = argv.slice(1).map((a) => /^(eth\d+|vec\d+)[=:](.*)$/.exec(a)).filter((m): m is RegExpExecArray => !!m);
  if (!opts.length) return { status: 'skip', summary: 'no ethN= / vecN= network option' };
  const [user, ls] = await Promise.all([targetUser(ctx), network(ctx)]);
  const fails: string[] = [];
  const warns: string[] = [];
  const notes: string[] = [];
  const evidence: Evidence[] = [{ source: 'command line', observed: opts.map((m) => m[0]).join(' ') }];
  const seen = new Set<string>();
  let needTun = false;
  let needHelper = false;
  for (const m of opts) {
    const dev = m[1]!;
    const [transport = '', ...rest] = m[2]!.split(',');
    if (seen.has(dev)) {
      warns.push(`${dev}= is given twice: UML keeps the first and refuses the second (a kernel warning in register_tuntap)`);
      continue;
    }
    seen.add(dev);
    if (dev.startsWith('vec')) {
      notes.push(`${dev}=${m[2]}: the vector driver (transport=tap/raw/gre/l2tpv3...) is recognised but not judged`);
      continue;
    }
    if (transport !== 'tuntap') {
      notes.push(`${dev}=${transport}: the ${transport || '(empty)'} transport (vde, daemon, mcast, slirp, pcap, ethertap) is recognised but not judged`);
      continue;
    }
    const [tap = '', mac = '', ip = ''] = rest;
    if (mac && !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) warns.push(`${dev}: "${mac}" is not a MAC address: UML prints "setup_etheraddr: failed to parse" and picks a random one`);
    else if (mac && parseInt(mac.slice(0, 2), 16) & 1) warns.push(`${dev}: ${mac} is a multicast MAC (first byte odd): UML refuses it and picks a random one`);
    if (!tap) {
      needHelper = true;
      needTun = true;
      if (!ip) warns.push(`${dev}=tuntap with no tap name and no IP: the uml_net helper has no address to set up`);
      continue;
    }
    if (!validIfname(tap)) {
      fails.push(`${dev}: tap name "${tap}" is not a valid interface name (1-15 bytes, no spaces, '/' or ':')`);
      continue;
    }
    needTun = true;
    const link = ls.link(tap);
    if (!link && user.uid === 0) {
      // Root's TUNSETIFF creates the tap; nothing then puts it on a bridge or gives it an address.
      warns.push(`${dev}: tap ${tap} does not exist: UML run as root creates it, but on no bridge and without an address, so the guest reaches nothing until you add it (${showArgv(['ip', 'link', 'set', tap, 'master'])} BRIDGE, or an address and routes)`);
      continue;
    }
    if (!link) {
      fails.push(`${dev}: tap ${tap} does not exist, and UML run by ${user.name} cannot create it (UML: "TUNSETIFF failed, errno = 1"); create it: ${showArgv(['ip', 'tuntap', 'add', 'dev', tap, 'mode', 'tap', 'user', user.name])}`);
      continue;
    }
    triggered.add('tap-state');
    if (link.kind !== 'tap') {
      fails.push(`${dev}: ${tap} is a ${link.kind === 'nic' ? 'network interface' : link.kind}, not a tap`);
      continue;
    }
    const ownerKnown = link.tun?.owner !== undefined || link.tun?.ownerName !== undefined;
    if (user.uid !== 0 && ownerKnown && !tapOwnedBy(link, user)) {
      fails.push(`${dev}: tap ${tap} belongs to ${link.tun?.ownerName ?? `uid ${link.tun?.owner}`}, not ${user.name}, so UML cannot attach it (UML: "TUNSETIFF failed, errno = 1"); recreate it: ${showArgv(['ip', 'tuntap', 'del', 'dev', tap, 'mode', 'tap'])}; ${showArgv(['ip', 'tuntap', 'add', 'dev', tap, 'mode', 'tap', 'user', user.name])}`);
    } else if (user.uid !== 0 && !ownerKnown) {
      fails.push(`${dev}: tap ${tap} has no owner, so only root (CAP_NET_ADMIN) can attach it (UML: "TUNSETIFF failed, errno = 1")`);
    }
    evidence.push({ source: ls.source, observed: `${tap}${ownerKnown ? ` owner ${link.tun?.ownerName ?? link.tun?.owner}` : ''}` });
  }
  if (needTun) {
    triggered.add('tun-perms');
    const st = await ctx.host.stat('/dev/net/tun');
    if (!st.ok) {
      if (st.code !== NOT_CAPTURED) fails.push(`/dev/net/tun: ${describeError(st)} (UML: "Failed to open /dev/net/tun")`);
    } else {
      evidence.push({ source: 'stat /dev/net/tun', observed: `${modeString(st.value.mode)} ${st.value.uid}:${st.value.gid}` });
      if (!modeAllows(user, st.value, 6)) fails.push(`/dev/net/tun is not readable and writable by ${user.name} (UML: "Failed to open /dev/net/tun, err = 13")`);
    }
  }
  if (needHelper) {
    const path = (await which(ctx, 'uml_net')) ?? '/usr/bin/uml_net';
    const st = await ctx.host.stat(path);
    if (!st.ok) fails.push(`ethN=tuntap,,,IP runs the uml_net helper, and ${path} is missing (${describeError(st)}; Debian: apt install uml-utilities)`);
    else {
      evidence.push({ source: `stat ${path}`, observed: `${modeString(st.value.mode)} ${st.value.uid}:${st.value.gid}` });
      if (!modeAllows(user, st.value, 1)) fails.push(`${path} is not executable by ${user.name} (mode ${modeString(st.value.mode)}, group ${st.value.gid}: Debian gives it to group uml-net; UML: "failed to exec uml_net on host: Permission denied")`);
      else if (user.uid !== 0 && (st.value.uid !== 0 || (st.value.mode & 0o4000) === 0)) fails.push(`${path} is not setuid root, so it cannot create a tap for ${user.name}`);
    }
  }
  const details = [...fails.slice(1), ...warns, ...notes];
  if (fails.length) return { status: 'fail', summary: fails[0]!, evidence, details: fails.length > 1 || warns.length || notes.length ? details : [] };
  if (warns.length) return { status: 'warn', summary: warns[0]!, evidence, details: [...warns.slice(1), ...notes] };
  return { status: 'pass', summary: notes.length && seen.size === notes.length ? 'the UML network options use transports qnet does not judge' : 'the UML network options are usable here', evidence, details: notes };
}

export async function lint(ctx: Context, argv: readonly string[]): Promise<LintReport> {
  const kind = checkShape(argv);
  const triggered = new Set<CheckId>();
  const own: Check[] = [];
  if (kind === 'qemu') {
    const { cmdline, hostfwd } = await lintQemu(ctx, argv, triggered);
    own.push({ id: 'qemu-cmdline', area: 'lint', title: () => 'QEMU network options', run: async () => cmdline });
    own.push({ id: 'hostfwd-port', area: 'lint', title: () => 'hostfwd host ports are free', run: async () => hostfwd });
  } else {
    const f = await lintUml(ctx, argv, triggered);
    own.push({ id: 'qemu-cmdline', area: 'lint', title: () => 'UML network options', run: async () => f });
  }
  const known = new Set(ALL_CHECKS.map((c) => c.id));
  const wanted = [...triggered].filter((id) => known.has(id));
  const host = wanted.length ? selectChecks(ALL_CHECKS, { only: wanted }) : [];
  const results = await runChecks(ctx, [...own, ...host]);
  return { kind, results };
}

export { summarize };
