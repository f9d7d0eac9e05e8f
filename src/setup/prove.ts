// Setup's proof: the doctor, run afresh for the target user, is green for what
// was built; and the real QEMU network backend starts as that user with the
// exact options printed (QEMU frozen with -S, told to quit over QMP).
import { spawn } from 'node:child_process';
import { ALL_CHECKS } from '../../checks/index.js';
import { liveInvoker } from '../context.js';
import { createContext } from '../session.js';
import { runChecks } from '../engine.js';
import { showArgv } from '../output/shell.js';
import { LiveHost } from '../host/live.js';
import { CachingHost } from '../host/record.js';
import type { Result } from '../types.js';
import type { Observation } from './observe.js';
import type { SetupPlan } from './types.js';

export interface ProofLine {
  what: string;
  ok: boolean;
  said: string;
}

export interface Proof {
  ok: boolean;
  lines: ProofLine[];
  results: Result[];
}

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

const QMP = '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n';

function machineArgs(): string[] | undefined {
  if (process.arch === 'x64' || process.arch === 'ia32') return ['-M', 'pc'];
  if (process.arch === 'arm64' || process.arch === 'arm') return ['-M', 'virt'];
  return undefined;
}

/** Runs argv as `uid` (with its groups from /etc/group, as a fresh login gets them). */
function asUser(obs: Observation, argv: string[]): string[] {
  if (obs.user.uid === 0 || !obs.root) return argv;
  if (!obs.tools.setpriv) return argv;
  return ['setpriv', `--reuid=${obs.user.uid}`, `--regid=${obs.user.gid}`, '--init-groups', '--reset-env', ...argv];
}

function runQemu(argv: string[], timeoutMs = 20_000): Promise<{ started: boolean; said: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], cwd: '/', env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ started: false, said: e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const started = code === 0 && /"event": ?"SHUTDOWN"/.test(out);
      const msg = err.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
      resolve({ started, said: started ? 'started its network backend' : `failed (${signal ?? `exit ${code}`})${msg ? `: ${msg}` : ''}` });
    });
    child.stdin.end(QMP);
  });
}

export async function prove(plan: SetupPlan, obs: Observation): Promise<Proof> {
  const lines: ProofLine[] = [];
  // 1. the doctor, for the target user, on a fresh read of the host
  const ctx = await createContext({ host: new CachingHost(new LiveHost()), invoker: liveInvoker(), user: plan.user, source: 'live' });
  const checks = ALL_CHECKS.filter((c) => plan.checks.includes(c.id));
  const results = await runChecks(ctx, checks);
  for (const r of results) {
    if (r.status === 'skip' || r.status === 'pass') continue;
    lines.push({ what: `doctor: ${r.id}`, ok: r.status === 'warn', said: `${r.status}: ${r.summary}` });
  }
  const bad = results.filter((r) => r.status === 'fail' || r.status === 'error');
  lines.unshift({
    what: `doctor for ${plan.user}`,
    ok: !bad.length,
    said: bad.length
      ? `${bad.map((r) => r.id).join(', ')} failing`
      : `${count(results.filter((r) => r.status === 'pass').length, 'check passes', 'checks pass')}, ${results.filter((r) => r.status === 'warn').length} ${results.filter((r) => r.status === 'warn').length === 1 ? 'warns' : 'warn'}, none fails (${plan.checks.join(', ')})`,
  });

  // 2. QEMU's network backend as the user, with the printed options
  const machine = machineArgs();
  for (const vm of plan.vms) {
    const qargs = vm.qemuArgs ?? (vm.tap ? ['-netdev', `tap,id=n0,ifname=${vm.tap},script=no,downscript=no`, '-device', `virtio-net-pci,netdev=n0,mac=${vm.mac}`] : undefined);
    if (!qargs) continue;
    const what = vm.umlArgs ? `${vm.name}: ${plan.user} attaches to ${vm.tap} (QEMU opening the tap as UML would)` : `${vm.name}: QEMU as ${plan.user} with ${showArgv(qargs)}`;
    if (!obs.tools.qemu) {
      lines.push({ what, ok: Boolean(vm.umlArgs), said: vm.umlArgs ? 'not run: no qemu-system-* here; the doctor above judged the tap' : 'no qemu-system-* binary is installed, so the options cannot be tried' });
      continue;
    }
    const args = machine ? qargs : qargs.filter((_, i) => qargs[i] !== '-device' && qargs[i - 1] !== '-device');
    const argv = asUser(obs, [obs.tools.qemu, ...(machine ?? ['-M', 'none']), '-nodefaults', '-display', 'none', '-S', '-no-user-config', '-qmp', 'stdio', ...args]);
    const r = await runQemu(argv);
    lines.push({ what, ok: r.started, said: r.said });
  }
  return { ok: lines.every((l) => l.ok), lines, results };
}
