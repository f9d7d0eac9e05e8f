import { describe, expect, it } from 'vitest';
import brNetfilter from '../../checks/br-netfilter.js';
import { fakeHost, ipLinks, runCheck, type FakeSpec } from '../helpers/fake-host.js';

const NFT = 'nft -j list ruleset';
const nftDoc = (items: unknown[]) => JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6' } }, ...items] });
const filterTable = (policy: 'accept' | 'drop', rules: unknown[][] = [], extraChains: string[] = []) =>
  nftDoc([
    { table: { family: 'ip', name: 'filter' } },
    { chain: { family: 'ip', table: 'filter', name: 'FORWARD', type: 'filter', hook: 'forward', prio: 0, policy } },
    ...extraChains.map((name) => ({ chain: { family: 'ip', table: 'filter', name } })),
    ...rules.map(([chain, expr]) => ({ rule: { family: 'ip', table: 'filter', chain, expr } })),
  ]);

const bridgeHost = (nf: string, extra: Partial<FakeSpec> = {}, brInfo: Record<string, unknown> = {}): FakeSpec => ({
  invoker: { uid: 0, euid: 0, user: 'root' },
  ...extra,
  files: {
    '/proc/sys/net/bridge/bridge-nf-call-iptables': `${nf}\n`,
    '/proc/sys/net/bridge/bridge-nf-call-ip6tables': `${nf}\n`,
    '/proc/sys/net/bridge/bridge-nf-call-arptables': `${nf}\n`,
    ...extra.files,
  },
  stats: { '/usr/sbin/nft': { mode: 0o755 }, ...extra.stats },
  exec: {
    ...ipLinks([{ name: 'lo' }, { name: 'br0', kind: 'bridge', info: { nf_call_iptables: 0, ...brInfo } }, { name: 'tap0', kind: 'tun', master: 'br0' }]),
    ...extra.exec,
  },
});

const dockerForward = filterTable(
  'drop',
  [
    ['FORWARD', [{ jump: { target: 'DOCKER-USER' } }]],
    ['FORWARD', [{ match: { op: '==', left: { meta: { key: 'oifname' } }, right: 'docker0' } }, { accept: null }]],
    ['DOCKER-USER', [{ counter: null }, { return: null }]],
  ],
  ['DOCKER-USER', 'DOCKER'],
);

describe('br-netfilter', () => {
  const cases: { name: string; spec: FakeSpec; status: string; summary: RegExp }[] = [
    { name: 'no bridge', spec: { exec: ipLinks([{ name: 'lo' }, { name: 'eth0' }]) }, status: 'skip', summary: /no bridge/ },
    { name: 'br_netfilter not loaded', spec: { ...bridgeHost('1'), files: {} }, status: 'pass', summary: /not loaded/ },
    { name: 'calls off', spec: bridgeHost('0'), status: 'pass', summary: /not passed to iptables/ },
    { name: 'calls on, FORWARD accepts', spec: bridgeHost('1', { exec: { [NFT]: { stdout: filterTable('accept') } } }), status: 'pass', summary: /accepts them/ },
    { name: 'calls on, FORWARD policy DROP', spec: bridgeHost('1', { exec: { [NFT]: { stdout: filterTable('drop') } } }), status: 'fail', summary: /br0: nft ip filter FORWARD drops them \(policy DROP\)/ },
    { name: 'Docker: FORWARD DROP with jumps that return', spec: bridgeHost('1', { exec: { [NFT]: { stdout: dockerForward } } }), status: 'fail', summary: /policy DROP/ },
    {
      name: 'Docker with a DOCKER-USER accept for br0 (what the fix adds)',
      spec: bridgeHost('1', { exec: { [NFT]: { stdout: filterTable('drop', [['FORWARD', [{ jump: { target: 'DOCKER-USER' } }]], ['DOCKER-USER', [{ match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'br0' } }, { accept: null }]]], ['DOCKER-USER']) } } }),
      status: 'pass', summary: /accepts them/,
    },
    { name: 'global off but the bridge has its own nf_call_iptables 1', spec: bridgeHost('0', { exec: { [NFT]: { stdout: filterTable('drop') } } }, { nf_call_iptables: 1 }), status: 'fail', summary: /drops them/ },
    { name: 'policy DROP with a physdev accept', spec: bridgeHost('1', { exec: { [NFT]: { stdout: filterTable('drop', [['FORWARD', [{ xt: { type: 'match', name: 'physdev' } }, { accept: null }]]]) } } }), status: 'pass', summary: /accepts/ },
    { name: 'a conditional drop before anything decides', spec: bridgeHost('1', { exec: { [NFT]: { stdout: filterTable('accept', [['FORWARD', [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '10.0.0.0' } }, { drop: null }]]]) } } }), status: 'warn', summary: /may drop/ },
    { name: 'firewall unreadable (nft refuses)', spec: bridgeHost('1', { exec: { [NFT]: { exitCode: 1, stderr: 'Error: Operation not permitted' } } }), status: 'warn', summary: /could not be read/ },
    { name: 'legacy iptables table with policy DROP', spec: bridgeHost('1', { stats: { '/usr/sbin/nft': null }, files: { '/proc/net/ip_tables_names': 'filter\n' }, exec: { 'iptables-legacy -t filter -S': { stdout: '-P INPUT ACCEPT\n-P FORWARD DROP\n-P OUTPUT ACCEPT\n' } } }), status: 'fail', summary: /iptables-legacy FORWARD drops them/ },
    { name: 'legacy iptables with -i br0 -o br0 -j ACCEPT', spec: bridgeHost('1', { stats: { '/usr/sbin/nft': null }, files: { '/proc/net/ip_tables_names': 'filter\n' }, exec: { 'iptables-legacy -t filter -S': { stdout: '-P FORWARD DROP\n-A FORWARD -i br0 -o br0 -j ACCEPT\n' } } }), status: 'pass', summary: /accepts/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runCheck(brNetfilter, fakeHost(c.spec));
      expect(r.status).toBe(c.status);
      expect(r.summary).toMatch(c.summary);
    });
  }
  it('never runs iptables-legacy when no legacy table exists (it would create one)', async () => {
    // No /proc/net/ip_tables_names entry: the open-world host would answer any exec, so use strict replay.
    const spec = bridgeHost('1', { exec: { [NFT]: { stdout: filterTable('drop') } }, files: { '/proc/net/ip_tables_names': '' } });
    const r = await runCheck(brNetfilter, fakeHost(spec), { strict: true });
    expect(r.status).toBe('fail');
    expect(r.summary).not.toContain('not captured');
  });
  it('recommends the ACCEPT rule first where Docker needs br_netfilter', async () => {
    const r = await runCheck(brNetfilter, fakeHost(bridgeHost('1', { exec: { [NFT]: { stdout: dockerForward } } })));
    expect(r.fixes.map((f) => f.id)).toEqual(['br-netfilter/accept-bridged', 'br-netfilter/sysctl-off']);
    expect(r.fixes[0]!.preview.join('\n')).toContain('iptables -I DOCKER-USER -m physdev --physdev-is-bridged -j ACCEPT');
  });
});
