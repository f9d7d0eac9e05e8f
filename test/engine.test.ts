import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { ALL_CHECKS } from '../checks/index.js';
import { createContext } from '../src/session.js';
import { NotCaptured } from '../src/errors.js';
import { exitCodeOf, runChecks, selectChecks } from '../src/engine.js';
import { redactReads, redactText } from '../src/host/redact.js';
import { SnapshotHost } from '../src/host/record.js';
import type { Check } from '../src/types.js';
import { readFileSync } from 'node:fs';

const ctx = () => createContext({ host: new SnapshotHost({}), invoker: { uid: 0, euid: 0, user: 'root', sudoUser: null }, source: 'snapshot' });

describe('engine', () => {
  it('turns a check that throws into an error result and runs the others', async () => {
    const boom: Check = { id: 'kvm', area: 'kernel', title: () => 'boom', run: async () => { throw new Error('kaput'); } };
    const fine: Check = { id: 'vhost-net', area: 'kernel', title: () => 'fine', run: async () => ({ status: 'pass', summary: 'ok' }) };
    const [a, b] = await runChecks(await ctx(), [boom, fine]);
    expect(a!.status).toBe('error');
    expect(a!.summary).toContain('kaput');
    expect(b!.status).toBe('pass');
  });
  it('exits 1 for a check that broke, as for one that failed; warnings alone exit 0', async () => {
    const boom: Check = { id: 'kvm', area: 'kernel', title: () => 'boom', run: async () => { throw new Error('kaput'); } };
    const warn: Check = { id: 'vhost-net', area: 'kernel', title: () => 'w', run: async () => ({ status: 'warn', summary: 'hm' }) };
    expect(exitCodeOf(await runChecks(await ctx(), [boom, warn]))).toBe(1);
    expect(exitCodeOf(await runChecks(await ctx(), [warn]))).toBe(0);
  });
  it('turns a read the snapshot lacks into a skip that says so', async () => {
    const needy: Check = { id: 'kvm', area: 'kernel', title: () => 'needy', run: async () => { throw new NotCaptured('stat /dev/kvm'); } };
    const [r] = await runChecks(await ctx(), [needy]);
    expect(r).toMatchObject({ status: 'skip', summary: 'stat /dev/kvm was not captured in the snapshot' });
  });
  it('turns a check that hangs into an error result after its time limit', async () => {
    const hang: Check = { id: 'kvm', area: 'kernel', title: () => 'hang', run: () => new Promise(() => undefined) };
    const [r] = await runChecks(await ctx(), [hang], 50);
    expect(r!.status).toBe('error');
    expect(r!.summary).toMatch(/did not finish within 50 ms/);
  });
  it('runs checks concurrently: each waits for the other to have started', async () => {
    let started = 0;
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    const waiter = (id: 'kvm' | 'vhost-net'): Check => ({
      id, area: 'kernel', title: () => id,
      run: async () => {
        if (++started === 2) release();
        await gate; // run one after the other, the first would wait here forever (and time out)
        return { status: 'pass', summary: id };
      },
    });
    const results = await runChecks(await ctx(), [waiter('kvm'), waiter('vhost-net')], 2000);
    expect(results.map((r) => r.status)).toEqual(['pass', 'pass']);
  });
  it('rejects unknown IDs in --only/--skip', () => {
    expect(() => selectChecks(ALL_CHECKS, { only: ['tun-perms', 'bogus'] })).toThrow(/unknown check ID "bogus"/);
  });
});

describe('registry', () => {
  it('registers every file in checks/, once, under the ID its file is named after', () => {
    const files = readdirSync(new URL('../checks', import.meta.url)).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'ids.ts');
    const ids = ALL_CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(files.map((f) => f.replace(/\.ts$/, '')).sort()).toEqual([...ids].sort());
  });
  it("keeps the README's table of checks in step with the registry", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## What `qnet doctor` checks'));
    const rows = table.slice(0, table.indexOf('\n\n', table.indexOf('| ID |'))).split('\n').filter((l) => l.startsWith('| `'));
    const documented = rows.flatMap((l) => [...l.split('|')[1]!.matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1]!));
    expect([...documented].sort()).toEqual(ALL_CHECKS.map((c) => c.id).sort());
  });
});

describe('snapshot redaction', () => {
  it('blanks the command lines of processes that are not VMs, and keeps VMs\' as readable argv (older base64 records too)', () => {
    const b64 = (argv: string[]) => Buffer.from(argv.join('\0') + '\0').toString('base64');
    const out = redactReads({
      'file /proc/1/cmdline': { ok: true, base64: b64(['/usr/bin/backup', '--password=hunter2']) },
      'file /proc/2/cmdline': { ok: true, base64: b64(['qemu-system-x86_64', '-netdev', 'user,id=n0']) },
    });
    expect(out['file /proc/1/cmdline']).toEqual({ ok: true, argv: [] });
    expect(JSON.stringify(out)).not.toContain('hunter2');
    expect(JSON.stringify(out)).not.toContain(Buffer.from('hunter2').toString('base64').slice(0, 8));
    expect(out['file /proc/2/cmdline']).toEqual({ ok: true, argv: ['qemu-system-x86_64', '-netdev', 'user,id=n0'] });
  });
  it('removes Wi-Fi keys and passwords but keeps the rest of the file', () => {
    const nm = '[connection]\nid=home\ninterface-name=wlp2s0\n[wifi-security]\nkey-mgmt=wpa-psk\npsk=hunter2-secret\n';
    const out = redactText(nm);
    expect(out).not.toContain('hunter2');
    expect(out).toContain('interface-name=wlp2s0');
    expect(out).toContain('key-mgmt=wpa-psk');
    const netplan = 'wifis:\n  wlan0:\n    access-points:\n      "home":\n        password: "s3cr3t-pass"\n';
    expect(redactText(netplan)).not.toContain('s3cr3t');
    expect(redactText('iface wlan0 inet dhcp\n  wpa-psk 0123456789abcdef\n')).toBe('iface wlan0 inet dhcp\n  wpa-psk REDACTED\n');
  });
});
