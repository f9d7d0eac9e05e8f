// The rules for a QEMU command line's network options (result qemu-cmdline).
// Each names what QEMU 7.2 does with the option, checked against real QEMU.
import { aclFor, bridgeHelpers, judgeHelper } from '../facts/bridge-helper.js';
import { qemuBackends } from '../facts/qemu-backends.js';
import { showArgv } from '../output/shell.js';
import { describeError, isFile } from '../host/host.js';
import { validIfname, vms } from '../model/network.js';
import { aclAllows } from '../parse/bridge-conf.js';
import { scriptFacts } from '../parse/ifup-script.js';
import { nicMacs, parseOpts, parseQemuCmdline, type Netdev, type QemuCmdline } from '../parse/qemu-cmdline.js';
import type { Problem, Rule } from './rule.js';

export interface QemuInput {
  argv: readonly string[];
  cmd: QemuCmdline;
  /** Linting a running VM (--pid): the same argv is a live process, so its fd= were open and its taps are its own. */
  runningSelf: boolean;
  sameArgv(other: readonly string[]): boolean;
}

/** Every -netdev type QEMU has had on Linux; a type outside it is refused by any QEMU. */
const NETDEV_TYPES = new Set(['user', 'tap', 'bridge', 'socket', 'stream', 'dgram', 'vde', 'hubport', 'l2tpv3', 'vhost-user', 'vhost-vdpa', 'netmap', 'af-xdp', 'nic', 'none']);

const fail = (text: string): Problem => ({ level: 'fail', text });
const warn = (text: string): Problem => ({ level: 'warn', text });
const each = (input: QemuInput, f: (nd: Netdev) => Problem[] | undefined): Problem[] => input.cmd.netdevs.flatMap((nd) => f(nd) ?? []);

/** The removed `-net ...,vlan=N` pairs, rewritten as -netdev/-device. */
export function modernise(cmd: QemuCmdline): string[] {
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

const legacyVlan: Rule<QemuInput> = {
  name: 'the -net vlan= syntax',
  run: (_s, { cmd }) =>
    cmd.legacyNet.some((o) => o.props.has('vlan')) ? [fail(`-net ...,vlan= was removed in QEMU 3.0 (hubs replaced vlans); write instead: ${modernise(cmd).join(' ')}`)] : [],
};

function netdevIds(cmd: QemuCmdline): Map<string, number> {
  const ids = new Map<string, number>();
  for (const n of cmd.netdevs) if (n.via === '-netdev') ids.set(n.id ?? '', (ids.get(n.id ?? '') ?? 0) + 1);
  return ids;
}

const ids: Rule<QemuInput> = {
  name: 'netdev IDs',
  run: (_s, { cmd }) =>
    [...netdevIds(cmd)].flatMap(([id, count]) =>
      !id
        ? [fail('-netdev without id=: a NIC cannot refer to it')]
        : !/^[A-Za-z][A-Za-z0-9._-]*$/.test(id)
          ? [fail(`netdev id "${id}" is not an identifier (QEMU: "Parameter 'id' expects an identifier": letters, digits, '-', '.', '_', starting with a letter)`)]
          : count > 1
            ? [fail(`netdev id "${id}" is used twice ("Duplicate ID '${id}' for netdev")`)]
            : [],
    ),
};

const nics: Rule<QemuInput> = {
  name: 'NICs',
  run: (_s, { cmd }) => {
    const known = netdevIds(cmd);
    return cmd.nics.flatMap((nic) => [
      // macaddr= is -net nic's spelling; a -device NIC has mac= (QEMU 7.2: "Property 'e1000.macaddr' not found").
      ...(nic.via === '-device' && parseOpts(nic.raw).props.has('macaddr') ? [fail(`-device ${nic.model} has no macaddr= property (that is -net nic's spelling): write mac= (QEMU: "Property '${nic.model}.macaddr' not found")`)] : []),
      ...(nic.netdev && !known.has(nic.netdev) ? [fail(`${nic.model} refers to netdev "${nic.netdev}", which no -netdev defines`)] : []),
    ]);
  },
};

/** The backends, judged by the same reading of the binary as the qemu-netdev check. */
const backends: Rule<QemuInput> = {
  name: 'the backends of the binary',
  async run(s, input) {
    const { cmd } = input;
    const b = await qemuBackends(s.ctx, cmd.binary);
    if (!b) return [warn(`${cmd.binary} is not installed here, so its backends were not checked`)];
    s.evidence.push(...b.evidence);
    if (b.cannotStart) return [fail(`${cmd.binary} ${b.cannotStart}`)];
    return each(input, (nd) => {
      if (!nd.type || nd.type === 'nic') return [];
      if (!NETDEV_TYPES.has(nd.type)) return [fail(`"${nd.type}" is not a QEMU network backend (QEMU: "Parameter 'type' does not accept value '${nd.type}'")`)];
      if (b.has(nd.type) === false) return [fail(`this ${cmd.binary} has no "${nd.type}" backend${nd.type === 'user' ? ' (QEMU 7.2+ built without libslirp)' : ''}`)];
      return [];
    });
  },
};

const ifnames: Rule<QemuInput> = {
  name: 'tap names',
  run: (_s, input) =>
    each(input, (nd) => {
      const ifname = nd.props.get('ifname');
      if (ifname === undefined || validIfname(ifname)) return [];
      const cut = Buffer.from(ifname).subarray(0, 15).toString();
      // QEMU copies the name into a 16-byte buffer: a long name is cut, silently (checked with QEMU 7.2).
      return [
        Buffer.byteLength(ifname) > 15 && validIfname(cut)
          ? warn(`ifname "${ifname}" is ${Buffer.byteLength(ifname)} bytes: QEMU silently cuts it to "${cut}", which scripts and bridge configs naming the full name will not find`)
          : fail(`ifname "${ifname}" is not a name Linux accepts (1 to 15 bytes, no spaces, '/' or ':')`),
      ];
    }),
};

/** tap with fd=/fds= or helper= rejects the options of the other forms (QEMU 7.2 net/tap.c net_init_tap). */
const tapForms: Rule<QemuInput> = {
  name: 'tap options',
  run: (_s, input) =>
    each(input, (nd) => {
      if (nd.type !== 'tap') return [];
      if (nd.props.has('fd') || nd.props.has('fds')) {
        const multi = nd.props.has('fds');
        const bad = ['ifname', 'script', 'downscript', 'vnet_hdr', 'helper', 'queues', multi ? 'vhostfd' : 'vhostfds'].filter((k) => nd.props.has(k));
        const out: Problem[] = [];
        if (bad.length) out.push(fail(`${bad.map((k) => `${k}=`).join(', ')} cannot be combined with ${multi ? 'fds' : 'fd'}= (QEMU: "ifname=, script=, downscript=, vnet_hdr=, helper=, queues=, and ${multi ? 'vhostfd' : 'vhostfds'}= are invalid with ${multi ? 'fds' : 'fd'}=")`));
        // fd=N names a descriptor whoever starts QEMU hands it (libvirt does); typed by hand it is not open.
        if (!input.runningSelf) {
          const fds = [nd.props.get('fd'), ...(nd.props.get('fds') ?? '').split(':'), nd.props.get('vhostfd')].filter((x): x is string => !!x);
          out.push(fail(`fd=/fds=/vhostfd= (${fds.join(', ')}) name file descriptors that the program starting QEMU must pass it open (libvirt does); run by hand they are not open (QEMU 7.2: "Can't use file descriptor ${fds[0]}: Bad file descriptor"); use ifname=/script= or -netdev bridge instead`));
        }
        return out;
      }
      if (nd.props.has('helper')) {
        const bad = ['ifname', 'script', 'downscript', 'vnet_hdr', 'queues', 'vhostfds'].filter((k) => nd.props.has(k));
        if (bad.length) return [fail(`${bad.map((k) => `${k}=`).join(', ')} cannot be combined with helper= (QEMU: "ifname=, script=, downscript=, vnet_hdr=, queues=, and vhostfds= are invalid with helper=")`)];
      }
      return [];
    }),
};

const plainTap = (nd: Netdev) => nd.type === 'tap' && !nd.props.has('fd') && !nd.props.has('fds') && !nd.props.has('helper');

/** script= and downscript= (default /etc/qemu-ifup, /etc/qemu-ifdown), judged for the user who runs QEMU. */
const scripts: Rule<QemuInput> = {
  name: 'the tap scripts',
  async run(s, input) {
    const out: Problem[] = [];
    for (const nd of input.cmd.netdevs.filter(plainTap)) {
      s.trigger('tun-perms');
      for (const [key, def] of [['script', '/etc/qemu-ifup'], ['downscript', '/etc/qemu-ifdown']] as const) {
        const v = nd.props.get(key);
        if (v === 'no' || v === '') continue;
        const path = v ?? def;
        if (path === def) s.trigger('qemu-ifup');
        const st = await s.ctx.host.stat(path);
        // QEMU runs script= before the VM starts (a failure stops it) but downscript= only when
        // the tap closes: QEMU 7.2 starts with a missing downscript and prints the error at exit.
        const level = key === 'script' ? 'fail' : 'warn';
        const when = key === 'script' ? '' : ' when the VM stops (QEMU still starts, but the tap is not taken down or out of its bridge)';
        if (!st.ok) out.push({ level, text: `${key} ${path}: ${describeError(st)} (QEMU: "network script ${path} failed with status 256"${when}); pass ${key}=no if the tap is set up by hand` });
        else if (!isFile(st.value) || (st.value.mode & 0o111) === 0) out.push({ level, text: `${key} ${path} is not an executable file${when}` });
        else if (s.user.uid !== 0) {
          // QEMU runs the script with its user's rights: a command that changes the network fails
          // there (QEMU 7.2 as a user: "RTNETLINK answers: Operation not permitted", then
          // "network script /etc/qemu-ifup failed with status 512").
          const body = await s.ctx.host.readFile(path);
          const first = body.ok ? scriptFacts(body.value.toString('utf8')).privileged[0] : undefined;
          if (first) {
            out.push({
              level,
              text: `${key} ${path} runs with ${s.user.name}'s rights, and its \`${first.cmd}\` (line ${first.line}) needs CAP_NET_ADMIN (QEMU: "RTNETLINK answers: Operation not permitted", then "network script ${path} failed with status 512"${when}); for ${s.user.name} use -netdev bridge,br=BRIDGE (the bridge helper), or a tap owned by ${s.user.name} put on the bridge beforehand, with script=no,downscript=no`,
            });
          }
        }
      }
    }
    return out;
  },
};

/** ifname= of a plain tap: it exists (or QEMU must create it), and no running VM holds it. */
const tapHost: Rule<QemuInput> = {
  name: 'the taps on this host',
  async run(s, input) {
    const out: Problem[] = [];
    for (const nd of input.cmd.netdevs.filter(plainTap)) {
      const ifname = nd.props.get('ifname');
      if (!ifname || !validIfname(ifname)) continue;
      if (!s.net.link(ifname)) {
        if (s.user.uid !== 0) out.push(warn(`tap ${ifname} does not exist: QEMU run by ${s.user.name} can create it only with CAP_NET_ADMIN (pre-create it: ${showArgv(['ip', 'tuntap', 'add', 'dev', ifname, 'mode', 'tap', 'user', s.user.name])})`));
        continue;
      }
      s.trigger('tap-state');
      if (input.runningSelf) continue;
      // A tap another process has open: QEMU 7.2 "could not configure /dev/net/tun (tap0): Device or resource busy".
      const holder = (await vms(s.ctx)).find((v) => v.taps.includes(ifname));
      if (holder) out.push(fail(`tap ${ifname} is held by running pid ${holder.pid} (${(holder.argv[0] ?? '?').split('/').pop()}): a second QEMU fails with "could not configure /dev/net/tun (${ifname}): Device or resource busy"`));
    }
    return out;
  },
};

const vhost: Rule<QemuInput> = {
  name: 'vhost-net',
  async run(s, input) {
    if (!input.cmd.netdevs.some((nd) => plainTap(nd) && nd.props.get('vhost') === 'on')) return [];
    s.trigger('vhost-net');
    return (await s.ctx.host.stat('/dev/vhost-net')).ok ? [] : [fail('vhost=on, but /dev/vhost-net does not exist')];
  },
};

/**
 * -netdev bridge, and -netdev tap,helper=... (which runs the helper the same way, br= or br0):
 * the helper's privilege and the ACL, judged as helper-setuid and helper-acl judge them, for
 * the bridge this command line names; and the bridge itself.
 */
const bridgeHelper: Rule<QemuInput> = {
  name: 'the bridge helper',
  async run(s, input) {
    const out: Problem[] = [];
    for (const nd of input.cmd.netdevs.filter((n) => n.type === 'bridge' || (n.type === 'tap' && n.props.has('helper')))) {
      const br = nd.props.get('br') ?? 'br0';
      const helper = nd.props.get('helper');
      const found = await bridgeHelpers(s.ctx);
      const installed = helper ? found.helpers.find((h) => h.path === helper) : found.helpers.find((h) => h.isDefault);
      // helper-setuid judges the installed helper(s); a helper= elsewhere is judged here only.
      if (!helper || installed) s.trigger('helper-setuid');
      s.trigger('helper-acl');
      s.trigger('tun-perms');
      const path = helper ?? installed?.path;
      let helperOk = true;
      if (path) {
        const st = await s.ctx.host.stat(path);
        if (!st.ok) {
          helperOk = false;
          out.push(fail(`helper ${path}: ${describeError(st)} (QEMU: "bridge helper failed")`));
        } else if (!isFile(st.value) || (st.value.mode & 0o111) === 0) {
          helperOk = false;
          out.push(fail(`helper ${path} is not an executable file (QEMU: "bridge helper failed")`));
        } else if (s.user.uid !== 0 && path.startsWith('/')) {
          // (Only for an absolute path: a relative one could read as an option.)
          const j = await judgeHelper(s.ctx, { path, stat: st.value }, s.user, []);
          if (!j.via && j.capsUnknown) {
            out.push(warn(`helper ${path} is not setuid root, and whether it has cap_net_admin is not known (${j.capsUnknown}); without it the helper fails for ${s.user.name} (QEMU: "bridge helper failed")`));
          } else if (!j.via) {
            helperOk = false;
            out.push(fail(`helper ${path} is neither setuid root nor given cap_net_admin, so it fails for ${s.user.name} (${j.why.join('; ')}; QEMU: "bridge helper failed")`));
          }
        }
      }
      const aclPath = installed?.aclPath ?? '/etc/qemu/bridge.conf';
      const acl = await aclFor(s.ctx, aclPath, s.user);
      if (helperOk && acl.refuses) out.push(fail(`the helper cannot use its ACL: ${acl.refuses} (helper: "failed to parse default acl file \`${aclPath}'")`));
      else if (!acl.refuses && !aclAllows(acl.rules, br)) out.push(fail(`${aclPath} does not allow ${br} ("access denied by acl file")`));
      if (!s.net.link(br)) out.push(fail(`bridge ${br} does not exist (the helper fails: "failed to get mtu of bridge \`${br}'")`));
    }
    return out;
  },
};

/**
 * socket,mcast=GROUP:PORT joins the group on the interface the kernel routes it to (localaddr=
 * picks one); with no route QEMU 7.2 stops: "can't add socket to multicast group G: No such device".
 * localaddr=A binds to A: it must be an address of this host (of this namespace).
 */
const sockets: Rule<QemuInput> = {
  name: 'socket backends',
  async run(s, input) {
    const out: Problem[] = [];
    for (const nd of input.cmd.netdevs.filter((n) => n.type === 'socket')) {
      if (nd.props.has('localaddr')) {
        const a = nd.props.get('localaddr')!;
        if (!s.net.links.some((l) => l.addrs.some((x) => x.local === a))) out.push(fail(`localaddr=${a} is not an address of this host, so the multicast socket cannot join its group there (QEMU 7.2: "can't add socket to multicast group ...: No such device")`));
        continue;
      }
      if (!nd.props.has('mcast')) continue;
      const group = /^([\d.]+):\d+$/.exec(nd.props.get('mcast') ?? '')?.[1];
      if (!group) {
        out.push(fail(`mcast=${nd.props.get('mcast')} is not GROUP:PORT with an IPv4 multicast group`));
        continue;
      }
      const r = await s.ctx.host.exec(['ip', 'route', 'get', group]);
      if (r.ok && r.value.exitCode !== 0) {
        out.push(fail(`no route to multicast group ${group} (ip route get: ${r.value.stderr.trim() || `exit ${r.value.exitCode}`}), so the socket cannot join it (QEMU: "can't add socket to multicast group ${group}: No such device"); add a route (ip route add 224.0.0.0/4 dev IFACE) or give localaddr=`));
      } else if (r.ok) s.evidence.push({ source: `ip route get ${group}`, observed: r.value.stdout.trim().split('\n')[0] ?? '' });
    }
    return out;
  },
};

/** vde,sock=PATH: the vde_switch control socket must exist (QEMU 7.2: "Could not open vde: No such file or directory"). */
const vde: Rule<QemuInput> = {
  name: 'vde sockets',
  async run(s, input) {
    const out: Problem[] = [];
    for (const nd of input.cmd.netdevs.filter((n) => n.type === 'vde' && n.props.has('sock'))) {
      const sock = nd.props.get('sock')!;
      const st = await s.ctx.host.stat(sock);
      if (!st.ok) out.push(fail(`vde sock=${sock}: ${describeError(st)}; start the switch first (vde_switch -F -sock ${sock}) (QEMU: "Could not open vde")`));
    }
    return out;
  },
};

/** user,smb=DIR runs smbd; QEMU 7.2 refuses to start without it ("Could not find '/usr/sbin/smbd', please install it"). */
const smb: Rule<QemuInput> = {
  name: 'smb=',
  async run(s, input) {
    if (!input.cmd.netdevs.some((n) => n.type === 'user' && n.props.has('smb'))) return [];
    const smbd = await s.ctx.host.stat('/usr/sbin/smbd');
    return smbd.ok ? [] : [fail(`smb= needs Samba's smbd, and /usr/sbin/smbd is missing (${describeError(smbd)}; QEMU: "Could not find '/usr/sbin/smbd', please install it"; Debian: apt install samba)`)];
  },
};

/** MACs: within this command line, and against the running VMs of this network (the model mac-duplicate reads). */
const macs: Rule<QemuInput> = {
  name: 'MAC addresses',
  async run(s, input) {
    const out: Problem[] = [];
    const mine = nicMacs(input.cmd);
    const seen = new Map<string, number>();
    for (const m of mine) seen.set(m.mac, (seen.get(m.mac) ?? 0) + 1);
    for (const [mac, n] of seen) if (n > 1) out.push(fail(`MAC ${mac} is given to ${n} NICs of this VM`));
    for (const vm of (await vms(s.ctx)).filter((v) => v.kind === 'qemu' && !input.sameArgv(v.argv))) {
      const theirs = new Set(vm.nics.map((n) => n.mac));
      for (const m of mine) {
        if (!theirs.has(m.mac)) continue;
        s.trigger('mac-duplicate');
        out.push(fail(`MAC ${m.mac}${m.defaulted ? " (QEMU's default; give this NIC mac=)" : ''} is already used by running VM pid ${vm.pid}`));
      }
    }
    return out;
  },
};

export const QEMU_RULES: readonly Rule<QemuInput>[] = [legacyVlan, ids, nics, backends, ifnames, tapForms, scripts, tapHost, vhost, bridgeHelper, sockets, vde, smb, macs];

export function qemuInput(argv: readonly string[], running: readonly (readonly string[])[]): QemuInput {
  const key = argv.join('\0');
  const sameArgv = (other: readonly string[]) => other.length === argv.length && other.join('\0') === key;
  return { argv, cmd: parseQemuCmdline(argv), runningSelf: running.some(sameArgv), sameArgv };
}
