import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type * as k8s from '@kubernetes/client-node';
import type { RunReport } from '../../lambda/sync/report.ts';
import { awsClientConfig, type EnvironmentState } from '../env/test-env.ts';

const run = promisify(execFile);

export interface Invocation {
  readonly ok: boolean;
  readonly result?: RunReport;
  readonly report?: RunReport;
  readonly errorType?: string;
  readonly errorMessage?: string;
  /** Every line the function printed (its JSON logs). */
  readonly stdout: string;
  readonly stderr: string;
}

/** Registers the local API server in moto's EKS under the name its token webhook accepts. */
export async function registerEksCluster(env: EnvironmentState): Promise<void> {
  const eks = new EKSClient(awsClientConfig(env));
  await eks
    .send(
      new CreateClusterCommand({
        name: env.kube.eks.clusterName,
        roleArn: 'arn:aws:iam::123456789012:role/eks-cluster',
        resourcesVpcConfig: { subnetIds: [] },
      }),
    )
    .catch((error: Error) => {
      if (error.name !== 'ResourceInUseException') throw error;
    });
}

/** Puts a secret string in moto's Secrets Manager, creating or updating it. */
export async function putSecret(env: EnvironmentState, name: string, value: string): Promise<void> {
  const client = new SecretsManagerClient(awsClientConfig(env));
  try {
    await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceExistsException') throw error;
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
  }
}

/**
 * The function's environment for the local servers: the configuration in moto, and the
 * local cluster reached through a kubeconfig kept in moto, or (`{eks: true}`) as the EKS
 * cluster moto describes, signing in with the function's own identity.
 */
export function functionEnvironment(
  env: EnvironmentState,
  configSecretId: string,
  cluster: string | { eks: true; chartNamespace?: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  const clusters =
    typeof cluster === 'string'
      ? [{ name: 'local', kubeconfigSecretId: cluster, chartNamespace: 'handler-tests-no-chart' }]
      : [
          {
            name: env.kube.eks.clusterName,
            region: env.kube.eks.region,
            ...(cluster.chartNamespace ? { chartNamespace: cluster.chartNamespace } : {}),
          },
        ];
  return {
    PATH: process.env.PATH ?? '',
    AWS_ENDPOINT_URL: env.aws.endpoint,
    AWS_REGION: env.aws.region,
    AWS_ACCESS_KEY_ID: env.aws.accessKeyId,
    AWS_SECRET_ACCESS_KEY: env.aws.secretAccessKey,
    PRS_MANAGER_CONFIG_SECRET_ID: configSecretId,
    PRS_MANAGER_CLUSTERS: JSON.stringify(clusters),
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    ...extra,
  };
}

/** Runs dist/handler.mjs in a fresh Node process, as the Lambda runtime would. */
export async function invokeBundle(
  event: unknown,
  environment: Record<string, string>,
): Promise<Invocation> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'prs-invoke-'));
  const file = path.join(dir, 'result.json');
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['test/env/invoke-bundle.ts', JSON.stringify(event), file],
      {
        env: environment,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const outcome = JSON.parse(await readFile(file, 'utf8')) as Omit<
      Invocation,
      'stdout' | 'stderr'
    >;

    return { ...outcome, stdout, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A kubeconfig document for one identity: what a user would store in Secrets Manager. */
export function kubeconfigText(kc: k8s.KubeConfig): string {
  return kc.exportConfig();
}
