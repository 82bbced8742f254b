// Smoke test of the shared local environment (test/env): the control plane authenticates the
// three identities with RBAC on, and moto carries the launcher's ECR and EKS patches.
import { randomBytes } from 'node:crypto';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { CreateClusterCommand, DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import * as k8s from '@kubernetes/client-node';
import { resetMoto } from '../env/environment.ts';
import {
  adminKubeConfig,
  awsClientConfig,
  loadTestEnvironment,
  nobodyKubeConfig,
  syncKubeConfig,
} from '../env/test-env.ts';

const env = loadTestEnvironment();
const TWELVE_HOURS_MS = 12 * 60 * 60 * 1000;
const TWO_MINUTES_MS = 2 * 60 * 1000;

async function statusOf(call: Promise<unknown>): Promise<number | 'no error'> {
  try {
    await call;
    return 'no error';
  } catch (error) {
    if (error instanceof k8s.ApiException) return error.code;
    throw error;
  }
}

describe('local kube-apiserver', () => {
  it('lets the admin create a namespace and read it back', async () => {
    // Arrange
    const core = adminKubeConfig(env).makeApiClient(k8s.CoreV1Api);
    const name = `env-smoke-${randomBytes(4).toString('hex')}`;

    // Act
    await core.createNamespace({ body: { metadata: { name, labels: { purpose: 'smoke' } } } });
    const read = await core.readNamespace({ name });

    // Assert
    expect(read.metadata?.name).toBe(name);
    expect(read.metadata?.labels).toEqual({
      purpose: 'smoke',
      'kubernetes.io/metadata.name': name,
    });
    expect(read.status?.phase).toBe('Active');
  });

  it('answers 403 when nobody lists secrets in default', async () => {
    // Arrange
    const core = nobodyKubeConfig(env).makeApiClient(k8s.CoreV1Api);

    // Act
    const status = await statusOf(core.listNamespacedSecret({ namespace: 'default' }));

    // Assert
    expect(status).toBe(403);
  });

  it('answers 403 when registry-sync lists what no test grants it (configmaps)', async () => {
    // Arrange: other suites grant registry-sync secrets, never configmaps
    const core = syncKubeConfig(env).makeApiClient(k8s.CoreV1Api);

    // Act
    const status = await statusOf(core.listNamespacedConfigMap({ namespace: 'default' }));

    // Assert
    expect(status).toBe(403);
  });
});

describe('moto launched by moto_launcher.py', () => {
  beforeEach(async () => {
    await resetMoto(env.aws.endpoint);
  });

  it('returns an ECR token that expires 12 hours from now', async () => {
    // Arrange
    const ecr = new ECRClient(awsClientConfig(env));
    const before = Date.now();

    // Act
    const answer = await ecr.send(new GetAuthorizationTokenCommand({}));

    // Assert
    const data = answer.authorizationData ?? [];
    expect(data).toHaveLength(1);
    expect(data[0]?.authorizationToken).toBe('QVdTOjEyMzQ1Njc4OTAxMi1hdXRoLXRva2Vu');
    expect(data[0]?.proxyEndpoint).toBe('https://123456789012.dkr.ecr.us-east-1.amazonaws.com');
    const expiresAt = data[0]?.expiresAt?.getTime() ?? 0;
    expect(Math.abs(expiresAt - (before + TWELVE_HOURS_MS))).toBeLessThanOrEqual(TWO_MINUTES_MS);
  });

  it('describes EKS clusters with the local apiserver endpoint and CA', async () => {
    // Arrange
    const eks = new EKSClient(awsClientConfig(env));
    await eks.send(
      new CreateClusterCommand({
        name: 'smoke',
        roleArn: 'arn:aws:iam::123456789012:role/eks',
        resourcesVpcConfig: { subnetIds: [] },
      }),
    );

    // Act
    const described = await eks.send(new DescribeClusterCommand({ name: 'smoke' }));

    // Assert
    expect(described.cluster?.endpoint).toBe(env.kube.server);
    expect(described.cluster?.certificateAuthority?.data).toBe(env.kube.caData);
  });
});
