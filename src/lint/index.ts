// qnet lint -- CMD... / qnet lint --pid PID: judges a QEMU or UML command line's
// network options against this host. Its own results (qemu-cmdline,
// hostfwd-port) are checks made of rules (src/lint/*.ts); then the host checks
// the command line relies on run, all through the engine.
import { ALL_CHECKS } from '../../checks/index.js';
import type { Context } from '../context.js';
import { runChecks, selectChecks } from '../engine.js';
import { processes } from '../model/network.js';
import type { CheckId, Result } from '../types.js';
import { hostfwds, HOSTFWD_RULES } from './hostfwd.js';
import { QEMU_RULES, qemuInput } from './qemu.js';
import { ruleCheck } from './rule.js';
import { commandKind } from './shape.js';
import { UML_RULES, umlInput } from './uml.js';

export { quotedWhole, umlTaps } from './shape.js';

export interface LintReport {
  kind: 'qemu' | 'uml';
  results: Result[];
}

export async function lint(ctx: Context, argv: readonly string[]): Promise<LintReport> {
  const kind = commandKind(argv);
  const triggered = new Set<CheckId>();
  let own;
  if (kind === 'qemu') {
    const input = qemuInput(argv, (await processes(ctx)).map((p) => p.argv));
    const fwds = hostfwds(input);
    own = [
      ruleCheck('qemu-cmdline', 'QEMU network options', QEMU_RULES, input, triggered, {
        pass: () => 'the network options are valid for this host',
        evidence: [{ source: 'command line', observed: `${input.cmd.netdevs.length} backend(s), ${input.cmd.nics.length} NIC(s)` }],
      }),
      ruleCheck('hostfwd-port', 'hostfwd host ports are free', HOSTFWD_RULES, input, triggered, {
        pass: () => `hostfwd ports free: ${fwds.join(', ')}`,
        ...(fwds.length ? {} : { skip: 'no hostfwd= on this command line' }),
      }),
    ];
  } else {
    const input = umlInput(argv);
    const judged = input.opts.filter((o) => !o.repeated && o.dev.startsWith('eth') && o.transport === 'tuntap');
    own = [
      ruleCheck('qemu-cmdline', 'UML network options', UML_RULES, input, triggered, {
        pass: () => (judged.length ? 'the UML network options are usable here' : 'the UML network options use transports qnet does not judge'),
        evidence: [{ source: 'command line', observed: input.opts.map((o) => o.arg).join(' ') }],
        ...(input.opts.length ? {} : { skip: 'no ethN= / vecN= network option' }),
      }),
    ];
  }
  const results = await runChecks(ctx, own);
  const known = new Set<string>(ALL_CHECKS.map((c) => c.id));
  const wanted = [...triggered].filter((id) => known.has(id));
  const host = wanted.length ? await runChecks(ctx, selectChecks(ALL_CHECKS, { only: wanted })) : [];
  return { kind, results: [...results, ...host] };
}
