// Bundles the Lambda handler and the CLI with esbuild, each into one ESM
// file for Node 24 (the Lambda runtime nodejs24.x).
import { build } from 'esbuild';

const shared = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  keepNames: true,
  sourcemap: true,
  legalComments: 'none',
  // tr46 (under node-fetch) imports Node's deprecated punycode; the userland copy is the same code.
  alias: { punycode: 'punycode/' },
  logLevel: 'warning',
  // Some bundled CommonJS dependencies call require() for Node built-ins.
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
};

await build({ ...shared, entryPoints: { handler: 'lambda/handler.ts' }, outdir: 'dist', outExtension: { '.js': '.mjs' } });
await build({ ...shared, entryPoints: { cli: 'lambda/cli.ts' }, outdir: 'dist', outExtension: { '.js': '.mjs' } });
