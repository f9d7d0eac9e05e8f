// `qnet` in a terminal: the doctor behind a spinner, the summary box, then a
// choice of what to do next.
import { ALL_CHECKS } from '../../checks/index.js';
import { liveInvoker } from '../context.js';
import { colorFor, createContext } from '../session.js';
import { doctor, exitCodeOf } from '../engine.js';
import { LiveHost } from '../host/live.js';
import { CachingHost } from '../host/record.js';
import { renderText } from '../output/text.js';

export async function runWizard(): Promise<number> {
  const color = colorFor({});
  const { select, spinner } = await import('../ui/interactive.js');
  const spin = spinner('Checking this host…', color).start();
  const caching = new CachingHost(new LiveHost());
  const ctx = await createContext({ host: caching, invoker: liveInvoker(), source: 'live' });
  const report = await doctor(ctx, ALL_CHECKS);
  spin.stop(); // never leave a spinner running under a prompt
  process.stdout.write(await renderText(report, { color, verbose: false }));
  const failing = report.results.filter((r) => r.status === 'fail' && r.fixes.length);
  // No bridge at all: no VM network yet, so setting one up comes first.
  const noVmNet = report.results.find((r) => r.id === 'bridge-state')?.status === 'skip';
  const setup = { name: 'Set up VM networking (guided: user, bridge, isolated or NAT)', value: 'setup' };
  const choice = await select({
    message: 'What next?',
    choices: [
      ...(noVmNet ? [setup] : []),
      ...(failing.length ? [{ name: `Fix problems (${failing.map((r) => r.id).join(', ')})`, value: 'fix' }] : []),
      ...(noVmNet ? [] : [setup]),
      { name: 'Explain an error message (paste it, or a log, or describe the problem)', value: 'explain' },
      { name: 'Write a report for a bug tracker (qnet-report.md, redacted)', value: 'report' },
      { name: 'Quit', value: 'quit' },
    ],
  });
  if (choice === 'fix') {
    const { runFix } = await import('./fix.js');
    return runFix([], { color });
  }
  if (choice === 'setup') {
    const { runSetup } = await import('./setup.js');
    return runSetup({ color });
  }
  if (choice === 'explain') {
    const { readPaste } = await import('../explain/paste.js');
    const text = await readPaste(process.stdin, process.stdout);
    if (text.trim()) {
      const { runExplain } = await import('./explain.js');
      return runExplain(text, { color });
    }
  }
  if (choice === 'report') {
    const { buildReport } = await import('./report.js');
    const { writeFileAtomic } = await import('../host/atomic-write.js');
    const md = await buildReport({ ctx, checks: ALL_CHECKS, report, reads: () => caching.records() }, { redact: true, allChecks: ALL_CHECKS });
    writeFileAtomic('qnet-report.md', md, { mode: 0o600 });
    console.log('Wrote qnet-report.md (addresses, MACs, host and user names replaced). Read it before you post it.');
  }
  return exitCodeOf(report.results);
}
