// bridge-state's and tap-state's tables of cases are in checks/bridge-state.ts and checks/tap-state.ts.
import { describe, expect, it } from 'vitest';
import tapState, { cases, CONFIG_PORT } from '../../checks/tap-state.js';
import { fakeHost, ipLinks, runCheck, type FakeSpec } from '../helpers/fake-host.js';

type L = Parameters<typeof ipLinks>[0];
const host = (list: L, extra: FakeSpec = {}): FakeSpec => ({ ...extra, exec: { ...ipLinks([{ name: 'lo' }, ...list]), ...extra.exec } });

describe('tap-state', () => {
  const tap = (name: string, info: Record<string, unknown>, more: Partial<L[number]> = {}) => ({ name, kind: 'tun', info: { type: 'tap', persist: true, ...info }, ...more });
  it('shows the recreate command shell-quoted for a tap named $(id) (pasting it runs nothing)', async () => {
    const r = await runCheck(tapState, fakeHost(host([tap('$(id)', { user: 1001 }, { master: 'br0' })])));
    expect(r.status).toBe('fail');
    expect(r.summary).toContain("recreate it with: ip tuntap add dev '$(id)' mode tap user alice");
  });
  // Its table's cases where the config makes tap0 a port of br0 (status and summary: test/check-cases.test.ts).
  const configPorts = cases().filter((c) => c.name.startsWith(CONFIG_PORT));
  it('has the config-port cases', () => expect(configPorts.length).toBe(3));
  it.each(configPorts.map((c) => [c.name, c] as const))('the fix for %s puts it on br0', async (_t, c) => {
    const r = await runCheck(tapState, fakeHost(c.host));
    expect(r.status).toBe('fail');
    expect(r.fixes[0]!.preview.join('\n')).toContain('ip link set dev tap0 master br0');
  });
});
