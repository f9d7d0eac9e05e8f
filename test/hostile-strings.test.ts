// Host data is hostile until shown safely. Property: put random strings, with
// control characters (ESC sequences, BEL, CR, C1, bidi overrides), quotes and
// shell metacharacters, into every string field of a recorded host (bridge and
// tap names, the judged user and tap owner, host name, os-release, kernel
// release, config file lines, a VM's command line) and replay it through the
// real SnapshotHost. Then:
// - the doctor's text (with and without colour), the report's Markdown (redacted
//   and not) and lint's output hold no raw control character, apart from the
//   renderer's own line breaks (and, in colour, its own SGR sequences);
// - every command a fix would run, as the preview shows it, gives back exactly
//   its argv through a real shell, and is shown verbatim in the doctor's text.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { ALL_CHECKS } from '../checks/index.js';
import { lint } from '../src/lint/index.js';
import { buildReport } from '../src/commands/report.js';
import { createContext } from '../src/session.js';
import { doctor, runChecksWithPlans } from '../src/engine.js';
import { previewAction } from '../src/fixes/preview.js';
import { CachingHost, SnapshotHost, type ReadRecord } from '../src/host/record.js';
import { parseSnapshot } from '../src/host/snapshot-file.js';
import { renderResult, renderText } from '../src/output/text.js';
import { UsageError } from '../src/errors.js';
import { fixturePath } from './helpers/fixtures.js';

const BASES = ['tap-not-on-its-bridge.json', 'tap-busy.json', 'acl-allow-br0.json', 'tun-0600.json', 'ifname-eth0-vs-enp0s3.json', 'mac-explicit-same.json'];

/** A raw control character: C0 (line feed aside), DEL, C1, and the invisible format characters. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/;
const SGR = /\x1b\[[0-9;]*m/g;

const nasty = fc.constantFrom(
  '\x1b]0;pwned\x07', '\x1b[2J', '\x1b[31m', '\r', '\t', '\n', '\x00', '\x07', '\x7f', '\u009b', '\u0085', '\u202e', '\u200b',
  "'", '"', '`', '$(id)', '${IFS}', ';', '|', '&', '<', '>', '\\', '*', '?', '~', '#', ' ', ',', '=', ':', '/',
);
const piece = fc.oneof(nasty, fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 4 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }));
const hostile = (max: number) => fc.array(piece, { minLength: 1, maxLength: max }).map((p) => p.join(''));
/** A user name that /etc/passwd can still hold (no ':' or line break), otherwise anything. */
const userName = hostile(4).map((s) => `u${s.replace(/[:\n\r\0]/g, '')}`);

interface Planted {
  base: string;
  bridge: string;
  tap: string;
  user: string;
  host: string;
  distro: string;
  kernel: string;
  line: string;
  arg: string;
}

function replaceAll(s: string, map: [string, string][]): string {
  let out = s;
  for (const [a, b] of map) out = out.split(a).join(b);
  return out;
}

/** Deep replacement in a JSON value (strings and keys). */
function replaceJson(v: unknown, map: [string, string][]): unknown {
  if (typeof v === 'string') return replaceAll(v, map);
  if (Array.isArray(v)) return v.map((x) => replaceJson(x, map));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [replaceAll(k, map), replaceJson(x, map)]));
  return v;
}

/** The base host with br0, tap0 and the test user renamed, and hostile host name, os-release, kernel, config lines and VM argument. */
function hostRecord(p: Planted) {
  const snap = parseSnapshot(readFileSync(fixturePath(p.base.replace(/\.json$/, '')), 'utf8'), p.base);
  const map: [string, string][] = [['qnetuser', p.user], ['br0', p.bridge], ['tap0', p.tap]];
  const reads: Record<string, ReadRecord> = {};
  for (const [key, rec] of Object.entries(snap.reads)) {
    let k: string;
    if (key.startsWith('exec ')) k = `exec ${JSON.stringify(replaceJson(JSON.parse(key.slice(5)), map))}`;
    else k = replaceAll(key, map);
    let r: ReadRecord = rec;
    if (rec.ok && 'exec' in rec) {
      let stdout: string;
      try {
        stdout = JSON.stringify(replaceJson(JSON.parse(rec.exec.stdout), map));
      } catch {
        stdout = replaceAll(rec.exec.stdout, map);
      }
      r = { ok: true, exec: { ...rec.exec, stdout, stderr: replaceAll(rec.exec.stderr, map) } };
    } else if (rec.ok && 'text' in rec) r = { ok: true, text: replaceAll(rec.text, map) };
    else if (rec.ok && 'argv' in rec) r = { ok: true, argv: rec.argv.map((a) => replaceAll(a, map)) };
    else if (rec.ok && 'entries' in rec) r = { ok: true, entries: rec.entries.map((a) => replaceAll(a, map)) };
    else if (rec.ok && 'target' in rec) r = { ok: true, target: replaceAll(rec.target, map) };
    reads[k] = r;
  }
  reads['file /proc/sys/kernel/hostname'] = { ok: true, text: `${p.host}\n` };
  reads['file /proc/sys/kernel/osrelease'] = { ok: true, text: `${p.kernel}\n` };
  reads['file /etc/os-release'] = { ok: true, text: `PRETTY_NAME="${p.distro}"\nNAME=${p.distro}\n` };
  for (const f of ['/etc/network/interfaces', '/etc/qemu/bridge.conf']) {
    const r = reads[`file ${f}`];
    reads[`file ${f}`] = { ok: true, text: `${r?.ok && 'text' in r ? r.text : ''}${p.line}\nallow ${p.bridge}\niface ${p.bridge} inet manual\n  bridge_ports ${p.tap}\n` };
  }
  for (const [k, r] of Object.entries(reads)) {
    if (/cmdline$/.test(k) && r.ok && 'argv' in r && r.argv.length) reads[k] = { ok: true, argv: [...r.argv, '-name', p.arg, '-netdev', `tap,id=x,ifname=${p.tap}`] };
  }
  return { snap, reads, user: p.user };
}

function assertNoRaw(what: string, text: string): void {
  const m = RAW.exec(text);
  expect(m, `${what} holds a raw U+${m ? m[0].codePointAt(0)!.toString(16).padStart(4, '0') : ''} near ${JSON.stringify(m ? text.slice(Math.max(0, m.index - 30), m.index + 30) : '')}`).toBeNull();
}

/** What a real shell gives back for a command as shown. */
function shellWords(shown: string): string[] {
  const out = execFileSync('bash', ['-c', `printf '%s\\0' ${shown}`]).toString('utf8');
  return out.split('\0').slice(0, -1);
}

const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('utf8');

describe('hostile strings in every field of a host record', () => {
  it('never reach the terminal or the Markdown raw, and commands stay exact', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          base: fc.constantFrom(...BASES),
          bridge: hostile(5).map((s) => `b${s}`),
          tap: hostile(5).map((s) => `t${s}`),
          user: userName,
          host: hostile(6),
          distro: hostile(6),
          kernel: hostile(4),
          line: hostile(8),
          arg: hostile(6),
        }),
        async (p) => {
          const { snap, reads, user } = hostRecord(p);
          const caching = new CachingHost(new SnapshotHost(reads));
          let ctx;
          let report;
          try {
            ctx = await createContext({ host: caching, invoker: snap.invoker, user, source: 'snapshot', guest: snap.options?.guest });
            report = await doctor(ctx, ALL_CHECKS);
          } catch (err) {
            // A user the record cannot resolve: the CLI prints this one line, made visible.
            if (!(err instanceof UsageError)) throw err;
            const { visible } = await import('../src/output/safe.js');
            assertNoRaw('the error line', visible(err.message));
            return;
          }
          assertNoRaw('doctor text', await renderText(report, { color: false, verbose: true }));
          assertNoRaw('doctor text in colour (own SGR aside)', (await renderText(report, { color: true, verbose: true })).replace(SGR, ''));
          const recs = await caching.records();
          for (const redact of [true, false]) assertNoRaw(`report (redact ${redact})`, await buildReport({ ctx, checks: ALL_CHECKS, report, reads: recs }, { redact }));

          const lintCtx = await createContext({ host: new SnapshotHost(reads), invoker: snap.invoker, user, source: 'snapshot' });
          const argv = ['qemu-system-x86_64', '-name', p.arg, '-netdev', `tap,id=n0,ifname=${p.tap},script=no,downscript=no`, '-netdev', `bridge,id=n1,br=${p.bridge}`, '-device', `e1000,netdev=n0,mac=52:54:00:12:34:56`];
          try {
            const lr = await lint(lintCtx, argv);
            assertNoRaw('lint', lr.results.flatMap((r) => renderResult(r, pc.createColors(false), true)).join('\n'));
          } catch (err) {
            if (!(err instanceof UsageError)) throw err;
          }

          // Every command a fix would run: shown exactly (a real shell gives back the argv) and verbatim in the text.
          const text = await renderText(report, { color: false, verbose: true });
          const planCtx = await createContext({ host: new SnapshotHost(reads), invoker: snap.invoker, user, source: 'snapshot', guest: snap.options?.guest });
          for (const o of await runChecksWithPlans(planCtx, ALL_CHECKS)) {
            if (o.result.status === 'pass') continue;
            for (const plan of o.plans) {
              for (const a of plan.actions) {
                if (a.kind !== 'run' || a.argv.some((x) => x.includes('\0'))) continue;
                const shown = (await previewAction(planCtx, a)).replace(/ {4}# .*$/, '');
                expect(shellWords(shown)).toEqual(a.argv.map(utf8));
                expect(text).toContain(shown);
              }
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});
