// `qnet setup --backend ifupdown` on a host whose uplink ifupdown configures
// (/etc/network/interfaces as Debian's installer writes it, brought up with the
// real ifup in the scenario's private /etc and /run): the network is a stanza in
// /etc/network/interfaces.d, up now; a simulated reboot (ifdown, then `ifup -a`
// as networking.service runs it) brings back exactly the same state; a guest
// booted as qnetuser proves it; `qnet undo` restores the files and the network.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { guestSkipReason } from '../helpers/guest-image.js';
import { said } from './fix-harness.js';
import { skipReason } from './harness.js';
import { type Guest, guestSuite, HOST_ADDR, LAN_PEER, setupRoundTrip } from './setup-harness.js';

const why =
  skipReason(['qemu', 'helper', 'iptables']) ||
  (existsSync('/sbin/ifup') || existsSync('/usr/sbin/ifup') ? '' : 'ifupdown is not installed (Debian: ifupdown)') ||
  (existsSync('/usr/sbin/dnsmasq') ? '' : 'dnsmasq is not installed (Debian: dnsmasq-base)') ||
  (process.env.QNET_SKIP_GUEST ? 'QNET_SKIP_GUEST is set' : guestSkipReason());
if (why) console.log(`qnet setup ifupdown tests skipped: ${why}`);

/** What networking.service does at boot, after what it does at shutdown. */
const reboot = (br: string): Guest => async (s) => {
  for (const argv of [['ifdown', br], ['ifup', '-a']]) {
    const r = await s.f.sc.inNs(argv, { timeoutMs: 30_000 });
    expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
  }
};

describe.skipIf(why !== '')('qnet setup, ifupdown backend', () => {
  const suite = guestSuite();
  const o = { uplinkBy: 'ifupdown' as const, between: reboot('qbr0') };

  it('nat: a stanza in interfaces.d with its firewall and DHCP lines; survives a reboot; the guest reaches the LAN as the host', async () => {
    await setupRoundTrip('setup-ifupdown-nat', suite.bin, ['--mode', 'nat', '--backend', 'ifupdown'], async (s, doc) => {
      const file = (await s.f.sc.inNs(['cat', '/etc/network/interfaces.d/qnet-qbr0'])).stdout;
      expect(file).toMatch(/^auto qbr0\niface qbr0 inet static\n {4}address 10\.77\.0\.1\/24\n/m);
      expect(file).toMatch(/post-up iptables -t nat -A POSTROUTING -s 10\.77\.0\.0\/24 ! -d 10\.77\.0\.0\/24 -o enp1s0 -j MASQUERADE/);
      expect(file).toMatch(/pre-down iptables -t nat -D POSTROUTING/);
      const g = await s.bootGuest(suite.img, { net: 'dhcp', ping: `10.77.0.1,${LAN_PEER}`, http: `http://${LAN_PEER}:8080/` }, doc.vms[0]!.qemuArgs!);
      expect(g.line('QNET-LEASE')[0], g.console).toMatch(/^10\.77\.0\.\d+\/24 router=10\.77\.0\.1 /);
      expect(g.line('QNET-PING'), g.console).toEqual(['10.77.0.1 ok', `${LAN_PEER} ok`]);
      expect(g.line('QNET-HTTP')[0], g.console).toBe(`from=${HOST_ADDR}`);
    }, o);
  }, 240_000);

  it('bridge: the uplink\'s static stanza becomes manual and its address moves to the bridge\'s stanza; the guest gets a LAN lease', async () => {
    await setupRoundTrip('setup-ifupdown-bridge', suite.bin, ['--mode', 'bridge', '--backend', 'ifupdown'], async (s, doc) => {
      const main = (await s.f.sc.inNs(['cat', '/etc/network/interfaces'])).stdout;
      expect(main).toMatch(/^iface enp1s0 inet manual {4}# qnet: addressing moved to qbr0$/m);
      expect(main).toMatch(/^#\taddress 192\.168\.50\.2\/24 {4}# qnet: moved to qbr0$/m);
      const file = (await s.f.sc.inNs(['cat', '/etc/network/interfaces.d/qnet-qbr0'])).stdout;
      expect(file).toMatch(/^iface qbr0 inet static\n {4}address 192\.168\.50\.2\/24\n {4}gateway 192\.168\.50\.1\n/m);
      const g = await s.bootGuest(suite.img, { net: 'dhcp', ping: `${LAN_PEER},${HOST_ADDR}` }, doc.vms[0]!.qemuArgs!);
      expect(g.line('QNET-LEASE')[0], g.console).toMatch(/^192\.168\.50\.1\d\d\/24 router=192\.168\.50\.1 /);
      expect(g.line('QNET-PING'), g.console).toEqual([`${LAN_PEER} ok`, `${HOST_ADDR} ok`]);
    }, o);
  }, 240_000);

  it('isolated with taps: the taps are in the stanza too; the guest reaches the host and not the LAN', async () => {
    await setupRoundTrip('setup-ifupdown-isolated', suite.bin, ['--mode', 'isolated', '--backend', 'ifupdown', '--access', 'taps'], async (s, doc) => {
      const file = (await s.f.sc.inNs(['cat', '/etc/network/interfaces.d/qnet-qbr0'])).stdout;
      expect(file).toMatch(/pre-up ip tuntap add dev qbr0-vm1 mode tap user 4242/);
      const g = await s.bootGuest(suite.img, { net: 'dhcp', ping: `10.77.0.1,${LAN_PEER}` }, doc.vms[0]!.qemuArgs!);
      expect(g.line('QNET-LEASE')[0], g.console).toMatch(/^10\.77\.0\.\d+\/24 router=none /);
      expect(g.line('QNET-PING'), g.console).toEqual(['10.77.0.1 ok', `${LAN_PEER} fail`]);
    }, o);
  }, 240_000);

  it('refuses what it cannot move: an uplink configured elsewhere than /etc/network/interfaces', async () => {
    const { SetupScenario } = await import('./setup-harness.js');
    const s = await SetupScenario.start('setup-ifupdown-refuse', suite.bin, { uplinkBy: 'ifupdown', setup: "sed -i 's/^iface enp1s0 inet static/iface enp1s0 inet ppp/' /etc/network/interfaces\n" });
    try {
      const before = await s.netState();
      const r = await s.qnet(['setup', '--mode', 'bridge', '--backend', 'ifupdown', '--yes']);
      expect(r.code, said(r)).toBe(2);
      expect(r.stderr).toMatch(/enp1s0 uses `inet ppp` in \/etc\/network\/interfaces; qnet moves only static and dhcp configurations onto a bridge/);
      expect(await s.netState()).toBe(before);
    } finally {
      await s.dispose();
    }
  }, 60_000);
});
