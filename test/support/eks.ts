import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { AssumedRoles } from '../../lambda/aws/assumed-roles.ts';
import type { EksOptions } from '../../lambda/clusters/eks.ts';
import { awsClientConfig, type EnvironmentState } from '../env/test-env.ts';

/** The function's own credentials in tests: moto's test keys (the token webhook maps them). */
export function staticKeys(env: EnvironmentState): {
  accessKeyId: string;
  secretAccessKey: string;
} {
  return { accessKeyId: env.aws.accessKeyId, secretAccessKey: env.aws.secretAccessKey };
}

/** EKS sign-in options against moto and the local API server, on a given clock. */
export function eksOptions(env: EnvironmentState, now: () => Date = () => new Date()): EksOptions {
  return {
    region: env.aws.region,
    roles: new AssumedRoles({ endpoint: env.aws.endpoint, now: () => now().getTime() }),
    now,
    endpoint: env.aws.endpoint,
    ownCredentials: async () => staticKeys(env),
    store: { requestTimeoutMs: 5000, pageSize: 500, maxSockets: 4, userAgent: 'prs-manager-test' },
  };
}

/** Creates an EKS cluster in moto (its endpoint and CA are the local API server's). */
export async function createEksCluster(
  env: EnvironmentState,
  name: string,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = staticKeys(
    env,
  ),
): Promise<void> {
  const eks = new EKSClient({ ...awsClientConfig(env), credentials });
  await eks
    .send(
      new CreateClusterCommand({
        name,
        roleArn: 'arn:aws:iam::123456789012:role/eks',
        resourcesVpcConfig: { subnetIds: [] },
      }),
    )
    .catch((e: Error) => {
      if (e.name !== 'ResourceInUseException') throw e;
    });
}
