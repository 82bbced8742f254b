// Helpers for test files: find the environment jest's globalSetup started and build clients
// for its identities.
import * as k8s from '@kubernetes/client-node';
import { readState } from './environment.ts';
import type { EnvironmentState } from './environment.ts';

export type { EnvironmentState } from './environment.ts';

/** Name of the env var jest-global-setup.ts sets to the state file's path. */
export const ENV_FILE_VARIABLE = 'PRS_TEST_ENV_FILE';

export function loadTestEnvironment(): EnvironmentState {
  const file = process.env[ENV_FILE_VARIABLE];
  if (file === undefined || file === '') {
    throw new Error(
      `${ENV_FILE_VARIABLE} is not set: run tests through jest with jest.config.js (its ` +
        'globalSetup starts the environment), or export it after `npm run env:up`',
    );
  }
  return readState(file);
}

export function adminKubeConfig(env: EnvironmentState): k8s.KubeConfig {
  return kubeConfigFor(env, 'admin', env.kube.adminToken);
}

/** The product's identity: user registry-sync in group prs-manager, no RBAC until granted. */
export function syncKubeConfig(env: EnvironmentState): k8s.KubeConfig {
  return kubeConfigFor(env, env.kube.syncUser, env.kube.syncToken);
}

/** Authenticated, but in no group and bound to nothing. */
export function nobodyKubeConfig(env: EnvironmentState): k8s.KubeConfig {
  return kubeConfigFor(env, 'nobody', env.kube.nobodyToken);
}

export function kubeConfigFor(env: EnvironmentState, user: string, token: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 'local', server: env.kube.server, caData: env.kube.caData, skipTLSVerify: false },
    ],
    users: [{ name: user, token }],
    contexts: [{ name: user, cluster: 'local', user }],
    currentContext: user,
  });
  return kc;
}

/** Client options that point an AWS SDK v3 client at moto. */
export function awsClientConfig(env: EnvironmentState): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return {
    endpoint: env.aws.endpoint,
    region: env.aws.region,
    credentials: { accessKeyId: env.aws.accessKeyId, secretAccessKey: env.aws.secretAccessKey },
  };
}
