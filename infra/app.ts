// The CDK app behind cdk.json: `npx cdk deploy -c clusters=dev,prod` installs
// prs-manager; the README's "Deploy to AWS" lists every context value.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readAppSettings } from './app-context.ts';
import { PrsManagerStack } from './prs-manager-stack.ts';
import { SettingsError } from './settings-error.ts';

// Bundle the function on every synth, locally with esbuild (never Docker), so
// that what is deployed is the code in this checkout.
execFileSync(process.execPath, ['scripts/build.js'], {
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  stdio: ['ignore', 'inherit', 'inherit'],
});

const app = new App();
// cdk-nag's AWS Solutions checks: a finding without an acknowledgement stops the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
try {
  new PrsManagerStack(app, 'PrsManager', {
    description: 'prs-manager: keeps image-pull Secrets of private registries in EKS clusters',
    ...readAppSettings(app.node),
  });
} catch (error) {
  // A setting to change: its message says which and how; a stack trace would bury it.
  if (!(error instanceof SettingsError)) throw error;
  console.error(error.message);
  process.exit(1);
}
app.synth();
