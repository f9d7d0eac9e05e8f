// What leaves a real host: a scenario with secrets and identities planted where
// a real system keeps them (a Wi-Fi key in interfaces(5), NetworkManager and
// netplan WireGuard keys, users with real names in GECOS whose names are also
// ordinary words, a bridge with a public IPv4/IPv6 address and a real MAC, a tap
// owned by one of those users, a running QEMU given a secret on its command
// line). The built CLI writes the snapshot and the report inside; neither may
// hold a secret or GECOS, the report no address, MAC or name; and the snapshot
// still replays to exactly the live diagnosis.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEmbedded, hasEmbedded } from '../../src/host/snapshot-embed.js';
import { bundleCopy, run, Scenario, skipReason } from './harness.js';

const SECRETS = ['PLANTED-psk-7f3a', 'PLANTED-pass-9c1d', 'PLANTED-vm-secret-42', 'PLANTED-nm-psk-11', 'wFAKEprivKEYaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=', 'pFAKEpskKEYbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb=', 'PLANTED-netplan-wifi'];
const GECOS = ['Bridget Jones', '+1-555-0199', 'Q. Emu'];
const ADDRESSES = ['203.0.113.77', '2001:470:1f0b:5e::77', '3c:97:0e:aa:bb:cc', 'fe80::3e97:eff:feaa:bbcc'];

const SETUP = `
echo "bridge:x:1500:1500:Bridget Jones,Room 7,+1-555-0199:/home/bridge:/bin/bash" >> /etc/passwd
echo "qemu:x:1501:1501:Q. Emu:/home/qemu:/bin/bash" >> /etc/passwd
echo "bridge:x:1500:" >> /etc/group
echo "qemu:x:1501:" >> /etc/group
tun 0666
ip link add br0 type bridge
ip link set br0 address 3c:97:0e:aa:bb:cc
ip addr add 203.0.113.77/24 dev br0
ip link set br0 up
ip -6 addr add 2001:470:1f0b:5e::77/64 dev br0 nodad
ip tuntap add dev tap0 mode tap user qemu
ip link set tap0 master br0
mkdir -p /etc/network /etc/NetworkManager/system-connections /etc/netplan /etc/qemu
printf 'auto br0\\niface br0 inet manual\\n    bridge_ports tap0\\n\\niface wlan0 inet dhcp\\n    wpa-ssid home\\n    wpa-psk PLANTED-psk-7f3a\\n    wpa-passphrase PLANTED-pass-9c1d\\n' > /etc/network/interfaces
printf '[connection]\\nid=home\\ntype=wifi\\ninterface-name=wlan0\\n[wifi-security]\\nkey-mgmt=wpa-psk\\npsk=PLANTED-nm-psk-11\\n' > /etc/NetworkManager/system-connections/home.nmconnection
printf '[connection]\\nid=wg0\\ntype=wireguard\\ninterface-name=wg0\\n[wireguard]\\nprivate-key=wFAKEprivKEYaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=\\n[wireguard-peer.xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=]\\npreshared-key=pFAKEpskKEYbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb=\\n' > /etc/NetworkManager/system-connections/wg0.nmconnection
chmod 600 /etc/NetworkManager/system-connections/*
printf 'network:\\n  version: 2\\n  wifis:\\n    wlan0:\\n      access-points:\\n        "home":\\n          password: "PLANTED-netplan-wifi"\\n  tunnels:\\n    wg1:\\n      mode: wireguard\\n      key: wFAKEprivKEYaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=\\n      peers:\\n        - keys:\\n            public: xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\\n            shared: pFAKEpskKEYbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb=\\n          allowed-ips: [10.9.0.0/24]\\n' > /etc/netplan/50-home.yaml
chmod 600 /etc/netplan/50-home.yaml
echo 'allow br0' > /etc/qemu/bridge.conf
`;

const reason = skipReason(['qemu']);
if (reason) console.log(`real-kernel leak test skipped: ${reason}`);

describe.skipIf(reason !== '')('what leaves a real host', () => {
  let copyDir = '';
  let bin = '';
  beforeAll(async () => {
    copyDir = mkdtempSync(join(tmpdir(), 'qnet-rk-bundle-'));
    bin = await bundleCopy(copyDir);
  });
  afterAll(() => {
    if (copyDir) rmSync(copyDir, { recursive: true, force: true });
  });

  it('the snapshot and the report carry no secret, GECOS, address or name; the snapshot replays exactly', async () => {
    const sc = await Scenario.start('leak');
    try {
      await sc.sh(SETUP, 'planting');
      await sc.startVm({ as: 'root', args: ['-object', `secret,id=sec0,data=${SECRETS[2]},format=raw`, '-netdev', 'tap,id=n0,ifname=tap1,script=no,downscript=no', '-device', 'virtio-net-pci,netdev=n0,mac=52:54:00:aa:bb:01'] });
      const hostname = (await sc.inNs(['cat', '/proc/sys/kernel/hostname'])).stdout.trim();

      const live = await sc.qnet(bin, ['doctor', '--json', '--user', 'bridge']);
      const snapFile = join(sc.dir, 'snapshot.json');
      const snap = await sc.qnet(bin, ['snapshot', '-o', snapFile, '--user', 'bridge']);
      expect(snap.code, snap.stderr).toBe(0);
      const rep = await sc.qnet(bin, ['report', '--user', 'bridge']);
      expect([0, 1], rep.stderr).toContain(rep.code);
      const plainRep = await sc.qnet(bin, ['report', '--user', 'bridge', '--no-redact']);
      const snapshot = readFileSync(snapFile, 'utf8');
      const report = rep.stdout;

      // The planted values were read: they are in the unredacted report, or in what the checks read.
      expect(plainRep.stdout).toContain(ADDRESSES[0]);
      expect(plainRep.stdout).toMatch(/owner qemu/);
      expect(plainRep.stdout).toMatch(/judged for: bridge/);
      // The checks read the files holding the secrets: they are in the snapshot, redacted.
      for (const redacted of ['wpa-psk REDACTED', 'wpa-passphrase REDACTED', 'psk=REDACTED', 'private-key=REDACTED', 'preshared-key=REDACTED', 'password: REDACTED', 'key: REDACTED', 'shared: REDACTED']) {
        expect(snapshot, redacted).toContain(redacted);
      }
      expect(snapshot).toContain('public: xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=');
      expect(snapshot).toContain('/etc/network/interfaces');

      for (const s of [...SECRETS, ...GECOS]) {
        expect(snapshot, `${s} in the snapshot`).not.toContain(s);
        expect(report, `${s} in the report`).not.toContain(s);
      }
      for (const s of ADDRESSES) expect(report.toLowerCase(), `${s} in the report`).not.toContain(s);
      expect(report).toMatch(/judged for: user\d/);
      expect(report).toMatch(/owner user\d/);
      expect(report).toContain(`host: host1 ·`);
      if (hostname.length > 3) expect(report).not.toContain(hostname);
      expect(report).not.toMatch(/\/etc\/user\d|user\d-ifup|qemu-user\d|user\d-system/);

      // The VM's command line is readable in the snapshot, its secret replaced.
      const doc = JSON.parse(snapshot) as { reads: Record<string, { argv?: string[] }> };
      const vm = Object.values(doc.reads).find((r) => r.argv?.some((a) => a.startsWith('secret,id=sec0')));
      expect(vm?.argv).toContain('secret,id=sec0,data=REDACTED,format=raw');
      // Only the passwd entries the checks needed, without GECOS.
      const passwd = (doc.reads['file /etc/passwd'] as { text?: string }).text ?? '';
      expect(passwd).toMatch(/^bridge:x:1500:1500::/m);
      expect(passwd).not.toMatch(/^(daemon|bin|sys|sync|games|man|lp|mail|news):/m);

      // The snapshot replays to exactly the live diagnosis.
      const replay = await run([process.execPath, bin, 'doctor', '--snapshot', snapFile, '--json'], { timeoutMs: 60_000 });
      const strip = (out: string) => (JSON.parse(out) as { results: { durationMs?: number }[] }).results.map(({ durationMs: _d, ...r }) => r);
      expect(strip(replay.stdout)).toEqual(strip(live.stdout));

      // The snapshot inside the redacted report: redacted like the report, and it replays to the live verdicts.
      expect(hasEmbedded(report)).toBe(true);
      const inside = decodeEmbedded(report, 'the report');
      for (const s of [...SECRETS, ...GECOS, 'Bridget', 'Q. Emu']) expect(inside, `${s} in the report's snapshot`).not.toContain(s);
      for (const s of ADDRESSES) expect(inside.toLowerCase(), `${s} in the report's snapshot`).not.toContain(s);
      if (hostname.length > 3) expect(inside).not.toContain(hostname);
      expect(inside).not.toMatch(/"(bridge|qemu)"|\/home\/(bridge|qemu)|-runas","(bridge|qemu)"/);
      const reportFile = join(sc.dir, 'report.md');
      writeFileSync(reportFile, report);
      const fromReport = await run([process.execPath, bin, 'doctor', '--snapshot', reportFile, '--json'], { timeoutMs: 60_000 });
      const verdicts = (out: string) => (JSON.parse(out) as { results: { id: string; status: string }[] }).results.map((r) => `${r.id} ${r.status}`);
      expect(verdicts(fromReport.stdout)).toEqual(verdicts(live.stdout));
    } finally {
      await sc.dispose();
    }
  }, 120_000);
});
