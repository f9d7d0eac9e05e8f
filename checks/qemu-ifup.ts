// qemu-ifup: /etc/qemu-ifup and /etc/qemu-ifdown exist, are executable by the
// user who runs QEMU, start with a valid interpreter line, and attach the tap
// to a bridge that exists. QEMU execv()s the script itself (no shell): a
// missing file, a missing #! line or a bad interpreter all end in QEMU 7.2's
// "network script /etc/qemu-ifup failed with status 256" (older qemu-kvm,
// seed 001: "/etc/qemu-ifup: could not launch network script").
//
// The script runs with the rights of whoever started QEMU. For a non-root user
// (tried with QEMU 7.2 as uid 4242, a tap owned by that user, a good script) its
// `ip link set ... master br0` fails: "RTNETLINK answers: Operation not
// permitted", then "network script /etc/qemu-ifup failed with status 512". No
// script can fix that, so for such a user the check warns (the user need not use
// the script at all), names the ways that work, and offers no script.
import type { CheckCase, HostSpec } from '../src/check-cases.js';
import { shellQuote, showArgv } from '../src/output/shell.js';
import { routesAndArp } from '../src/facts/guest.js';
import { requireLinks, validIfname } from '../src/model/network.js';
import { which } from '../src/facts/system.js';
import { modeAllows } from '../src/facts/users.js';
import { describeError, isFile, isSymlink, modeString, NOT_CAPTURED, text } from '../src/host/host.js';
import { scriptFacts } from '../src/parse/ifup-script.js';
import type { Check, Evidence, Finding, FixPlan } from '../src/types.js';

export const IFUP = '/etc/qemu-ifup';
export const IFDOWN = '/etc/qemu-ifdown';

export function ifupScript(bridge: string): string {
  return [
    '#!/bin/sh',
    `# qnet: QEMU runs this with the tap's name as $1; it joins bridge ${bridge} and comes up.`,
    'set -e',
    `br=${shellQuote(bridge)}`,
    'ip link set dev "$1" master "$br" up',
    '',
  ].join('\n');
}

export const IFDOWN_SCRIPT = [
  '#!/bin/sh',
  '# qnet: QEMU runs this with the tap\'s name as $1 when the VM stops.',
  'ip link set dev "$1" nomaster 2>/dev/null || true',
  'ip link set dev "$1" down 2>/dev/null || true',
  '',
].join('\n');

const FAIL_MSG = (p: string) =>
  `QEMU 7.2 then fails with: network script ${p} failed with status 256 (older qemu-kvm: "${p}: could not launch network script", then "Device 'tap' could not be initialized")`;

/** What QEMU 7.2 prints when the VM stops and the down script cannot run (checked with qemu-system-x86_64 7.2). */
const DOWN_MSG = (p: string) => `When the VM stops, QEMU 7.2 prints: network script ${p} failed with status 256, and leaves the tap as it was`;

/** Run from an interactive shell, such a file still works: bash and dash fall back to running it themselves. */
const SHELL_FALLBACK = 'Started by hand from a shell the script seems fine (the shell runs a file the kernel refuses itself); QEMU calls execv(), which has no such fallback.';

const check: Check = {
  id: 'qemu-ifup',
  area: 'qemu',
  order: 10,
  title: () => '/etc/qemu-ifup and /etc/qemu-ifdown work',
  async run(ctx) {
    const [user, ls] = await Promise.all([ctx.user, requireLinks(ctx)]);
    const brs = ls.bridges().map((b) => b.name);
    const evidence: Evidence[] = [];
    const fails: string[] = [];
    const warns: string[] = [];
    const details: string[] = [];
    let rewrite = false;
    /** What /etc/qemu-ifup does, when it exists and could be read. */
    let upFacts: ReturnType<typeof scriptFacts> | undefined;

    for (const path of [IFUP, IFDOWN]) {
      const down = path === IFDOWN;
      const [lst, st] = await Promise.all([ctx.host.lstat(path), ctx.host.stat(path)]);
      if (!st.ok && st.code === NOT_CAPTURED) return { status: 'skip', summary: `${path} was not captured in the snapshot` };
      let linkTarget: string | undefined;
      if (lst.ok && isSymlink(lst.value)) {
        const t = await ctx.host.readlink(path);
        if (t.ok) linkTarget = t.value;
        evidence.push({ source: `readlink ${path}`, observed: t.ok ? t.value : describeError(t) });
      }
      if (!st.ok) {
        evidence.push({ source: `stat ${path}`, observed: describeError(st) });
        const what =
          linkTarget !== undefined && st.code === 'ENOENT'
            ? `${path} is a symlink to ${linkTarget}, which does not exist`
            : st.code === 'ENOENT'
              ? `${path} is missing`
              : `${path} cannot be examined (${describeError(st)})`;
        if (down) {
          warns.push(`${what}: QEMU complains when the VM stops and leaves the tap as it was`);
          details.push(DOWN_MSG(path));
        } else {
          fails.push(`${what}: -netdev tap (or -net tap) without script=no runs it`);
          details.push(FAIL_MSG(path));
        }
        rewrite = true;
        continue;
      }
      const s = st.value;
      evidence.push({ source: `stat ${path}`, observed: `${modeString(s.mode)} ${s.uid}:${s.gid}` });
      if (!isFile(s)) {
        (down ? warns : fails).push(`${path} is not a regular file`);
        rewrite = true;
        continue;
      }
      if (!modeAllows(user, s, 1)) {
        (down ? warns : fails).push(`${path} is not executable by ${user.name} (${modeString(s.mode)}), and QEMU runs it as the user who starts QEMU`);
        if (!down) details.push(FAIL_MSG(path));
      }
      const body = await ctx.host.readFile(path);
      if (!body.ok) {
        warns.push(`${path} cannot be read here (${describeError(body)}); its contents were not checked`);
        continue;
      }
      const facts = scriptFacts(text(body) ?? '');
      if (!down) upFacts = facts;
      const sb = facts.shebang;
      if (facts.bom) {
        (down ? warns : fails).push(`${path} starts with a UTF-8 byte-order mark before #!: the kernel does not see #! and refuses it (Exec format error)`);
        details.push(SHELL_FALLBACK);
        if (!down) details.push(FAIL_MSG(path));
        rewrite = true;
      } else if (!sb) {
        (down ? warns : fails).push(`${path} has no #! line: QEMU executes it directly and the kernel refuses it (Exec format error)`);
        rewrite = true;
      } else if (!sb.interpreter) {
        evidence.push({ source: `read ${path} (line 1)`, observed: '#!' });
        (down ? warns : fails).push(`${path} has a #! line that names no interpreter: the kernel refuses it (Exec format error)`);
        rewrite = true;
      } else {
        evidence.push({ source: `read ${path} (line 1)`, observed: `#!${sb.interpreter}${sb.args ? ` ${sb.args}` : ''}${sb.crlf ? ' (ends in CR: a CRLF file)' : ''}` });
        if (sb.crlf) {
          (down ? warns : fails).push(`${path} has Windows line endings: the kernel looks for the interpreter "${sb.interpreter}\\r", which does not exist`);
          rewrite = true;
        } else {
          const ist = await ctx.host.stat(sb.interpreter);
          if (!ist.ok && ist.code === NOT_CAPTURED) {
            details.push(`The interpreter ${sb.interpreter} was not captured in the snapshot; it was not checked.`);
          } else if (!ist.ok || !isFile(ist.value) || (ist.value.mode & 0o111) === 0) {
            (down ? warns : fails).push(`${path} names the interpreter ${sb.interpreter}, which ${ist.ok ? 'is not an executable file' : 'does not exist'}`);
            rewrite = true;
          } else if (!modeAllows(user, ist.value, 1)) {
            (down ? warns : fails).push(`${path} names the interpreter ${sb.interpreter}, which ${user.name} cannot execute (${modeString(ist.value.mode)})`);
          } else if (/(^|\/)env$/.test(sb.interpreter)) {
            // #!/usr/bin/env PROG: env looks PROG up in PATH (QEMU's own); a missing one exits 127 (status 32512).
            const prog = sb.args.split(/\s+/)[0] ?? '';
            if (prog && !prog.startsWith('-') && !prog.includes('/') && !(await which(ctx, prog))) {
              (down ? warns : fails).push(`${path} runs "${prog}" through ${sb.interpreter}, and no ${prog} is installed: QEMU reports status 32512 (exit 127)`);
              rewrite = true;
            }
          }
        }
      }
      for (const b of facts.bridges) {
        if (brs.includes(b.name)) continue;
        const here = brs.length ? ` (bridges here: ${brs.join(', ')})` : '';
        const shown = JSON.stringify(b.name).slice(1, -1);
        if (!validIfname(b.name)) {
          (down ? warns : fails).push(`${path}:${b.line} attaches the tap to "${shown}", which can never be an interface name (1 to 15 bytes, no spaces, '/' or ':')${here}`);
        } else if (ls.links.some((l) => l.name === b.name)) {
          (down ? warns : fails).push(`${path}:${b.line} attaches the tap to ${b.name}, which is not a bridge${here}`);
        } else {
          (down ? warns : fails).push(`${path}:${b.line} attaches the tap to bridge ${b.name}, which does not exist${here}`);
        }
        rewrite = true;
      }
      if (facts.needsBrctl && !(await which(ctx, 'brctl'))) {
        (down ? warns : fails).push(`${path} uses brctl, but bridge-utils is not installed (use ip link set "$1" master BR instead)`);
        rewrite = true;
      }
      if (!down && facts.dynamic && !facts.bridges.length) {
        // Debian's stock script: the bridge is the device of the default route, if that is a bridge.
        const { routes } = await routesAndArp(ctx);
        const devs = routes.map((r) => r.dev);
        evidence.push({ source: 'read /proc/net/route', observed: devs.length ? `default route via ${devs.join(', ')}` : 'no default route' });
        if (!devs.some((d) => brs.includes(d))) {
          warns.push(`${path} picks its bridge at run time from the default route, which goes via ${devs.join(', ') || 'nothing'}, not a bridge: the tap comes up on no bridge`);
          rewrite = brs.length > 0;
        }
      }
    }

    if (user.uid !== 0) {
      const nonRoot = notForUser(user.name, upFacts, [...fails, ...warns]);
      if (nonRoot) return { ...nonRoot, evidence: [{ source: `target user ${user.name}`, observed: `uid ${user.uid}, not root` }, ...evidence] };
      if (upFacts?.elevated.length) {
        details.push(`${IFUP} raises its rights with ${upFacts.elevated.map((e) => `\`${e.cmd}\` (line ${e.line})`).join(', ')} behind sudo, doas or pkexec: that works only if ${user.name} may run them without a password (qnet does not read sudoers).`);
      }
    }

    const fixes: FixPlan[] = [];
    const target = brs.find((b) => validIfname(b) && !/^(docker|virbr|cni|podman)/.test(b)) ?? brs.find((b) => validIfname(b));
    if (rewrite || fails.length) {
      // The scripts qnet writes attach the tap with `ip`: only for VMs run as root (or by a user with CAP_NET_ADMIN).
      if (target && user.uid === 0) {
        fixes.push({
          id: 'qemu-ifup/write',
          title: `write ${IFUP} and ${IFDOWN} for bridge ${target} (iproute2, quoted, 0755 root)`,
          risk: 'low',
          root: true,
          explain: `the tap joins ${target} when QEMU starts; a user who runs QEMU still needs CAP_NET_ADMIN for the script's ip commands (or use -netdev bridge)`,
          actions: [
            { kind: 'write-file', path: IFUP, content: ifupScript(target), mode: 0o755, uid: 0, gid: 0 },
            { kind: 'write-file', path: IFDOWN, content: IFDOWN_SCRIPT, mode: 0o755, uid: 0, gid: 0 },
          ],
        });
      } else if (!target) {
        details.push('No bridge exists yet to attach taps to: create one first (nmcli, or a bridge stanza in /etc/network/interfaces.d), then qnet fix writes the scripts.');
      }
      details.push(
        'Alternatives without scripts: a tap pre-created for the user, attached by hand, with -netdev tap,id=n0,ifname=tap0,script=no,downscript=no; or -netdev bridge,id=n0,br=BRIDGE through qemu-bridge-helper.',
      );
    }
    if (fails.length) return { status: 'fail', summary: fails[0]!, evidence, fixes, details: [...fails.slice(1), ...warns, ...details] };
    if (warns.length) return { status: 'warn', summary: warns[0]!, evidence, fixes, details: [...warns.slice(1), ...details] };
    return { status: 'pass', summary: `${IFUP} and ${IFDOWN} are executable scripts${brs.length ? ` (bridges: ${brs.join(', ')})` : ''}`, evidence, ...(details.length ? { details } : {}) };
  },
};

/**
 * For a non-root user: the warning that /etc/qemu-ifup cannot work for them, or undefined
 * when the script does nothing that needs rights (or raises them itself with sudo).
 * `problems` are the script's own defects, which matter for VMs run as root.
 */
function notForUser(name: string, up: ReturnType<typeof scriptFacts> | undefined, problems: string[]): Omit<Finding, 'evidence'> | undefined {
  const first = up?.privileged[0];
  if (up && !first) return undefined;
  const summary = first
    ? `${IFUP} cannot work for ${name}: QEMU runs it with ${name}'s rights, and its \`${first.cmd}\` (line ${first.line}) needs CAP_NET_ADMIN ("RTNETLINK answers: Operation not permitted")`
    : `QEMU run by ${name} runs ${IFUP} with ${name}'s rights for -netdev tap without script=no, and no script can attach a tap to a bridge without CAP_NET_ADMIN ("RTNETLINK answers: Operation not permitted")`;
  return {
    status: 'warn',
    summary,
    details: [
      `QEMU 7.2 then stops with: network script ${IFUP} failed with status 512 (ip's exit status 2); a script that ignores the error lets QEMU start with the tap down and on no bridge (Debian's stock ${IFUP} does when no default route goes via a bridge).`,
      `What works for ${name} instead: -netdev bridge,id=n0,br=BRIDGE, through qemu-bridge-helper (setuid root or cap_net_admin+ep, and \`allow BRIDGE\` in /etc/qemu/bridge.conf: see helper-setuid and helper-acl).`,
      `Or a tap made once by root, owned by ${name} and already on the bridge: ${showArgv(['ip', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap', 'user', name])}; ip link set dev tap0 master BRIDGE up; then -netdev tap,id=n0,ifname=tap0,script=no,downscript=no.`,
      ...problems.map((p) => `The script itself: ${p}`),
      'qnet doctor --user root judges the scripts for root.',
    ],
    fixes: [],
  };
}

export default check;

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const host = ifupHost;
  const GOOD = '#!/bin/sh\nset -e\nip link set dev "$1" master br0 up\n';
  const DEBIAN_STOCK = '#! /bin/sh\nip=$(command -v ip)\nswitch=$(ip route ls | awk \'/^default / { print $5 }\')\nfor br in $switch; do\n  if [ -d /sys/class/net/$br/bridge/. ]; then\n    exec ip link set "$1" master "$br"\n  fi\ndone\n';
  const DEBIAN12_STOCK = debian12StockIfup();
  const ROUTE = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n';
  const defaultVia = (dev: string) => `${ROUTE}${dev}\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\n`;
  return [
    // Judged for root, who runs the scripts with the rights they need.
    { name: 'a good script for an existing bridge', host: host(GOOD), user: 'root', status: 'pass', summary: /executable scripts/ },
    // seed 001
    { name: 'missing', host: host(null), user: 'root', status: 'fail', summary: /\/etc\/qemu-ifup is missing/ },
    { name: 'not executable', host: host(GOOD, { mode: 0o644 }), user: 'root', status: 'fail', summary: /not executable by root/ },
    { name: 'no #! line', host: host('ip link set "$1" master br0 up\n'), user: 'root', status: 'fail', summary: /no #! line/ },
    { name: 'CRLF line endings', host: host('#!/bin/sh\r\nip link set "$1" master br0 up\r\n'), user: 'root', status: 'fail', summary: /Windows line endings/ },
    { name: 'an interpreter that does not exist', host: host('#!/usr/local/bin/zsh\nip link set "$1" master br0 up\n'), user: 'root', status: 'fail', summary: /interpreter \/usr\/local\/bin\/zsh, which does not exist/ },
    { name: 'a hard-coded bridge that does not exist', host: host('#!/bin/sh\nswitch=br1\nip link set "$1" master $switch up\n'), user: 'root', status: 'fail', summary: /:3 attaches the tap to bridge br1, which does not exist/ },
    { name: 'brctl without bridge-utils', host: host('#!/bin/sh\nbrctl addif br0 "$1"\n'), user: 'root', status: 'fail', summary: /uses brctl, but bridge-utils is not installed/ },
    { name: 'brctl with bridge-utils', host: host('#!/bin/sh\nbrctl addif br0 "$1"\n', { extra: { stats: { '/usr/sbin/brctl': { mode: 0o755 } } } }), user: 'root', status: 'pass', summary: /executable/ },
    { name: "Debian's stock script, default route via a bridge", host: host(DEBIAN_STOCK, { route: `${ROUTE}br0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\n` }), user: 'root', status: 'pass', summary: /executable/ },
    { name: "Debian's stock script, default route via eth0", host: host(DEBIAN_STOCK, { route: `${ROUTE}eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\n` }), user: 'root', status: 'warn', summary: /default route, which goes via eth0, not a bridge/ },
    { name: 'qemu-ifdown missing only', host: host(GOOD, { down: null }), user: 'root', status: 'warn', summary: /qemu-ifdown is missing/ },
    { name: "Debian 12's stock script, default route via br0", host: host(DEBIAN12_STOCK, { route: defaultVia('br0') }), user: 'root', status: 'pass', summary: /executable scripts \(bridges: br0\)/ },
    { name: "Debian 12's stock script, default route via eth0", host: host(DEBIAN12_STOCK, { route: defaultVia('eth0') }), user: 'root', status: 'warn', summary: /picks its bridge at run time .* via eth0, not a bridge/ },
    { name: "Debian 12's stock script, no default route", host: host(DEBIAN12_STOCK), user: 'root', status: 'warn', summary: /picks its bridge at run time/ },
    { name: 'a UTF-8 byte-order mark before #!', host: host('\uFEFF#!/bin/sh\nip link set "$1" master br0 up\n'), user: 'root', status: 'fail', summary: /byte-order mark before #!/, details: /no such fallback/ },
    { name: 'a #! line with no interpreter', host: host('#!\nip link set "$1" master br0 up\n'), user: 'root', status: 'fail', summary: /names no interpreter/ },
    { name: '#!/usr/bin/env with a program that is not installed', host: host('#!/usr/bin/env zsh\nip link set "$1" master br0 up\n', { extra: { stats: { '/usr/bin/env': { mode: 0o755 } } } }), user: 'root', status: 'fail', summary: /runs "zsh" through \/usr\/bin\/env, and no zsh is installed: QEMU reports status 32512/ },
    { name: '#!/usr/bin/env with an installed program', host: host('#!/usr/bin/env bash\nip link set "$1" master br0 up\n', { extra: { stats: { '/usr/bin/env': { mode: 0o755 }, '/usr/bin/bash': { mode: 0o755 } } } }), user: 'root', status: 'pass', summary: /executable/ },
    { name: 'an interpreter only root may execute, judged for alice', host: host('#!/opt/sh\nip link set "$1" master br0 up\n', { extra: { stats: { '/opt/sh': { mode: 0o700 } } } }), user: 'alice', status: 'warn', summary: /cannot work for alice/, details: /The script itself: .*interpreter \/opt\/sh, which alice cannot execute \(-rwx------\)/ },
    { name: 'the same interpreter, judged for root', host: host('#!/opt/sh\nip link set "$1" master br0 up\n', { extra: { stats: { '/opt/sh': { mode: 0o700 } } } }), user: 'root', status: 'pass', summary: /executable/ },
    { name: 'a script only root may execute, judged for alice', host: host(GOOD, { mode: 0o700 }), user: 'alice', status: 'warn', summary: /cannot work for alice/, details: /The script itself: .*not executable by alice \(-rwx------\)/ },
    { name: 'a script only root may execute, judged for root', host: host(GOOD, { mode: 0o700 }), user: 'root', status: 'pass', summary: /executable/ },
    {
      name: 'a symlink to a good script',
      host: host(GOOD, { extra: { lstats: { '/etc/qemu-ifup': { type: 'link', mode: 0o777 } }, readlinks: { '/etc/qemu-ifup': '/usr/local/lib/qemu-ifup' } } }),
      user: 'root',
      status: 'pass',
      summary: /executable/,
      evidence: /readlink \/etc\/qemu-ifup → \/usr\/local\/lib\/qemu-ifup/,
    },
    {
      name: 'a dangling symlink',
      host: host(null, { extra: { lstats: { '/etc/qemu-ifup': { type: 'link', mode: 0o777 } }, readlinks: { '/etc/qemu-ifup': '/opt/gone/qemu-ifup' } } }),
      user: 'root',
      status: 'fail',
      summary: /^\/etc\/qemu-ifup is a symlink to \/opt\/gone\/qemu-ifup, which does not exist/,
      details: /network script \/etc\/qemu-ifup failed with status 256/,
    },
    { name: 'a hard-coded interface that exists but is not a bridge', host: host('#!/bin/sh\nip link set "$1" master eth0 up\n'), user: 'root', status: 'fail', summary: /:2 attaches the tap to eth0, which is not a bridge \(bridges here: br0\)/ },
    { name: 'BRIDGE= resolved from a literal assignment', host: host('#!/bin/sh\nBRIDGE="br7"\nip link set dev "$1" master "${BRIDGE}" up\n'), user: 'root', status: 'fail', summary: /:3 attaches the tap to bridge br7, which does not exist/ },
    { name: 'a hostile bridge name in the script', host: host("#!/bin/sh\nip link set \"$1\" master 'a;b' up\n"), user: 'root', status: 'fail', summary: /attaches the tap to bridge a;b, which does not exist/ },
    { name: 'a 16-byte bridge name in the script', host: host('#!/bin/sh\nbr=abcdefghijklmnop\nip link set "$1" master "$br" up\n'), user: 'root', status: 'fail', summary: /"abcdefghijklmnop", which can never be an interface name/ },
    { name: 'qemu-ifdown missing: the message QEMU prints at shutdown', host: host(GOOD, { down: null }), user: 'root', status: 'warn', summary: /qemu-ifdown is missing/, details: /network script \/etc\/qemu-ifdown failed with status 256/ },
    { name: 'qemu-ifdown without #! is only a warning', host: host(GOOD, { down: 'ip link set "$1" down\n' }), user: 'root', status: 'warn', summary: /qemu-ifdown has no #! line/ },
    // Judged for alice (QEMU runs the script with her rights): with QEMU 7.2 as a non-root user (a tap
    // owned by that user, a good script): "RTNETLINK answers: Operation not permitted", then "network
    // script /etc/qemu-ifup failed with status 512"; as root the same VM starts.
    { name: 'a good script cannot work for alice', host: host(GOOD), status: 'warn', summary: /^\/etc\/qemu-ifup cannot work for alice: QEMU runs it with alice's rights, and its `ip link set` \(line 3\) needs CAP_NET_ADMIN \("RTNETLINK answers: Operation not permitted"\)$/, details: /QEMU 7\.2 then stops with: network script \/etc\/qemu-ifup failed with status 512/ },
    { name: "Debian 12's stock script, default route via br0, run by alice", host: host(DEBIAN12_STOCK, { route: defaultVia('br0') }), status: 'warn', summary: /cannot work for alice: .*`ip link set` \(line 11\)/, details: /tap down and on no bridge/ },
    { name: 'missing: no script alice could run would help', host: host(null), status: 'warn', summary: /QEMU run by alice runs \/etc\/qemu-ifup with alice's rights .* no script can attach a tap to a bridge without CAP_NET_ADMIN/, details: /The script itself: \/etc\/qemu-ifup is missing/ },
    { name: 'the ways that work are named', host: host(GOOD), status: 'warn', summary: /cannot work/, details: /-netdev bridge,id=n0,br=BRIDGE, through qemu-bridge-helper[\s\S]*ip tuntap add dev tap0 mode tap user alice; ip link set dev tap0 master BRIDGE up; then -netdev tap,id=n0,ifname=tap0,script=no,downscript=no/ },
    { name: 'a script that raises its rights with sudo is judged as written', host: host('#!/bin/sh\nsudo -n /usr/sbin/ip link set dev "$1" master br0 up\n'), status: 'pass', summary: /executable scripts/ },
    { name: 'a script that needs no rights (it only logs) is judged as written', host: host('#!/bin/sh\nlogger "tap $1 up"\n'), status: 'pass', summary: /executable scripts/ },
  ];
}

/**
 * A host record for the table above and test/checks/qemu-ifup.test.ts: /etc/qemu-ifup holding `up`
 * (null: missing) with `mode` (default 0755), /etc/qemu-ifdown holding `down` (default: the one qnet
 * writes; null: missing), /proc/net/route `route` (default: no route), the bridges `bridges` (default
 * br0) next to eth0, /bin/sh and /bin/bash; `extra` adds to it.
 */
export function ifupHost(up: string | null, opts: { mode?: number; down?: string | null; bridges?: string[]; route?: string; extra?: HostSpec } = {}): HostSpec {
  const file = (body: string | null, mode = 0o755) => (body === null ? null : { mode });
  const down = opts.down === undefined ? IFDOWN_SCRIPT : opts.down;
  return {
    ...opts.extra,
    files: { [IFUP]: up, [IFDOWN]: down, '/proc/net/route': opts.route ?? 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n', ...opts.extra?.files },
    stats: { [IFUP]: file(up, opts.mode), [IFDOWN]: file(down), '/bin/sh': { mode: 0o755 }, '/bin/bash': { mode: 0o755 }, ...opts.extra?.stats },
    links: [{ name: 'lo' }, { name: 'eth0' }, ...(opts.bridges ?? ['br0']).map((b) => ({ name: b, kind: 'bridge' }))],
  };
}

/** Debian 12's /etc/qemu-ifup as shipped by qemu-system-common 1:7.2 (copied from a real install). */
export function debian12StockIfup(): string {
  return `#! /bin/sh
# Script to bring a network (tap) device for qemu up.
# The idea is to add the tap device to the same bridge
# as we have default routing to.

# in order to be able to find brctl
PATH=$PATH:/sbin:/usr/sbin
ip=$(command -v ip)

if [ -n "$ip" ]; then
   ip link set "$1" up
else
   brctl=$(command -v brctl)
   if [ -z "$ip$brctl" ]; then
     echo "W: $0: not doing any bridge processing: neither ip nor brctl utility not found" >&2
     exit 0
   fi
   ifconfig "$1" 0.0.0.0 up
fi

switch=$(ip route ls | \\
    awk '/^default / {
          for(i=0;i<NF;i++) { if ($i == "dev") { print $(i+1); next; } }
         }'
        )

# only add the interface to default-route bridge if we
# have such interface (with default route) and if that
# interface is actually a bridge.
# It is possible to have several default routes too
for br in $switch; do
    if [ -d /sys/class/net/$br/bridge/. ]; then
        if [ -n "$ip" ]; then
          exec ip link set "$1" master "$br"
        else
          exec brctl addif $br "$1"
        fi
    fi
done

echo "W: $0: no bridge for guest interface found" >&2
`;
}
