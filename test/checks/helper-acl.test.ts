import { describe, expect, it } from 'vitest';
import helperAcl from '../../checks/helper-acl.js';
import { fakeHost, ipLinks, runCheck, type FakeSpec, type StatSpec } from '../helpers/fake-host.js';

const CONF = '/etc/qemu/bridge.conf';
const HELPER = '/usr/lib/qemu/qemu-bridge-helper';

interface Opts {
  conf?: string | null;
  confStat?: StatSpec;
  dirStat?: StatSpec;
  bridges?: string[];
  others?: string[];
  extra?: FakeSpec;
  helper?: boolean;
}
function host(o: Opts = {}): FakeSpec {
  const links = [{ name: 'lo' }, { name: 'eth0' }, ...(o.others ?? []).map((name) => ({ name })), ...(o.bridges ?? ['br0']).map((name) => ({ name, kind: 'bridge' }))];
  const conf = o.conf === undefined ? 'allow br0\n' : o.conf;
  const x = o.extra ?? {};
  return {
    ...x,
    files: { [CONF]: conf, ...x.files },
    dirs: o.helper === false ? {} : { '/usr/lib/qemu': ['qemu-bridge-helper'], ...x.dirs },
    stats: {
      [HELPER]: { mode: 0o4755 },
      ...(conf === null ? { [CONF]: null } : { [CONF]: o.confStat ?? { mode: 0o644 } }),
      '/etc/qemu': o.dirStat ?? { type: 'dir', mode: 0o755 },
      ...x.stats,
    },
    exec: { ...ipLinks(links), ...x.exec },
  };
}

describe('helper-acl', () => {
  const cases: { name: string; spec: FakeSpec; user?: string; status: string; summary: RegExp }[] = [
    { name: 'allow br0, br0 exists, root 0644', spec: host(), status: 'pass', summary: /allows br0 and is root-owned, readable by alice/ },
    { name: '0640 root:alice is readable through the group', spec: host({ confStat: { mode: 0o640, gid: 1000 } }), status: 'pass', summary: /allows br0/ },
    { name: 'no bridges yet, valid file', spec: host({ bridges: [], conf: '# nothing yet\n' }), status: 'pass', summary: /valid and root-owned; no bridge exists yet/ },
    { name: 'only Docker bridges and a valid file', spec: host({ bridges: ['docker0', 'br-0123456789ab'], conf: '# none\n' }), status: 'pass', summary: /no bridge exists yet/ },
    { name: 'no helper installed', spec: host({ helper: false, conf: null }), status: 'skip', summary: /no qemu-bridge-helper/ },
    { name: 'missing bridge.conf', spec: host({ conf: null }), status: 'fail', summary: /\/etc\/qemu\/bridge.conf does not exist/ },
    { name: 'owned by alice', spec: host({ confStat: { mode: 0o644, uid: 1000, gid: 1000 } }), status: 'fail', summary: /owned by alice:alice, not root: whoever can write it can put any tap on any bridge/ },
    { name: 'writable by everyone', spec: host({ confStat: { mode: 0o666 } }), status: 'fail', summary: /writable by every user/ },
    { name: 'group-writable by netdev', spec: host({ confStat: { mode: 0o664, gid: 108 } }), status: 'fail', summary: /writable by group netdev/ },
    { name: '/etc/qemu writable by a group', spec: host({ dirStat: { type: 'dir', mode: 0o775, gid: 1000 } }), status: 'fail', summary: /^\/etc\/qemu is writable by group alice/ },
    { name: '0600 root: the helper reads it as alice', spec: host({ confStat: { mode: 0o600 } }), status: 'fail', summary: /alice cannot read \/etc\/qemu\/bridge.conf .*failed to parse default acl file/ },
    { name: '0600 root judged for root', spec: host({ confStat: { mode: 0o600 }, extra: { invoker: { uid: 0, euid: 0, user: 'root' } } }), status: 'pass', summary: /allows br0/ },
    { name: 'capitalised Allow', spec: host({ conf: 'Allow br0\n' }), status: 'fail', summary: /^\/etc\/qemu\/bridge.conf:1: unknown command "Allow"/ },
    { name: 'missing argument', spec: host({ conf: 'allow br0\nallow\n' }), status: 'fail', summary: /bridge.conf:2: invalid line/ },
    { name: '16-byte name', spec: host({ conf: 'allow br0\nallow 0123456789abcdef\n' }), status: 'fail', summary: /bridge.conf:2: name .* 16 bytes/ },
    { name: 'include loop', spec: host({ conf: 'allow br0\ninclude /etc/qemu/a.conf\n', extra: { files: { '/etc/qemu/a.conf': `include ${CONF}\n` }, stats: { '/etc/qemu/a.conf': { mode: 0o644 } } } }), status: 'fail', summary: /include loop.*crashes/ },
    { name: 'allow all', spec: host({ conf: 'allow all\n' }), status: 'warn', summary: /`allow all` at \/etc\/qemu\/bridge.conf:1/ },
    { name: 'allows a bridge that does not exist', spec: host({ conf: 'allow br0\nallow br9\n' }), status: 'warn', summary: /no bridge br9 exists/ },
    { name: 'allows a NIC, not a bridge', spec: host({ conf: 'allow br0\nallow eth0\n' }), status: 'warn', summary: /eth0 exists but is not a bridge/ },
    { name: 'allows a name that can never match', spec: host({ conf: 'allow br0\nallow a b\n' }), status: 'warn', summary: /can never match/ },
    { name: 'one of two bridges not allowed', spec: host({ bridges: ['br0', 'br1'] }), status: 'warn', summary: /bridge br1 is not allowed/ },
    { name: 'no existing bridge allowed', spec: host({ conf: 'allow br1\n' }), status: 'fail', summary: /no existing bridge is allowed \(br0\).*access denied by acl file/ },
    { name: 'allow then deny', spec: host({ conf: 'allow br0\ndeny br0\n' }), status: 'fail', summary: /no existing bridge is allowed/ },
    { name: 'deny then allow', spec: host({ conf: 'deny br0\nallow br0\n' }), status: 'fail', summary: /no existing bridge is allowed/ },
    { name: 'tab separator works', spec: host({ conf: 'allow\tbr0\n' }), status: 'pass', summary: /allows br0/ },
    { name: 'allow only in an include alice cannot read', spec: host({ conf: 'include /etc/qemu/private.conf\n', extra: { files: { '/etc/qemu/private.conf': 'allow br0\n' }, stats: { '/etc/qemu/private.conf': { mode: 0o600 } } } }), status: 'fail', summary: /no existing bridge is allowed/ },
    { name: 'missing include next to a working allow', spec: host({ conf: 'allow br0\ninclude /etc/qemu/gone.conf\n', extra: { files: { '/etc/qemu/gone.conf': null } } }), status: 'warn', summary: /gone.conf: included file cannot be read/ },
    { name: 'bridge named a;b allowed', spec: host({ bridges: ['a;b'], conf: 'allow a;b\n' }), status: 'pass', summary: /allows a;b/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runCheck(helperAcl, fakeHost(c.spec), { user: c.user });
      expect(r.status).toBe(c.status);
      expect(r.summary).toMatch(c.summary);
    });
  }

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
  it('an unreadable-by-user include is a warn when the top file still allows the bridge', async () => {
    const spec = host({ conf: 'allow br0\ninclude /etc/qemu/private.conf\n', extra: { files: { '/etc/qemu/private.conf': 'allow br1\n' }, stats: { '/etc/qemu/private.conf': { mode: 0o600 } } } });
    const r = await runCheck(helperAcl, fakeHost(spec));
    expect(r.status).toBe('warn');
    expect(r.summary).toMatch(/alice cannot read \/etc\/qemu\/private.conf .*skips it silently/);
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

  it('a replayed snapshot without the file says not captured', async () => {
    const spec = host();
    const snap = fakeHost(spec);
    delete snap.reads[Object.keys(snap.reads).find((k) => k.includes(CONF) && k.startsWith('file'))!];
    const r = await runCheck(helperAcl, snap, { strict: true });
    expect(r.status).toBe('skip');
    expect(r.summary).toContain('not captured');
  });
});
