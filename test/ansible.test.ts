// examples/ansible run for real: the playbook and the ad-hoc script against this machine
// (`-c local`), qnet started from this checkout, the gathered table compared with what
// `qnet doctor --json` says directly. Hosts that are healthy, broken, given bad input,
// without qnet, and unreachable (an ssh port on loopback that nothing listens on).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../src/types.js';
import { fixturePath } from './helpers/fixtures.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/qnet.js');
const PLAYBOOK = join(ROOT, 'examples/ansible/qnet-doctor.yml');
const ADHOC = join(ROOT, 'examples/ansible/qnet-adhoc.sh');
const FIXTURE = fixturePath('tun-0600');
/** A recorded host whose check passes. */
const HEALTHY = fixturePath('tun-healthy');

const has = (cmd: string) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd]).status === 0;
const whyNoPlaybook = has('ansible-playbook') ? '' : "ansible-playbook is not installed (Debian package 'ansible-core')";
const whyNoAdhoc = !has('ansible') ? "ansible is not installed (Debian package 'ansible-core')" : !has('jq') ? "jq is not installed (Debian package 'jq')" : '';
if (whyNoPlaybook) console.log(`Ansible playbook tests skipped: ${whyNoPlaybook}`);
if (whyNoAdhoc) console.log(`Ansible ad-hoc tests skipped: ${whyNoAdhoc}`);
const hasSsh = has('ssh');
const hasSudo = has('sudo') && process.getuid?.() === 0;

let dir = '';
beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/qnet.cjs'))) execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT });
  dir = mkdtempSync(join(tmpdir(), 'qnet-ansible-'));
  mkdirSync(join(dir, 'home'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Ansible with its state in our temp dir, no colour, started from there (no stray ansible.cfg). */
function ansible(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, {
    cwd: dir,
    encoding: 'utf8',
    timeout: 180_000,
    env: {
      ...process.env,
      ANSIBLE_HOME: join(dir, 'home'),
      ANSIBLE_LOCAL_TEMP: join(dir, 'home/tmp'),
      ANSIBLE_REMOTE_TMP: join(dir, 'home/remote-tmp'),
      ANSIBLE_SSH_CONTROL_PATH_DIR: join(dir, 'home/cp'),
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_FORCE_COLOR: '',
      ANSIBLE_RETRY_FILES_ENABLED: '0',
      ANSIBLE_HOST_KEY_CHECKING: '0',
      ...env,
    },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function doctor(args: string[]): { code: number | null; doc: DoctorReport } {
  const r = spawnSync(process.execPath, [BIN, 'doctor', '--json', ...args], { encoding: 'utf8' });
  return { code: r.status, doc: JSON.parse(r.stdout) as DoctorReport };
}

const failing = (d: DoctorReport) => d.results.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => r.id);
const warning = (d: DoctorReport) => d.results.filter((r) => r.status === 'warn').map((r) => r.id);

/** PLAY RECAP lines: host → counters. */
function recap(out: string): Record<string, Record<string, number>> {
  const tail = out.slice(out.indexOf('PLAY RECAP'));
  const hosts: Record<string, Record<string, number>> = {};
  for (const m of tail.matchAll(/^(\S+)\s+:\s+(.*)$/gm)) {
    hosts[m[1]!] = Object.fromEntries([...m[2]!.matchAll(/(\w+)=(\d+)/g)].map((c) => [c[1]!, Number(c[2])]));
  }
  return hosts;
}

interface Row {
  host: string;
  rc: number;
  failing: string[];
  warning: string[];
  summary: Record<string, number>;
  problem: string;
}

describe.skipIf(whyNoPlaybook !== '')(`examples/ansible/qnet-doctor.yml${whyNoPlaybook ? ` (skipped: ${whyNoPlaybook})` : ''}`, () => {
  it('ansible-playbook -i localhost, -c local: gathers the JSON of this machine, failing hosts fail', () => {
    const table = join(dir, 'local.json');
    const vars = { qnet_cmd: [process.execPath, BIN], qnet_become: hasSudo, qnet_table_file: table, ansible_python_interpreter: 'auto_silent' };
    const r = ansible('ansible-playbook', ['-i', 'localhost,', '-c', 'local', PLAYBOOK, '-e', JSON.stringify(vars)]);
    const direct = doctor([]);
    const { hosts, unreachable } = JSON.parse(readFileSync(table, 'utf8')) as { hosts: Row[]; unreachable: string[] };
    expect(unreachable).toEqual([]);
    expect(hosts).toEqual([
      { host: 'localhost', rc: direct.code, failing: failing(direct.doc), warning: warning(direct.doc), summary: direct.doc.summary, problem: '' },
    ]);
    // A failing check makes the host fail in the recap, and ansible-playbook exit 2.
    expect(recap(r.out).localhost?.failed, r.out).toBe(direct.code === 0 ? 0 : 1);
    expect(r.code, r.out).toBe(direct.code === 0 ? 0 : 2);
    expect(r.out).toContain(`localhost | ${direct.code} | ${failing(direct.doc).join(', ') || '-'} | ${warning(direct.doc).join(', ') || '-'}`);
  });

  it('an inventory of healthy, broken, unjudged and unreachable hosts: one table, each kind told apart', () => {
    const broken = doctor(['--snapshot', FIXTURE]);
    expect(broken.code).toBe(1);
    const healthy = doctor(['--snapshot', HEALTHY]);
    expect(healthy.code).toBe(0);

    // JSON is YAML: an inventory whose paths need no quoting rules.
    const inventory = {
      local: {
        vars: { ansible_connection: 'local', ansible_python_interpreter: 'auto_silent', qnet_cmd: [process.execPath, BIN], qnet_become: false },
        hosts: {
          healthy: { qnet_args: ['--snapshot', HEALTHY] },
          broken: { qnet_args: ['--snapshot', FIXTURE] },
          'bad-input': { qnet_args: ['--snapshot', join(dir, 'no-such-snapshot.json')] },
          'no-qnet': { qnet_cmd: [join(dir, 'no-such-dir/qnet')] },
        },
      },
      ...(hasSsh ? { far: { hosts: { gone: { ansible_host: '127.0.0.1', ansible_port: 1, ansible_connection: 'ssh', ansible_ssh_common_args: '-o ConnectTimeout=5 -o BatchMode=yes' } } } } : {}),
    };
    writeFileSync(join(dir, 'inventory.yml'), JSON.stringify(inventory));
    const table = join(dir, 'fleet.json');
    const r = ansible('ansible-playbook', ['-i', 'inventory.yml', PLAYBOOK, '-e', JSON.stringify({ qnet_table_file: table })]);
    const got = JSON.parse(readFileSync(table, 'utf8')) as { hosts: Row[]; unreachable: string[] };
    const row = (h: string) => got.hosts.find((x) => x.host === h);

    expect(got.hosts.map((h) => h.host).sort()).toEqual(['bad-input', 'broken', 'healthy', 'no-qnet']);
    expect(got.unreachable).toEqual(hasSsh ? ['gone'] : []);
    expect(row('healthy')).toMatchObject({ rc: 0, failing: [], summary: healthy.doc.summary, problem: '' });
    expect(row('broken')).toMatchObject({ rc: 1, failing: failing(broken.doc), warning: warning(broken.doc), summary: broken.doc.summary, problem: '' });
    expect(row('broken')!.failing).toContain('tun-perms');
    expect(row('bad-input')).toMatchObject({ rc: 2, failing: [] });
    expect(row('bad-input')!.problem).toMatch(/^qnet: cannot read snapshot .*ENOENT/);
    expect(row('no-qnet')!.problem).toMatch(/No such file or directory/);

    const rec = recap(r.out);
    expect(rec.healthy).toMatchObject({ failed: 0, unreachable: 0 });
    for (const h of ['broken', 'bad-input', 'no-qnet']) expect(rec[h], h).toMatchObject({ failed: 1 });
    if (hasSsh) expect(rec.gone).toMatchObject({ unreachable: 1 });
    expect(r.code, r.out).toBe(hasSsh ? 4 : 2);
    expect(r.out).toMatch(/fatal: \[broken\]: FAILED! => .*"msg": "failing checks: tun-perms/);
    expect(r.out).toMatch(/fatal: \[bad-input\]: FAILED! => .*qnet could not judge this host \(exit 2\)/);
    expect(r.out).toContain('"healthy | 0 | - | -"');
  });
});

describe.skipIf(whyNoAdhoc !== '')(`examples/ansible/qnet-adhoc.sh${whyNoAdhoc ? ` (skipped: ${whyNoAdhoc})` : ''}`, () => {
  const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const run = (qnetArgs: string[]) =>
    ansible(ADHOC, ['-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=auto_silent'], {
      QNET: `${sh(process.execPath)} ${sh(BIN)}`,
      QNET_ARGS: qnetArgs.map(sh).join(' '),
    });

  it('a broken host: ansible exits 2, the table names its failing and warning checks', () => {
    const direct = doctor(['--snapshot', FIXTURE]);
    const r = run(['--snapshot', FIXTURE]);
    expect(r.code, r.out).toBe(2);
    const lines = r.out.split('\n');
    expect(lines).toContain('HOST\tEXIT\tFAILING\tWARNING');
    expect(lines).toContain(`localhost\t1\t${failing(direct.doc).join(',')}\t${warning(direct.doc).join(',') || '-'}`);
    // Each host's raw result is kept where the table was read from.
    const kept = readdirSync(dir).filter((f) => f.startsWith('qnet-results.'));
    expect(kept.length).toBeGreaterThan(0);
    for (const k of kept) rmSync(join(dir, k), { recursive: true, force: true });
  });

  it('a healthy host: exit 0; bad input: exit 2 with qnet\'s one-line reason', () => {
    const ok = run(['--snapshot', HEALTHY]);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out.split('\n')).toContain('localhost\t0\t-\t-');
    const bad = run(['--only', 'no-such-check']);
    expect(bad.code, bad.out).toBe(2);
    expect(bad.out).toMatch(/^localhost\t2\tqnet did not run: qnet: unknown check ID "no-such-check"/m);
  });
});
