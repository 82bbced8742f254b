import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import * as k8s from '@kubernetes/client-node';
import { eksTarget } from '../../lambda/clusters/eks.ts';
import { eksToken } from '../../lambda/clusters/eks-token.ts';
import { createKubernetesStore } from '../../lambda/clusters/kubernetes-store.ts';
import type { ClusterTarget } from '../../lambda/sync/engine.ts';
import { createEksCluster, eksOptions } from '../support/eks.ts';
import { Harness, grantSyncCluster } from '../support/harness.ts';
import { adminKubeConfig, awsClientConfig, loadTestEnvironment } from '../env/test-env.ts';
import { helmCluster, installChart, uninstallChart, type HelmCluster } from '../helm/helm.ts';

const env = loadTestEnvironment();
const CROSS_ROLE = 'arn:aws:iam::111111111111:role/prs-manager-cross-account';
const STATIC = { accessKeyId: env.aws.accessKeyId, secretAccessKey: env.aws.secretAccessKey };
const REGCRED = [
  {
    name: 'regcred',
    kubernetes_namespace: 'apps',
    type: 'DOCKER',
    credential: { docker_registry: 'registry.example.com', docker_user: 'u', docker_password: 'p' },
  },
];

const createCluster = (name: string, credentials?: typeof STATIC) =>
  createEksCluster(env, name, credentials);
const options = (now?: () => Date) => eksOptions(env, now);

async function runOn(h: Harness, clusters: ClusterTarget[]) {
  return h.run({ config: REGCRED, clusters });
}

const NAMESPACES = ['eks-ok-apps', 'eks-two-apps', 'eks-cross-apps'];
const RELEASE = { name: 'prs-manager', namespace: 'prs-manager' };
let helm: HelmCluster;

afterAll(async () => {
  await uninstallChart(helm, RELEASE);
  await helm.dispose();
});

beforeAll(async () => {
  await grantSyncCluster(env);
  // The chart is how an EKS cluster lets the function in; these tests' namespaces are granted.
  const core = adminKubeConfig(env).makeApiClient(k8s.CoreV1Api);
  for (const name of NAMESPACES) {
    await core.createNamespace({ body: { metadata: { name } } }).catch(() => undefined);
  }
  helm = await helmCluster(env);
  await installChart(helm, RELEASE, { namespaces: NAMESPACES });
  await createCluster(env.kube.eks.clusterName);
  await createCluster('staging');
  await createCluster('down-prod');
  // The cross-account cluster lives in account 111111111111 (moto keeps accounts apart).
  const sts = new STSClient(awsClientConfig(env));
  const c = (
    await sts.send(new AssumeRoleCommand({ RoleArn: CROSS_ROLE, RoleSessionName: 'setup' }))
  ).Credentials;
  await createCluster(env.kube.eks.clusterName, {
    accessKeyId: c?.AccessKeyId ?? '',
    secretAccessKey: c?.SecretAccessKey ?? '',
    ...(c?.SessionToken ? { sessionToken: c.SessionToken } : {}),
  } as typeof STATIC);
});

describe('EKS sign-in', () => {
  it('syncs with a token signed for the cluster, found through DescribeCluster', async () => {
    // Arrange
    const h = new Harness('eks-ok');
    await h.createNamespace('apps');

    // Act
    const result = await runOn(h, [eksTarget({ name: 'dev' }, options())]);

    // Assert
    expect(result.report.clusters).toEqual([
      {
        cluster: 'dev',
        status: 'ok',
        rows: [
          {
            cluster: 'dev',
            namespace: h.ns('apps'),
            secret: 'regcred',
            entry: 'regcred',
            action: 'created',
            reason: 'missing',
          },
        ],
      },
    ]);
    expect(result.report.status).toBe('success');
  });

  it.each([
    {
      name: 'a token for another cluster',
      token: () => eksToken('staging', 'us-east-1', STATIC, new Date()),
    },
    {
      name: 'an expired token',
      token: () => eksToken('dev', 'us-east-1', STATIC, new Date(Date.now() - 16 * 60000)),
    },
    {
      name: 'a token of an unknown identity',
      token: () =>
        eksToken(
          'dev',
          'us-east-1',
          { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' },
          new Date(),
        ),
    },
    {
      name: 'a token with a bad signature',
      token: async () => ({
        token: (
          await eksToken('dev', 'us-east-1', { ...STATIC, secretAccessKey: 'wrong' }, new Date())
        ).token,
      }),
    },
  ])('is refused with 401 for $name', async ({ token }) => {
    // Arrange
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'dev', server: env.kube.server, caData: env.kube.caData }],
      users: [{ name: 'u', token: (await token()).token }],
      contexts: [{ name: 'dev', cluster: 'dev', user: 'u' }],
      currentContext: 'dev',
    });

    // Act
    const status = await kc
      .makeApiClient(k8s.CoreV1Api)
      .listNamespacedSecret({ namespace: 'default' })
      .then(
        () => 200,
        (e: unknown) => (e instanceof k8s.ApiException ? e.code : -1),
      );

    // Assert
    expect(status).toBe(401);
  });

  it.each([
    {
      name: 'signed for another cluster',
      cluster: 'staging',
      roleArn: undefined,
      clockMinutes: 0,
      why: 'signature does not match for cluster dev',
    },
    {
      name: 'expired (the clock is 20 minutes slow)',
      cluster: 'dev',
      roleArn: undefined,
      clockMinutes: -20,
      why: 'token expired',
    },
    {
      name: 'of a role without an access entry',
      cluster: 'dev',
      roleArn: 'arn:aws:iam::123456789012:role/not-mapped',
      clockMinutes: 0,
      why: 'no access entry for arn:aws:iam::123456789012:role/not-mapped',
    },
  ])(
    'reports a cluster whose tokens are refused ($name) after one renewal, and fails the run',
    async ({ cluster, roleArn, clockMinutes, why }) => {
      // Arrange
      const h = new Harness(`eks-refused-${cluster}-${clockMinutes}-${roleArn ? 'r' : 's'}`);
      const clock = () => new Date(Date.now() + clockMinutes * 60000);

      const webhookLog = () => readFileSync(path.join(env.dir, 'webhook.log'), 'utf8').split('\n');
      const before = webhookLog().length;

      // Act
      const result = await runOn(h, [
        eksTarget({ name: cluster, ...(roleArn ? { roleArn } : {}) }, options(clock)),
      ]);

      // Assert: the token, and the renewed one, were refused for the reason EKS would give
      expect(
        webhookLog()
          .slice(before - 1)
          .filter((l) => l.startsWith('refused')),
      ).toEqual([`refused: ${why}`, `refused: ${why}`]);
      expect(result.report.clusters).toEqual([
        {
          cluster,
          status: 'failed',
          rows: [],
          error:
            'unauthorized: get configmaps prs-manager in namespace prs-manager (HTTP 401); the credentials were refused',
        },
      ]);
      expect(result.report.status).toBe('failed');
    },
  );

  it('syncs one cluster while the other is unreachable, and fails the run at the end', async () => {
    // Arrange
    const h = new Harness('eks-two');
    await h.createNamespace('apps');

    // Act
    const result = await runOn(h, [
      eksTarget({ name: 'down-prod' }, options()),
      eksTarget({ name: 'dev' }, options()),
    ]);

    // Assert
    expect(
      result.report.clusters.map((c) => [
        c.cluster,
        c.status,
        c.error ?? c.rows.map((r) => r.action).join(),
      ]),
    ).toEqual([
      ['down-prod', 'failed', 'API server unreachable: ECONNREFUSED (get configmaps)'],
      ['dev', 'ok', 'created'],
    ]);
    expect(result.report.status).toBe('partial');
    expect(result.logs.filter((l) => l.message === 'cluster failed').map((l) => l.cluster)).toEqual(
      ['down-prod'],
    );
  });

  it('reports a cluster that cannot be described', async () => {
    // Arrange
    const h = new Harness('eks-missing');

    // Act
    const result = await runOn(h, [eksTarget({ name: 'no-such-cluster' }, options())]);

    // Assert
    expect(result.report.clusters[0]?.status).toBe('failed');
    expect(result.report.clusters[0]?.error).toMatch(
      /^eks:DescribeCluster failed: ResourceNotFoundException/,
    );
  });

  it('signs in to a cross-account cluster with an assumed role', async () => {
    // Arrange
    const h = new Harness('eks-cross');
    await h.createNamespace('apps');

    // Act
    const result = await runOn(h, [eksTarget({ name: 'dev', roleArn: CROSS_ROLE }, options())]);

    // Assert
    expect(result.report.clusters[0]?.rows.map((r) => r.action)).toEqual(['created']);
    expect(result.report.status).toBe('success');
  });

  it('renews a refused token once and retries the request', async () => {
    // Arrange: the first token the store is given is garbage, later ones are real
    const h = new Harness('eks-renew');
    await h.createNamespace('apps');
    let calls = 0;
    let invalidations = 0;
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'dev', server: env.kube.server, caData: env.kube.caData }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'dev', cluster: 'dev', user: 'u' }],
      currentContext: 'dev',
    });
    let current: string | undefined;
    const store = await createKubernetesStore(kc, {
      requestTimeoutMs: 5000,
      pageSize: 500,
      maxSockets: 2,
      userAgent: 'test',
      bearerToken: async () => {
        calls += 1;
        current ??=
          calls === 1
            ? 'k8s-aws-v1.garbage'
            : (await eksToken('dev', 'us-east-1', STATIC, new Date())).token;

        return current;
      },
      onUnauthorized: () => {
        invalidations += 1;
        current = undefined;
      },
    });

    // Act
    const secrets = await store.listSecrets('prs-manager.io/owner=nobody', h.ns('apps'));

    // Assert
    expect(secrets).toEqual([]);
    expect(invalidations).toBe(1);
  });
});
