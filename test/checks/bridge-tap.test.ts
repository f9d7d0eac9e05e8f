import { describe, expect, it } from 'vitest';
import bridgeState from '../../checks/bridge-state.js';
import tapState from '../../checks/tap-state.js';
import { fakeHost, ipLinks, runCheck, type FakeSpec } from '../helpers/fake-host.js';

type L = Parameters<typeof ipLinks>[0];
const host = (list: L, extra: FakeSpec = {}): FakeSpec => ({ ...extra, exec: { ...ipLinks([{ name: 'lo' }, ...list]), ...extra.exec } });

describe('bridge-state', () => {
  const cases: { name: string; links: L; extra?: FakeSpec; status: string; summary: RegExp }[] = [
    { name: 'a LAN bridge done right (seed 004)', links: [{ name: 'br0', kind: 'bridge', addrs: ['192.168.1.5/24'], info: { stp_state: 0, forward_delay: 1500 } }, { name: 'enp3s0', master: 'br0' }], status: 'pass', summary: /up, wired as expected/ },
    { name: 'bridge down', links: [{ name: 'br0', kind: 'bridge', up: false }, { name: 'tap0', master: 'br0' }], status: 'fail', summary: /br0 is down/ },
    { name: 'the address still on the enslaved NIC', links: [{ name: 'br0', kind: 'bridge' }, { name: 'eth0', master: 'br0', addrs: ['192.168.1.5/24'] }], status: 'fail', summary: /eth0 is a port of br0 but still holds 192\.168\.1\.5\/24/ },
    { name: 'uplink without carrier', links: [{ name: 'br0', kind: 'bridge' }, { name: 'enp3s0', master: 'br0', up: false }], status: 'fail', summary: /uplink enp3s0 has no carrier/ },
    { name: 'a wireless port', links: [{ name: 'br0', kind: 'bridge' }, { name: 'wlp2s0', master: 'br0' }], extra: { stats: { '/sys/class/net/wlp2s0/wireless': { type: 'dir', mode: 0o755 } } }, status: 'fail', summary: /wireless port of br0: 802\.11 cannot bridge/ },
    { name: 'STP with the default 15 s delay', links: [{ name: 'br0', kind: 'bridge', addrs: ['10.0.2.1/24'], info: { stp_state: 1, forward_delay: 1500 } }, { name: 'tap0', master: 'br0' }], status: 'warn', summary: /forwards nothing for 30s/ },
    { name: 'no bridge', links: [{ name: 'eth0' }], status: 'skip', summary: /no bridge/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runCheck(bridgeState, fakeHost(host(c.links, c.extra)));
      expect(r.status).toBe(c.status);
      expect(r.summary).toMatch(c.summary);
    });
  }
});

describe('tap-state', () => {
  const tap = (name: string, info: Record<string, unknown>, more: Partial<L[number]> = {}) => ({ name, kind: 'tun', info: { type: 'tap', persist: true, ...info }, ...more });
  it('passes for a tap alice owns on a bridge', async () => {
    const r = await runCheck(tapState, fakeHost(host([{ name: 'br0', kind: 'bridge' }, tap('tap0', { user: 'alice' }, { master: 'br0' })])));
    expect(r.status).toBe('pass');
  });
  it('fails for a tap owned by someone else (seed 003: tunctl -u for the wrong uid)', async () => {
    const r = await runCheck(tapState, fakeHost(host([tap('tap0', { user: 1001 }, { master: 'br0' })])));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/tap0 belongs to uid 1001: alice's QEMU cannot attach/);
  });
  it('shows the recreate command shell-quoted for a tap named $(id) (pasting it runs nothing)', async () => {
    const r = await runCheck(tapState, fakeHost(host([tap('$(id)', { user: 1001 }, { master: 'br0' })])));
    expect(r.status).toBe('fail');
    expect(r.summary).toContain("recreate it with: ip tuntap add dev '$(id)' mode tap user alice");
  });
  it('warns about a stale tap on no bridge', async () => {
    const r = await runCheck(tapState, fakeHost(host([tap('tap9', { user: 'alice' })])));
    expect(r.status).toBe('warn');
    expect(r.summary).toMatch(/stale/);
  });
  it('names the VM holding a busy tap', async () => {
    const spec = host([tap('tap0', { user: 'alice' }, { master: 'br0' })], {
      dirs: { '/proc': ['1', '4242', 'self'], '/proc/4242/fd': ['0', '7'] },
      files: { '/proc/1/cmdline': '/sbin/init\0', '/proc/4242/cmdline': 'qemu-system-x86_64\0-name\0vm1\0-netdev\0tap,id=n0,ifname=tap0,script=no\0', '/proc/4242/fdinfo/7': 'pos:\t0\nflags:\t0104002\nmnt_id:\t25\nino:\t1053\niff:\ttap0\n' },
      readlinks: { '/proc/4242/fd/0': '/dev/null', '/proc/4242/fd/7': '/dev/net/tun' },
    });
    const r = await runCheck(tapState, fakeHost(spec));
    expect(r.status).toBe('warn');
    expect(r.summary).toMatch(/tap0 is in use by pid 4242 \(qemu-system-x86_64 -name vm1…\)/);
  });
  const IFACES = 'auto br0\niface br0 inet dhcp\n    bridge_ports enp1s0 tap0\n';
  it.each([
    ['interfaces(5) bridge_ports', { '/etc/network/interfaces': IFACES }, {}, /tap0 is on no bridge, but \/etc\/network\/interfaces:3 makes it a port of br0/],
    ['netplan bridges.interfaces', { '/etc/netplan/01.yaml': 'network:\n  bridges:\n    br0:\n      interfaces: [tap0]\n' }, { '/etc/netplan': ['01.yaml'] }, /makes it a port of br0/],
    ['a NetworkManager port profile naming its bridge by UUID', {
      '/etc/NetworkManager/system-connections/br0.nmconnection': '[connection]\nid=br0\nuuid=aaaa\ntype=bridge\ninterface-name=br0\n',
      '/etc/NetworkManager/system-connections/tap0.nmconnection': '[connection]\nid=tap0\nuuid=bbbb\ntype=tun\ninterface-name=tap0\ncontroller=aaaa\n',
    }, { '/etc/NetworkManager/system-connections': ['br0.nmconnection', 'tap0.nmconnection'] }, /makes it a port of br0/],
  ] as const)('fails for a tap the config makes a port of br0 that is not on it (%s), with the fix', async (_t, files, dirs, summary) => {
    const r = await runCheck(tapState, fakeHost(host([{ name: 'br0', kind: 'bridge' }, tap('tap0', { user: 'alice' })], { files, dirs: dirs as FakeSpec['dirs'], invoker: { uid: 0, euid: 0, user: 'root' } })));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(summary);
    expect(r.fixes[0]!.preview.join('\n')).toContain('ip link set dev tap0 master br0');
  });
  it('passes when the tap is on the bridge its config names', async () => {
    const r = await runCheck(tapState, fakeHost(host([{ name: 'br0', kind: 'bridge' }, tap('tap0', { user: 'alice' }, { master: 'br0' })], { files: { '/etc/network/interfaces': IFACES } })));
    expect(r.status).toBe('pass');
  });
  it('fails, naming both, for a tap on another bridge than the one its config names', async () => {
    const r = await runCheck(tapState, fakeHost(host([{ name: 'br0', kind: 'bridge' }, { name: 'br1', kind: 'bridge' }, tap('tap0', { user: 'alice' }, { master: 'br1' })], { files: { '/etc/network/interfaces': IFACES } })));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/tap0 is a port of br1, but .* makes it a port of br0/);
  });
  it("does not take a container's tap0 (same name, another network namespace) for ours", async () => {
    const spec = (theirNs: string) => host([tap('tap0', { user: 'alice' }, { master: 'br0' })], {
      dirs: { '/proc': ['4242'], '/proc/4242/fd': ['7'] },
      files: { '/proc/4242/cmdline': 'qemu-system-x86_64\0-netdev\0tap,id=n0,ifname=tap0\0', '/proc/4242/fdinfo/7': 'pos:\t0\niff:\ttap0\n' },
      readlinks: { '/proc/4242/fd/7': '/dev/net/tun', '/proc/self/ns/net': 'net:[1]', '/proc/4242/ns/net': theirNs },
    });
    expect((await runCheck(tapState, fakeHost(spec('net:[2]')))).status).toBe('pass');
    expect((await runCheck(tapState, fakeHost(spec('net:[1]')))).summary).toMatch(/tap0 is in use by pid 4242/);
  });
  it('skips when there is no tap', async () => {
    expect((await runCheck(tapState, fakeHost(host([{ name: 'eth0' }])))).status).toBe('skip');
  });
});
