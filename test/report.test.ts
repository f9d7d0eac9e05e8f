import { describe, expect, it } from 'vitest';
import { reportMarkdown } from '../src/commands/report.js';
import type { DoctorReport } from '../src/types.js';

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
      details: ['guests on 192.168.122.0/24 and 10.0.2.15 use 52:54:00:12:34:56; bob also logs in'],
    },
    { id: 'kvm', area: 'kernel', title: 't', status: 'pass', summary: 'alice can open /dev/kvm', evidence: [{ source: 'stat /dev/kvm', observed: 'crw-rw---- 0:104 10:232' }], fixes: [], durationMs: 1 },
  ],
};

describe('qnet report', () => {
  const md = reportMarkdown(report, { redact: true, users: ['alice', 'bob'] });
  it('leaves no seeded secret: host name, user names, public addresses, real MACs', () => {
    for (const secret of ['secret-box', 'alice', 'bob', '203.0.113.7', '203.0.113.9', '3c:97:0e:11:22:33', '52:54:00:ab:cd:ef']) expect(md).not.toContain(secret);
  });
  it('keeps the story: the same address is the same pseudonym, a subnet stays a subnet', () => {
    const pseud = /198\.18\.0\.(7|9)/g;
    expect(md.match(pseud)?.length).toBeGreaterThanOrEqual(3);
    expect(md).toContain('198.18.0.7/24');
    expect(md).toContain('user1@host1');
  });
  it("keeps well-known harmless values: QEMU's default MAC, user networking, libvirt's subnet", () => {
    expect(md).toContain('52:54:00:12:34:56');
    expect(md).toContain('10.0.2.15');
    expect(md).toContain('192.168.122.0/24');
    expect(md).toMatch(/52:54:00:00:00:0\d/); // a VM NIC stays recognisable as one
  });
  it('--no-redact keeps everything', () => {
    expect(reportMarkdown(report, { redact: false, users: [] })).toContain('203.0.113.7');
  });
});
