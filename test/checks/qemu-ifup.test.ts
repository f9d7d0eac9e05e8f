import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import qemuIfup, { IFDOWN_SCRIPT, ifupScript } from '../../checks/qemu-ifup.js';
import { scriptFacts } from '../../src/parse/ifup-script.js';
import { fakeHost, ipLinks, runCheck, type FakeSpec } from '../helpers/fake-host.js';

const GOOD = '#!/bin/sh\nset -e\nip link set dev "$1" master br0 up\n';
const DEBIAN_STOCK = '#! /bin/sh\nip=$(command -v ip)\nswitch=$(ip route ls | awk \'/^default / { print $5 }\')\nfor br in $switch; do\n  if [ -d /sys/class/net/$br/bridge/. ]; then\n    exec ip link set "$1" master "$br"\n  fi\ndone\n';
const ROUTE = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n';

function host(up: string | null, opts: { mode?: number; down?: string | null; bridges?: string[]; route?: string; extra?: FakeSpec } = {}): FakeSpec {
  const file = (body: string | null, mode = 0o755) => (body === null ? null : { mode });
  const down = opts.down === undefined ? IFDOWN_SCRIPT : opts.down;
  return {
    ...opts.extra,
    files: { '/etc/qemu-ifup': up, '/etc/qemu-ifdown': down, '/proc/net/route': opts.route ?? ROUTE, ...opts.extra?.files },
    stats: { '/etc/qemu-ifup': file(up, opts.mode), '/etc/qemu-ifdown': file(down), '/bin/sh': { mode: 0o755 }, '/bin/bash': { mode: 0o755 }, ...opts.extra?.stats },
    exec: ipLinks([{ name: 'lo' }, { name: 'eth0' }, ...(opts.bridges ?? ['br0']).map((b) => ({ name: b, kind: 'bridge' }))]),
  };
}

// The tables judge the scripts for root, who runs them with the rights they need; what a
// non-root user meets is in 'qemu-ifup for a non-root user' below.
describe('qemu-ifup', () => {
  const cases: { name: string; spec: FakeSpec; status: string; summary: RegExp }[] = [
    { name: 'a good script for an existing bridge', spec: host(GOOD), status: 'pass', summary: /executable scripts/ },
    { name: 'missing (seed 001)', spec: host(null), status: 'fail', summary: /\/etc\/qemu-ifup is missing/ },
    { name: 'not executable', spec: host(GOOD, { mode: 0o644 }), status: 'fail', summary: /not executable by root/ },
    { name: 'no #! line', spec: host('ip link set "$1" master br0 up\n'), status: 'fail', summary: /no #! line/ },
    { name: 'CRLF line endings', spec: host('#!/bin/sh\r\nip link set "$1" master br0 up\r\n'), status: 'fail', summary: /Windows line endings/ },
    { name: 'an interpreter that does not exist', spec: host('#!/usr/local/bin/zsh\nip link set "$1" master br0 up\n'), status: 'fail', summary: /interpreter \/usr\/local\/bin\/zsh, which does not exist/ },
    { name: 'a hard-coded bridge that does not exist', spec: host('#!/bin/sh\nswitch=br1\nip link set "$1" master $switch up\n'), status: 'fail', summary: /:3 attaches the tap to bridge br1, which does not exist/ },
    { name: 'brctl without bridge-utils', spec: host('#!/bin/sh\nbrctl addif br0 "$1"\n'), status: 'fail', summary: /uses brctl, but bridge-utils is not installed/ },
    { name: 'brctl with bridge-utils', spec: host('#!/bin/sh\nbrctl addif br0 "$1"\n', { extra: { stats: { '/usr/sbin/brctl': { mode: 0o755 } } } }), status: 'pass', summary: /executable/ },
    { name: "Debian's stock script, default route via a bridge", spec: host(DEBIAN_STOCK, { route: `${ROUTE}br0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\n` }), status: 'pass', summary: /executable/ },
    { name: "Debian's stock script, default route via eth0", spec: host(DEBIAN_STOCK, { route: `${ROUTE}eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\n` }), status: 'warn', summary: /default route, which goes via eth0, not a bridge/ },
    { name: 'qemu-ifdown missing only', spec: host(GOOD, { down: null }), status: 'warn', summary: /qemu-ifdown is missing/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runCheck(qemuIfup, fakeHost(c.spec), { user: 'root' });
      expect(r.status).toBe(c.status);
      expect(r.summary).toMatch(c.summary);
    });
  }
  it('proposes scripts for the existing bridge', async () => {
    const r = await runCheck(qemuIfup, fakeHost(host(null, { bridges: ['brnm0'] })), { user: 'root' });
    expect(r.fixes[0]!.id).toBe('qemu-ifup/write');
    expect(r.fixes[0]!.preview.join('\n')).toContain("+br=brnm0");
  });
});

describe('generated scripts', () => {
  // Hostile bridge names reach no shell: they come out as one quoted word, and the
  // script (run by a real sh, with `ip` replaced by a recorder) passes them through intact.
  for (const name of ['a;b', '$(id)', '-x', 'br`x`', "it's", 'abcdefghijklmno']) {
    it(`keeps ${JSON.stringify(name)} one literal word`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'qnet-ifup-'));
      try {
        writeFileSync(join(dir, 'ip'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n', { mode: 0o755 });
        writeFileSync(join(dir, 'qemu-ifup'), ifupScript(name), { mode: 0o755 });
        const out = execFileSync('sh', [join(dir, 'qemu-ifup'), 'tap0'], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8' });
        expect(out.split('\n').slice(0, -1)).toEqual(['link', 'set', 'dev', 'tap0', 'master', name, 'up']);
        // and qnet, reading the script back, finds the same bridge name
        expect(scriptFacts(ifupScript(name)).bridges.map((b) => b.name)).toEqual([name]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

// Debian 12's /etc/qemu-ifup as shipped by qemu-system-common 1:7.2 (copied from a real install).
const DEBIAN12_STOCK = `#! /bin/sh
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
const defaultVia = (dev: string) => `${ROUTE}${dev}\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\n`;

describe('qemu-ifup, more cases', () => {
  const cases: { name: string; spec: FakeSpec; user?: string; status: string; summary: RegExp; details?: RegExp; evidence?: RegExp }[] = [
    { name: "Debian 12's stock script, default route via br0", spec: host(DEBIAN12_STOCK, { route: defaultVia('br0') }), status: 'pass', summary: /executable scripts \(bridges: br0\)/ },
    { name: "Debian 12's stock script, default route via eth0", spec: host(DEBIAN12_STOCK, { route: defaultVia('eth0') }), status: 'warn', summary: /picks its bridge at run time .* via eth0, not a bridge/ },
    { name: "Debian 12's stock script, no default route", spec: host(DEBIAN12_STOCK), status: 'warn', summary: /picks its bridge at run time/ },
    { name: 'a UTF-8 byte-order mark before #!', spec: host('\uFEFF#!/bin/sh\nip link set "$1" master br0 up\n'), status: 'fail', summary: /byte-order mark before #!/, details: /no such fallback/ },
    { name: 'a #! line with no interpreter', spec: host('#!\nip link set "$1" master br0 up\n'), status: 'fail', summary: /names no interpreter/ },
    { name: '#!/usr/bin/env with a program that is not installed', spec: host('#!/usr/bin/env zsh\nip link set "$1" master br0 up\n', { extra: { stats: { '/usr/bin/env': { mode: 0o755 } } } }), status: 'fail', summary: /runs "zsh" through \/usr\/bin\/env, and no zsh is installed: QEMU reports status 32512/ },
    { name: '#!/usr/bin/env with an installed program', spec: host('#!/usr/bin/env bash\nip link set "$1" master br0 up\n', { extra: { stats: { '/usr/bin/env': { mode: 0o755 }, '/usr/bin/bash': { mode: 0o755 } } } }), status: 'pass', summary: /executable/ },
    { name: 'an interpreter only root may execute, judged for alice', spec: host('#!/opt/sh\nip link set "$1" master br0 up\n', { extra: { stats: { '/opt/sh': { mode: 0o700 } } } }), user: 'alice', status: 'warn', summary: /cannot work for alice/, details: /The script itself: .*interpreter \/opt\/sh, which alice cannot execute \(-rwx------\)/ },
    { name: 'the same interpreter, judged for root', spec: host('#!/opt/sh\nip link set "$1" master br0 up\n', { extra: { stats: { '/opt/sh': { mode: 0o700 } } } }), user: 'root', status: 'pass', summary: /executable/ },
    { name: 'a script only root may execute, judged for alice', spec: host(GOOD, { mode: 0o700 }), user: 'alice', status: 'warn', summary: /cannot work for alice/, details: /The script itself: .*not executable by alice \(-rwx------\)/ },
    { name: 'a script only root may execute, judged for root', spec: host(GOOD, { mode: 0o700 }), user: 'root', status: 'pass', summary: /executable/ },
    {
      name: 'a symlink to a good script',
      spec: host(GOOD, { extra: { lstats: { '/etc/qemu-ifup': { type: 'link', mode: 0o777 } }, readlinks: { '/etc/qemu-ifup': '/usr/local/lib/qemu-ifup' } } }),
      status: 'pass',
      summary: /executable/,
      evidence: /readlink \/etc\/qemu-ifup → \/usr\/local\/lib\/qemu-ifup/,
    },
    {
      name: 'a dangling symlink',
      spec: host(null, { extra: { lstats: { '/etc/qemu-ifup': { type: 'link', mode: 0o777 } }, readlinks: { '/etc/qemu-ifup': '/opt/gone/qemu-ifup' } } }),
      status: 'fail',
      summary: /^\/etc\/qemu-ifup is a symlink to \/opt\/gone\/qemu-ifup, which does not exist/,
      details: /network script \/etc\/qemu-ifup failed with status 256/,
    },
    { name: 'a hard-coded interface that exists but is not a bridge', spec: host('#!/bin/sh\nip link set "$1" master eth0 up\n'), status: 'fail', summary: /:2 attaches the tap to eth0, which is not a bridge \(bridges here: br0\)/ },
    { name: 'BRIDGE= resolved from a literal assignment', spec: host('#!/bin/sh\nBRIDGE="br7"\nip link set dev "$1" master "${BRIDGE}" up\n'), status: 'fail', summary: /:3 attaches the tap to bridge br7, which does not exist/ },
    { name: 'a hostile bridge name in the script', spec: host("#!/bin/sh\nip link set \"$1\" master 'a;b' up\n"), status: 'fail', summary: /attaches the tap to bridge a;b, which does not exist/ },
    { name: 'a 16-byte bridge name in the script', spec: host('#!/bin/sh\nbr=abcdefghijklmnop\nip link set "$1" master "$br" up\n'), status: 'fail', summary: /"abcdefghijklmnop", which can never be an interface name/ },
    { name: 'qemu-ifdown missing: the message QEMU prints at shutdown', spec: host(GOOD, { down: null }), status: 'warn', summary: /qemu-ifdown is missing/, details: /network script \/etc\/qemu-ifdown failed with status 256/ },
    { name: 'qemu-ifdown without #! is only a warning', spec: host(GOOD, { down: 'ip link set "$1" down\n' }), status: 'warn', summary: /qemu-ifdown has no #! line/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runCheck(qemuIfup, fakeHost(c.spec), { user: c.user ?? 'root' });
      expect(r.status).toBe(c.status);
      expect(r.summary).toMatch(c.summary);
      if (c.details) expect((r.details ?? []).join('\n')).toMatch(c.details);
      if (c.evidence) expect(r.evidence.map((e) => `${e.source} → ${e.observed}`).join('\n')).toMatch(c.evidence);
    });
  }

  it('seed 001: the missing script is a fail that quotes what QEMU 7.2 and old qemu-kvm print', async () => {
    const r = await runCheck(qemuIfup, fakeHost(host(null)), { user: 'root' });
    expect(r.status).toBe('fail');
    const d = (r.details ?? []).join('\n');
    expect(d).toContain('network script /etc/qemu-ifup failed with status 256');
    expect(d).toContain('/etc/qemu-ifup: could not launch network script');
    expect(d).toMatch(/script=no,downscript=no/);
    expect(d).toMatch(/-netdev bridge/);
  });

  it('no bridge to write scripts for: no fix, says to create one first', async () => {
    const r = await runCheck(qemuIfup, fakeHost(host(null, { bridges: [] })), { user: 'root' });
    expect(r.status).toBe('fail');
    expect(r.fixes).toEqual([]);
    expect((r.details ?? []).join('\n')).toMatch(/No bridge exists yet/);
  });

  for (const hostile of ['$(id)', 'a;b', "x'y"]) {
    it(`the fix for an existing bridge named ${JSON.stringify(hostile)} single-quotes it`, async () => {
      const r = await runCheck(qemuIfup, fakeHost(host(null, { bridges: [hostile] })), { user: 'root' });
      const fix = r.fixes.find((f) => f.id === 'qemu-ifup/write')!;
      const preview = fix.preview.join('\n');
      expect(preview).toContain(`+br='${hostile.replace(/'/g, `'\\''`)}'`);
      expect(preview).toContain('+ip link set dev "$1" master "$br" up');
      expect(preview).toMatch(/write \/etc\/qemu-ifup \(mode 0755 owner 0:0\)/);
      // the name appears nowhere unquoted
      expect(preview.split('\n').filter((l) => l.startsWith('+') && l.includes(hostile) && !l.startsWith('+#') && !l.startsWith('+br='))).toEqual([]);
    });
  }

  it('a bridge name over 15 bytes (impossible) is never offered as the fix target', async () => {
    const r = await runCheck(qemuIfup, fakeHost(host(null, { bridges: ['abcdefghijklmnop', 'br0'] })), { user: 'root' });
    expect(r.fixes[0]!.title).toMatch(/for bridge br0 /);
  });
});

// QEMU runs the script with the rights of whoever started QEMU. Checked with QEMU 7.2 as uid 4242
// (a tap owned by that user, a good script): "RTNETLINK answers: Operation not permitted",
// then "network script /etc/qemu-ifup failed with status 512"; as root the same VM starts.
describe('qemu-ifup for a non-root user', () => {
  const cases: { name: string; spec: FakeSpec; status: string; summary: RegExp; details?: RegExp }[] = [
    { name: 'a good script cannot work for alice', spec: host(GOOD), status: 'warn', summary: /^\/etc\/qemu-ifup cannot work for alice: QEMU runs it with alice's rights, and its `ip link set` \(line 3\) needs CAP_NET_ADMIN \("RTNETLINK answers: Operation not permitted"\)$/, details: /QEMU 7\.2 then stops with: network script \/etc\/qemu-ifup failed with status 512/ },
    { name: "Debian 12's stock script, default route via br0", spec: host(DEBIAN12_STOCK, { route: defaultVia('br0') }), status: 'warn', summary: /cannot work for alice: .*`ip link set` \(line 11\)/, details: /tap down and on no bridge/ },
    { name: 'missing: no script alice could run would help', spec: host(null), status: 'warn', summary: /QEMU run by alice runs \/etc\/qemu-ifup with alice's rights .* no script can attach a tap to a bridge without CAP_NET_ADMIN/, details: /The script itself: \/etc\/qemu-ifup is missing/ },
    { name: 'the ways that work are named', spec: host(GOOD), status: 'warn', summary: /cannot work/, details: /-netdev bridge,id=n0,br=BRIDGE, through qemu-bridge-helper[\s\S]*ip tuntap add dev tap0 mode tap user alice; ip link set dev tap0 master BRIDGE up; then -netdev tap,id=n0,ifname=tap0,script=no,downscript=no/ },
    { name: 'a script that raises its rights with sudo is judged as written', spec: host('#!/bin/sh\nsudo -n /usr/sbin/ip link set dev "$1" master br0 up\n'), status: 'pass', summary: /executable scripts/ },
    { name: 'a script that needs no rights (it only logs) is judged as written', spec: host('#!/bin/sh\nlogger "tap $1 up"\n'), status: 'pass', summary: /executable scripts/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runCheck(qemuIfup, fakeHost(c.spec));
      expect(r.status).toBe(c.status);
      expect(r.summary).toMatch(c.summary);
      if (c.details) expect((r.details ?? []).join('\n')).toMatch(c.details);
    });
  }
  it('offers no script for alice: writing one would not make QEMU work for her', async () => {
    for (const spec of [host(null), host(GOOD), host('#!/bin/sh\r\nip link set "$1" master br0 up\r\n')]) {
      const r = await runCheck(qemuIfup, fakeHost(spec));
      expect(r.status).toBe('warn');
      expect(r.fixes).toEqual([]);
    }
  });
  it('the sudo script: a note that sudoers must allow it without a password', async () => {
    const r = await runCheck(qemuIfup, fakeHost(host('#!/bin/sh\nsudo -n /usr/sbin/ip link set dev "$1" master br0 up\n')));
    expect((r.details ?? []).join('\n')).toMatch(/without a password \(qnet does not read sudoers\)/);
  });
  it('for root the same good script passes', async () => {
    expect((await runCheck(qemuIfup, fakeHost(host(GOOD)), { user: 'root' })).status).toBe('pass');
  });
});

describe('scriptFacts', () => {
  it("reads Debian's stock script as dynamic, with no literal bridge and no need for brctl", () => {
    const f = scriptFacts(DEBIAN12_STOCK);
    expect(f).toMatchObject({ dynamic: true, needsBrctl: false, bridges: [], shebang: { interpreter: '/bin/sh', crlf: false } });
  });
  it.each([
    ['brctl addif br0 "$1"', ['br0'], true],
    ['switch=br1\nbrctl addif $switch $1', ['br1'], true],
    ['/usr/sbin/brctl addif ${switch:-br0} "$1"', [], true],
    ['ip link set "$1" master br2', ['br2'], false],
    ["br='a b'\nip link set \"$1\" master \"$br\"", ['a b'], false],
    ['ovs-vsctl --may-exist add-port ovsbr0 "$1"', ['ovsbr0'], false],
    ['BRIDGE=$(cat /etc/bridge)\nip link set "$1" master "$BRIDGE"', [], false],
  ])('%s', (body, bridges, brctl) => {
    const f = scriptFacts(`#!/bin/sh\n${body}\n`);
    expect(f.bridges.map((b) => b.name)).toEqual(bridges);
    expect(f.needsBrctl).toBe(brctl);
  });
  it.each([
    ['ip link set dev "$1" master br0 up', ['ip link set'], []],
    ['/sbin/ip -4 addr add 10.0.0.1/24 dev "$1"', ['ip -4 addr add'], []],
    ['ip l s "$1" up', ['ip l s'], []],
    ['exec ip link set "$1" master "$br"', ['ip link set'], []],
    ['ifconfig "$1" 0.0.0.0 up', ['ifconfig "$1" 0.0.0.0'], []],
    ['brctl addif br0 "$1"', ['brctl addif'], []],
    ['ovs-vsctl add-port ovsbr0 "$1"', ['ovs-vsctl'], []],
    ['sudo ip link set "$1" master br0 up', [], ['ip link set']],
    ['doas /sbin/brctl addif br0 "$1"', [], ['brctl addif']],
    ['ip link show; brctl show; ifconfig', [], []],
    ['logger "qemu started $1"; exit 0', [], []],
    ['# ip link set "$1" up (commented out)', [], []],
  ])('commands needing CAP_NET_ADMIN in %s', (body, privileged, elevated) => {
    const f = scriptFacts(`#!/bin/sh\n${body}\n`);
    expect(f.privileged.map((p) => p.cmd)).toEqual(privileged);
    expect(f.elevated.map((p) => p.cmd)).toEqual(elevated);
  });
  it("Debian 12's stock script changes the tap and the bridge itself", () => {
    expect(scriptFacts(DEBIAN12_STOCK).privileged.map((p) => p.line)).toEqual([11, 18, 34, 36]);
  });
  it('a BOM before #! is reported and yields no shebang', () => {
    const f = scriptFacts('\uFEFF#!/bin/sh\nexit 0\n');
    expect(f.bom).toBe(true);
    expect(f.shebang).toBeUndefined();
  });
  it('CRLF shebang', () => {
    expect(scriptFacts('#!/bin/sh\r\nexit 0\r\n').shebang).toEqual({ interpreter: '/bin/sh', args: '', crlf: true });
  });
});
