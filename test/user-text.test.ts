// What a user reads speaks to them: no internal references (the seed write-ups
// qnet was built from, test files, "captured 7.2", the test user of the
// real-kernel scenarios) and no `qnet COMMAND` that does not exist. Checked two
// ways: every string literal in src/ and checks/ (so error messages and help are
// covered wherever they are), and the output of every text producer over every
// recorded host: doctor text, the report (redacted and not), lint of sample
// command lines, explain over the whole catalogue, --help of every command.
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_CHECKS } from '../checks/index.js';
import { lint } from '../src/lint/index.js';
import { buildReport } from '../src/commands/report.js';
import { renderExplain } from '../src/commands/explain.js';
import { createContext } from '../src/session.js';
import { doctor } from '../src/engine.js';
import { CATALOGUE } from '../src/explain/catalogue.js';
import { diagnose } from '../src/explain/diagnose.js';
import { CachingHost, SnapshotHost } from '../src/host/record.js';
import { parseSnapshot } from '../src/host/snapshot-file.js';
import { renderResult, renderText } from '../src/output/text.js';
import pc from 'picocolors';
import { allFixtures, fixturePath } from './helpers/fixtures.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/qnet.js');
const fixtures = allFixtures().map((f) => f.path);

/** Commands named in the contract; `qnet NAME` in user text must name one this build has. */
const CONTRACT_COMMANDS = ['doctor', 'fix', 'setup', 'explain', 'lint', 'report', 'snapshot', 'undo', 'topology'];

/** Internal references in text a user reads (host data may hold anything, so the test user is only looked for in qnet's own strings). */
const INTERNAL: RegExp[] = [/\bseeds?\b/i, /shared\/seeds/, /(?<![\w.-])test\/[\w.-]+|\.test\.[jt]s\b/, /(?<!not )\bcaptured\b(?! in the snapshot)/i];
const TEST_USER = [/\bqnetuser\b/, /\buid 4242\b/];

let commands: string[] = [];
beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/qnet.cjs'))) execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT });
  const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' }).stdout;
  commands = [...help.slice(help.indexOf('Commands:')).matchAll(/^\s{2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
});

function offences(text: string, extra: RegExp[] = []): string[] {
  const out: string[] = [];
  for (const re of [...INTERNAL, ...extra]) {
    const m = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
    for (const hit of text.matchAll(m)) out.push(text.slice(Math.max(0, hit.index - 40), hit.index + 40));
  }
  for (const hit of text.matchAll(/\bqnet ([a-z][a-z-]*)\b/g)) {
    if (CONTRACT_COMMANDS.includes(hit[1]!) && !commands.includes(hit[1]!)) out.push(`${text.slice(Math.max(0, hit.index - 40), hit.index + 40)} (no such command)`);
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every string literal and template text of a TypeScript file (comments excluded). */
function literals(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const walk = (n: ts.Node) => {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) out.push(n.text);
    ts.forEachChild(n, walk);
  };
  walk(sf);
  return out;
}

describe('no internal reference in what users read', () => {
  it('finds the commands of this build', () => expect(commands).toEqual(expect.arrayContaining(['doctor', 'fix', 'report', 'snapshot', 'lint', 'explain', 'undo'])));

  it("qnet's own strings (messages, help, catalogue, findings)", () => {
    const bad: string[] = [];
    for (const f of [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'checks'))]) {
      // Import specifiers are code, not text.
      for (const s of literals(f).filter((x) => !/^\.{1,2}\//.test(x))) for (const o of offences(s, TEST_USER)) bad.push(`${f.slice(ROOT.length)}: ${o}`);
    }
    expect(bad).toEqual([]);
  });

  it('the doctor text and the report, over every recorded host', async () => {
    const bad: string[] = [];
    for (const f of fixtures) {
      const snap = parseSnapshot(readFileSync(f, 'utf8'), f);
      const caching = new CachingHost(new SnapshotHost(snap.reads));
      const ctx = await createContext({ host: caching, invoker: snap.invoker, user: snap.options?.user, source: 'snapshot', guest: snap.options?.guest });
      const report = await doctor(ctx, ALL_CHECKS);
      const texts = [
        await renderText(report, { color: false, verbose: true }),
        await buildReport({ ctx, checks: ALL_CHECKS, report, reads: await caching.records() }, { redact: true }),
        await buildReport({ ctx, checks: ALL_CHECKS, report, reads: await caching.records() }, { redact: false }),
      ];
      for (const t of texts) for (const o of offences(t)) bad.push(`${f}: ${o}`);
    }
    expect(bad).toEqual([]);
  });

  it('lint of sample command lines, on several recorded hosts', async () => {
    const lines = [
      ['qemu-kvm', '-net', 'nic,vlan=0,macaddr=52:54:00:12:34:01', '-net', 'tap,vlan=0,ifname=tap0'],
      ['qemu-system-x86_64', '-netdev', 'tap,fd=22,id=hostnet0,vhost=on,vhostfd=23', '-device', 'virtio-net-pci,netdev=hostnet0'],
      ['qemu-system-x86_64', '-netdev', 'user,id=u,hostfwd=tcp::80-:22', '-device', 'e1000,netdev=u'],
      ['qemu-system-x86_64', '-netdev', 'tap,id=n0,ifname=tap0,script=/tmp/nope.sh', '-device', 'e1000,netdev=n0'],
      ['qemu-system-x86_64', '-netdev', 'bridge,id=n0,br=br0', '-device', 'virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56'],
      ['qemu-system-x86_64', '-netdev', 'tap,br=brnm0,helper=/usr/lib/qemu/qemu-bridge-helper-suid,id=net0', '-device', 'usb-net,netdev=net0'],
      ['./linux', 'ubd0=root.img', 'eth0=tuntap,tap0,52:54:00:4e:10:01', 'eth1=tuntap,,,192.168.0.254'],
    ];
    const bad: string[] = [];
    for (const f of ['tun-0600', 'acl-allow-br0', 'tap-busy', 'helper-not-setuid', 'ifup-missing']) {
      const snap = parseSnapshot(readFileSync(fixturePath(f), 'utf8'), f);
      // What lint reads for hostfwd= on a live host (the recordings were made by the doctor, which does not).
      snap.reads['file /proc/sys/net/ipv4/ip_unprivileged_port_start'] ??= { ok: true, text: '1024\n' };
      for (const argv of lines) {
        const ctx = await createContext({ host: new SnapshotHost(snap.reads), invoker: snap.invoker, user: snap.options?.user, source: 'snapshot' });
        const r = await lint(ctx, argv);
        const text = r.results.flatMap((x) => renderResult(x, pc.createColors(false), true)).join('\n');
        for (const o of offences(text)) bad.push(`${f} ${argv.join(' ')}: ${o}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('explain, over every message of the catalogue', () => {
    const bad: string[] = [];
    for (const e of CATALOGUE) {
      const text = renderExplain(diagnose(e.message), [], { color: false });
      for (const o of offences(text, TEST_USER)) bad.push(`${e.id}: ${o}`);
    }
    expect(bad).toEqual([]);
  });

  it('--help of qnet and of every command', () => {
    const bad: string[] = [];
    for (const args of [['--help'], ...commands.map((c) => [c, '--help'])]) {
      const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, args.join(' ')).toBe(0);
      for (const o of offences(r.stdout + r.stderr, TEST_USER)) bad.push(`${args.join(' ')}: ${o}`);
    }
    expect(bad).toEqual([]);
  });
});
