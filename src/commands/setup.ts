// qnet setup: guided first-time VM networking. Asks (or reads flags), looks at
// the host, shows the whole plan, applies it as one journaled fix set (with
// confirm-or-revert where it can cut the user off), proves it (the doctor for
// the target user, QEMU's network backend started as that user), and prints
// the options to use.
import pc from 'picocolors';
import { ALL_CHECKS } from '../../checks/index.js';
import { liveInvoker, type Context } from '../context.js';
import { visible } from '../output/safe.js';
import { colorFor, openSession } from '../session.js';
import { runChecksWithPlans } from '../engine.js';
import { baseOf, ExecError, Journal, type SetInfo } from '../fixes/executor.js';
import { planUndoability } from '../fixes/undoable.js';
import { previewAction, showArgv } from '../fixes/preview.js';
import { probeHolds } from '../fixes/run.js';
import { renderBackend } from '../setup/backends/index.js';
import { preProbe, tryApply, waitForWatchdog, type TryOutcome } from '../setup/confirm.js';
import { defaultRoute4, observe, type Observation } from '../setup/observe.js';
import { autoBackend, makePlan, type Prereq } from '../setup/plan.js';
import { prove, type Proof } from '../setup/prove.js';
import { recommend } from '../setup/recommend.js';
import { BACKENDS, MODES, Refusal, type Access, type Answers, type Backend, type HostFwd, type Mode, type SetupPlan, type VmKind } from '../setup/types.js';
import type { Action, FixPlan } from '../types.js';
import { UsageError } from '../errors.js';

export interface SetupOptions {
  mode?: string;
  uplink?: string;
  bridge?: string;
  subnet?: string;
  backend?: string;
  user?: string;
  vms?: string;
  vmKind?: string;
  access?: string;
  hostfwd?: string[];
  confirmTimeout?: string;
  keep?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  color?: boolean;
}

type Colors = ReturnType<typeof pc.createColors>;

const SCHEMA = 'qnet.setup/v1';

export function parseHostfwd(s: string): HostFwd {
  const m = /^(tcp|udp):(?:[\d.]*:)?(\d{1,5})-:?(\d{1,5})$/.exec(s.trim());
  if (!m) throw new UsageError(`--hostfwd ${s}: expected tcp:HOSTPORT-:GUESTPORT (e.g. tcp:2222-:22)`);
  const hostPort = Number(m[2]);
  const guestPort = Number(m[3]);
  if (hostPort < 1 || hostPort > 65535 || guestPort < 1 || guestPort > 65535) throw new UsageError(`--hostfwd ${s}: ports are 1-65535`);
  return { proto: m[1] as 'tcp' | 'udp', hostPort, guestPort };
}

function intOpt(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`${name} ${v}: a whole number from ${min} to ${max}`);
  return Number(v);
}

function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`${name} ${v}: one of ${allowed.join(', ')}`);
  return v as T;
}

/** The flags that reproduce these answers (for the sudo hand-off and the "without questions" hint). */
function flagsOf(a: Answers, backendGiven: boolean): string[] {
  const f = ['--mode', a.mode];
  if (a.mode !== 'user') {
    f.push('--bridge', a.bridge);
    if (a.uplink) f.push('--uplink', a.uplink);
    if (a.subnet) f.push('--subnet', a.subnet);
    if (backendGiven || a.backend !== 'auto') f.push('--backend', a.backend);
    f.push('--access', a.access);
  }
  f.push('--user', a.user, '--vms', String(a.vms), '--vm-kind', a.vmKind);
  for (const h of a.hostfwd) f.push('--hostfwd', `${h.proto}:${h.hostPort}-:${h.guestPort}`);
  if (a.confirmTimeoutS !== 120) f.push('--confirm-timeout', String(a.confirmTimeoutS));
  return f;
}

async function ask(obs: Observation, o: SetupOptions, partial: Partial<Answers>): Promise<Partial<Answers>> {
  const { select, input, confirm } = await import('../ui/interactive.js');
  const rec = recommend(obs);
  const out = { ...partial };
  console.log(`\n${rec.summary.map(visible).join('\n')}\n`);
  if (!out.mode) {
    const label: Record<Mode, string> = {
      user: 'user: QEMU\'s own user networking; nothing changes on this host (outgoing TCP/UDP, chosen ports forwarded in)',
      bridge: 'bridge: guests sit on the LAN beside this host and get addresses from its DHCP server',
      isolated: 'isolated: guests reach each other and this host, nothing else',
      nat: 'nat: guests get a private subnet here and reach out through this host\'s address',
    };
    out.mode = await select({
      message: 'What do the VMs need?',
      default: rec.mode,
      choices: MODES.map((m) => ({ name: `${label[m]}${m === rec.mode ? ' (recommended)' : ''}`, value: m, ...(rec.against[m] ? { description: rec.against[m] } : {}) })),
    });
  }
  if (!o.vmKind) {
    out.vmKind = await select({ message: 'Which kind of VM?', choices: [{ name: 'QEMU/KVM', value: 'qemu' as const }, { name: 'User-Mode Linux', value: 'uml' as const }] });
  }
  if (out.mode === 'bridge' && !out.uplink) {
    const nics = obs.links.filter((l) => l.physical && !l.master && l.kind !== 'bridge');
    if (nics.length > 1) {
      out.uplink = await select({
        message: 'Which network card should the bridge use?',
        default: rec.uplink,
        choices: nics.map((l) => ({ name: `${visible(l.name)}${l.wireless ? ' (wireless: cannot be bridged)' : ''}${l.addrs.some((x) => x.family === 4) ? ` (${l.addrs.filter((x) => x.family === 4).map((x) => x.local).join(', ')}: moved to the bridge)` : ' (no address: safest)'}${l.carrier ? '' : ' (no carrier)'}`, value: l.name, disabled: l.wireless })),
      });
    }
  }
  if (out.mode === 'user' && !o.hostfwd?.length) {
    const ports = await input({ message: 'Forward host ports into the guest? (e.g. tcp:2222-:22, several separated by spaces; empty for none)', default: '' });
    out.hostfwd = ports.split(/\s+/).filter(Boolean).map(parseHostfwd);
  }
  if (out.mode !== 'user' && out.vmKind === 'qemu' && !o.access) {
    out.access = await select({
      message: `How should ${obs.user.name}'s QEMU reach the bridge without root?`,
      choices: [
        { name: 'the bridge helper: QEMU makes its own tap (recommended)', value: 'helper' as const, description: 'qemu-bridge-helper with an ACL that allows exactly this bridge' },
        { name: 'persistent taps owned by the user, one per VM, already on the bridge', value: 'taps' as const, description: 'QEMU then uses script=no,downscript=no' },
      ],
    });
  }
  if (!o.vms) {
    const n = await input({ message: 'How many VMs?', default: '1', validate: (v) => (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 64 ? true : 'a number from 1 to 64') });
    out.vms = Number(n);
  }
  void confirm;
  return out;
}

/** Drops actions that are already in place (a re-run with the same answers changes nothing). */
async function pending(plan: SetupPlan): Promise<SetupPlan> {
  const { promises: fs } = process.getBuiltinModule('node:fs');
  const done = async (a: Action): Promise<boolean> => {
    switch (a.kind) {
      case 'run':
        return a.unless ? probeHolds(a.unless) : false;
      case 'sysctl':
        return (await fs.readFile(`/proc/sys/${a.key.replace(/\./g, '/')}`, 'utf8').catch(() => '')).trim() === a.value;
      case 'write-file': {
        const cur = await fs.readFile(a.path).catch(() => undefined);
        const st = await fs.stat(a.path).catch(() => undefined);
        if (cur?.equals(Buffer.from(a.content)) && st && (st.mode & 0o7777) === a.mode) return true;
        // The executor refuses the write if the file changes between this plan and its apply.
        a.base = await baseOf(a.path);
        return false;
      }
      case 'note':
        return true;
      default:
        return false;
    }
  };
  const steps = [];
  for (const s of plan.steps) {
    const keep: Action[] = [];
    for (const a of s.actions) if (!(await done(a))) keep.push(a);
    if (keep.some((a) => a.kind !== 'note')) steps.push({ ...s, actions: s.actions.filter((a) => a.kind === 'note' || keep.includes(a)) });
  }
  return { ...plan, steps };
}

/** Failing checks whose fix setup needs first: tun-module, then the helper's rights or /dev/net/tun. */
async function prereqs(ctx: Context, a: Answers): Promise<Prereq[]> {
  if (a.mode === 'user') return [];
  // The helper opens /dev/net/tun as the user (it keeps only CAP_NET_ADMIN), so tun-perms matters on both routes.
  const ids = ['tun-module', 'tun-perms', ...(a.access === 'helper' ? ['helper-setuid', 'helper-acl'] : [])];
  const outcomes = await runChecksWithPlans(ctx, ALL_CHECKS.filter((c) => ids.includes(c.id)));
  const out: Prereq[] = [];
  for (const id of ids) {
    const o = outcomes.find((x) => x.result.id === id);
    if (!o || o.result.status !== 'fail') continue;
    if (id === 'helper-acl') {
      // setup writes the ACL itself; only its ownership and modes are the check's plan.
      const perm = o.plans.find((p) => p.id === 'helper-acl/permissions');
      if (perm) out.push({ checkId: id, plan: perm });
      continue;
    }
    const plan = o.plans[0];
    if (!plan) throw new Refusal(`${id} fails and qnet has no fix for it: ${o.result.summary}`);
    if (plan.actions.every((x) => x.kind === 'note') || plan.id.endsWith('/install')) {
      throw new Refusal(`${id} fails: ${o.result.summary}. Fix that first (qnet fix ${id} shows how)`);
    }
    out.push({ checkId: id, plan });
  }
  return out;
}

async function printPlan(plan: SetupPlan, c: Colors, backendWhy: string | undefined, ctx: Context): Promise<void> {
  const head = plan.mode === 'user' ? `mode user, for ${plan.user}` : `mode ${plan.mode}, bridge ${plan.bridge}${plan.subnet ? `, subnet ${plan.subnet}` : ''}, backend ${plan.backend}${backendWhy ? ` (${backendWhy})` : ''}, for ${plan.user} (${plan.access === 'helper' ? 'bridge helper' : 'persistent taps'})`;
  console.log(`\n${c.bold('The plan')}: ${visible(head)}`);
  if (!plan.steps.length) console.log(plan.mode === 'user' ? '  Nothing to change on this host.' : c.green('  Already set up as asked: nothing to change.'));
  for (const [i, s] of plan.steps.entries()) {
    console.log(`  ${c.cyan(`${i + 1}.`)} ${visible(s.title)}${s.risky ? c.yellow('  [confirm-or-revert]') : ''}`);
    for (const a of s.actions) {
      for (const line of (await previewAction(ctx, a)).split('\n')) console.log(`       ${line}`);
    }
  }
  if (plan.risky.length && plan.steps.some((s) => s.risky)) {
    console.log(c.yellow(`\n  This can cut you off: it ${visible(plan.risky.join('; '))}.`));
    console.log(c.yellow(`  It is applied like \`netplan try\`: unless it is confirmed in time, and the probe (${visible(plan.probes.map((p) => p.what).join(', ')) || 'none available'}) still answers, everything is rolled back.`));
  }
  for (const n of plan.notes) console.log(`  ${c.dim('•')} ${visible(n)}`);
  console.log(`  ${c.dim('•')} Guests' addresses: ${visible(plan.dhcp ?? 'static, as printed for each VM below')}.`);
}

function vmLines(plan: SetupPlan): string[] {
  const out: string[] = [];
  for (const vm of plan.vms) {
    if (vm.qemuArgs) out.push(`  ${vm.name}: qemu-system-x86_64 … ${showArgv(vm.qemuArgs)}`);
    if (vm.umlArgs) out.push(`  ${vm.name}: linux … ${showArgv(vm.umlArgs)}`);
    if (vm.staticAddr) out.push(`      in the guest: ip addr add ${vm.staticAddr} dev eth0${plan.mode === 'nat' && plan.subnet ? `; ip route add default via ${plan.subnet.split('/')[0]}` : ''}`);
  }
  return out;
}

async function previews(plan: SetupPlan, ctx: Context): Promise<string[][]> {
  const out: string[][] = [];
  for (const s of plan.steps) out.push(await Promise.all(s.actions.map((a) => previewAction(ctx, a))));
  return out;
}

function jsonDoc(plan: SetupPlan, previewOf: string[][], applied: boolean, verified: boolean, undo: string | null, proof: Proof | undefined, extra: Record<string, unknown> = {}) {
  return {
    schema: SCHEMA,
    mode: plan.mode,
    backend: plan.backend,
    bridge: plan.bridge,
    subnet: plan.subnet,
    user: plan.user,
    applied,
    verified,
    undo,
    steps: plan.steps.map((s, i) => ({ title: s.title, preview: previewOf[i] ?? [], ...(s.risky ? { confirmOrRevert: true } : {}) })),
    vms: plan.vms.map((v) => ({ name: v.name, mac: v.mac, ...(v.qemuArgs ? { qemuArgs: v.qemuArgs } : {}), ...(v.umlArgs ? { umlArgs: v.umlArgs } : {}), ...(v.staticAddr ? { address: v.staticAddr } : {}) })),
    ...(proof ? { proof: proof.lines } : {}),
    ...extra,
  };
}

/** The newest applied set that built this network (for `undo` when nothing changed now). */
async function setOf(journal: Journal, plan: SetupPlan): Promise<string | null> {
  const sets = await journal.list().catch(() => [] as SetInfo[]);
  const id = `setup/${plan.mode}-${plan.bridge}`;
  return [...sets].reverse().find((s) => s.state === 'applied' && s.record.fixes.some((f) => f.planId === id))?.record.id ?? null;
}

export async function runSetup(o: SetupOptions): Promise<number> {
  const color = colorFor(o);
  const c = pc.createColors(color);
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const interactive = tty && !o.yes && !o.json;
  // A lost terminal must not crash the rollback with EIO/EPIPE on output.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const log = o.json ? (_: string) => undefined : (s: string) => console.log(s);

  const partial: Partial<Answers> = {};
  const mode = oneOf('--mode', o.mode, MODES);
  if (mode) partial.mode = mode;
  const backend = oneOf('--backend', o.backend, ['auto', ...BACKENDS] as const);
  const vmKind = oneOf('--vm-kind', o.vmKind, ['qemu', 'uml'] as const) as VmKind | undefined;
  const access = oneOf('--access', o.access, ['helper', 'taps'] as const) as Access | undefined;
  const vms = intOpt('--vms', o.vms, 1, 64);
  const timeout = intOpt('--confirm-timeout', o.confirmTimeout, 5, 3600) ?? 120;
  const hostfwd = (o.hostfwd ?? []).map(parseHostfwd);
  if (hostfwd.length && mode && mode !== 'user') throw new UsageError('--hostfwd is for --mode user (on a bridge, guests have their own addresses)');
  if (vmKind === 'uml' && access === 'helper') throw new UsageError('--vm-kind uml needs --access taps: User-Mode Linux has no bridge helper');
  if (o.bridge !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/.test(o.bridge)) throw new UsageError(`--bridge ${o.bridge}: not a usable interface name (1-15 letters, digits, "-", "_" or ".")`);
  if (o.uplink !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,14}$/.test(o.uplink)) throw new UsageError(`--uplink ${o.uplink}: not a valid interface name`);

  const inv = liveInvoker();
  const root = inv.euid === 0;
  const journal = new Journal();
  if (root && o.mode !== 'user') {
    await waitForWatchdog();
    for (const id of await journal.recover()) log(c.yellow(`qnet: rolled back fix set ${id}, which an earlier run left half-applied`));
  }

  const { ctx } = await openSession({ user: o.user, json: o.json, color: o.color });
  const obs = await observe(ctx);

  let answers: Partial<Answers> = { ...partial, ...(vmKind ? { vmKind } : {}), ...(access ? { access } : {}), ...(vms ? { vms } : {}) };
  if (o.uplink) answers.uplink = o.uplink;
  if (hostfwd.length) answers.hostfwd = hostfwd;
  if (interactive) answers = await ask(obs, o, answers);
  const rec = recommend(obs);
  if (!answers.mode) {
    if (!o.yes && !o.dryRun) {
      process.stderr.write(`qnet: not a terminal, so nothing was asked; pass --mode (user, bridge, isolated or nat; recommended here: ${rec.mode}) and --yes to apply\n`);
      return 2;
    }
    answers.mode = rec.mode;
    log(`No --mode given: using the recommended ${rec.mode} (${rec.why}).`);
  }
  const kind = answers.vmKind ?? 'qemu';
  const a: Answers = {
    mode: answers.mode,
    backend: backend ?? 'auto',
    ...(answers.uplink ? { uplink: answers.uplink } : answers.mode === 'bridge' && rec.uplink ? { uplink: rec.uplink } : {}),
    bridge: o.bridge ?? 'qbr0',
    ...(o.subnet ? { subnet: o.subnet } : {}),
    user: obs.user.name,
    vms: answers.vms ?? 1,
    vmKind: kind,
    access: answers.access ?? (kind === 'uml' ? 'taps' : 'helper'),
    hostfwd: answers.hostfwd ?? [],
    confirmTimeoutS: timeout,
  };
  if (a.hostfwd.length && a.mode !== 'user') throw new UsageError('--hostfwd is for --mode user');

  // Not root: hand the apply step to sudo (in a terminal), or say the command.
  if (!root && a.mode !== 'user') {
    const argv = ['sudo', process.execPath, process.argv[1]!, 'setup', ...flagsOf(a, backend !== undefined), ...(o.keep ? ['--keep'] : []), ...(o.dryRun ? ['--dry-run'] : [])];
    if (!interactive) {
      process.stderr.write(`qnet: setting up a bridge changes the host and needs root; run: ${showArgv([...argv.slice(0, 4), ...argv.slice(4), '--yes'])}\n`);
      return 2;
    }
    const { confirm } = await import('../ui/interactive.js');
    console.log(`\nThis needs root. qnet can run it through sudo with your answers:\n  ${showArgv(argv)}`);
    if (!(await confirm({ message: 'Run it through sudo?', default: true }))) return 2;
    const { spawnSync } = process.getBuiltinModule('node:child_process');
    return spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit' }).status ?? 1;
  }

  let plan: SetupPlan;
  let backendWhy: string | undefined;
  try {
    let be: Backend = 'runtime';
    if (a.mode !== 'user') {
      if (a.backend === 'auto') {
        const auto = autoBackend(obs, a.uplink);
        be = auto.backend;
        backendWhy = auto.why;
      } else be = a.backend;
    }
    const pre = await prereqs(ctx, a);
    plan = makePlan({ answers: a, obs, backend: be, prereqs: pre, render: renderBackend(be) });
    plan = await pending(plan);
    // What cannot be rolled back is refused, with the reason: setup is one set that undo removes.
    const u = planUndoability({ id: 'setup', title: 'setup', risk: 'medium', root: true, actions: plan.steps.flatMap((x) => x.actions) });
    if (!u.reversible) throw new Refusal(`part of this plan could not be undone (${u.why.join('; ')}); qnet setup only makes changes it can take back`);
  } catch (err) {
    if (err instanceof Refusal) {
      process.stderr.write(`qnet: refused: ${visible(err.message)}\n`);
      return 2;
    }
    throw err;
  }

  const pv = await previews(plan, ctx);
  if (!o.json) await printPlan(plan, c, backendWhy, ctx);
  if (o.dryRun) {
    if (o.json) process.stdout.write(JSON.stringify(jsonDoc(plan, pv, false, false, null, undefined), null, 2) + '\n');
    else {
      console.log(`\n${c.bold('Options for the VMs')} (once applied):`);
      for (const l of vmLines(plan)) console.log(l);
      console.log(`\n${c.dim('--dry-run: nothing was changed.')}`);
    }
    return 0;
  }
  if (plan.steps.length && !o.yes && !interactive) {
    process.stderr.write(`qnet: not a terminal, so nothing was applied; pass --yes to apply this plan without questions: qnet setup ${showArgv(flagsOf(a, backend !== undefined))} --yes\n`);
    return 2;
  }
  if (plan.steps.length && interactive) {
    const { confirm } = await import('../ui/interactive.js');
    const risky = plan.steps.some((s) => s.risky);
    if (!(await confirm({ message: risky ? 'Apply it (with confirm-or-revert)?' : 'Apply it?', default: !risky }))) {
      console.log('Nothing changed.');
      return 0;
    }
  }

  // Probe targets: those that answer now must answer afterwards.
  let probes = plan.probes;
  const riskyRun = plan.steps.some((s) => s.risky);
  if (riskyRun && probes.length) {
    const uplink = a.uplink ?? defaultRoute4(obs)?.dev;
    const pre = await preProbe(probes, (t) => (t.addr.includes('%') ? t.dev : (uplink ?? t.dev)));
    probes = pre.keep;
    for (const s of pre.said) log(c.yellow(`! ${s}`));
  }
  if (riskyRun && !probes.length && !interactive) {
    process.stderr.write('qnet: refused: this change can cut the host off, and nothing answers here that could prove it did not (no gateway or SSH peer replies); run it in a terminal to confirm it yourself\n');
    return 2;
  }

  const fix: FixPlan = { id: `setup/${plan.mode}-${plan.bridge}`, title: `qnet setup: ${plan.mode} network ${plan.bridge}${plan.subnet ? ` ${plan.subnet}` : ''} for ${plan.user}`, risk: riskyRun ? 'high' : 'medium', root: true, actions: plan.steps.flatMap((s) => s.actions) };
  // Action index → its step's title, said once when the step's last action is done.
  const stepOf = plan.steps.flatMap((s) => s.actions.map((_, i) => ({ title: s.title, last: i === s.actions.length - 1 })));

  let outcome: TryOutcome | { kept: true; set?: undefined; proof: Proof; probes: string[] };
  if (!plan.steps.length) {
    const proof = await prove(plan, obs);
    outcome = { kept: true, proof, probes: [] };
  } else {
    if (!o.json) console.log('');
    try {
      outcome = await tryApply(journal, {
        fixes: [{ checkId: 'setup', plan: fix }],
        risky: riskyRun,
        probes,
        timeoutS: a.confirmTimeoutS,
        ask: interactive && riskyRun,
        keep: Boolean(o.keep),
        prove: () => prove(plan, obs),
        onStep: (step, _a, phase) => {
          const s = stepOf[step];
          if (phase !== 'start' && s?.last) log(`${c.green('✔')} ${visible(s.title)}`);
        },
        say: (line) => log(visible(line)),
      });
    } catch (err) {
      if (err instanceof ExecError || (err as NodeJS.ErrnoException).code) {
        process.stderr.write(`qnet: setup failed and was rolled back: ${(err as Error).message}\n`);
        if (o.json) process.stdout.write(JSON.stringify(jsonDoc(plan, pv, false, false, null, undefined, { error: (err as Error).message }), null, 2) + '\n');
        return 1;
      }
      throw err;
    }
  }

  const proof = outcome.proof;
  if (outcome.kept && !proof) throw new Error('kept without a proof');
  if (!o.json) {
    if (proof) {
      console.log(`\n${c.bold('Proof')}`);
      for (const l of proof.lines) console.log(`  ${l.ok ? c.green('✔') : c.red('✖')} ${visible(l.what)}: ${visible(l.said)}`);
    }
  }
  const undo = outcome.set ? (outcome.kept || !('reason' in outcome) ? outcome.set.record.id : o.keep ? outcome.set.record.id : null) : await setOf(journal, plan);
  if (!outcome.kept) {
    const reason = 'reason' in outcome ? outcome.reason : 'not verified';
    const rolledBack = !(o.keep && reason.startsWith('not verified (kept'));
    if (o.json) process.stdout.write(JSON.stringify(jsonDoc(plan, pv, !rolledBack, false, rolledBack ? null : undo, proof, { reason }), null, 2) + '\n');
    else {
      console.log(c.red(`\n✖ ${visible(reason)}`));
      if ('rollbackError' in outcome && outcome.rollbackError) console.log(c.red(`  The rollback was incomplete: ${visible(outcome.rollbackError)}`));
      else if (rolledBack && plan.steps.length) console.log('  Everything was rolled back; the host is as it was.');
      else if (!rolledBack) console.log(`  The changes are kept (--keep). To revert them: qnet undo ${undo}`);
    }
    return 'exit' in outcome ? outcome.exit : 1;
  }
  if (o.json) {
    process.stdout.write(JSON.stringify(jsonDoc(plan, pv, plan.steps.length > 0 || undo !== null, proof!.ok, undo, proof), null, 2) + '\n');
  } else {
    console.log(`\n${c.green(plan.steps.length ? '✔ Set up and verified.' : '✔ Verified.')}${undo ? ` Journaled as fix set ${undo}: \`qnet undo ${undo}\` removes it all.` : ''}`);
    console.log(`\n${c.bold('Options for the VMs')}:`);
    for (const l of vmLines(plan)) console.log(l);
  }
  return proof!.ok ? 0 : 1;
}
