// `qnet setup --backend netplan` (renderer networkd) on a host whose uplink a
// cloud image's netplan file configures, with the real netplan rendering for a
// real systemd-networkd confined to the scenario: the bridge is a netplan file,
// DHCP and masquerade a networkd drop-in; a restart of networkd brings back the
// same state; a guest booted as qnetuser proves it; undo restores the files
// (the uplink's own netplan file byte for byte) and the network exactly.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { guestSkipReason } from '../helpers/guest-image.js';
import { skipReason, TEST_USER } from './harness.js';
import { type Doctor, type Guest, guestSuite, HOST_ADDR, LAN_PEER, NETWORKD_START, setupRoundTrip } from './setup-harness.js';

const why =
  skipReason(['qemu', 'helper', 'iptables']) ||
  (existsSync('/usr/sbin/netplan') ? '' : 'netplan is not installed (Debian: netplan.io)') ||
  (existsSync('/lib/systemd/systemd-networkd') ? '' : 'systemd-networkd is not installed (Debian: systemd)') ||
  (existsSync('/usr/bin/dbus-daemon') ? '' : 'dbus-daemon is not installed (networkctl talks to networkd over D-Bus)') ||
  (process.env.QNET_SKIP_GUEST ? 'QNET_SKIP_GUEST is set' : guestSkipReason());
if (why) console.log(`qnet setup netplan tests skipped: ${why}`);

/** What a boot does: netplan renders, networkd starts on a host without the bridge. */
const reboot = (devs: string[]): Guest => async (s) => {
  await s.f.sc.sh(`pkill -x systemd-network; for i in $(seq 50); do pgrep -x systemd-network >/dev/null || break; sleep 0.1; done
for d in ${devs.join(' ')}; do ip link del dev "$d" 2>/dev/null || true; done
rm -rf /run/systemd/network
netplan generate
${NETWORKD_START}
for i in $(seq 100); do networkctl list | grep -q configuring || break; sleep 0.1; done
sleep 1`, 'reboot');
};

describe.skipIf(why !== '')('qnet setup, netplan backend (networkd renderer)', () => {
  const suite = guestSuite();
  const o = { uplinkBy: 'netplan' as const, between: reboot(['qbr0']), settleMs: 10_000 };
  const files = ['/etc/netplan', '/etc/netplan/50-cloud-init.yaml', '/etc/systemd/network'];

  it('nat: a netplan file for the bridge, a drop-in for DHCP and masquerade; the guest reaches the LAN as the host', async () => {
    await setupRoundTrip('setup-netplan-nat', suite.bin, ['--mode', 'nat', '--backend', 'netplan'], async (s, doc) => {
      const y = (await s.f.sc.inNs(['cat', '/etc/netplan/60-qnet-qbr0.yaml'])).stdout;
      expect(y).toMatch(/bridges:\n {4}qbr0:\n/);
      expect(y).toMatch(/addresses:\n\s+- 10\.77\.0\.1\/24/);
      const g = await s.bootGuest(suite.img, { net: 'dhcp', ping: `10.77.0.1,${LAN_PEER}`, http: `http://${LAN_PEER}:8080/` }, doc.vms[0]!.qemuArgs!);
      expect(g.line('QNET-LEASE')[0], g.console).toMatch(/^10\.77\.0\.\d+\/24 router=10\.77\.0\.1 /);
      expect(g.line('QNET-PING'), g.console).toEqual(['10.77.0.1 ok', `${LAN_PEER} ok`]);
      expect(g.line('QNET-HTTP')[0], g.console).toBe(`from=${HOST_ADDR}`);
    }, { ...o, files });
  }, 240_000);

  it('isolated: the doctor reads the intent from the drop-in and asks for no forwarding', async () => {
    await setupRoundTrip('setup-netplan-isolated', suite.bin, ['--mode', 'isolated', '--backend', 'netplan'], async (s) => {
      const d = JSON.parse((await s.qnet(['doctor', '--json', '--user', TEST_USER, '--only', 'ip-forward,nat-masquerade,forward-policy'])).stdout) as Doctor;
      for (const r of d.results) expect(`${r.id} ${r.status}: ${r.summary}`).toMatch(/ skip: .*isolated by intent/);
    }, { ...o, files });
  }, 240_000);

  it('bridge: the uplink\'s addressing moves from its netplan file (comments kept) to the bridge; the guest gets a LAN lease', async () => {
    await setupRoundTrip('setup-netplan-bridge', suite.bin, ['--mode', 'bridge', '--backend', 'netplan'], async (s, doc) => {
      const cloud = (await s.f.sc.inNs(['cat', '/etc/netplan/50-cloud-init.yaml'])).stdout;
      expect(cloud).toMatch(/^# This file is generated from information provided by the datasource\./);
      expect(cloud).toMatch(/enp1s0: \{\} {4}# qnet: addressing moved to qbr0/);
      expect(cloud).not.toMatch(/192\.168\.50\.2/);
      const g = await s.bootGuest(suite.img, { net: 'dhcp', ping: `${LAN_PEER},${HOST_ADDR}` }, doc.vms[0]!.qemuArgs!);
      expect(g.line('QNET-LEASE')[0], g.console).toMatch(/^192\.168\.50\.1\d\d\/24 router=192\.168\.50\.1 /);
      expect(g.line('QNET-PING'), g.console).toEqual([`${LAN_PEER} ok`, `${HOST_ADDR} ok`]);
    }, { ...o, files });
  }, 240_000);
});
