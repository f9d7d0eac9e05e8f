// qemu-ifup's tables of cases are in checks/qemu-ifup.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import qemuIfup, { debian12StockIfup, ifupHost as host, ifupScript } from '../../checks/qemu-ifup.js';
import { scriptFacts } from '../../src/parse/ifup-script.js';
import { fakeHost, runCheck } from '../helpers/fake-host.js';

const GOOD = '#!/bin/sh\nset -e\nip link set dev "$1" master br0 up\n';

describe('qemu-ifup', () => {
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

const DEBIAN12_STOCK = debian12StockIfup();

describe('qemu-ifup, more cases', () => {
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
