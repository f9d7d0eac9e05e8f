// helper-acl's table of cases is in checks/helper-acl.ts.
import { describe, expect, it } from 'vitest';
import helperAcl, { aclHost as host } from '../../checks/helper-acl.js';
import { fakeHost, runCheck, type FakeSpec } from '../helpers/fake-host.js';

const CONF = '/etc/qemu/bridge.conf';

describe('helper-acl', () => {
  it('missing file: shows the real QEMU message and creates it for existing bridges only', async () => {
    const r = await runCheck(helperAcl, fakeHost(host({ conf: null, bridges: ['br0', 'virbr0', 'docker0'] })));
    expect(r.details!.join('\n')).toContain("failed to parse default acl file `/etc/qemu/bridge.conf'");
    expect(r.fixes[0]!.id).toBe('helper-acl/create');
    const text = r.fixes[0]!.preview.join('\n');
    expect(text).toContain('+allow br0');
    expect(text).toContain('+allow virbr0');
    expect(text).not.toContain('docker0');
    expect(text).not.toContain('+allow all');
    expect(text).toContain('mode 0644 owner 0:0');
  });
  it('not allowed: appends to the existing file and keeps its content', async () => {
    const r = await runCheck(helperAcl, fakeHost(host({ conf: '# mine\nallow br1\n' })));
    const fix = r.fixes.find((f) => f.id === 'helper-acl/allow')!;
    const text = fix.preview.join('\n');
    expect(text).toContain('+allow br0');
    expect(text).not.toContain('-# mine');
  });
  it('a denied bridge is not re-allowed by the fix; the deny is named', async () => {
    const r = await runCheck(helperAcl, fakeHost(host({ conf: 'allow br0\ndeny br0\n' })));
    expect(r.fixes.map((f) => f.id)).not.toContain('helper-acl/allow');
    expect(r.details!.join('\n')).toContain('`deny br0` at /etc/qemu/bridge.conf:2 wins');
  });
  it('allow all: replaces it with the existing bridges', async () => {
    const r = await runCheck(helperAcl, fakeHost(host({ conf: 'allow all\n', bridges: ['br0', 'docker0'] })));
    const fix = r.fixes.find((f) => f.id === 'helper-acl/no-allow-all')!;
    const text = fix.preview.join('\n');
    expect(text).toContain('-allow all');
    expect(text).toContain('+allow br0');
    expect(text).not.toContain('+allow docker0');
  });
  it('ownership and mode fixes: chown before chmod, read bit added', async () => {
    const r = await runCheck(helperAcl, fakeHost(host({ confStat: { mode: 0o660, uid: 1000, gid: 1000 } })));
    const fix = r.fixes.find((f) => f.id === 'helper-acl/permissions')!;
    expect(fix.preview).toEqual(['# the ACL lists bridge names only; nothing in it is secret, but only root may change it', `chown 0:0 ${CONF}`, `chmod 0644 ${CONF}`]);
  });
  // Plans follow the defect. The helper reads its ACL with the user's uid (checked with Debian's
  // setuid helper, QEMU 7.2, as uid 4242: `allow br0` in a 0600 root:root bridge.conf gives
  // "failed to parse default acl file"; 0644 starts), so an unreadable file wants the permission
  // fix; a second `allow br0` in it would change nothing the helper can see.
  const plans: { name: string; spec: FakeSpec; first: string; ids: string[]; preview?: RegExp; noPreview?: RegExp }[] = [
    { name: 'allow br0 in a 0600 root:root file', spec: host({ confStat: { mode: 0o600 } }), first: 'helper-acl/permissions', ids: ['helper-acl/permissions'], preview: /^chmod 0644 \/etc\/qemu\/bridge\.conf$/m },
    { name: 'allow br0 in a 0640 root:root file (alice not in root)', spec: host({ confStat: { mode: 0o640 } }), first: 'helper-acl/permissions', ids: ['helper-acl/permissions'] },
    { name: '/etc/qemu 0700: alice cannot enter it', spec: host({ dirStat: { type: 'dir', mode: 0o700 } }), first: 'helper-acl/permissions', ids: ['helper-acl/permissions'], preview: /^chmod 0755 \/etc\/qemu$/m },
    { name: 'allow br0 only in a 0600 include', spec: host({ conf: 'include /etc/qemu/private.conf\n', extra: { files: { '/etc/qemu/private.conf': 'allow br0\n' }, stats: { '/etc/qemu/private.conf': { mode: 0o600 } } } }), first: 'helper-acl/permissions', ids: ['helper-acl/permissions'], preview: /^chmod 0644 \/etc\/qemu\/private\.conf$/m },
    { name: 'no allow for br0 in a 0600 file: one plan adds it and fixes the mode', spec: host({ conf: '# mine\n', confStat: { mode: 0o600 } }), first: 'helper-acl/allow', ids: ['helper-acl/allow'], preview: /write \/etc\/qemu\/bridge\.conf \(mode 0644 owner 0:0\)[\s\S]*\+allow br0/ },
    { name: 'no allow for br0 in a readable file whose 0600 include allows br1', spec: host({ conf: 'include /etc/qemu/private.conf\n', extra: { files: { '/etc/qemu/private.conf': 'allow br1\n' }, stats: { '/etc/qemu/private.conf': { mode: 0o600 } } } }), first: 'helper-acl/allow', ids: ['helper-acl/allow'], preview: /\+allow br0[\s\S]*^chmod 0644 \/etc\/qemu\/private\.conf$/m },
    { name: 'no allow for br0, file readable', spec: host({ conf: 'allow br1\n' }), first: 'helper-acl/allow', ids: ['helper-acl/allow'], noPreview: /chmod/ },
  ];
  for (const c of plans) {
    it(`plans for ${c.name}: ${c.first} first`, async () => {
      const r = await runCheck(helperAcl, fakeHost(c.spec));
      expect(r.status).toBe('fail');
      expect(r.fixes.map((f) => f.id)).toEqual(c.ids);
      const first = r.fixes[0]!.preview.join('\n');
      if (c.preview) expect(first).toMatch(c.preview);
      if (c.noPreview) expect(first).not.toMatch(c.noPreview);
      // Never a second `allow` for a bridge the file already allows.
      for (const f of r.fixes) expect(f.preview.join('\n')).not.toMatch(/^\+allow br0$[\s\S]*^\+allow br0$|^ allow br0$[\s\S]*^\+allow br0$/m);
    });
  }
});
