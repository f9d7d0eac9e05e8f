// Bundles the CLI into dist/ with esbuild. Interactive libraries are reached
// through dynamic import() so they land in separate chunks and load lazily.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import './gen-registry.mjs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { qnet: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  // commander is CommonJS: give the ESM bundle a require() of its own.
  banner: { js: "import { createRequire as __qnetCreateRequire } from 'node:module'; const require = __qnetCreateRequire(import.meta.url);" },
});
