// ip-forward, nat-masquerade, forward-policy over host records of a NAT VM network (virbr0
// 192.168.122.1/24 with no physical port, default route via eth0). Their tables of cases are
// in checks/ip-forward.ts, checks/nat-masquerade.ts and checks/forward-policy.ts.
import { describe, expect, it } from 'vitest';
import forwardPolicy from '../../checks/forward-policy.js';
import ipForward, { natNetHost as host, natNetNft } from '../../checks/ip-forward.js';
import natMasquerade from '../../checks/nat-masquerade.js';
import { parseIptablesS } from '../../src/facts/firewall.js';
import { prefixWithin } from '../../src/parse/ipv4.js';
import { defaultRoutes, parseProcRoute } from '../../src/parse/proc-net.js';
import { fakeHost, runCheck } from '../helpers/fake-host.js';

const ROUTE = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n' +
  'eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\n' +
  'eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\n';
const { doc: nft, natChain, fwdChain } = natNetNft();

describe('ip-forward', () => {
  it('fails when forwarding is off for a NAT network', async () => {
    const r = await runCheck(ipForward, fakeHost(host({ forward: '0' })));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/virbr0 192\.168\.122\.0\/24/);
    expect(r.fixes[0]!.preview.join('\n')).toContain('net.ipv4.ip_forward = 1');
  });
});

describe('nat-masquerade', () => {
  it('fails without a MASQUERADE rule and proposes one for the subnet and uplink', async () => {
    const r = await runCheck(natMasquerade, fakeHost(host({ nft: nft([natChain]) })));
    expect(r.status).toBe('fail');
    expect(r.fixes[0]!.preview.join('\n')).toContain('iptables -t nat -A POSTROUTING -s 192.168.122.0/24 -o eth0 -j MASQUERADE');
  });
});

describe('forward-policy', () => {
  it('fails on a FORWARD policy DROP (Docker) and proposes DOCKER-USER rules', async () => {
    const items = [fwdChain('drop'), { chain: { family: 'ip', table: 'filter', name: 'DOCKER-USER' } }, { rule: { family: 'ip', table: 'filter', chain: 'FORWARD', expr: [{ jump: { target: 'DOCKER-USER' } }] } }];
    const r = await runCheck(forwardPolicy, fakeHost(host({ nft: nft(items) })));
    expect(r.status).toBe('fail');
    expect(r.fixes[0]!.preview.join('\n')).toContain('iptables -I DOCKER-USER -i virbr0 -o eth0 -j ACCEPT');
  });
});

describe('parsers', () => {
  it('reads default routes from /proc/net/route', () => {
    expect(defaultRoutes(parseProcRoute(ROUTE)).map((r) => r.dev)).toEqual(['eth0']);
  });
  it('reads legacy nat rules with negations and jumps', () => {
    const c = parseIptablesS('-P POSTROUTING ACCEPT\n-N LIBVIRT_PRT\n-A POSTROUTING -j LIBVIRT_PRT\n-A LIBVIRT_PRT -s 192.168.122.0/24 ! -d 192.168.122.0/24 -j MASQUERADE\n', 'ip', 'nat')!;
    expect(c.rules[0]!.target).toBe('LIBVIRT_PRT');
    expect(c.regular.get('LIBVIRT_PRT')![0]).toMatchObject({ verdict: 'nat', saddr: { prefixes: [{ addr: '192.168.122.0', len: 24 }], negated: false }, conditional: false });
  });
  it('compares prefixes', () => {
    expect(prefixWithin({ addr: '192.168.122.0', len: 24 }, { addr: '192.168.0.0', len: 16 })).toBe(true);
    expect(prefixWithin({ addr: '192.168.0.0', len: 16 }, { addr: '192.168.122.0', len: 24 })).toBe(false);
  });
});
