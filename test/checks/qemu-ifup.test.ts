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

describe('qemu-ifup', () => {
  const cases: { name: string; spec: FakeSpec; status: string; summary: RegExp }[] = [
    { name: 'a good script for an existing bridge', spec: host(GOOD), status: 'pass', summary: /executable scripts/ },
    { name: 'missing (seed 001)', spec: host(null), status: 'fail', summary: /\/etc\/qemu-ifup is missing/ },
    { name: 'not executable', spec: host(GOOD, { mode: 0o644 }), status: 'fail', summary: /not executable by alice/ },
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
      const r = await runCheck(qemuIfup, fakeHost(c.spec));
      expect(r.status).toBe(c.status);
      expect(r.summary).toMatch(c.summary);
    });
  }
  it('proposes scripts for the existing bridge', async () => {
    const r = await runCheck(qemuIfup, fakeHost(host(null, { bridges: ['brnm0'] })));
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
