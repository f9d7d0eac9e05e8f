// qnet setup's command line: bad input is one line on stderr and exit 2, before
// anything is read or changed; without a terminal nothing is applied without --yes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/qnet.js', import.meta.url).pathname;
const state = mkdtempSync(join(tmpdir(), 'qnet-setup-cli-'));
afterAll(() => rmSync(state, { recursive: true, force: true }));
const qnet = (...args: string[]) => spawnSync(process.execPath, [BIN, 'setup', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1', QNET_STATE_DIR: state }, input: '' });

describe('qnet setup: usage errors', () => {
  const cases: [string[], RegExp][] = [
    [['--mode', 'wifi'], /^qnet: --mode wifi: one of user, bridge, isolated, nat\n$/],
    [['--backend', 'systemd'], /^qnet: --backend systemd: one of auto, runtime, ifupdown, networkmanager, networkd, netplan\n$/],
    [['--vms', '0'], /^qnet: --vms 0: a whole number from 1 to 64\n$/],
    [['--vms', '2x'], /^qnet: --vms 2x: a whole number from 1 to 64\n$/],
    [['--confirm-timeout', '-1'], /^qnet: --confirm-timeout -1: a whole number from 5 to 3600\n$/],
    [['--hostfwd', 'tcp:22'], /^qnet: --hostfwd tcp:22: expected tcp:HOSTPORT-:GUESTPORT \(e\.g\. tcp:2222-:22\)\n$/],
    [['--hostfwd', 'tcp:70000-:22'], /^qnet: --hostfwd tcp:70000-:22: ports are 1-65535\n$/],
    [['--mode', 'nat', '--hostfwd', 'tcp:2222-:22'], /^qnet: --hostfwd is for --mode user/],
    [['--vm-kind', 'uml', '--access', 'helper'], /^qnet: --vm-kind uml needs --access taps/],
    [['--bridge', '$(reboot)'], /^qnet: --bridge \$\(reboot\): not a usable interface name/],
    [['--bridge', 'a-very-long-bridge-name'], /^qnet: --bridge a-very-long-bridge-name: not a usable interface name/],
    [['--uplink', 'eth0;id'], /^qnet: --uplink eth0;id: not a valid interface name\n$/],
  ];
  for (const [args, re] of cases) {
    it(args.join(' '), () => {
      const r = qnet(...args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stdout).toBe('');
    });
  }
});

describe('qnet setup without a terminal', () => {
  it('with no --mode and no --yes: asks for nothing, names the flags, exits 2', () => {
    const r = qnet();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^qnet: not a terminal, so nothing was asked; pass --mode \(user, bridge, isolated or nat; recommended here: \w+\) and --yes to apply\n$/);
  });
  it('user mode changes nothing, so it needs no --yes, and --json prints one document', () => {
    const r = qnet('--mode', 'user', '--hostfwd', 'tcp:40022-:22', '--json', '--dry-run');
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { schema: string; steps: unknown[]; vms: { qemuArgs: string[] }[] };
    expect(doc.schema).toBe('qnet.setup/v1');
    expect(doc.steps).toEqual([]);
    expect(doc.vms[0]!.qemuArgs.slice(0, 2)).toEqual(['-netdev', 'user,id=n0,hostfwd=tcp::40022-:22']);
  });
});
