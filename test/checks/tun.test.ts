import { gzipSync } from 'node:zlib';
// tun-module's and tun-perms' tables of cases are in checks/tun-module.ts and checks/tun-perms.ts.
import { describe, expect, it } from 'vitest';
import tunModule from '../../checks/tun-module.js';
import tunPerms, { tunNodeHost as base } from '../../checks/tun-perms.js';
import { fakeHost, ipJson, IP_ADDR_CMD, runCheck } from '../helpers/fake-host.js';

const MISC = '200 tun\n 61 kvm\n';

describe('tun-module', () => {
  it('offers to create the node when the driver is there and the node is not', async () => {
    const r = await runCheck(tunModule, fakeHost({ files: { '/proc/misc': MISC }, stats: { '/dev/net/tun': null } }));
    expect(r.fixes.map((f) => f.id)).toEqual(['tun-module/mknod']);
    expect(r.fixes[0]!.preview.join('\n')).toContain('mknod -m 0666 /dev/net/tun c 10 200');
  });
});

describe('tun-perms', () => {
  it('names the pre-created tap route when alice owns a tap', async () => {
    const spec = base(0o600, 0, { exec: { [IP_ADDR_CMD]: { stdout: ipJson([{ name: 'lo' }, { name: 'tap0', kind: 'tun', info: { type: 'tap', user: 1000 } }]) } } });
    const r = await runCheck(tunPerms, fakeHost(spec));
    expect(r.details!.join('\n')).toContain('pre-created taps owned by alice: tap0');
  });
  it('recognises a tap whose owner iproute2 printed as a name', async () => {
    const spec = base(0o600, 0, { exec: { [IP_ADDR_CMD]: { stdout: ipJson([{ name: 'tap3', kind: 'tun', info: { type: 'tap', user: 'alice', persist: true } }]) } } });
    const r = await runCheck(tunPerms, fakeHost(spec));
    expect(r.details!.join('\n')).toContain('pre-created taps owned by alice: tap3');
  });
  it('proposes the group fix with the group the distro has, narrowest first', async () => {
    const r = await runCheck(tunPerms, fakeHost(base(0o600)));
    expect(r.fixes.map((f) => f.id)).toEqual(['tun-perms/group-udev', 'tun-perms/mode-0666']);
    const text = r.fixes[0]!.preview.join('\n');
    expect(text).toContain('usermod -aG netdev alice');
    expect(text).not.toContain('groupadd');
  });
});

describe('tun-module reads the running kernel\'s configuration from /proc/config.gz', () => {
  it('a gzipped CONFIG_TUN=y counts as built in (zlib is loaded only for this)', async () => {
    const r = await runCheck(tunModule, fakeHost({
      files: { '/proc/misc': ' 61 kvm\n', '/proc/sys/kernel/osrelease': '6.1.0\n' },
      binaries: { '/proc/config.gz': gzipSync('# CONFIG_FOO is not set\nCONFIG_TUN=y\n') },
      stats: { '/dev/net/tun': { type: 'chr', mode: 0o666, uid: 0, gid: 0, rdev: [10, 200] } },
    }));
    expect(r.status).toBe('pass');
    expect(r.summary).toMatch(/built in/);
    expect(JSON.stringify(r.evidence)).toContain('/proc/config.gz');
  });
});
