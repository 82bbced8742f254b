// `node test/env/cli.ts up|down` (npm run env:up / env:down): starts the environment for a
// person's shell or the demo and leaves it running, or stops it again.
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import {
  readState,
  startEnvironment,
  stopEnvironmentFromState,
  writeState,
} from './environment.ts';
import type { EnvironmentState } from './environment.ts';

const stateFile = path.join(os.tmpdir(), 'prs-manager-env.json');
const kubeconfigFile = path.join(os.tmpdir(), 'prs-manager-env.kubeconfig');

async function up(): Promise<void> {
  if (existsSync(stateFile)) {
    const previous = readState(stateFile);
    if (await motoAnswers(previous.aws.endpoint)) {
      throw new Error(`an environment is already running (${stateFile}); run env:down first`);
    }
    // Left over from a machine restart or a killed shell: clear what remains of it.
    await stopEnvironmentFromState(previous);
  }
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const env = await startEnvironment({ detached: true, log });
  await writeState(stateFile, env);
  await writeFile(kubeconfigFile, adminKubeconfigYaml(env), { mode: 0o600 });
  // Comments and exports only, so `eval "$(npm run -s env:up)"` sets up a shell.
  const lines = [
    `# state file: ${stateFile}`,
    `# kubeconfig: ${kubeconfigFile} (admin)`,
    `# logs:       ${env.dir}/{etcd,kubeApiserver,moto}.log`,
    `export PRS_TEST_ENV_FILE=${stateFile}`,
    `export KUBECONFIG=${kubeconfigFile}`,
    `export AWS_ENDPOINT_URL=${env.aws.endpoint}`,
    `export AWS_REGION=${env.aws.region}`,
    `export AWS_ACCESS_KEY_ID=${env.aws.accessKeyId}`,
    `export AWS_SECRET_ACCESS_KEY=${env.aws.secretAccessKey}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function down(): Promise<void> {
  if (!existsSync(stateFile)) {
    process.stderr.write(`no environment state at ${stateFile}; nothing to stop\n`);
    return;
  }
  await stopEnvironmentFromState(readState(stateFile));
  await rm(stateFile, { force: true });
  await rm(kubeconfigFile, { force: true });
  process.stderr.write('environment stopped\n');
}

function adminKubeconfigYaml(env: EnvironmentState): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'prs-manager-local',
        cluster: { server: env.kube.server, 'certificate-authority-data': env.kube.caData },
      },
    ],
    users: [{ name: 'admin', user: { token: env.kube.adminToken } }],
    contexts: [
      { name: 'prs-manager-local', context: { cluster: 'prs-manager-local', user: 'admin' } },
    ],
    'current-context': 'prs-manager-local',
  });
}

async function motoAnswers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
    return response.status === 200;
  } catch {
    return false;
  }
}

const command = process.argv[2];
const commands: Record<string, () => Promise<void>> = { up, down };
const run = command === undefined ? undefined : commands[command];
if (run === undefined) {
  process.stderr.write('usage: node test/env/cli.ts up|down\n');
  process.exitCode = 2;
} else {
  try {
    await run();
  } catch (error) {
    process.stderr.write(`env ${command}: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
