// What a snapshot keeps: no secrets from configuration files or VM command lines,
// command lines as readable argv, only the passwd/group entries the checks looked
// at (no GECOS), and still the same results on replay, for every recorded host.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_CHECKS } from '../checks/index.js';
import { createContext } from '../src/session.js';
import { runChecks } from '../src/engine.js';
import { identityUses } from '../src/facts/users.js';
import type { Host, Read } from '../src/host/host.js';
import { redactArg, redactReads, redactText } from '../src/host/redact.js';
import { CachingHost, SnapshotHost, type ReadRecord } from '../src/host/record.js';
import { parseSnapshot, SNAPSHOT_SCHEMA } from '../src/host/snapshot-file.js';
import type { Result } from '../src/types.js';
import { allFixtures } from './helpers/fixtures.js';

const files = allFixtures().map((f) => f.path);
const strip = ({ durationMs: _d, ...r }: Result) => r;

describe('secrets in configuration files are replaced', () => {
  const cases: [string, string, string][] = [
    // [what, line, the secret that must go]
    ['NetworkManager psk', 'psk=hunter2-wifi', 'hunter2-wifi'],
    ['NetworkManager password', 'password=s3cr3t', 's3cr3t'],
    ['NetworkManager 802.1x private key password', 'private-key-password=pkpass', 'pkpass'],
    ['NetworkManager WireGuard private key', 'private-key=yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=', 'yAnz5TF'],
    ['NetworkManager WireGuard peer preshared key', 'preshared-key=FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=', 'FpCyhws9'],
    ['NetworkManager WEP key', 'wep-key0=abcdef0123', 'abcdef0123'],
    ['NetworkManager SIM PIN', 'pin=4711', '4711'],
    ['networkd WireGuard private key', 'PrivateKey=EEGlnEPYJV//kbvvIqxKkQwOiS+UENyPncC4bF46ong=', 'EEGlnEPYJV'],
    ['networkd WireGuard preshared key', 'PresharedKey = cPLOy1YUrEI0EMMIycPJmOo0aTu3RZnw8bL5meVD6m0=', 'cPLOy1YUrEI0'],
    ['interfaces(5) wpa-psk', '    wpa-psk "my wifi key"', 'my wifi key'],
    ['interfaces(5) wpa-passphrase', '\twpa-passphrase correct horse battery', 'correct horse'],
    ['interfaces(5) wireless-key', '  wireless-key s:abcde', 's:abcde'],
    ['netplan wifi password', '          password: "netplan-wifi"', 'netplan-wifi'],
    ['netplan tunnel key', '      key: 4GgaQCy68nzNsUE5aJ9fuLzHhB65tAlwbmA72MWnOm8=', '4GgaQCy68nz'],
    ['netplan keys.private', '        private: 4GgaQCy68nzNsUE5aJ9fuLzHhB65tAlwbmA72MWnOm8=', '4GgaQCy68nz'],
    ['netplan peer keys.shared', '            shared: 7voRZ/ojfXgfPOlswo3Lpma1RJq7qijIEEUEMShQFV8=', '7voRZ'],
    ['netplan list item', '      - private-key: deadbeef', 'deadbeef'],
    ['netplan preshared-key', '      preshared-key: cafebabe', 'cafebabe'],
    ['wpa_supplicant psk', '\tpsk="supplicant-secret"', 'supplicant-secret'],
    ['CRLF line', 'psk=crlf-secret\r', 'crlf-secret'],
  ];
  for (const [what, line, secret] of cases) {
    it(what, () => {
      const out = redactText(`# before\n${line}\nafter=1\n`);
      expect(out).not.toContain(secret);
      expect(out).toContain('REDACTED');
      expect(out.split('\n')).toHaveLength(4);
      expect(out).toContain('after=1');
    });
  }
  it('keeps what the checks read, and keys that only describe a secret', () => {
    const body = [
      '[connection]', 'id=Wired connection 1', 'type=bridge', 'interface-name=br0', '[wifi-security]', 'key-mgmt=wpa-psk', 'psk-flags=1',
      '[WireGuard]', 'PrivateKeyFile=/etc/wg.key', '[WireGuardPeer]', 'PublicKey=xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=',
      'mapping eth0', '  script /usr/local/sbin/map', 'iface br0 inet static', '  bridge_ports eth0 tap0', '  address 192.0.2.5/24',
      'allow br0', 'SUBSYSTEM=="net", ACTION=="add", NAME="eth0"',
    ].join('\n');
    expect(redactText(body)).toBe(body);
  });
});

describe('secrets on a VM command line are replaced, the rest kept', () => {
  it('-object secret data=, password=, URL and rbd credentials', () => {
    expect(redactArg('secret,id=sec0,data=letmein,format=raw')).toBe('secret,id=sec0,data=REDACTED,format=raw');
    expect(redactArg('secret,id=sec0,data=a,,b,,c,format=raw')).toBe('secret,id=sec0,data=REDACTED,format=raw');
    expect(redactArg('port=5900,password=vncpass,addr=0.0.0.0')).toBe('port=5900,password=REDACTED,addr=0.0.0.0');
    expect(redactArg('file=https://bob:httppass@example.org/disk.img,if=virtio')).toBe('file=https://bob:REDACTED@example.org/disk.img,if=virtio');
    expect(redactArg('file=rbd:pool/img:id=admin:key=AQBfoo==:mon_host=10.0.0.1,format=raw')).toBe('file=rbd:pool/img:id=admin:key=REDACTED:mon_host=10.0.0.1,format=raw');
    expect(redactArg('user,id=u0,passwd=x')).toBe('user,id=u0,passwd=REDACTED');
  });
  it('leaves network options alone', () => {
    for (const a of ['tap,id=n0,ifname=tap0,script=no,downscript=no', 'user,id=n0,hostfwd=tcp::2222-:22', 'virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56', 'eth0=tuntap,tap0,52:54:00:4e:10:01', 'bridge,id=n0,br=br0,helper=/usr/lib/qemu/qemu-bridge-helper']) {
      expect(redactArg(a)).toBe(a);
    }
  });
});

/** Records every read of a fixture replay, like `qnet snapshot` records a live host. */
async function record(reads: Record<string, ReadRecord>, snap: ReturnType<typeof parseSnapshot>) {
  const caching = new CachingHost(new SnapshotHost(reads) as Host);
  const user = snap.options?.user ?? (snap.host.user as string | undefined);
  const ctx = await createContext({ host: caching, invoker: snap.invoker, user, source: 'snapshot', guest: snap.options?.guest });
  const recorded = (snap.results ?? []) as Result[];
  const checks = ALL_CHECKS.filter((c) => recorded.some((r) => r.id === c.id));
  const results = await runChecks(ctx, checks);
  return { ctx, caching, results, checks, user };
}

describe('every recorded host: the snapshot qnet would write replays to the same results', () => {
  for (const f of files) {
    it(f, async () => {
      const snap = parseSnapshot(readFileSync(f, 'utf8'), f);
      const first = await record(snap.reads, snap);
      const kept = redactReads(await first.caching.records(), identityUses(first.ctx));
      // It is a valid snapshot file, and it loads.
      const again = parseSnapshot(JSON.stringify({ ...snap, schema: SNAPSHOT_SCHEMA, reads: kept }), f);
      const ctx = await createContext({ host: new SnapshotHost(again.reads), invoker: snap.invoker, user: first.user, source: 'snapshot', guest: snap.options?.guest });
      const replayed = await runChecks(ctx, first.checks);
      expect(replayed.map(strip)).toEqual(first.results.map(strip));

      // No GECOS, no password hashes, and only the entries the checks looked at.
      const passwd = (kept['file /etc/passwd'] as { text: string }).text;
      const before = (snap.reads['file /etc/passwd'] as { text: string }).text;
      for (const line of passwd.split('\n').filter(Boolean)) {
        const fields = line.split(':');
        expect(fields[4], line).toBe('');
        expect(fields[1], line).toBe('x');
      }
      expect(passwd).not.toMatch(/qnet real-kernel test user/);
      // The fixtures were written by qnet, so they hold only those entries already: redacting again keeps them.
      expect(passwd.split('\n').filter(Boolean).length).toBeLessThanOrEqual(before.split('\n').filter(Boolean).length);
      // Command lines are readable argv, never base64.
      for (const [k, rec] of Object.entries(kept)) if (/cmdline$/.test(k) && rec.ok) expect(rec, k).toHaveProperty('argv');
    });
  }
});

describe('command lines are recorded as argv and replay byte for byte', () => {
  const bytes = Buffer.from('qemu-system-x86_64\0-object\0secret,id=s0,data=pw\0-netdev\0tap,id=n0,ifname=tap0\0', 'utf8');
  const live: Host = {
    readFile: async (p: string): Promise<Read<Buffer>> => (p === '/proc/42/cmdline' ? { ok: true, value: bytes } : { ok: false, code: 'ENOENT', message: p }),
    stat: async () => ({ ok: false, code: 'ENOENT', message: '' }),
    lstat: async () => ({ ok: false, code: 'ENOENT', message: '' }),
    readdir: async () => ({ ok: false, code: 'ENOENT', message: '' }),
    readRange: async () => ({ ok: false, code: 'ENOENT', message: '' }),
    readlink: async () => ({ ok: false, code: 'ENOENT', message: '' }),
    exec: async () => ({ ok: false, code: 'ENOENT', message: '' }),
  };
  it('records readable argv, exact on replay', async () => {
    const c = new CachingHost(live);
    await c.readFile('/proc/42/cmdline');
    const recs = await c.records();
    expect(recs['file /proc/42/cmdline']).toEqual({ ok: true, argv: ['qemu-system-x86_64', '-object', 'secret,id=s0,data=pw', '-netdev', 'tap,id=n0,ifname=tap0'] });
    const back = await new SnapshotHost(recs).readFile('/proc/42/cmdline');
    expect(back.ok && back.value.equals(bytes)).toBe(true);
    const red = redactReads(recs);
    expect(red['file /proc/42/cmdline']).toEqual({ ok: true, argv: ['qemu-system-x86_64', '-object', 'secret,id=s0,data=REDACTED', '-netdev', 'tap,id=n0,ifname=tap0'] });
  });
  it('reads the base64 form older snapshots hold, and redacts it too', () => {
    const red = redactReads({ 'file /proc/42/cmdline': { ok: true, base64: bytes.toString('base64') }, 'file /proc/43/cmdline': { ok: true, base64: Buffer.from('sshpass\0-p\0pw\0').toString('base64') } });
    expect(red['file /proc/42/cmdline']).toEqual({ ok: true, argv: ['qemu-system-x86_64', '-object', 'secret,id=s0,data=REDACTED', '-netdev', 'tap,id=n0,ifname=tap0'] });
    expect(red['file /proc/43/cmdline']).toEqual({ ok: true, argv: [] });
  });
});

describe('/etc/passwd in a snapshot', () => {
  it('keeps only the entries the checks looked up, without GECOS, from a full file', async () => {
    const full = 'root:x:0:0:root:/root:/bin/bash\nalice:$6$hash:1000:1000:Alice Liddell,Room 1:/home/alice:/bin/bash\nbob:x:1001:1001:Bob Builder:/home/bob:/bin/sh\ncarol:x:1002:1002:Carol:/home/carol:/bin/sh\n';
    const reads: Record<string, ReadRecord> = {
      'file /etc/passwd': { ok: true, text: full },
      'file /etc/group': { ok: true, text: 'root:x:0:\nkvm:x:104:bob\nalice:x:1000:\n' },
      'stat /dev/kvm': { ok: true, stat: { mode: 0o20660, uid: 0, gid: 104, size: 0, rdevMajor: 10, rdevMinor: 232 } },
    };
    const caching = new CachingHost(new SnapshotHost(reads) as Host);
    const ctx = await createContext({ host: caching, invoker: { uid: 1000, euid: 1000, user: 'alice', sudoUser: null }, source: 'snapshot' });
    await runChecks(ctx, ALL_CHECKS.filter((c) => c.id === 'kvm'));
    const kept = (redactReads(await caching.records(), identityUses(ctx))['file /etc/passwd'] as { text: string }).text;
    const names = kept.split('\n').filter(Boolean).map((l) => l.split(':')[0]);
    expect(names).toContain('alice');
    expect(names).not.toContain('carol');
    expect(kept).not.toMatch(/Liddell|Builder|\$6\$/);
  });
});
