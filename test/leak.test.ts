// Nothing secret or identifying leaves the host. Over every host recorded from the
// real-kernel scenarios (fixtures/), plant secrets and identifiers in what the
// checks read: user names that are ordinary words (`bridge`, `qemu`), a host name
// that is one too, GECOS with a real name and phone number, a public IPv4 and IPv6
// address, a real MAC, a Wi-Fi key and passphrase in interfaces(5), a QEMU secret
// object and a SPICE password on running VMs' command lines. Then render what
// would leave the host, the snapshot and the redacted report, and check:
// - no secret and no GECOS survives in either;
// - no address, MAC or name survives in the report: with unique names planted
//   (zqx…), not one occurrence remains anywhere;
// - no ordinary word was altered: the report of the host whose users are called
//   `bridge` and `qemu` is byte for byte the report of the same host whose users
//   have unique names, and every word of the unredacted report is still there.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_CHECKS } from '../checks/index.js';
import { buildReport } from '../src/commands/report.js';
import { createContext } from '../src/session.js';
import { doctor } from '../src/engine.js';
import { identityUses } from '../src/facts/users.js';
import { redactSnapshot } from '../src/host/redact.js';
import { CachingHost, SnapshotHost, type ReadRecord } from '../src/host/record.js';
import { parseSnapshot, type SnapshotFile } from '../src/host/snapshot-file.js';
import { decodeEmbedded, hasEmbedded } from '../src/host/snapshot-embed.js';
import type { Result } from '../src/types.js';
import { allFixtures } from './helpers/fixtures.js';

const files = allFixtures().map((f) => f.path);

const SECRETS = ['PLANTED-psk-7f3a', 'PLANTED-pass-9c1d', 'PLANTED-vm-secret-42', 'PLANTED-spice-5e'];
const GECOS = ['Jane Q. Public', '+1-555-0100'];
const ADDRESSES = ['203.0.113.77', '2001:470:1f0b:5e::77', '3c:97:0e:aa:bb:cc', '3C:97:0E:AA:BB:CC', 'fe80::3e97:eff:feaa:bbcc'];

interface Names {
  target: string;
  other: string;
  host: string;
}
const WORDS: Names = { target: 'bridge', other: 'qemu', host: 'network' };
const UNIQUE: Names = { target: 'zqxtarget', other: 'zqxother', host: 'zqxhost' };

const argvOfRecord = (rec: ReadRecord): string[] | undefined => {
  if (!rec.ok) return undefined;
  if ('argv' in rec) return rec.argv;
  const raw = 'text' in rec ? Buffer.from(rec.text) : 'base64' in rec ? Buffer.from(rec.base64, 'base64') : undefined;
  return raw?.toString('utf8').split('\0').filter(Boolean);
};

/** The fixture with identifiers and secrets planted where the checks read them. */
function plant(fixture: string, n: Names): SnapshotFile {
  // The test user appears only as an identity (passwd, group, tap owners, --user).
  const text = fixture.replaceAll('qnetuser', n.target).replaceAll('qnet real-kernel test user', `${GECOS[0]},Room 4,${GECOS[1]}`);
  const snap = parseSnapshot(text, 'fixture');
  const reads = snap.reads;
  const passwd = reads['file /etc/passwd'] as { ok: true; text: string };
  passwd.text += `${n.other}:x:1001:1001:${GECOS[0]},,${GECOS[1]}:/home/${n.other}:/bin/bash\n`;
  const group = reads['file /etc/group'] as { ok: true; text: string };
  group.text += `${n.other}:x:1001:\n`;
  reads['file /proc/sys/kernel/hostname'] = { ok: true, text: `${n.host}\n` };
  for (const [key, rec] of Object.entries(reads)) {
    if (key.startsWith('exec ["ip"') && rec.ok && 'exec' in rec && rec.exec.stdout.includes('"addr_info"')) {
      const links = JSON.parse(rec.exec.stdout) as { ifname: string; address?: string; addr_info?: unknown[]; linkinfo?: { info_data?: { user?: string } } }[];
      for (const l of links) {
        // A tap of root's becomes the other user's.
        if (l.linkinfo?.info_data?.user === 'root') l.linkinfo.info_data.user = n.other;
        if (l.ifname === 'lo' || !l.addr_info) continue;
        if (l.address && !l.address.startsWith('52:54:00')) l.address = ADDRESSES[2];
        l.addr_info.push(
          { family: 'inet', local: ADDRESSES[0], prefixlen: 24, scope: 'global', label: l.ifname },
          { family: 'inet6', local: ADDRESSES[1], prefixlen: 64, scope: 'global' },
          { family: 'inet6', local: ADDRESSES[4], prefixlen: 64, scope: 'link' },
        );
      }
      rec.exec.stdout = JSON.stringify(links);
    }
    const argv = /^file \/proc\/\d+\/cmdline$/.test(key) ? argvOfRecord(rec) : undefined;
    if (argv?.length && /qemu-system/.test(argv[0]!)) {
      // Right after the program: where findings quote a command line's start.
      reads[key] = { ok: true, argv: [argv[0]!, '-object', `secret,id=planted0,data=${SECRETS[2]}`, '-runas', n.other, '-spice', `port=5930,password=${SECRETS[3]}`, ...argv.slice(1)] };
    }
  }
  const ifaces = reads['file /etc/network/interfaces'];
  const before = ifaces?.ok && 'text' in ifaces ? ifaces.text : '';
  reads['file /etc/network/interfaces'] = {
    ok: true,
    text: `${before}\n# ${n.other}'s laptop uplink\niface wlan0 inet dhcp\n    wpa-ssid home\n    wpa-psk ${SECRETS[0]}\n    wpa-passphrase ${SECRETS[1]}\n`,
  };
  return snap;
}

const NOW = new Date('2026-01-01T00:00:00.000Z');

/** What leaves the host for this planted record: the snapshot qnet writes, the report redacted and not. */
async function render(snap: SnapshotFile) {
  const caching = new CachingHost(new SnapshotHost(snap.reads));
  const user = snap.options?.user ?? (snap.host.user as string | undefined);
  const ctx = await createContext({ host: caching, invoker: snap.invoker, user, source: 'live', guest: snap.options?.guest });
  const recorded = (snap.results ?? []) as Result[];
  const checks = ALL_CHECKS.filter((c) => recorded.some((r) => r.id === c.id));
  const report = await doctor(ctx, checks);
  const reads = await caching.records();
  // What `qnet snapshot` writes: the live findings and the reads, redacted.
  const written = redactSnapshot({ ...snap, host: { ...report.host }, results: report.results, reads }, identityUses(ctx));
  return {
    liveResults: JSON.stringify(report.results),
    snapshot: JSON.stringify(written),
    // The clock is fixed: the two renderings of a fixture (names that are words, unique names) must be identical.
    redacted: await buildReport({ ctx, checks, report, reads }, { redact: true, now: NOW }),
    plain: await buildReport({ ctx, checks, report, reads }, { redact: false, now: NOW }),
  };
}

/** A report without the line saying whether it is redacted, and without the encoded snapshot. */
const prose = (md: string) => md.replace(/^- redaction: .*$/m, '').replace(/-----BEGIN QNET SNAPSHOT-----[\s\S]*?-----END QNET SNAPSHOT-----/g, '');
/** Fenced code blocks (fix previews: commands and file diffs), as lists of lines. */
function blocks(md: string): string[][] {
  const out: string[][] = [];
  let open: { fence: string; info: string; lines: string[] } | undefined;
  for (const line of md.split('\n')) {
    if (open) {
      if (line === open.fence) {
        if (open.info !== 'mermaid' && open.info !== 'qnet-snapshot') out.push(open.lines);
        open = undefined;
      } else open.lines.push(line);
      continue;
    }
    const m = /^(`{3,})(.*)$/.exec(line);
    if (m) open = { fence: m[1]!, info: m[2]!.trim(), lines: [] };
  }
  return out;
}
/** The words of a text outside code blocks, addresses (anything with two colons: IPv6, MACs) left out. */
const words = (s: string) => new Set(prose(s).replace(/^(`{3,}).*\n[\s\S]*?\n\1$/gm, '').replace(/[\w.]*:[\w.]*:[\w.:]*/g, ' ').match(/[A-Za-z]{3,}/g) ?? []);
/** A comment line of a file in a diff (` # …`, `-# …`, `+# …`): a redacted report keeps only its `#`. */
const COMMENT = /^[-+ ]?\s*[#;]/;
const reached = new Map<string, number>();
/** The snapshot a report carries, decoded ('' when it carries none). */
const embedded = (md: string) => (hasEmbedded(md) ? decodeEmbedded(md, 'report') : '');
let carried = 0;

describe('planted secrets and identifiers never leave the host', () => {
  for (const f of files) {
    it(f, async () => {
      const fixture = readFileSync(f, 'utf8');
      const a = await render(plant(fixture, WORDS));
      const b = await render(plant(fixture, UNIQUE));
      for (const out of [a, b]) {
        for (const s of [...SECRETS, ...GECOS]) {
          expect(out.snapshot, `${s} in the snapshot`).not.toContain(s);
          expect(out.redacted, `${s} in the report`).not.toContain(s);
        }
        for (const s of ADDRESSES) expect(out.redacted.toLowerCase(), `${s} in the report`).not.toContain(s.toLowerCase());
        // The snapshot the redacted report carries is redacted the same way: no secret, GECOS, address or MAC.
        const inside = embedded(out.redacted);
        if (inside) carried++;
        for (const s of [...SECRETS, ...GECOS]) expect(inside, `${s} in the report's snapshot`).not.toContain(s);
        for (const s of ADDRESSES) expect(inside.toLowerCase(), `${s} in the report's snapshot`).not.toContain(s.toLowerCase());
      }
      // Not one occurrence of a unique name in the snapshot either.
      expect(embedded(b.redacted)).not.toMatch(/zqx/);
      // Unique names: not a single occurrence is left (in the text; the snapshot is decoded above).
      expect(prose(b.redacted)).not.toMatch(/zqx/);
      // Names that are ordinary words: the report reads exactly as with unique names.
      expect(a.redacted).toBe(b.redacted);
      // Every ordinary word of the unredacted report is still there.
      const kept = words(b.redacted);
      const lost = [...words(b.plain)].filter((w) => !kept.has(w) && !/^zqx/.test(w));
      expect(lost, 'words the redaction lost').toEqual([]);
      // Fix previews (commands, file diffs) read the same, but for comment lines of host files (blanked to
      // their "#") and lines holding a planted identifier (replaced).
      const [pb, rb] = [blocks(b.plain), blocks(b.redacted)];
      expect(rb.length).toBe(pb.length);
      pb.forEach((lines, i) => {
        expect(rb[i]!.length).toBe(lines.length);
        lines.forEach((line, j) => {
          const red = rb[i]![j]!;
          if (COMMENT.test(line) && !line.startsWith('#') && red === line.replace(/^([-+ ]?\s*[#;]).*$/, '$1')) return;
          // Addresses, MACs and the planted names are replaced by pseudonyms.
          if (/zqx|\d+\.\d+\.\d+\.\d+|[0-9a-f]{1,4}(:[0-9a-f]{0,4}){2,}/i.test(line)) return;
          expect(red, `preview line ${j} of block ${i}`).toBe(line);
        });
      });
      for (const s of [...ADDRESSES, ...Object.values(UNIQUE), 'Debian']) if (b.plain.includes(s)) reached.set(s, (reached.get(s) ?? 0) + 1);
      if (b.liveResults.includes(SECRETS[2]!)) reached.set('secret in live findings', (reached.get('secret in live findings') ?? 0) + 1);
    });
  }
  it('the redacted reports carried their snapshots (the checks of what they hold could fail)', () => {
    expect(carried).toBeGreaterThan(files.length);
  });
  it('the planted identifiers did reach the unredacted reports (the test above could fail)', () => {
    for (const s of [ADDRESSES[0]!, ADDRESSES[1]!, ADDRESSES[2]!, ADDRESSES[4]!, UNIQUE.target, UNIQUE.host, UNIQUE.other, 'secret in live findings']) {
      expect(reached.get(s) ?? 0, `${s} never appeared unredacted`).toBeGreaterThan(0);
    }
  });
});
