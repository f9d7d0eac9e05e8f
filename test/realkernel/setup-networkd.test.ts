// `qnet setup --backend networkd` with a real systemd-networkd confined to the
// scenario (its own system bus on the private /run, started directly, /sys
// read-only so it needs no udev): the network is a .netdev/.network pair in
// /etc/systemd/network applied with `networkctl reload`; networkd masquerades
// and serves DHCP itself; a restart of networkd (what a reboot does) brings back
// the same state; a guest booted as qnetuser proves it; `qnet undo` restores
// the files and the network exactly.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { guestSkipReason } from '../helpers/guest-image.js';
import { skipReason, TEST_USER } from './harness.js';
import { type Doctor, type Guest, guestSuite, HOST_ADDR, LAN_PEER, NETWORKD_START, setupRoundTrip } from './setup-harness.js';

const why =
  skipReason(['qemu', 'helper', 'iptables']) ||
  (existsSync('/lib/systemd/systemd-networkd') ? '' : 'systemd-networkd is not installed (Debian: systemd)') ||
  (existsSync('/usr/bin/dbus-daemon') ? '' : 'dbus-daemon is not installed (networkctl talks to networkd over D-Bus)') ||
  (process.env.QNET_SKIP_GUEST ? 'QNET_SKIP_GUEST is set' : guestSkipReason());
if (why) console.log(`qnet setup networkd tests skipped: ${why}`);

/** networkd stops, its netdevs go, it starts again: what it sees at boot. */
const restart = (devs: string[]): Guest => async (s) => {
  const r = await s.f.sc.sh(`pkill -x systemd-network; for i in $(seq 50); do pgrep -x systemd-network >/dev/null || break; sleep 0.1; done
for d in ${devs.join(' ')}; do ip link del dev "$d" 2>/dev/null || true; done
${NETWORKD_START}
for i in $(seq 100); do networkctl list | grep -q configuring || break; sleep 0.1; done
sleep 1`, 'networkd restart');
  void r;
};

describe.skipIf(why !== '')('qnet setup, systemd-networkd backend', () => {
  const suite = guestSuite();

  it('nat: networkd creates the bridge, masquerades and serves DHCP; the guest reaches the LAN as the host', async () => {
    await setupRoundTrip('setup-networkd-nat', suite.bin, ['--mode', 'nat', '--backend', 'networkd'], async (s, doc) => {
      const network = (await s.f.sc.inNs(['cat', '/etc/systemd/network/50-qnet-qbr0.network'])).stdout;
      expect(network).toMatch(/^IPMasquerade=ipv4$/m);
      expect(network).toMatch(/^\[X-Qnet\]\nIntent=nat$/m);
      // The doctor sees networkd's masquerade translate the subnet (Debian 12's networkd writes it
      // through libiptc; newer ones as an nft rule over their set masq_saddr, which the firewall
      // reading resolves too).
      const nat = (JSON.parse((await s.qnet(['doctor', '--json', '--user', TEST_USER, '--only', 'nat-masquerade'])).stdout) as Doctor).results[0]!;
      expect(`${nat.status}: ${nat.summary}`).toMatch(/^pass: every routed VM subnet is translated: qbr0 10\.77\.0\.0\/24/);
      const g = await s.bootGuest(suite.img, { net: 'dhcp', ping: `10.77.0.1,${LAN_PEER}`, http: `http://${LAN_PEER}:8080/` }, doc.vms[0]!.qemuArgs!);
      expect(g.line('QNET-LEASE')[0], g.console).toMatch(/^10\.77\.0\.\d+\/24 router=10\.77\.0\.1 /);
      expect(g.line('QNET-PING'), g.console).toEqual(['10.77.0.1 ok', `${LAN_PEER} ok`]);
      expect(g.line('QNET-HTTP')[0], g.console).toBe(`from=${HOST_ADDR}`);
    }, { uplinkBy: 'networkd', between: restart(['qbr0']), settleMs: 10_000 });
  }, 240_000);

  it('isolated: no masquerade; the doctor reads the intent from the .network and asks for no forwarding', async () => {
    await setupRoundTrip('setup-networkd-isolated', suite.bin, ['--mode', 'isolated', '--backend', 'networkd'], async (s) => {
      const d = JSON.parse((await s.qnet(['doctor', '--json', '--user', TEST_USER, '--only', 'ip-forward,nat-masquerade,forward-policy'])).stdout) as Doctor;
      for (const r of d.results) expect(`${r.id} ${r.status}: ${r.summary}`).toMatch(/ skip: .*isolated by intent/);
    }, { uplinkBy: 'networkd', between: restart(['qbr0']), settleMs: 10_000 });
  }, 240_000);

  it('bridge: the uplink becomes a port by a .network of its own; its addressing moves to the bridge; the guest gets a LAN lease', async () => {
    await setupRoundTrip('setup-networkd-bridge', suite.bin, ['--mode', 'bridge', '--backend', 'networkd'], async (s, doc) => {
      const route = (await s.f.sc.inNs(['ip', 'route', 'show', 'default'])).stdout;
      expect(route).toMatch(/default via 192\.168\.50\.1 dev qbr0/);
      const g = await s.bootGuest(suite.img, { net: 'dhcp', ping: `${LAN_PEER},${HOST_ADDR}` }, doc.vms[0]!.qemuArgs!);
      expect(g.line('QNET-LEASE')[0], g.console).toMatch(/^192\.168\.50\.1\d\d\/24 router=192\.168\.50\.1 /);
      expect(g.line('QNET-PING'), g.console).toEqual([`${LAN_PEER} ok`, `${HOST_ADDR} ok`]);
    }, { uplinkBy: 'networkd', between: restart(['qbr0']), settleMs: 10_000 });
  }, 240_000);
});
