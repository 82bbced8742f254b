import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PrsManagerStack, type PrsManagerStackProps } from '../../infra/prs-manager-stack.ts';
import { FUNCTION_ASSET_DIR } from '../../infra/prs-manager.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The feature flags of `cdk.json`, so that tests see the template `cdk synth` writes. */
export function cdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(`${ROOT}/cdk.json`, 'utf8')) as {
    context: Record<string, unknown>;
  };

  return cdkJson.context;
}

/** Builds the function bundle when it is missing (`npm test` builds it before jest). */
export function ensureBundle(): void {
  if (existsSync(`${FUNCTION_ASSET_DIR}/handler.mjs`)) return;
  execFileSync(process.execPath, ['scripts/build.js'], { cwd: ROOT, stdio: 'inherit' });
}

/** The app's stack with the given settings, as `cdk synth` would make it. */
export function prsManagerStack(props: Partial<PrsManagerStackProps> = {}): PrsManagerStack {
  ensureBundle();
  const app = new App({ context: cdkContext() });

  return new PrsManagerStack(app, 'PrsManager', { clusters: ['dev', 'prod'], ...props });
}

export function synth(props: Partial<PrsManagerStackProps> = {}): Template {
  return Template.fromStack(prsManagerStack(props));
}
