// Can `qnet undo` revert a plan? Derived from its actions: every typed action
// is journaled with what undoes it; a `run` is reversible only with an inverse,
// or when its whole effect is files the journal keeps (onlyTouches), or when it
// only makes a service re-read its files (refresh). A plan may also say so itself.
import type { Action, FixPlan } from '../types.js';
import { showArgv } from '../output/shell.js';

/** Why this action cannot be undone, or undefined when it can. */
export function irreversibleWhy(a: Action): string | undefined {
  if (a.kind !== 'run') return undefined;
  if (a.inverse || a.onlyTouches || a.refresh) return undefined;
  return `${showArgv(a.argv)} has no inverse`;
}

export interface Undoability {
  reversible: boolean;
  /** One reason per step that cannot be undone (or the plan's own word). */
  why: string[];
}

export function planUndoability(plan: FixPlan): Undoability {
  const why = plan.actions.map(irreversibleWhy).filter((w): w is string => w !== undefined);
  if (plan.reversible === false) return { reversible: false, why: why.length ? why : [plan.explain ?? 'its effect cannot be reverted'] };
  if (plan.reversible === true) return { reversible: true, why: [] };
  return { reversible: why.length === 0, why };
}

export const isReversible = (plan: FixPlan) => planUndoability(plan).reversible;
