// ip-forward, nat-masquerade, forward-policy over host records of a NAT VM
// network (virbr0 192.168.122.1/24 with no physical port, default route via eth0).
import { describe, expect, it } from 'vitest';
import forwardPolicy from '../../checks/forward-policy.js';
import ipForward from '../../checks/ip-forward.js';
import natMasquerade from '../../checks/nat-masquerade.js';
import { parseIptablesS } from '../../src/facts/firewall.js';
import { prefixWithin } from '../../src/parse/ipv4.js';
import { defaultRoutes, parseProcRoute } from '../../src/parse/proc-net.js';
import { fakeHost, ipLinks, runCheck, type FakeSpec } from '../helpers/fake-host.js';

const ROUTE = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n' +
  'eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\n' +
  'eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\n';
const NFT = 'nft -j list ruleset';
const nft = (items: unknown[]) => JSON.stringify({ nftables: items });
const natRule = (expr: unknown[]) => ({ rule: { family: 'ip', table: 'nat', chain: 'POSTROUTING', expr } });
const natChain = { chain: { family: 'ip', table: 'nat', name: 'POSTROUTING', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } };
const fwdChain = (policy: string) => ({ chain: { family: 'ip', table: 'filter', name: 'FORWARD', type: 'filter', hook: 'forward', prio: 0, policy } });
const masq = natRule([{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '192.168.122.0', len: 24 } } } }, { xt: { type: 'target', name: 'MASQUERADE' } }]);

function host(extra: { forward?: string; nft?: string; ports?: { name: string; physical: boolean }[]; alias?: string; networkd?: string; nm?: string } = {}): FakeSpec {
  const ports = extra.ports ?? [{ name: 'vnet0', physical: false }];
  return {
    invoker: { uid: 0, euid: 0, user: 'root' },
    files: {
      '/proc/net/route': ROUTE,
      '/proc/sys/net/ipv4/ip_forward': `${extra.forward ?? '1'}\n`,
      ...(extra.alias !== undefined ? { '/sys/class/net/virbr0/ifalias': `${extra.alias}\n` } : {}),
      ...(extra.networkd !== undefined ? { '/etc/systemd/network/50-qnet-virbr0.network': extra.networkd } : {}),
      ...(extra.nm !== undefined ? { '/etc/NetworkManager/system-connections/qnet-virbr0.nmconnection': extra.nm } : {}),
    },
    stats: {
      '/usr/sbin/nft': { mode: 0o755 },
      ...Object.fromEntries(ports.filter((p) => p.physical).map((p) => [`/sys/class/net/${p.name}/device`, { type: 'dir' as const, mode: 0o755 }])),
    },
    exec: {
      ...ipLinks([
        { name: 'lo', addrs: ['127.0.0.1/8'] },
        { name: 'eth0', addrs: ['192.168.2.10/24'] },
        { name: 'virbr0', kind: 'bridge', addrs: ['192.168.122.1/24'] },
        // A VM's tap is a tun device to iproute2; a NIC has no link kind.
        ...ports.map((p) => ({ name: p.name, master: 'virbr0', ...(p.physical ? {} : { kind: 'tun', info: { type: 'tap' } }) })),
      ]),
      [NFT]: { stdout: extra.nft ?? nft([]) },
    },
  };
}

describe('ip-forward', () => {
  it('fails when forwarding is off for a NAT network', async () => {
    const r = await runCheck(ipForward, fakeHost(host({ forward: '0' })));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/virbr0 192\.168\.122\.0\/24/);
    expect(r.fixes[0]!.preview.join('\n')).toContain('net.ipv4.ip_forward = 1');
  });
  it('passes when forwarding is on', async () => {
    expect((await runCheck(ipForward, fakeHost(host()))).status).toBe('pass');
  });
  it('skips a LAN bridge (a physical NIC is a port)', async () => {
    const r = await runCheck(ipForward, fakeHost(host({ forward: '0', ports: [{ name: 'enp3s0', physical: true }] })));
    expect(r.status).toBe('skip');
  });
});

describe('nat-masquerade', () => {
  it('fails without a MASQUERADE rule and proposes one for the subnet and uplink', async () => {
    const r = await runCheck(natMasquerade, fakeHost(host({ nft: nft([natChain]) })));
    expect(r.status).toBe('fail');
    expect(r.fixes[0]!.preview.join('\n')).toContain('iptables -t nat -A POSTROUTING -s 192.168.122.0/24 -o eth0 -j MASQUERADE');
  });
  it('passes with libvirt-style masquerade of the subnet', async () => {
    const r = await runCheck(natMasquerade, fakeHost(host({ nft: nft([natChain, masq]) })));
    expect(r.status).toBe('pass');
  });
  it('fails when the only rule masquerades another subnet', async () => {
    const other = natRule([{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '10.0.0.0', len: 8 } } } }, { masquerade: null }]);
    expect((await runCheck(natMasquerade, fakeHost(host({ nft: nft([natChain, other]) })))).status).toBe('fail');
  });
});

describe('forward-policy', () => {
  it('fails on a FORWARD policy DROP (Docker) and proposes DOCKER-USER rules', async () => {
    const items = [fwdChain('drop'), { chain: { family: 'ip', table: 'filter', name: 'DOCKER-USER' } }, { rule: { family: 'ip', table: 'filter', chain: 'FORWARD', expr: [{ jump: { target: 'DOCKER-USER' } }] } }];
    const r = await runCheck(forwardPolicy, fakeHost(host({ nft: nft(items) })));
    expect(r.status).toBe('fail');
    expect(r.fixes[0]!.preview.join('\n')).toContain('iptables -I DOCKER-USER -i virbr0 -o eth0 -j ACCEPT');
  });
  it('passes when an accept for the VM bridge comes first', async () => {
    const items = [fwdChain('drop'), { rule: { family: 'ip', table: 'filter', chain: 'FORWARD', expr: [{ match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'virbr0' } }, { accept: null }] } }];
    expect((await runCheck(forwardPolicy, fakeHost(host({ nft: nft(items) })))).status).toBe('pass');
  });
  it('passes with the default ACCEPT policy', async () => {
    expect((await runCheck(forwardPolicy, fakeHost(host({ nft: nft([fwdChain('accept')]) })))).status).toBe('pass');
  });
});

// qnet setup records an isolated network's intent in the bridge's alias (qnet:isolated):
// forwarding off, no masquerade and a DROP policy are then what was asked for.
describe('an isolated network by intent (alias qnet:isolated)', () => {
  const dockerDrop = nft([natChain, fwdChain('drop')]);
  it('ip-forward skips it even with forwarding off, and says why', async () => {
    const r = await runCheck(ipForward, fakeHost(host({ forward: '0', alias: 'qnet:isolated' })));
    expect(r.status).toBe('skip');
    expect(r.summary).toMatch(/virbr0 is isolated by intent/);
  });
  it('nat-masquerade and forward-policy skip it', async () => {
    const h = host({ forward: '0', alias: 'qnet:isolated', nft: dockerDrop });
    expect((await runCheck(natMasquerade, fakeHost(h))).status).toBe('skip');
    expect((await runCheck(forwardPolicy, fakeHost(h))).status).toBe('skip');
  });
  it('systemd-networkd cannot set an alias: the [X-Qnet] section of the bridge\'s .network says it', async () => {
    const nd = '[Match]\nName=virbr0\n\n[Network]\nAddress=192.168.122.1/24\n\n[X-Qnet]\nIntent=isolated\n';
    expect((await runCheck(ipForward, fakeHost(host({ forward: '0', networkd: nd })))).status).toBe('skip');
    const nat = nd.replace('Intent=isolated', 'Intent=nat');
    expect((await runCheck(ipForward, fakeHost(host({ forward: '0', networkd: nat })))).status).toBe('fail');
    // Intent= outside the X-Qnet section means nothing.
    const elsewhere = '[Match]\nName=virbr0\n[Network]\nIntent=isolated\n';
    expect((await runCheck(ipForward, fakeHost(host({ forward: '0', networkd: elsewhere })))).status).toBe('fail');
  });
  it('NetworkManager cannot set an alias either: the [user] data of qnet\'s profile says it', async () => {
    const nm = '[connection]\nid=qnet-virbr0\ntype=bridge\n\n[ipv4]\nmethod=manual\n\n[user]\norg.qnet.intent=isolated\n';
    expect((await runCheck(ipForward, fakeHost(host({ forward: '0', nm })))).status).toBe('skip');
    expect((await runCheck(ipForward, fakeHost(host({ forward: '0', nm: nm.replace('=isolated', '=nat') })))).status).toBe('fail');
  });
  it('a NAT intent, or another alias, is still judged as a routed network', async () => {
    for (const alias of ['qnet:nat', 'isolated', 'my bridge']) {
      const h = host({ forward: '0', alias, nft: dockerDrop });
      expect((await runCheck(ipForward, fakeHost(h))).status, alias).toBe('fail');
      expect((await runCheck(natMasquerade, fakeHost(h))).status, alias).toBe('fail');
      expect((await runCheck(forwardPolicy, fakeHost(h))).status, alias).toBe('fail');
    }
  });
});

describe('parsers', () => {
  it('reads default routes from /proc/net/route', () => {
    expect(defaultRoutes(parseProcRoute(ROUTE)).map((r) => r.dev)).toEqual(['eth0']);
  });
  it('reads legacy nat rules with negations and jumps', () => {
    const c = parseIptablesS('-P POSTROUTING ACCEPT\n-N LIBVIRT_PRT\n-A POSTROUTING -j LIBVIRT_PRT\n-A LIBVIRT_PRT -s 192.168.122.0/24 ! -d 192.168.122.0/24 -j MASQUERADE\n', 'ip', 'nat')!;
    expect(c.rules[0]!.target).toBe('LIBVIRT_PRT');
    expect(c.regular.get('LIBVIRT_PRT')![0]).toMatchObject({ verdict: 'nat', saddr: { prefix: { addr: '192.168.122.0', len: 24 }, negated: false }, conditional: false });
  });
  it('compares prefixes', () => {
    expect(prefixWithin({ addr: '192.168.122.0', len: 24 }, { addr: '192.168.0.0', len: 16 })).toBe(true);
    expect(prefixWithin({ addr: '192.168.0.0', len: 16 }, { addr: '192.168.122.0', len: 24 })).toBe(false);
  });
});
