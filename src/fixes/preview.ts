// Turns a fix plan into what a person reads before applying it: every command
// as it will run (shell-quoted for display only; nothing here is executed) and a
// unified diff of every file it will create or change.
import type { Context } from '../context.js';
import { octal } from '../host/host.js';
import type { Action, FixPlan, FixView } from '../types.js';
import { planUndoability } from './undoable.js';

export { shellQuote, showArgv } from '../output/shell.js';
import { showArgv, shellQuote } from '../output/shell.js';

async function fileDiff(ctx: Context, path: string, content: string): Promise<string> {
  const cur = await ctx.host.readFile(path);
  const before = cur.ok ? cur.value.toString('utf8') : '';
  const { createTwoFilesPatch } = await import('diff');
  const patch = createTwoFilesPatch(cur.ok ? path : '/dev/null', path, before, content, '', '', { context: 3 });
  // Drop the "Index"/"====" banner jsdiff adds; keep ---/+++ and the hunks, without tab-padded headers.
  return patch
    .split('\n')
    .filter((l) => !l.startsWith('====') && !l.startsWith('Index:'))
    .map((l) => (l.startsWith('--- ') || l.startsWith('+++ ') ? l.replace(/\t.*$/, '') : l))
    .join('\n')
    .trimEnd();
}

/**
 * One action as one line, the same command the preview shows (without a file's diff):
 * the label of a step while it is applied, undone or listed.
 */
export function actionLine(a: Action): string {
  switch (a.kind) {
    case 'write-file': {
      const own = a.uid !== undefined ? ` owner ${a.uid}:${a.gid ?? a.uid}` : '';
      return `write ${shellQuote(a.path)} (mode ${octal(a.mode)}${own})`;
    }
    case 'mkdir': {
      const own = a.uid !== undefined ? ` owner ${a.uid}:${a.gid ?? a.uid}` : '';
      return a.mode === 0o755 && !own ? showArgv(['mkdir', '-p', a.path]) : `${showArgv(['mkdir', '-p', '-m', octal(a.mode), a.path])}${own ? `    #${own}` : ''}`;
    }
    case 'remove-file':
      return showArgv(['rm', a.path]);
    case 'chmod':
      return showArgv(['chmod', octal(a.mode), a.path]);
    case 'chown':
      return showArgv(['chown', `${a.uid}:${a.gid}`, a.path]);
    case 'chgrp':
      return showArgv(['chgrp', a.group, a.path]);
    case 'mknod-char':
      return showArgv(['mknod', '-m', octal(a.mode), a.path, 'c', String(a.major), String(a.minor)]);
    case 'sysctl':
      return showArgv(['sysctl', '-w', `${a.key}=${a.value}`]);
    case 'run':
      return showArgv(a.argv);
    case 'note':
      return `# ${a.text}`;
  }
}

/** What a person reads before applying an action: its line, and a file's diff or a note on what undo keeps. */
export async function previewAction(ctx: Context, a: Action): Promise<string> {
  switch (a.kind) {
    case 'write-file':
      return `${actionLine(a)}\n${await fileDiff(ctx, a.path, a.content)}`;
    case 'remove-file':
      return `${actionLine(a)}    # kept in the journal: undo puts it back`;
    case 'run':
      return actionLine(a) + (a.why ? `    # ${a.why}` : '');
    default:
      return actionLine(a);
  }
}

export async function previewPlan(ctx: Context, plan: FixPlan): Promise<FixView> {
  const preview: string[] = [];
  if (plan.explain) preview.push(`# ${plan.explain}`);
  const u = planUndoability(plan);
  if (!u.reversible) preview.push(`# cannot be undone by qnet undo: ${u.why.join('; ')}`);
  for (const a of plan.actions) preview.push(await previewAction(ctx, a));
  return { id: plan.id, title: plan.title, risk: plan.risk, root: plan.root, preview };
}
