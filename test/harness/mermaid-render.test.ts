// The Mermaid harness itself: a real headless Chromium with the mermaid library renders a
// valid flowchart to SVG and reports the error of an invalid one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MermaidRenderer, renderMermaid, whyNoMermaid } from '../helpers/mermaid-render.js';

const why = whyNoMermaid();
if (why) console.log(`Mermaid rendering tests skipped: ${why}`);

describe.skipIf(why !== '')(`Mermaid in headless Chromium${why ? ` (skipped: ${why})` : ''}`, () => {
  let m: MermaidRenderer;
  beforeAll(async () => {
    m = await MermaidRenderer.start();
  }, 120_000);
  afterAll(async () => {
    await m?.close();
  });

  it('renders a flowchart of an uplink, a bridge and taps to an SVG with those nodes and edges', async () => {
    const r = await m.render(
      [
        'flowchart LR',
        '  eth0["eth0 (uplink)"] --> br0[br0]',
        '  br0 --> tap0["tap0 · qemu pid 4242"]',
        '  br0 --> tap1["tap1 ✖ not up"]',
        '  classDef bad stroke:#d00',
        '  class tap1 bad',
      ].join('\n'),
    );
    expect(r.ok, r.ok ? '' : r.error).toBe(true);
    if (!r.ok) return;
    expect(r.svg).toMatch(/^<svg[\s>]/);
    expect(r.svg).toContain('</svg>');
    for (const label of ['eth0 (uplink)', 'br0', 'tap0 · qemu pid 4242', 'tap1 ✖ not up']) expect(r.svg).toContain(label);
    // Three edges drawn as paths.
    expect(r.svg.match(/class="[^"]*flowchart-link[^"]*"/g)?.length).toBe(3);
    expect(r.svg).not.toMatch(/Syntax error/i);
  });

  it('reports the parse error of an invalid diagram, with where it is', async () => {
    const r = await m.render('flowchart LR\n  a --> \n  b -->> c[');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(/Parse error on line \d+/);
  });

  it('reports an unknown diagram type', async () => {
    const r = await m.render('topology LR\n  a --> b');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/No diagram type detected|UnknownDiagramError/i);
  });

  it('keeps working after an error: the next valid diagram renders', async () => {
    expect((await m.render('flowchart TD\n  x[')).ok).toBe(false);
    const r = await m.render('flowchart TD\n  x --> y');
    expect(r.ok).toBe(true);
  });

  it('renderMermaid starts and closes its own browser', async () => {
    const r = await renderMermaid('flowchart LR\n  one --> two');
    expect(r.ok && r.svg.includes('two')).toBe(true);
  }, 120_000);
});
