// `qnet doctor --format prom`: Prometheus text exposition for node_exporter's
// textfile collector. Judged by Prometheus' own promtool (Debian's `prometheus`
// package) over every recorded host and a live run, and by a reader of the
// exposition format written here from its specification for hostile label values.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeLabelValue, renderProm, suggestFormat } from '../src/output/prom.js';
import type { DoctorReport, Result, Status } from '../src/types.js';
import { allFixtures, fixturePath } from './helpers/fixtures.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/qnet.js');
const STATUSES: Status[] = ['pass', 'warn', 'fail', 'skip', 'error'];

const promtool = spawnSync('promtool', ['--version']).status === 0;
const whyNoPromtool = promtool ? '' : "promtool is not installed (Debian package 'prometheus')";
if (whyNoPromtool) console.log(`promtool checks skipped: ${whyNoPromtool}`);

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/qnet.cjs'))) execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(input ?? '');
  });
}

const qnet = (args: string[]) => run(process.execPath, [BIN, ...args]);

/** promtool check metrics reads the exposition on stdin; clean output means no parse or lint problem. */
async function promtoolCheck(text: string): Promise<Run> {
  return run('promtool', ['check', 'metrics'], text);
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: string;
}

/**
 * A strict reader of one sample line, written from the text format's specification:
 * label values are double-quoted, with \\, \" and \n the only escapes.
 */
function parseSample(line: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (!m) throw new Error(`no metric name: ${line}`);
  const name = m[1]!;
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(i));
      if (!lm) throw new Error(`bad label at ${i}: ${line}`);
      i += lm[0].length;
      let v = '';
      for (;;) {
        const c = line[i++];
        if (c === undefined) throw new Error(`unterminated label value: ${line}`);
        if (c === '"') break;
        if (c === '\\') {
          const e = line[i++];
          if (e === '\\') v += '\\';
          else if (e === '"') v += '"';
          else if (e === 'n') v += '\n';
          else throw new Error(`invalid escape \\${e}: ${line}`);
        } else v += c;
      }
      if (lm[1]! in labels) throw new Error(`label ${lm[1]} twice: ${line}`);
      labels[lm[1]!] = v;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new Error(`expected , or } at ${i}: ${line}`);
    }
    i++;
  }
  const rest = line.slice(i);
  const vm = /^ (\S+)$/.exec(rest);
  if (!vm) throw new Error(`bad value part ${JSON.stringify(rest)}: ${line}`);
  return { name, labels, value: vm[1]! };
}

function samples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map(parseSample);
}

/** The check statuses the exposition claims, from the series whose value is 1. */
function statusesOf(text: string): Map<string, { area: string; statuses: Record<string, string> }> {
  const out = new Map<string, { area: string; statuses: Record<string, string> }>();
  for (const s of samples(text).filter((x) => x.name === 'qnet_check_status')) {
    const c = s.labels.check!;
    const e = out.get(c) ?? { area: s.labels.area!, statuses: {} };
    expect(e.area).toBe(s.labels.area);
    expect(e.statuses[s.labels.status!], `${c}/${s.labels.status} appears twice`).toBeUndefined();
    e.statuses[s.labels.status!] = s.value;
    out.set(c, e);
  }
  return out;
}

/** Every check has one series per status, exactly one of them 1; returns check → status. */
function oneHot(text: string): Record<string, { area: string; status: string }> {
  const out: Record<string, { area: string; status: string }> = {};
  for (const [check, { area, statuses }] of statusesOf(text)) {
    expect(Object.keys(statuses).sort()).toEqual([...STATUSES].sort());
    const on = Object.entries(statuses).filter(([, v]) => v === '1');
    expect(on, `${check}: exactly one status is 1`).toHaveLength(1);
    expect(Object.values(statuses).every((v) => v === '0' || v === '1')).toBe(true);
    out[check] = { area, status: on[0]![0] };
  }
  return out;
}

const jsonVerdicts = (doc: { results: Result[] }) => Object.fromEntries(doc.results.map((r) => [r.id, { area: r.area, status: r.status }]));

function report(results: Partial<Result>[], qnetVersion = '0.1.0'): DoctorReport {
  return {
    schema: 'qnet.doctor/v1',
    qnet: qnetVersion,
    host: { hostname: 'h', kernel: 'k', distro: 'd', user: 'u', uid: 1000, groups: [], euid: 1000, guest: false, source: 'live' },
    summary: { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 },
    results: results.map((r) => ({ id: 'kvm', area: 'kernel', title: 't', status: 'pass', summary: 's', evidence: [], fixes: [], durationMs: 1, ...r }) as Result),
  };
}

describe('renderProm', () => {
  it('writes one series per check and status, 1 for the status the check has', () => {
    const text = renderProm(
      report([
        { id: 'tun-perms', area: 'kernel', status: 'fail' },
        { id: 'bridge-state', area: 'bridge', status: 'warn' },
        { id: 'guest-route', area: 'guest', status: 'skip' },
        { id: 'kvm', area: 'kernel', status: 'error' },
      ]),
      { durationMs: 1234.5678, finishedAt: 1_790_000_000_123 },
    );
    expect(oneHot(text)).toEqual({
      'tun-perms': { area: 'kernel', status: 'fail' },
      'bridge-state': { area: 'bridge', status: 'warn' },
      'guest-route': { area: 'guest', status: 'skip' },
      kvm: { area: 'kernel', status: 'error' },
    });
    expect(text).toContain('qnet_check_status{check="tun-perms",area="kernel",status="fail"} 1\n');
    const byName = (n: string) => samples(text).filter((s) => s.name === n);
    expect(byName('qnet_info')).toEqual([{ name: 'qnet_info', labels: { version: '0.1.0' }, value: '1' }]);
    expect(byName('qnet_doctor_duration_seconds')).toEqual([{ name: 'qnet_doctor_duration_seconds', labels: {}, value: '1.234568' }]);
    expect(byName('qnet_doctor_last_run_timestamp_seconds')).toEqual([{ name: 'qnet_doctor_last_run_timestamp_seconds', labels: {}, value: '1790000000.123' }]);
  });

  it('keeps each metric family together under its own HELP and TYPE, every family a gauge', () => {
    const text = renderProm(report([{ id: 'kvm' }, { id: 'tun-perms' }]), { durationMs: 3, finishedAt: 0 });
    const families: string[] = [];
    for (const line of text.trimEnd().split('\n')) {
      const name = line.startsWith('# ') ? line.split(' ')[2]! : parseSample(line).name;
      if (families.at(-1) !== name) families.push(name);
    }
    // A family that came back after another one started would appear twice here.
    expect(families).toEqual(['qnet_check_status', 'qnet_info', 'qnet_doctor_duration_seconds', 'qnet_doctor_last_run_timestamp_seconds']);
    expect(text.match(/^# TYPE \S+ gauge$/gm)).toHaveLength(4);
    expect(text.match(/^# HELP /gm)).toHaveLength(4);
  });
});

// Label values come from qnet's own vocabularies today; these hostile strings stand in for
// whatever may end up in a label later (an interface name, a version from a build system).
const HOSTILE = [
  'a"b',
  'back\\slash',
  'trailing\\',
  'new\nline',
  '"} 1\nqnet_injected 1\n# x',
  'a,b="c"',
  '{}=,',
  'tab\there',
  'esc\x1b[31mred',
  'cr\rreturn',
  'nul\0byte',
  'del\x7f c1\x85',
  'line\u2028sep',
  'ünïcødé ✔ 网络',
  '\\n is not a newline',
  '\\"',
  '',
];

/** What a reader gets back: the string itself, control characters written visibly as \xNN / \uNNNN. */
const visibly = (s: string) =>
  s.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const n = c.charCodeAt(0);
    return n > 0xff ? `\\u${n.toString(16).padStart(4, '0')}` : `\\x${n.toString(16).padStart(2, '0')}`;
  });

describe('hostile label values', () => {
  const hostileReport = (v: string) => report([{ id: v as Result['id'], area: v as Result['area'], status: 'fail' }], v);

  for (const v of HOSTILE) {
    it(`round-trips ${JSON.stringify(v)} and cannot add or break a line`, () => {
      const text = renderProm(hostileReport(v), { durationMs: 1, finishedAt: 0 });
      // 4 families × (HELP + TYPE), 5 status series, info, duration, timestamp.
      expect(text.split('\n').filter(Boolean)).toHaveLength(8 + 5 + 3);
      expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
      const ss = samples(text);
      expect(ss.map((s) => s.name)).not.toContain('qnet_injected');
      for (const s of ss.filter((x) => x.name === 'qnet_check_status')) {
        expect(s.labels.check).toBe(visibly(v));
        expect(s.labels.area).toBe(visibly(v));
      }
      expect(ss.find((s) => s.name === 'qnet_info')!.labels.version).toBe(visibly(v));
    });
  }

  it('escapes exactly the three characters the format escapes', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeLabelValue('plain-value_1.2')).toBe('plain-value_1.2');
    expect(escapeLabelValue('\x1b')).toBe('\\\\x1b');
  });

  it.skipIf(!promtool)('promtool accepts every hostile value as written', async () => {
    for (const v of HOSTILE) {
      const r = await promtoolCheck(renderProm(hostileReport(v), { durationMs: 1, finishedAt: 0 }));
      expect({ v, ...r }).toEqual({ v, code: 0, stdout: '', stderr: '' });
    }
  });

  it.skipIf(!promtool)('promtool is a judge that can fail: unescaped values are rejected', async () => {
    const text = renderProm(report([{ id: 'kvm' }]), { durationMs: 1, finishedAt: 0 });
    for (const bad of ['a"b', 'tab\\tescape']) {
      const r = await promtoolCheck(text.replace('check="kvm"', `check="${bad}"`));
      expect(r.code).not.toBe(0);
    }
  });
});

describe('suggestFormat', () => {
  it.each([
    ['promethus', 'prom'],
    ['prometheus', 'prom'],
    ['PROM', 'prom'],
    ['jsn', 'json'],
    ['txt', 'text'],
    ['yaml', undefined],
    ['', undefined],
  ])('%j → %s', (given, want) => expect(suggestFormat(given)).toBe(want));
});

describe('qnet doctor --format', () => {
  it('unknown format: exit 2, one line, with a suggestion and the choices', async () => {
    const r = await qnet(['doctor', '--format', 'promethus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('qnet: unknown --format "promethus" (did you mean prom?); choose text, json, prom\n');
  });
  it('a format with control characters is shown visibly, not raw', async () => {
    const r = await qnet(['doctor', '--format', 'x\x1b[2Jy']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toContain('\x1b');
  });
  it('--json with another --format is a usage error', async () => {
    const r = await qnet(['doctor', '--json', '--format', 'prom']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^qnet: --json and --format prom ask for different outputs/);
  });
  it('--format json is --json', async () => {
    const fixture = fixturePath('tun-0600');
    const strip = (s: string) => JSON.parse(s).results.map(({ durationMs: _d, ...r }: Result) => r);
    const [a, b] = await Promise.all([qnet(['doctor', '--snapshot', fixture, '--format', 'json']), qnet(['doctor', '--snapshot', fixture, '--json'])]);
    expect(a.code).toBe(b.code);
    expect(strip(a.stdout)).toEqual(strip(b.stdout));
  });
});

const fixtures = allFixtures().map((f) => f.path);

/** Runs prom and JSON on the same input and compares: same verdicts, same exit code, promtool clean. */
async function agree(args: string[]): Promise<void> {
  const [prom, json] = await Promise.all([qnet(['doctor', ...args, '--format', 'prom']), qnet(['doctor', ...args, '--json'])]);
  expect(prom.stderr).toBe(json.stderr);
  expect([0, 1]).toContain(prom.code);
  expect(prom.code).toBe(json.code);
  const doc = JSON.parse(json.stdout) as DoctorReport;
  expect(oneHot(prom.stdout)).toEqual(jsonVerdicts(doc));
  expect(samples(prom.stdout).find((s) => s.name === 'qnet_info')!.labels.version).toBe(doc.qnet);
  const duration = Number(samples(prom.stdout).find((s) => s.name === 'qnet_doctor_duration_seconds')!.value);
  expect(duration).toBeGreaterThan(0);
  expect(duration).toBeLessThan(120);
  const ts = Number(samples(prom.stdout).find((s) => s.name === 'qnet_doctor_last_run_timestamp_seconds')!.value);
  expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(300);
  if (promtool) {
    const check = await promtoolCheck(prom.stdout);
    expect({ args, ...check }).toEqual({ args, code: 0, stdout: '', stderr: '' });
  }
}

describe(`qnet doctor --format prom${whyNoPromtool ? ` (promtool skipped: ${whyNoPromtool})` : ''}`, () => {
  it('has fixtures to replay', () => expect(fixtures.length).toBeGreaterThan(20));

  it('every recorded host (replayed with --snapshot): verdicts and exit code as --json, and promtool-clean', async () => {
    const queue = [...fixtures];
    const worker = async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        try {
          await agree(['--snapshot', f]);
        } catch (err) {
          throw new Error(`${f}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all([worker(), worker()]);
  }, 300_000);

  it('a live run on this machine', async () => {
    await agree([]);
  });
});

// examples/prometheus: the timer's and the cron line's command, run as written (the
// textfile directory pointed at a temp dir, `qnet` a shim on PATH that starts this checkout).
const EXAMPLES = join(ROOT, 'examples/prometheus');
const TEXTFILE_DIR = '/var/lib/prometheus/node-exporter';

/** The shell command of each example job, with the textfile directory replaced. */
function jobs(dir: string): [string, string][] {
  const unit = readFileSync(join(EXAMPLES, 'qnet-textfile.service'), 'utf8');
  const exec = /^ExecStart=\/bin\/sh -c '(.*)'$/m.exec(unit);
  if (!exec) throw new Error('no ExecStart=/bin/sh -c in qnet-textfile.service');
  const cron = readFileSync(join(EXAMPLES, 'qnet.cron'), 'utf8');
  const line = /^\S+ \S+ \S+ \S+ \S+ root (.*)$/m.exec(cron);
  if (!line) throw new Error('no job line in qnet.cron');
  // systemd turns $$ into $; cron passes the line to sh as it is.
  return [
    ['systemd unit', exec[1]!.replaceAll('$$', '$').replaceAll(TEXTFILE_DIR, dir)],
    ['cron line', line[1]!.replaceAll(TEXTFILE_DIR, dir)],
  ];
}

describe('examples/prometheus: the jobs that write qnet.prom', () => {
  let tmp = '';
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'qnet-textfile-'));
    mkdirSync(join(tmp, 'bin'));
    // The shim adds $QNET_SHIM_ARGS, so a test can make qnet fail or replay a snapshot.
    writeFileSync(join(tmp, 'bin/qnet'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@" $QNET_SHIM_ARGS\n`, { mode: 0o755 });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const sh = (cmd: string, extra: string) =>
    spawnSync('/bin/sh', ['-c', cmd], { encoding: 'utf8', cwd: '/', env: { ...process.env, PATH: `${join(tmp, 'bin')}:${process.env.PATH}`, QNET_SHIM_ARGS: extra } });

  for (const name of ['systemd unit', 'cron line']) {
    it(`${name}: writes qnet.prom on exit 0 and 1, keeps the last good file on exit 2, leaves no .prom behind`, async () => {
      const dir = mkdtempSync(join(tmp, 'textfile-'));
      const cmd = jobs(dir).find(([n]) => n === name)![1];
      const proms = () => readdirSync(dir).filter((f) => f.endsWith('.prom'));

      // A failing host (qnet exits 1): still a result worth exporting.
      const broken = sh(cmd, `--snapshot ${fixturePath('tun-0600')}`);
      expect(broken.status, broken.stderr).toBe(0);
      expect(proms()).toEqual(['qnet.prom']);
      const first = readFileSync(join(dir, 'qnet.prom'), 'utf8');
      expect(oneHot(first)['tun-perms']?.status).toBe('fail');
      if (promtool) expect((await promtoolCheck(first)).code).toBe(0);

      // qnet cannot run (exit 2): the job fails, the last good file stays as it was.
      const bad = sh(cmd, '--only no-such-check');
      expect(bad.status).not.toBe(0);
      expect(readFileSync(join(dir, 'qnet.prom'), 'utf8')).toBe(first);
      expect(proms()).toEqual(['qnet.prom']);

      // A healthy run (exit 0) replaces it.
      const ok = sh(cmd, `--snapshot ${fixturePath('tun-healthy')}`);
      expect(ok.status, ok.stderr).toBe(0);
      expect(oneHot(readFileSync(join(dir, 'qnet.prom'), 'utf8'))['tun-module']?.status).toBe('pass');
      expect(proms()).toEqual(['qnet.prom']);
    });
  }

  it.skipIf(spawnSync('systemd-analyze', ['--version']).status !== 0)('systemd-analyze verify finds nothing to say about the unit and timer', () => {
    const r = spawnSync('systemd-analyze', ['verify', join(EXAMPLES, 'qnet-textfile.service'), join(EXAMPLES, 'qnet-textfile.timer')], { encoding: 'utf8' });
    expect({ code: r.status, out: r.stdout + r.stderr }).toEqual({ code: 0, out: '' });
  });

  it.skipIf(!promtool)('the alerting rules load, and fire on the series qnet writes for a failing host', async () => {
    const rules = join(EXAMPLES, 'qnet.rules.yml');
    expect((await run('promtool', ['check', 'rules', rules])).code).toBe(0);
    const text = (await qnet(['doctor', '--snapshot', fixturePath('tun-0600'), '--format', 'prom'])).stdout;
    const withInstance = (line: string) => line.replace(/^(\w+)\{(.*)\} (\S+)$/, '$1{$2,instance="vmhost1"} $3');
    const series = text
      .split('\n')
      .filter((l) => l.startsWith('qnet_check_status{'))
      .map((l) => {
        const [, sel, v] = /^(.*) (\S+)$/.exec(withInstance(l))!;
        return { series: sel!, values: `${v}x40` };
      });
    const failing = Object.entries(oneHot(text)).filter(([, v]) => v.status === 'fail' || v.status === 'error');
    expect(failing.length).toBeGreaterThan(0);
    const test = {
      rule_files: [rules],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [...series, { series: 'qnet_doctor_last_run_timestamp_seconds{instance="vmhost1"}', values: '0x60' }],
          alert_rule_test: [
            {
              eval_time: '20m',
              alertname: 'QnetCheckFailing',
              exp_alerts: failing.map(([check, { area, status }]) => ({
                exp_labels: { severity: 'warning', check, area, status, instance: 'vmhost1' },
                exp_annotations: {
                  summary: `qnet check ${check} (${area}) is ${status} on vmhost1`,
                  description: `Run \`qnet doctor\` on the host for the cause and evidence; \`qnet fix ${check}\` proposes the repair.`,
                },
              })),
            },
            { eval_time: '20m', alertname: 'QnetMetricsStale', exp_alerts: [] },
            {
              eval_time: '45m',
              alertname: 'QnetMetricsStale',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', instance: 'vmhost1' },
                  exp_annotations: {
                    summary: 'qnet has not written its metrics on vmhost1 for over 30 minutes',
                    description: 'The qnet-textfile timer or cron job stopped, or qnet exits 2 there (systemctl status qnet-textfile.service).',
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const file = join(tmp, 'rules-test.yml');
    writeFileSync(file, JSON.stringify(test));
    const r = await run('promtool', ['test', 'rules', file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});
