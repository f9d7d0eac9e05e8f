// `qnet setup` on the runtime backend, each mode proven end to end in a host
// with a LAN (setup-harness.ts): setup applies and verifies, the doctor for
// qnetuser is green for what it built, a tiny guest booted under QEMU as
// qnetuser with the printed options gets its address and reaches what the mode
// promises (and nothing more), a second run changes nothing, and `qnet undo`
// restores the exact before-state.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { guestSkipReason } from '../helpers/guest-image.js';
import { said } from './fix-harness.js';
import { skipReason, TEST_USER } from './harness.js';
import { type Doctor, type Guest, guestSuite, HOST_ADDR, LAN_PEER, setupDoc, setupRoundTrip, SetupScenario } from './setup-harness.js';

const why = skipReason(['qemu', 'helper', 'iptables']) || (process.env.QNET_SKIP_GUEST ? 'QNET_SKIP_GUEST is set' : guestSkipReason());
const noDnsmasq = existsSync('/usr/sbin/dnsmasq') ? '' : 'dnsmasq is not installed (Debian: dnsmasq-base)';
const reason = why || noDnsmasq;
if (reason) console.log(`qnet setup real-kernel tests skipped: ${reason}`);

describe.skipIf(reason !== '')('qnet setup, runtime backend, proven by a booted guest', () => {
  const suite = guestSuite();

  const roundTrip = (name: string, args: string[], guest: Guest) => setupRoundTrip(name, suite.bin, args, guest);

  it('nat: the guest gets a lease from qnet\'s dnsmasq, reaches the host and the LAN, and the LAN sees the host\'s address', async () => {
    await roundTrip('setup-nat', ['--mode', 'nat'], async (s, doc) => {
      expect(doc.subnet).toBe('10.77.0.1/24');
      const g = await s.bootGuest(suite.img, { net: 'dhcp', ping: `10.77.0.1,${LAN_PEER}`, http: `http://${LAN_PEER}:8080/` }, doc.vms[0]!.qemuArgs!);
      const c = g.console;
      expect(g.line('QNET-LEASE')[0], c).toMatch(/^10\.77\.0\.\d+\/24 router=10\.77\.0\.1 /);
      expect(g.line('QNET-PING'), c).toEqual(['10.77.0.1 ok', `${LAN_PEER} ok`]);
      expect(g.line('QNET-HTTP')[0], c).toBe(`from=${HOST_ADDR}`);
      expect(s.httpLog).toContain(`FROM ${HOST_ADDR}`);
      expect(s.httpLog).not.toMatch(/FROM 10\.77\./);
    });
  }, 240_000);

  it('isolated: two guests get leases, reach each other and the host, and not the LAN; the doctor does not ask for forwarding', async () => {
    await roundTrip('setup-isolated', ['--mode', 'isolated', '--vms', '2'], async (s, doc) => {
      expect(doc.vms.map((v) => v.mac)).toHaveLength(2);
      expect(new Set(doc.vms.map((v) => v.mac)).size).toBe(2);
      const d = JSON.parse((await s.qnet(['doctor', '--json', '--user', TEST_USER, '--only', 'ip-forward,nat-masquerade,forward-policy'])).stdout) as Doctor;
      for (const r of d.results) expect(`${r.id} ${r.status}: ${r.summary}`).toMatch(/ skip: .*isolated by intent/);
      // Guest 2 comes up and stays; guest 1 pings it, the host, and (in vain) the LAN.
      let addr2 = '';
      let seen: () => void = () => undefined;
      const up = new Promise<void>((r) => (seen = r));
      const stop = new AbortController();
      const g2 = s.bootGuest(suite.img, { net: 'dhcp', hold: '60' }, doc.vms[1]!.qemuArgs!, {
        signal: stop.signal,
        onLine: (l) => {
          const m = /^QNET-ADDR (\S+)\//.exec(l);
          if (m) {
            addr2 = m[1]!;
            seen();
          }
        },
      });
      await Promise.race([up, g2]);
      expect(addr2, (await Promise.race([g2, Promise.resolve(undefined)]))?.console).toMatch(/^10\.77\.0\.\d+$/);
      const g1 = await s.bootGuest(suite.img, { net: 'dhcp', ping: `${addr2},10.77.0.1,${LAN_PEER}` }, doc.vms[0]!.qemuArgs!);
      expect(g1.line('QNET-LEASE')[0], g1.console).toMatch(/^10\.77\.0\.\d+\/24 router=none /);
      expect(g1.line('QNET-PING'), g1.console).toEqual([`${addr2} ok`, '10.77.0.1 ok', `${LAN_PEER} fail`]);
      stop.abort();
      await g2;
    });
  }, 240_000);

  it('bridge: the uplink becomes a port, the host keeps its address on the bridge, the guest gets a LAN lease and reaches the LAN and the host', async () => {
    await roundTrip('setup-bridge', ['--mode', 'bridge', '--uplink', 'enp1s0'], async (s, doc) => {
      expect(doc.subnet).toBeNull();
      const route = (await s.f.sc.inNs(['ip', 'route', 'show', 'default'])).stdout;
      expect(route).toMatch(/default via 192\.168\.50\.1 dev qbr0/);
      const g = await s.bootGuest(suite.img, { net: 'dhcp', ping: `${LAN_PEER},${HOST_ADDR}` }, doc.vms[0]!.qemuArgs!);
      expect(g.line('QNET-LEASE')[0], g.console).toMatch(/^192\.168\.50\.1\d\d\/24 router=192\.168\.50\.1 /);
      expect(g.line('QNET-PING'), g.console).toEqual([`${LAN_PEER} ok`, `${HOST_ADDR} ok`]);
    });
  }, 240_000);

  it('after a reboot the runtime bridge is gone and the uplink has its address again: undo succeeds, leaves the network alone and puts the files back', async () => {
    const s = await SetupScenario.start('setup-reboot-undo', suite.bin);
    try {
      const before = await s.netState();
      const r = await s.qnet(['setup', '--mode', 'bridge', '--uplink', 'enp1s0', '--user', TEST_USER, '--yes']);
      expect(r.code, said(r)).toBe(0);
      // What a reboot leaves: no bridge, the uplink configured as at boot.
      await s.f.sc.sh(`ip link del dev qbr0\nip addr add ${HOST_ADDR}/24 dev enp1s0\nip route add default via ${LAN_PEER} dev enp1s0\n`, 'reboot');
      const u = await s.qnet(['undo']);
      expect(u.code, said(u)).toBe(0);
      // The network is as the reboot left it (the same as before setup), and the files setup
      // wrote (the ACL, the helper's mode) are put back.
      expect(await s.netState()).toBe(before);
    } finally {
      await s.dispose();
    }
  }, 120_000);

  const noUml = existsSync('/usr/bin/linux.uml') ? '' : 'linux.uml is not installed (Debian: user-mode-linux)';
  it.skipIf(noUml !== '')('isolated for User-Mode Linux: a persistent tap owned by qnetuser; linux.uml with the printed option attaches to it, gets a lease and reaches the host', async () => {
    await roundTrip('setup-uml', ['--mode', 'isolated', '--vm-kind', 'uml'], async (s, doc) => {
      expect(doc.vms[0]!.umlArgs).toEqual([`eth0=tuntap,qbr0-vm1,${doc.vms[0]!.mac}`]);
      expect(doc.vms[0]!.qemuArgs).toBeUndefined();
      const tap = (await s.f.sc.inNs(['ip', '-d', 'link', 'show', 'dev', 'qbr0-vm1'])).stdout;
      expect(tap).toMatch(/master qbr0/);
      expect(tap).toMatch(/tun type tap .*persist on user (qnetuser|4242)/);
      const g = await s.bootGuest(suite.img, { net: 'dhcp', ping: '10.77.0.1' }, doc.vms[0]!.umlArgs!, { uml: true });
      expect(g.line('QNET-LINKS')[0], g.console).toMatch(/eth0/);
      expect(g.line('QNET-LEASE')[0], g.console).toMatch(/^10\.77\.0\.\d+\/24 /);
      expect(g.line('QNET-PING'), g.console).toEqual(['10.77.0.1 ok']);
    });
  }, 240_000);

  it('user: nothing changes on the host; the guest gets 10.0.2.15, reaches the host, and a forwarded host port reaches the guest', async () => {
    const s = await SetupScenario.start('setup-user', suite.bin);
    try {
      const before = await s.netState();
      const r = await s.qnet(['setup', '--mode', 'user', '--hostfwd', 'tcp:8022-:80', '--user', TEST_USER, '--yes', '--json']);
      expect(r.code, said(r)).toBe(0);
      const doc = setupDoc(r);
      expect(doc).toMatchObject({ schema: 'qnet.setup/v1', mode: 'user', steps: [], verified: true, undo: null });
      expect(doc.vms[0]!.qemuArgs![1]).toBe('user,id=n0,hostfwd=tcp::8022-:80');
      expect(await s.netState()).toBe(before);
      // A port below ip_unprivileged_port_start is refused for qnetuser, with the reason.
      const low = await s.qnet(['setup', '--mode', 'user', '--hostfwd', 'tcp:22-:22', '--user', TEST_USER, '--yes']);
      expect(low.code).toBe(2);
      expect(low.stderr).toMatch(/port 22 is below net\.ipv4\.ip_unprivileged_port_start \(1024\): only root may bind it/);

      let fetched: Promise<string> | undefined;
      const g = await s.bootGuest(suite.img, { net: 'dhcp', ping: '10.0.2.2', httpd: '80', hold: '6' }, doc.vms[0]!.qemuArgs!, {
        onLine: (l) => {
          if (l.startsWith('QNET-PING')) {
            fetched = s.f.sc.inNs([process.execPath, '-e', "require('http').get('http://127.0.0.1:8022/',r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>console.log(b.trim()))}).on('error',e=>console.log('error '+e.message))"]).then((x) => x.stdout.trim());
          }
        },
      });
      expect(g.line('QNET-ADDR')[0], g.console).toBe('10.0.2.15/24');
      expect(await fetched, g.console).toBe('qnet-guest');
    } finally {
      await s.dispose();
    }
  }, 240_000);
});
