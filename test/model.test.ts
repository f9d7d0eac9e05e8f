// The network model: one `ip` call, and a correct reading without it (sysfs and
// /proc), so a host without a usable iproute2 is never misjudged.
import { describe, expect, it } from 'vitest';
import bridgeState from '../checks/bridge-state.js';
import tapState from '../checks/tap-state.js';
import { createContext } from '../src/session.js';
import { network } from '../src/model/network.js';
import { escapeControlsInStrings, parseIpJson } from '../src/parse/ip-json.js';
import { parseIfInet6, localIpv4 } from '../src/model/network.js';
import { parseProcRoute } from '../src/parse/proc-net.js';
import { SnapshotHost } from '../src/host/record.js';
import { fakeHost, ipJson, IP_ADDR_CMD, runCheck, type FakeSpec } from './helpers/fake-host.js';

// Read off a namespace with br0 10.9.8.1/24 and fd00:9::1/64 (Linux 6.1).
const FIB_TRIE = `Main:
  +-- 0.0.0.0/1 2 0 2
     +-- 10.9.8.0/24 2 0 2
        +-- 10.9.8.0/31 1 0 0
           |-- 10.9.8.0
              /24 link UNICAST
           |-- 10.9.8.1
              /32 host LOCAL
        |-- 10.9.8.255
           /32 link BROADCAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
`;
const ROUTE = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\nbr0\t0008090A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n';
const IF_INET6 = 'fe80000000000000ec24a0fffe09cc96 02 40 20 c0      br0\nfd000009000000000000000000000001 02 40 00 c0      br0\n00000000000000000000000000000001 01 80 10 80       lo\n';

/** A host whose `ip` is missing: everything comes from sysfs and /proc. */
function sysfsHost(br0Flags: string, extra: FakeSpec = {}): FakeSpec {
  return {
    ...extra,
    files: {
      '/proc/net/fib_trie': FIB_TRIE,
      '/proc/net/route': ROUTE,
      '/proc/net/if_inet6': IF_INET6,
      '/sys/class/net/lo/ifindex': '1\n',
      '/sys/class/net/lo/flags': '0x9\n',
      '/sys/class/net/lo/type': '772\n',
      '/sys/class/net/br0/ifindex': '2\n',
      '/sys/class/net/br0/flags': `${br0Flags}\n`,
      '/sys/class/net/br0/carrier': '1\n',
      '/sys/class/net/br0/operstate': 'unknown\n',
      '/sys/class/net/br0/address': 'ee:24:a0:09:cc:96\n',
      '/sys/class/net/br0/uevent': 'DEVTYPE=bridge\nINTERFACE=br0\nIFINDEX=2\n',
      '/sys/class/net/br0/bridge/stp_state': '0\n',
      '/sys/class/net/br0/bridge/forward_delay': '1500\n',
      ...extra.files,
    },
    dirs: { '/sys/class/net': ['lo', 'br0'], '/sys/class/net/br0/bridge': ['stp_state', 'forward_delay'], '/sys/devices/virtual/net': ['lo', 'br0'], ...extra.dirs },
    exec: { [IP_ADDR_CMD]: null, ...extra.exec },
  };
}

async function modelOf(spec: FakeSpec) {
  const snap = fakeHost(spec);
  const ctx = await createContext({ host: new SnapshotHost(snap.reads), invoker: snap.invoker, source: 'snapshot' });
  return network(ctx);
}

describe('the network model without iproute2', () => {
  it('reads state, kind and addresses from sysfs and /proc', async () => {
    const net = await modelOf(sysfsHost('0x1003'));
    expect(net.source).toMatch(/sys\/class\/net/);
    expect(net.error).toMatch(/ip: not installed/);
    const br0 = net.link('br0')!;
    expect(br0).toMatchObject({ kind: 'bridge', up: true, lowerUp: true, physical: false });
    expect(br0.addrs).toEqual([
      { family: 'inet', local: '10.9.8.1', prefixlen: 24 },
      { family: 'inet6', local: 'fe80::ec24:a0ff:fe09:cc96', prefixlen: 64 },
      { family: 'inet6', local: 'fd00:9::1', prefixlen: 64 },
    ]);
    expect(br0.bridge).toEqual({ stp_state: 0, forward_delay: 1500 });
    expect(net.link('lo')!.kind).toBe('loopback');
  });
  it('does not call a healthy bridge down (it used to propose `ip link set br0 up`)', async () => {
    const r = await runCheck(bridgeState, fakeHost(sysfsHost('0x1003')));
    expect(r.status).not.toBe('fail');
    expect(r.summary).not.toMatch(/down/);
    expect(r.fixes).toEqual([]);
  });
  it('still sees a bridge that is really down', async () => {
    const r = await runCheck(bridgeState, fakeHost(sysfsHost('0x1002')));
    expect(r.status).toBe('fail');
    expect(r.summary).toBe('br0 is down');
  });
  it('reads a tap owner and persistence from sysfs', async () => {
    const net = await modelOf(
      sysfsHost('0x1003', {
        files: { '/sys/class/net/tap0/ifindex': '3\n', '/sys/class/net/tap0/flags': '0x1003\n', '/sys/class/net/tap0/tun_flags': '0x1902\n', '/sys/class/net/tap0/owner': '1000\n', '/sys/class/net/tap0/group': '-1\n' },
        dirs: { '/sys/class/net': ['lo', 'br0', 'tap0'], '/sys/devices/virtual/net': ['lo', 'br0', 'tap0'] },
        readlinks: { '/sys/class/net/tap0/master': '../../br0' },
      }),
    );
    expect(net.link('tap0')).toMatchObject({ kind: 'tap', master: 'br0', tun: { type: 'tap', owner: 1000, persist: true } });
    expect(net.portsOf('br0').map((l) => l.name)).toEqual(['tap0']);
  });
  it('makes the checks that need interfaces an error, saying why, when nothing can list them', async () => {
    const r = await runCheck(tapState, fakeHost({ exec: { [IP_ADDR_CMD]: null }, dirs: { '/sys/class/net': null } }));
    expect(r.status).toBe('error');
    expect(r.summary).toMatch(/cannot list the network interfaces: ip: not installed/);
  });
});

describe('ip JSON with odd interface names', () => {
  it('escapes raw control characters inside strings and keeps the rest', () => {
    const raw = '[{"ifindex":5,"ifname":"br\x1b]0;x\x07","flags":["UP"]},{"ifindex":6,"ifname":"a\nb"}]';
    expect(() => JSON.parse(raw)).toThrow();
    const links = parseIpJson(raw);
    expect(links.map((l) => l.ifname)).toEqual(['br\x1b]0;x\x07', 'a\nb']);
  });
  it('leaves valid JSON untouched', () => {
    const j = ipJson([{ name: 'lo' }, { name: 'br0', kind: 'bridge' }]);
    expect(escapeControlsInStrings(j)).toBe(j);
  });
  it('keeps every other link when one name holds an escape sequence', async () => {
    const j = ipJson([{ name: 'lo' }, { name: 'br0', kind: 'bridge', addrs: ['10.0.0.1/24'] }, { name: 'x\x1b[2J', kind: 'bridge' }]).replace('\\u001b', '\x1b');
    const net = await modelOf({ exec: { [IP_ADDR_CMD]: { stdout: j } } });
    expect(net.error).toBeUndefined();
    expect(net.bridges().map((b) => b.name)).toEqual(['br0', 'x\x1b[2J']);
  });
});

describe('/proc parsers', () => {
  it('compresses IPv6 addresses from if_inet6', () => {
    const m = parseIfInet6(IF_INET6);
    expect(m.get('lo')).toEqual([{ family: 'inet6', local: '::1', prefixlen: 128 }]);
    expect(m.get('br0')!.map((a) => a.local)).toEqual(['fe80::ec24:a0ff:fe09:cc96', 'fd00:9::1']);
  });
  it('maps fib_trie local addresses to the device of their connected route', () => {
    const m = localIpv4(FIB_TRIE, parseProcRoute(ROUTE));
    expect(m.get('br0')).toEqual([{ family: 'inet', local: '10.9.8.1', prefixlen: 24 }]);
    expect(m.get('lo')).toEqual([{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }]);
  });
  it('reads every route with its prefix length', () => {
    expect(parseProcRoute(ROUTE)).toEqual([{ dev: 'br0', dest: '10.9.8.0', prefixlen: 24, gateway: '0.0.0.0', metric: 0 }]);
  });
});
