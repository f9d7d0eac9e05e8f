// Reads qnet's Mermaid flowcharts back: node labels by id, and the edges as
// [from name, line, to name], names as shown (Mermaid's entity codes decoded).

const ENTITIES: [RegExp, string][] = [[/#quot;/g, '"'], [/#lt;/g, '<'], [/#gt;/g, '>'], [/#96;/g, '`'], [/#92;/g, '\\'], [/#amp;/g, '&'], [/#35;/g, '#']];
export const decodeEntities = (s: string) => ENTITIES.reduce((acc, [re, ch]) => acc.replace(re, ch), s);

/** Node id → its label's lines (split at <br/>), decoded. */
export function mermaidNodes(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of text.matchAll(/^ {2}([nm]\d+)[[({]{1,2}"([^"]*)"/gm)) out.set(m[1]!, m[2]!.split('<br/>').map(decodeEntities));
  return out;
}

/** Every edge as [from name, line (---, -.-, <-->), to name]. */
export function mermaidEdges(text: string): string[][] {
  const nodes = mermaidNodes(text);
  return [...text.matchAll(/^ {2}([nm]\d+) (---|-\.-|<-->) ([nm]\d+)$/gm)].map((m) => [nodes.get(m[1]!)?.[0] ?? m[1]!, m[2]!, nodes.get(m[3]!)?.[0] ?? m[3]!]);
}

/** Names of the nodes in class `cls` (fail, warn). */
export function mermaidClass(text: string, cls: string): string[] {
  const nodes = mermaidNodes(text);
  const line = new RegExp(`^ {2}class (\\S+) ${cls}$`, 'm').exec(text);
  return line ? line[1]!.split(',').map((id) => nodes.get(id)?.[0] ?? id) : [];
}
