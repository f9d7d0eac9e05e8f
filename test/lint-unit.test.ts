// lint's judgement of a bridge helper for a non-root user, on recorded host reads:
// the setuid bit or a cap_net_admin+ep file capability (decoded from getfattr, the
// same read helper-setuid makes) is what lets the helper work.
import { describe, expect, it } from 'vitest';
import { lint } from '../src/commands/lint.js';
import { createContext } from '../src/session.js';
import { SnapshotHost } from '../src/host/record.js';
import { fakeHost, ipLinks, type FakeSpec } from './helpers/fake-host.js';

const HELPER = '/usr/lib/qemu/qemu-bridge-helper-suid';
const GETFATTR = `getfattr --absolute-names -n security.capability -e hex ${HELPER}`;
// VFS_CAP_REVISION_2 | effective, permitted = CAP_NET_ADMIN (bit 12), inheritable 0.
const NET_ADMIN_EP = `# file: ${HELPER}\nsecurity.capability=0x0100000200100000000000000000000000000000\n`;
// The same without the effective flag (cap_net_admin=p).
const NET_ADMIN_P = `# file: ${HELPER}\nsecurity.capability=0x0000000200100000000000000000000000000000\n`;

async function lintAsAlice(mode: number, getfattr: { stdout?: string; stderr?: string; exitCode?: number }) {
  const spec: FakeSpec = {
    stats: { [HELPER]: { mode, uid: 0, gid: 0 } },
    files: { '/etc/qemu/bridge.conf': 'allow brnm0\n' },
    exec: { ...ipLinks([{ name: 'lo' }, { name: 'brnm0', kind: 'bridge' }]), [GETFATTR]: getfattr },
  };
  const snap = fakeHost(spec);
  const ctx = await createContext({ host: new SnapshotHost(snap.reads), invoker: snap.invoker, user: 'alice', source: 'snapshot' });
  const report = await lint(ctx, ['qemu-system-x86_64', '-netdev', `tap,br=brnm0,helper=${HELPER},id=net0`, '-device', 'virtio-net-pci,netdev=net0']);
  const r = report.results.find((x) => x.id === 'qemu-cmdline')!;
  return [r.summary, ...(r.details ?? [])].join('\n');
}

describe('lint: a helper= for a non-root user', () => {
  it('0755 without setuid or capability: the helper fails for alice', async () => {
    expect(await lintAsAlice(0o100755, { exitCode: 1, stderr: `${HELPER}: security.capability: No such attribute` })).toMatch(/neither setuid root nor given cap_net_admin, so it fails for alice/);
  });
  it('0755 with cap_net_admin+ep: the capability is enough', async () => {
    expect(await lintAsAlice(0o100755, { stdout: NET_ADMIN_EP })).not.toMatch(/neither setuid root/);
  });
  it('cap_net_admin=p without the effective flag does not help', async () => {
    expect(await lintAsAlice(0o100755, { stdout: NET_ADMIN_P })).toMatch(/neither setuid root nor given cap_net_admin/);
  });
  it("the installed helper's check (helper-setuid) is not run for a helper= elsewhere: lint judges that one itself", async () => {
    const snap = fakeHost({ stats: { [HELPER]: { mode: 0o104755, uid: 0, gid: 0 } }, files: { '/etc/qemu/bridge.conf': 'allow brnm0\n' }, exec: ipLinks([{ name: 'lo' }, { name: 'brnm0', kind: 'bridge' }]) });
    const ctx = await createContext({ host: new SnapshotHost(snap.reads), invoker: snap.invoker, user: 'alice', source: 'snapshot' });
    const ids = (await lint(ctx, ['qemu-system-x86_64', '-netdev', `tap,br=brnm0,helper=${HELPER},id=net0`])).results.map((r) => r.id);
    expect(ids).toContain('helper-acl');
    expect(ids).not.toContain('helper-setuid');
    const plain = (await lint(ctx, ['qemu-system-x86_64', '-netdev', 'bridge,br=brnm0,id=net0'])).results.map((r) => r.id);
    expect(plain).toContain('helper-setuid');
  });
  it('setuid root (04755): no capability needed', async () => {
    expect(await lintAsAlice(0o104755, { exitCode: 1, stderr: 'No such attribute' })).not.toMatch(/neither setuid root/);
  });
});
