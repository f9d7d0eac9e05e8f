// kvm's and vhost-net's tables of cases are in checks/kvm.ts and checks/vhost-net.ts.
import { describe, expect, it } from 'vitest';
import vhostNet from '../../checks/vhost-net.js';
import { fakeHost, runCheck } from '../helpers/fake-host.js';

const chr = (mode: number, gid: number, rdev: [number, number]) => ({ type: 'chr' as const, mode, uid: 0, gid, rdev });

describe('vhost-net', () => {
  it('warns when alice cannot open it', async () => {
    const r = await runCheck(vhostNet, fakeHost({ stats: { '/dev/vhost-net': chr(0o600, 0, [10, 238]) } }));
    expect(r.status).toBe('warn');
    expect(r.fixes[0]!.preview.join('\n')).toContain('usermod -aG kvm alice');
  });
});
