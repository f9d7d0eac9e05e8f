import { describe, expect, it } from 'vitest';
import { ALL_CHECKS } from '../checks/index.js';
import { buildReport, reportMarkdown } from '../src/commands/report.js';
import { createContext } from '../src/session.js';
import { doctor } from '../src/engine.js';
import { CachingHost, SnapshotHost } from '../src/host/record.js';
import { makeRedactor, nameMap } from '../src/output/redact-report.js';
import type { DoctorReport } from '../src/types.js';
import { fakeHost, type FakeSpec } from './helpers/fake-host.js';

/** The report's prose: without the line saying whether it is redacted, and without the encoded snapshot. */
export const prose = (md: string) => md.replace(/^- redaction: .*$/m, '').replace(/-----BEGIN QNET SNAPSHOT-----[\s\S]*?-----END QNET SNAPSHOT-----/g, '');

const report: DoctorReport = {
  schema: 'qnet.doctor/v1',
  qnet: '0.1.0',
  host: { hostname: 'secret-box', kernel: '6.1.0', distro: 'Debian GNU/Linux 12', user: 'alice', uid: 1000, groups: ['alice', 'kvm'], euid: 0, guest: false, source: 'live' },
  summary: { pass: 1, warn: 0, fail: 1, skip: 0, error: 0 },
  results: [
    {
      id: 'bridge-state', area: 'bridge', title: 't', status: 'fail',
      summary: 'eth0 is a port of br0 but still holds 203.0.113.7/24: the address belongs on br0',
      evidence: [{ source: 'ip -j addr show (br0)', observed: 'ports: eth0 (3c:97:0e:11:22:33), vnet0 (52:54:00:ab:cd:ef); 203.0.113.7 and 203.0.113.9; alice@secret-box' }],
      fixes: [], durationMs: 1,
      details: ['guests on 192.168.122.0/24 and 10.0.2.15 use 52:54:00:12:34:56; /home/bob/vm.qcow2 is open'],
    },
    { id: 'kvm', area: 'kernel', title: 't', status: 'pass', summary: 'the judged user can open /dev/kvm', evidence: [{ source: 'stat /dev/kvm', observed: 'crw-rw---- 0:104 10:232' }], fixes: [], durationMs: 1 },
  ],
};

describe('qnet report (rendering)', () => {
  const md = reportMarkdown(report, { redact: true, users: ['alice', 'bob'] });
  it('leaves no seeded identifier: host name, user names in identity fields, public addresses, real MACs', () => {
    for (const secret of ['secret-box', 'alice', 'bob', '203.0.113.7', '203.0.113.9', '3c:97:0e:11:22:33', '52:54:00:ab:cd:ef']) expect(md).not.toContain(secret);
  });
  it('keeps the story: the same address is the same pseudonym, a subnet stays a subnet', () => {
    const pseud = /198\.18\.0\.(7|9)/g;
    expect(md.match(pseud)?.length).toBeGreaterThanOrEqual(3);
    expect(md).toContain('198.18.0.7/24');
    expect(md).toContain('user1@host1');
    expect(md).toContain('/home/user2/vm.qcow2');
  });
  it("keeps well-known harmless values: QEMU's default MAC, user networking, libvirt's subnet", () => {
    expect(md).toContain('52:54:00:12:34:56');
    expect(md).toContain('10.0.2.15');
    expect(md).toContain('192.168.122.0/24');
    expect(md).toMatch(/52:54:00:00:00:0\d/); // a VM NIC stays recognisable as one
  });
  it('--no-redact keeps everything', () => {
    expect(reportMarkdown(report, { redact: false })).toContain('203.0.113.7');
  });
});

describe('IPv6 in reports', () => {
  const r = makeRedactor(nameMap([], []));
  it('replaces global and ULA addresses by prefix, so a subnet stays a subnet', () => {
    const a = r.text('2001:470:1f0b:5e::77/64 and 2001:470:1f0b:5e::78 and 2001:470:1f0b:5f::1 and 2a01:4f8:1c17::1');
    expect(a).not.toMatch(/2001:470|2a01:4f8/);
    const [x, y, z, w] = a.split(' and ');
    expect(x).toBe('2001:db8:1:5e::77/64');
    expect(y).toBe('2001:db8:1:5e::78');
    expect(z).toBe('2001:db8:1:5f::1'); // the same /48, another /64
    expect(w).toBe('2001:db8:2::1');
    expect(r.text('fd12:3456:789a:1::5')).toBe('fd00:0:1:1::5');
  });
  it('keeps loopback, the unspecified address and multicast', () => {
    expect(r.text('::1 and :: and ff02::1 and ff02::1:ff00:1')).toBe('::1 and :: and ff02::1 and ff02::1:ff00:1');
  });
  it('keeps the link-local prefix; an EUI-64 identifier follows its MAC', () => {
    const out = r.text('br0 3c:97:0e:aa:bb:cc fe80::3e97:eff:feaa:bbcc/64 fe80::1');
    expect(out).toBe('br0 02:00:00:00:00:01 fe80::ff:fe00:1/64 fe80::1');
  });
  it('replaces a random interface identifier and an IPv4-mapped address', () => {
    const out = r.text('fe80::a1b2:c3d4:e5f6:789 and ::ffff:203.0.113.5');
    expect(out).not.toMatch(/a1b2|203\.0\.113/);
    expect(out).toMatch(/^fe80::/);
    expect(out).toMatch(/::ffff:198\.18\.\d+\.5$/);
  });
  it('leaves times, MACs and C++-like text alone', () => {
    expect(r.text('at 23:55:36, std::string, 10:200')).toBe('at 23:55:36, std::string, 10:200');
  });
});

describe('IPv4 in reports', () => {
  const r = makeRedactor(nameMap([], []));
  it('keeps netmasks, multicast and broadcast, and is idempotent', () => {
    expect(r.text('mask 255.255.255.0, mdns 224.0.0.251, 0.0.0.0/0')).toBe('mask 255.255.255.0, mdns 224.0.0.251, 0.0.0.0/0');
    const once = r.text('203.0.113.5');
    expect(r.text(once)).toBe(once);
  });
});

describe('user names are identifiers, never substrings', () => {
  const r = makeRedactor(nameMap(['qemu', 'bridge'], []));
  it('leaves paths and words that contain or equal a name alone', () => {
    const s = '/etc/qemu-ifup: qemu-system-x86_64 has the user, tap and bridge backends; /usr/lib/qemu/qemu-bridge-helper';
    expect(r.text(s)).toBe(s);
  });
  it('replaces names where they stand as identities', () => {
    expect(r.text('/home/qemu/vm.img, bridge@box, OWNER="qemu", -runas bridge, user=qemu, permissions=user:bridge;')).toBe(
      '/home/user1/vm.img, user2@box, OWNER="user1", -runas user2, user=user1, permissions=user:user2;',
    );
  });
});

/** A fake host with local users `bridge` (judged) and `qemu`, and /etc/qemu-ifup missing. */
function host(): FakeSpec {
  return {
    files: {
      '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\nbridge:x:1000:1000:Bridget Jones,,,:/home/bridge:/bin/bash\nqemu:x:1001:1001::/home/qemu:/bin/sh\n',
      '/etc/group': 'root:x:0:\nkvm:x:104:\nbridge:x:1000:\nqemu:x:1001:\n',
      '/proc/sys/kernel/hostname': 'tap\n',
      '/etc/qemu-ifup': null,
      '/etc/qemu-ifdown': null,
    },
    stats: { '/dev/kvm': { type: 'chr', mode: 0o660, uid: 0, gid: 104, rdev: [10, 232] }, '/etc/qemu-ifup': null, '/etc/qemu-ifdown': null },
    exec: { 'ip -j addr show': { stdout: '[]' } },
    invoker: { uid: 0, euid: 0, sudoUser: 'bridge' },
  };
}

async function reportOf(spec: FakeSpec, redact = true): Promise<string> {
  const snap = fakeHost(spec);
  const caching = new CachingHost(new SnapshotHost(snap.reads));
  const ctx = await createContext({ host: caching, invoker: snap.invoker, source: 'live' });
  const checks = ALL_CHECKS.filter((c) => ['kvm', 'qemu-ifup'].includes(c.id));
  const rep = await doctor(ctx, checks);
  return buildReport({ ctx, checks, report: rep, reads: await caching.records() }, { redact });
}

describe('buildReport: the report owns its list of names', () => {
  it('replaces the judged user and the host name, from the host record itself', async () => {
    const plain = await reportOf(host(), false);
    expect(plain).toMatch(/bridge cannot open it read-write/);
    const md = await reportOf(host());
    expect(md).toMatch(/user1 cannot open it read-write/);
    expect(md).toContain('- host: host1 ·');
    expect(md).toContain('judged for: user1');
    expect(md).not.toMatch(/Bridget/);
  });
  it('with users called bridge and qemu, /etc/qemu-ifup and the prose stay intact', async () => {
    const md = await reportOf(host());
    expect(md).toContain('/etc/qemu-ifup');
    expect(md).not.toMatch(/user\d-ifup|\/etc\/user/);
    // Every ordinary word of the unredacted report is still there.
    const plain = await reportOf(host(), false);
    const words = (s: string) => new Set(prose(s).match(/[A-Za-z]{3,}/g) ?? []);
    const kept = words(md);
    expect([...words(plain)].filter((w) => !kept.has(w) && w !== 'bridge' && w !== 'tap')).toEqual([]);
  });
});

describe('Markdown safety', () => {
  const hostile: DoctorReport = {
    ...report,
    host: { ...report.host, hostname: 'h\x1b]0;owned\x07x', distro: 'Evil `OS` | <b>x</b>' },
    results: [
      {
        id: 'bridge-state', area: 'bridge', title: 't', status: 'fail',
        summary: 'bridge a|b`c is down\x1b[2J',
        evidence: [{ source: 'ip -j addr show (a|b`c)', observed: 'x``y\x1b[31m' }],
        fixes: [{ id: 'bridge-state/up-a|b', title: 'bring *a|b* up', risk: 'low', root: true, preview: [] }],
        durationMs: 1,
      },
    ],
  };
  for (const redact of [true, false]) {
    const md = reportMarkdown(hostile, { redact });
    it(`no raw control characters (redact ${redact})`, () => {
      expect(md).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
      // Shown as the text \x1b[2J (Markdown-escaped), never as the escape itself.
      expect(md).toContain('down\\\\x1b\\[2J');
    });
    it(`a | in host text does not add a table column (redact ${redact})`, () => {
      const row = md.split('\n').find((l) => l.startsWith('| ✖'))!;
      // Cells are separated by unescaped pipes only: | icon | id | summary |
      expect(row.split(/(?<!\\)\|/).length).toBe(5);
    });
    it(`backticks in host text do not break code spans (redact ${redact})`, () => {
      const ev = md.split('\n').find((l) => l.startsWith('- ') && l.includes('→'))!;
      expect(ev).toMatch(/^- `ip -j addr show \(a\|b`c\)`|^- ``ip -j addr show \(a\|b`c\)``/);
      expect(ev).toContain('```x``y\\x1b[31m```');
    });
  }
});
