// `qnet setup` on the runtime backend, each mode proven end to end in a host
// with a LAN (setup-harness.ts): setup applies and verifies, the doctor for
// qnetuser is green for what it built, a tiny guest booted under QEMU as
// qnetuser with the printed options gets its address and reaches what the mode
// promises (and nothing more), a second run changes nothing, and `qnet undo`
// restores the exact before-state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guestImage, guestSkipReason, type GuestImage } from '../helpers/guest-image.js';
import { cliCopy, hostFingerprint, said } from './fix-harness.js';
import { skipReason, TEST_USER } from './harness.js';
import { HOST_ADDR, LAN_PEER, SetupScenario, setupDoc } from './setup-harness.js';

const why = skipReason(['qemu', 'helper', 'iptables']) || (process.env.QNET_SKIP_GUEST ? 'QNET_SKIP_GUEST is set' : guestSkipReason());
const noDnsmasq = (() => {
  try {
    return require('node:fs').existsSync('/usr/sbin/dnsmasq') ? '' : 'dnsmasq is not installed (Debian: dnsmasq-base)';
  } catch {
    return '';
  }
})();
const reason = why || noDnsmasq;
if (reason) console.log(`qnet setup real-kernel tests skipped: ${reason}`);

interface Doctor {
  results: { id: string; status: string; summary: string }[];
}

describe.skipIf(reason !== '')('qnet setup, runtime backend, proven by a booted guest', () => {
  let cli: Awaited<ReturnType<typeof cliCopy>> | undefined;
  let img: GuestImage;
  let host = '';
  beforeAll(async () => {
    host = hostFingerprint();
    cli = await cliCopy();
    img = await guestImage();
  }, 300_000);
  afterAll(() => {
    cli?.remove();
    expect(hostFingerprint()).toBe(host);
  });

  /** setup → doctor → second run → (guest proof) → undo → exact before-state. */
  async function roundTrip(name: string, args: string[], guest: (s: SetupScenario, doc: ReturnType<typeof setupDoc>) => Promise<void>) {
    const s = await SetupScenario.start(name, cli!.bin);
    try {
      const before = await s.netState();
      const r = await s.qnet(['setup', ...args, '--user', TEST_USER, '--yes', '--json']);
      const doc = setupDoc(r);
      expect(r.code, said(r)).toBe(0);
      expect(doc).toMatchObject({ schema: 'qnet.setup/v1', user: TEST_USER, applied: true, verified: true });
      expect(doc.proof?.every((p) => p.ok), JSON.stringify(doc.proof)).toBe(true);
      const after = await s.netState();
      expect(after).not.toBe(before);

      // The doctor, for qnetuser, is green for what was built.
      const d = await s.qnet(['doctor', '--json', '--user', TEST_USER]);
      const failing = (JSON.parse(d.stdout) as Doctor).results.filter((x) => x.status === 'fail' && x.id !== 'kvm');
      expect(failing, JSON.stringify(failing, null, 1)).toEqual([]);

      // Again, with the same answers: nothing changes, no new fix set.
      const sets = (await s.qnet(['undo', '--list'])).stdout;
      const again = await s.qnet(['setup', ...args, '--user', TEST_USER, '--yes', '--json']);
      expect(again.code, said(again)).toBe(0);
      const doc2 = setupDoc(again);
      expect(doc2.steps).toEqual([]);
      expect(doc2.vms).toEqual(doc.vms);
      expect(doc2.undo).toBe(doc.undo);
      expect(await s.netState()).toBe(after);
      expect((await s.qnet(['undo', '--list'])).stdout).toBe(sets);

      await guest(s, doc);

      if (doc.undo) {
        const u = await s.qnet(['undo']);
        expect(u.code, said(u)).toBe(0);
        expect(await s.netState()).toBe(before);
      }
      return doc;
    } finally {
      await s.dispose();
    }
  }

  it('nat: the guest gets a lease from qnet\'s dnsmasq, reaches the host and the LAN, and the LAN sees the host\'s address', async () => {
    await roundTrip('setup-nat', ['--mode', 'nat'], async (s, doc) => {
      expect(doc.subnet).toBe('10.77.0.1/24');
      const g = await s.bootGuest(img, { net: 'dhcp', ping: `10.77.0.1,${LAN_PEER}`, http: `http://${LAN_PEER}:8080/` }, doc.vms[0]!.qemuArgs!);
      const c = g.console;
      expect(g.line('QNET-LEASE')[0], c).toMatch(/^10\.77\.0\.\d+\/24 router=10\.77\.0\.1 /);
      expect(g.line('QNET-PING'), c).toEqual(['10.77.0.1 ok', `${LAN_PEER} ok`]);
      expect(g.line('QNET-HTTP')[0], c).toBe(`from=${HOST_ADDR}`);
      expect(s.httpLog).toContain(`FROM ${HOST_ADDR}`);
      expect(s.httpLog).not.toMatch(/FROM 10\.77\./);
    });
  }, 240_000);
});
