// Starts one environment per jest run (jest runs this once, in its main process) and hands
// it to the test workers through a state file named in PRS_TEST_ENV_FILE; workers inherit
// env vars set here. If PRS_TEST_ENV_FILE is already set (after `npm run env:up`), that
// environment is reused and left running.
import os from 'node:os';
import path from 'node:path';
import { readState, startEnvironment, writeState } from './environment.ts';
import type { RunningEnvironment } from './environment.ts';

export interface JestEnvironmentHandle {
  env: RunningEnvironment;
  stateFile: string;
}

declare global {
  // Read by jest-global-teardown.ts: globals set in globalSetup are visible there only.
  var prsManagerTestEnvironment: JestEnvironmentHandle | undefined;
}

export default async function globalSetup(): Promise<void> {
  const existing = process.env.PRS_TEST_ENV_FILE;
  if (existing !== undefined && existing !== '') {
    const state = readState(existing);
    process.stderr.write(`\nusing the running test environment from ${existing}\n`);
    await assertReachable(state.aws.endpoint);
    return;
  }
  // Progress goes to the terminal: a cold control-plane build takes minutes.
  process.stderr.write('\n');
  const env = await startEnvironment({ log: (line) => process.stderr.write(`${line}\n`) });
  const stateFile = path.join(os.tmpdir(), `prs-manager-jest-${process.pid}.json`);
  await writeState(stateFile, env);
  process.env.PRS_TEST_ENV_FILE = stateFile;
  globalThis.prsManagerTestEnvironment = { env, stateFile };
}

async function assertReachable(awsEndpoint: string): Promise<void> {
  try {
    await fetch(`${awsEndpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
  } catch {
    throw new Error(
      `PRS_TEST_ENV_FILE names an environment whose moto (${awsEndpoint}) is not answering; ` +
        'unset PRS_TEST_ENV_FILE or run `npm run env:up` again',
    );
  }
}
