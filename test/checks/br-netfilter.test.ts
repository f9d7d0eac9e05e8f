// br-netfilter's table of cases is in checks/br-netfilter.ts.
import { describe, expect, it } from 'vitest';
import brNetfilter, { bridgeNfHost, dockerForward, filterTable } from '../../checks/br-netfilter.js';
import { fakeHost, runCheck } from '../helpers/fake-host.js';

const NFT = 'nft -j list ruleset';

describe('br-netfilter', () => {
  it('never runs iptables-legacy when no legacy table exists (it would create one)', async () => {
    // No /proc/net/ip_tables_names entry: the open-world host would answer any exec, so use strict replay.
    const spec = bridgeNfHost('1', { exec: { [NFT]: { stdout: filterTable('drop') } }, files: { '/proc/net/ip_tables_names': '' } });
    const r = await runCheck(brNetfilter, fakeHost(spec), { strict: true });
    expect(r.status).toBe('fail');
    expect(r.summary).not.toContain('not captured');
  });
  it('recommends the ACCEPT rule first where Docker needs br_netfilter', async () => {
    const r = await runCheck(brNetfilter, fakeHost(bridgeNfHost('1', { exec: { [NFT]: { stdout: dockerForward() } } })));
    expect(r.fixes.map((f) => f.id)).toEqual(['br-netfilter/accept-bridged', 'br-netfilter/sysctl-off']);
    expect(r.fixes[0]!.preview.join('\n')).toContain('iptables -I DOCKER-USER -m physdev --physdev-is-bridged -j ACCEPT');
  });
});
