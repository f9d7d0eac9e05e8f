// Lint rules: small objects over a parsed command line, each judging one thing
// with the judges the checks use (src/facts, src/model). A result of lint
// (qemu-cmdline, hostfwd-port) is a Check made of rules, so it runs through the
// engine like every check, with its error and time-out handling.
import type { Context } from '../context.js';
import { NotCaptured } from '../errors.js';
import type { TargetUser } from '../facts/users.js';
import { network, type Network } from '../model/network.js';
import type { Check, CheckId, Evidence, Finding } from '../types.js';

export interface Problem {
  /** note: said, but neither a failure nor a warning. */
  level: 'fail' | 'warn' | 'note';
  text: string;
}

/** What a rule may read besides the command line, and where it says which host checks apply. */
export interface Scope {
  ctx: Context;
  user: TargetUser;
  net: Network;
  evidence: Evidence[];
  /** The host checks this command line relies on (lint runs them after its own results). */
  trigger(id: CheckId): void;
}

export interface Rule<I> {
  /** What the rule judges, for a note when it cannot. */
  name: string;
  run(scope: Scope, input: I): Promise<Problem[]> | Problem[];
}

export interface Aggregate {
  /** The summary when nothing failed or warned. */
  pass: (problems: Problem[]) => string;
  /** A result with nothing to judge (no hostfwd=, no ethN=), or undefined. */
  skip?: string;
  evidence?: Evidence[];
}

/** One lint result as a Check: its rules run in order, their problems become one finding. */
export function ruleCheck<I>(id: CheckId, title: string, rules: readonly Rule<I>[], input: I, triggered: Set<CheckId>, agg: Aggregate): Check {
  return {
    id,
    area: 'lint',
    title: () => title,
    async run(ctx): Promise<Finding> {
      if (agg.skip) return { status: 'skip', summary: agg.skip };
      const scope: Scope = { ctx, user: ctx.user, net: await network(ctx), evidence: [...(agg.evidence ?? [])], trigger: (c) => triggered.add(c) };
      const problems: Problem[] = [];
      const unjudged: NotCaptured[] = [];
      for (const rule of rules) {
        try {
          problems.push(...(await rule.run(scope, input)));
        } catch (err) {
          // A snapshot without a read one rule needs: the others still judge.
          if (!(err instanceof NotCaptured)) throw err;
          unjudged.push(err);
          problems.push({ level: 'note', text: `${rule.name} not judged: ${err.message}` });
        }
      }
      // Nothing could be judged: the engine reports it as a skip that says why.
      if (unjudged.length === rules.length) throw unjudged[0]!;
      const fails = problems.filter((p) => p.level === 'fail').map((p) => p.text);
      const warns = problems.filter((p) => p.level === 'warn').map((p) => p.text);
      const notes = problems.filter((p) => p.level === 'note').map((p) => p.text);
      const evidence = scope.evidence;
      if (fails.length) return { status: 'fail', summary: fails[0]!, evidence, details: [...fails.slice(1), ...warns, ...notes] };
      if (warns.length) return { status: 'warn', summary: warns[0]!, evidence, details: [...warns.slice(1), ...notes] };
      return { status: 'pass', summary: agg.pass(problems), evidence, details: notes };
    },
  };
}
