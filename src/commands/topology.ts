// qnet topology: the host's virtual network as one graph — uplinks, bridges and
// their ports, taps with their owners and the QEMU/UML processes holding them,
// veths and the namespace of their peers, macvtaps and their lower devices —
// with each failing or warning check marked on the interfaces it is about.
//
// The graph (src/topology/graph.ts) comes from the one network model and the
// doctor's own outcomes on the same context: the topology never reads the host
// another way. Renderers: src/topology/text.ts (terminal) and
// src/topology/mermaid.ts (Mermaid flowchart, also used by the report).
import { ALL_CHECKS } from '../../checks/index.js';
import { exitCodeOf } from '../engine.js';
import { UsageError } from '../errors.js';
import { checksFor, openSession, type CommandOptions } from '../session.js';
import { topologyOf } from '../topology/graph.js';
import { renderMermaid } from '../topology/mermaid.js';
import { renderTopologyText } from '../topology/text.js';

export type TopologyCommandOptions = CommandOptions;

export const TOPOLOGY_FORMATS = ['text', 'json', 'mermaid'] as const;

export async function runTopology(opts: TopologyCommandOptions): Promise<number> {
  const format = opts.format ?? (opts.json ? 'json' : 'text');
  if (!(TOPOLOGY_FORMATS as readonly string[]).includes(format)) throw new UsageError(`unknown --format ${JSON.stringify(format)}; choose ${TOPOLOGY_FORMATS.join(', ')}`);
  if (opts.json && format !== 'json') throw new UsageError(`--json and --format ${format} ask for different outputs; give one of them`);
  if (format === 'json') opts = { ...opts, json: true };
  const session = await openSession(opts);
  const { topology, report } = await topologyOf(session.ctx, checksFor(ALL_CHECKS, session, opts));
  if (format === 'json') process.stdout.write(JSON.stringify(topology, null, 2) + '\n');
  else if (format === 'mermaid') {
    // A document gets every node; the report caps its diagram.
    process.stdout.write(renderMermaid(topology, { maxNodes: Number.MAX_SAFE_INTEGER, problemText: 60 }).text);
  } else {
    process.stdout.write(renderTopologyText(topology, { color: session.color, verbose: Boolean(opts.verbose) }));
  }
  return exitCodeOf(report.results);
}
