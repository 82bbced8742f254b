// Bundles the Lambda handler, the CLI and the benchmark's measured run with
// esbuild: ESM for Node 24 (the Lambda runtime nodejs24.x). SDK clients that
// the code imports with import() become chunks, loaded only when used.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
const options = {
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  keepNames: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  // tr46 (under node-fetch) imports Node's deprecated punycode; the userland copy is the same code.
  alias: { punycode: 'punycode/' },
  // Some bundled CommonJS dependencies call require() for Node built-ins.
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
};

await build({
  ...options,
  entryPoints: {
    handler: 'lambda/handler.ts',
    cli: 'lambda/cli.ts',
    // Bundled as the function is, so that the memory it measures is comparable.
    'bench-run': 'scripts/bench-run.ts',
  },
  outdir: 'dist',
});
// The Lambda asset: the handler and its chunks alone (infra/ deploys this folder), without
// source maps (the function does not load them: see infra/prs-manager.ts).
await build({
  ...options,
  sourcemap: false,
  entryPoints: { handler: 'lambda/handler.ts' },
  outdir: 'dist/function',
});
