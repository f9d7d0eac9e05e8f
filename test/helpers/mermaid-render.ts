// Renders Mermaid text to SVG the way GitHub's viewer would: the mermaid library in a
// real headless Chromium (Debian's `chromium`), driven by playwright-core. No browser is
// downloaded and nothing goes over the network: mermaid's self-contained browser bundle
// is read from node_modules and put into a blank page.
//
//   const r = await renderMermaid('flowchart LR\n  a --> b');
//   if (r.ok) r.svg; else r.error;
//
// Tests that render many diagrams start one renderer and reuse it:
//   const m = await MermaidRenderer.start(); … await m.render(text) … await m.close();
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = process.env.QNET_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for this machine: no sandbox as root, no GPU, no network chatter from the browser itself. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export type MermaidResult = { ok: true; svg: string } | { ok: false; error: string };

const require = createRequire(import.meta.url);

/** Why rendering cannot run here ('' when it can): for describe.skipIf and its message. */
export function whyNoMermaid(): string {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (Debian package 'chromium')`;
  if (spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).status !== 0) return `${CHROMIUM} --version failed`;
  for (const m of ['playwright-core', 'mermaid/dist/mermaid.min.js']) {
    try {
      require.resolve(m);
    } catch {
      return `${m} is not installed (npm ci installs the devDependencies)`;
    }
  }
  return '';
}

export class MermaidRenderer {
  private n = 0;

  private constructor(
    private readonly context: BrowserContext,
    private readonly page: Page,
    private readonly profile: string,
    private readonly pageErrors: string[],
  ) {}

  static async start(): Promise<MermaidRenderer> {
    const { chromium } = await import('playwright-core');
    // A fresh profile for every start, removed on close.
    const profile = mkdtempSync(join(tmpdir(), 'qnet-chromium-'));
    let context: BrowserContext | undefined;
    try {
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: FLAGS,
        offline: true,
        timeout: 60_000,
      });
      const page = context.pages()[0] ?? (await context.newPage());
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body></body></html>');
      await page.addScriptTag({ path: require.resolve('mermaid/dist/mermaid.min.js') });
      await page.evaluate(() => {
        const m = (globalThis as unknown as { mermaid: { initialize(c: object): void } }).mermaid;
        // strict: no scripts or click handlers from the diagram text, as on GitHub.
        m.initialize({ startOnLoad: false, securityLevel: 'strict' });
      });
      return new MermaidRenderer(context, page, profile, pageErrors);
    } catch (err) {
      await context?.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
      throw err;
    }
  }

  /** The SVG, or mermaid's parse or render error (its message, as mermaid words it). */
  async render(text: string): Promise<MermaidResult> {
    const id = `qnet-mermaid-${++this.n}`;
    this.pageErrors.length = 0;
    const r = await this.page.evaluate(
      async ({ text, id }) => {
        type Mermaid = { parse(t: string): Promise<unknown>; render(id: string, t: string): Promise<{ svg: string }> };
        const m = (globalThis as unknown as { mermaid: Mermaid }).mermaid;
        try {
          // parse() throws on a syntax error; render() would draw an error picture instead.
          await m.parse(text);
          const { svg } = await m.render(id, text);
          return { ok: true as const, svg };
        } catch (e) {
          const err = e as { message?: unknown; str?: unknown };
          return { ok: false as const, error: String(err?.message ?? err?.str ?? e) };
        } finally {
          // render() leaves its scratch element behind when it fails.
          document.getElementById(id)?.remove();
          document.getElementById(`d${id}`)?.remove();
        }
      },
      { text, id },
    );
    if (r.ok && this.pageErrors.length) return { ok: false, error: this.pageErrors.join('\n') };
    return r;
  }

  async close(): Promise<void> {
    try {
      await this.context.close();
    } finally {
      rmSync(this.profile, { recursive: true, force: true });
    }
  }
}

/** One diagram, one browser: for a test that renders one or two. */
export async function renderMermaid(text: string): Promise<MermaidResult> {
  const m = await MermaidRenderer.start();
  try {
    return await m.render(text);
  } finally {
    await m.close();
  }
}
