// Stops the environment jest-global-setup.ts started (never one it merely reused).
import { rm } from 'node:fs/promises';
import type { JestEnvironmentHandle } from './jest-global-setup.ts';

export default async function globalTeardown(): Promise<void> {
  const handle: JestEnvironmentHandle | undefined = globalThis.prsManagerTestEnvironment;
  if (handle === undefined) return;
  globalThis.prsManagerTestEnvironment = undefined;
  await handle.env.stop();
  await rm(handle.stateFile, { force: true });
  delete process.env.PRS_TEST_ENV_FILE;
}
