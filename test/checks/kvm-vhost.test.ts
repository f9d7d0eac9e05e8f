import { describe, expect, it } from 'vitest';
import kvm from '../../checks/kvm.js';
import vhostNet from '../../checks/vhost-net.js';
import { fakeHost, runCheck, type FakeSpec } from '../helpers/fake-host.js';

const chr = (mode: number, gid: number, rdev: [number, number]) => ({ type: 'chr' as const, mode, uid: 0, gid, rdev });
const kvmGroup = 'root:x:0:\nkvm:x:104:alice\nalice:x:1000:\n';

describe('kvm', () => {
  const cases: { name: string; spec: FakeSpec; status: string; summary: RegExp; fixes?: string[] }[] = [
    { name: '0660 root:kvm, alice in kvm', spec: { files: { '/etc/group': kvmGroup }, stats: { '/dev/kvm': chr(0o660, 104, [10, 232]) } }, status: 'pass', summary: /through group kvm/ },
    { name: '0600 root:root (this kind of VM)', spec: { stats: { '/dev/kvm': chr(0o600, 0, [10, 232]) } }, status: 'fail', summary: /crw------- root:root; alice cannot open/, fixes: ['kvm/group-udev'] },
    { name: 'absent, CPU has vmx, module not loaded', spec: { files: { '/proc/cpuinfo': 'flags\t\t: fpu vme vmx sse\n' } }, status: 'fail', summary: /kvm_intel module is not loaded/, fixes: ['kvm/load'] },
    { name: 'absent, no virtualization flags', spec: { files: { '/proc/cpuinfo': 'flags\t\t: fpu vme sse hypervisor\n' } }, status: 'fail', summary: /no VT-x\/AMD-V/, fixes: [] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runCheck(kvm, fakeHost(c.spec));
      expect(r.status).toBe(c.status);
      expect(r.summary).toMatch(c.summary);
      if (c.fixes) expect(r.fixes.map((f) => f.id)).toEqual(c.fixes);
    });
  }
});

describe('vhost-net', () => {
  it('warns (never fails) when the node is missing', async () => {
    const r = await runCheck(vhostNet, fakeHost({}));
    expect(r.status).toBe('warn');
    expect(r.summary).toMatch(/does not exist/);
  });
  it('warns when alice cannot open it', async () => {
    const r = await runCheck(vhostNet, fakeHost({ stats: { '/dev/vhost-net': chr(0o600, 0, [10, 238]) } }));
    expect(r.status).toBe('warn');
    expect(r.fixes[0]!.preview.join('\n')).toContain('usermod -aG kvm alice');
  });
  it('passes through group kvm', async () => {
    const r = await runCheck(vhostNet, fakeHost({ files: { '/etc/group': kvmGroup }, stats: { '/dev/vhost-net': chr(0o660, 104, [10, 238]) } }));
    expect(r.status).toBe('pass');
  });
});
