import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { Harness, grantSyncCluster } from '../support/harness.ts';
import {
  functionEnvironment,
  invokeBundle,
  kubeconfigText,
  putSecret,
  registerEksCluster,
} from '../support/bundle.ts';
import { helmCluster, installChart, uninstallChart } from '../helm/helm.ts';
import { loadTestEnvironment, syncKubeConfig } from '../env/test-env.ts';

const env = loadTestEnvironment();

/** The original design's example (examples/config.yaml), aimed at this test's namespace. */
const ORIGINAL_EXAMPLE = (ns: string) =>
  readFileSync('examples/config.yaml', 'utf8').replaceAll(
    'kubernetes_namespace: default',
    `kubernetes_namespace: ${ns}`,
  );

beforeAll(async () => {
  await grantSyncCluster(env);
  await putSecret(env, 'handler-kubeconfig', kubeconfigText(syncKubeConfig(env)));
});

async function setUp(prefix: string, config: string) {
  const h = new Harness(prefix);
  await h.createNamespace('apps');
  await putSecret(env, `${prefix}-config`, config);
  const environment = functionEnvironment(env, `${prefix}-config`, 'handler-kubeconfig', {
    PRS_MANAGER_OWNER: h.owner,
  });

  return { h, environment };
}

describe('handler (the esbuild bundle, invoked as the Lambda runtime would)', () => {
  it('syncs the original example on a scheduled event, then makes no write on the next one', async () => {
    // Arrange
    const { h, environment } = await setUp(
      'handler-example',
      ORIGINAL_EXAMPLE(`handler-example-apps`),
    );
    const scheduled = { source: 'aws.scheduler', 'detail-type': 'Scheduled Event', detail: {} };

    // Act
    const first = await invokeBundle(scheduled, environment);
    const second = await invokeBundle(scheduled, environment);

    // Assert
    expect(first.ok).toBe(true);
    expect(first.result?.clusters[0]?.rows.map((r) => [r.secret, r.action])).toEqual([
      ['ecr-dev', 'created'],
      ['docker-example', 'created'],
    ]);
    expect(await h.dockerConfig('apps', 'docker-example')).toStrictEqual({
      auths: {
        'https://index.docker.io/v1/': {
          username: 'foobargem',
          password: 'password',
          email: 'foobargem@example.com',
          auth: 'Zm9vYmFyZ2VtOnBhc3N3b3Jk',
        },
      },
    });
    expect(
      Object.keys(((await h.dockerConfig('apps', 'ecr-dev')) as { auths: object }).auths),
    ).toEqual(['123456789012.dkr.ecr.ap-northeast-2.amazonaws.com']);
    expect(second.ok).toBe(true);
    expect(second.result?.totals).toEqual({
      created: 0,
      updated: 0,
      refreshed: 0,
      deleted: 0,
      unchanged: 2,
      skipped: 0,
      conflict: 0,
      failed: 0,
    });
    expect(second.result?.tokenCalls).toBe(0);
  });

  it('narrows a manual dry run to the named secrets and writes nothing', async () => {
    // Arrange
    const { h, environment } = await setUp('handler-dry', ORIGINAL_EXAMPLE('handler-dry-apps'));

    // Act
    const result = await invokeBundle({ dryRun: true, secrets: ['docker-example'] }, environment);

    // Assert
    expect(result.ok).toBe(true);
    expect(result.result?.dryRun).toBe(true);
    expect(result.result?.clusters[0]?.rows.map((r) => [r.secret, r.action, r.reason])).toEqual([
      ['docker-example', 'created', 'dry run: missing'],
    ]);
    expect(await h.readSecret('apps', 'docker-example')).toBeUndefined();
  });

  it.each([
    {
      name: 'a wrong type',
      event: { dryRun: 'yes' },
      message:
        'invalid payload: dryRun: must be true or false; expected {"dryRun"?: boolean, "secrets"?: [names], "clusters"?: [names]}',
    },
    {
      name: 'an unknown key',
      event: { dryrun: true },
      message:
        'invalid payload: (root): Unrecognized key: "dryrun"; expected {"dryRun"?: boolean, "secrets"?: [names], "clusters"?: [names]}',
    },
  ])(
    'fails the invocation for a payload with $name, naming the field',
    async ({ event, message }) => {
      // Arrange
      const { environment } = await setUp(
        'handler-payload',
        ORIGINAL_EXAMPLE('handler-payload-apps'),
      );

      // Act
      const result = await invokeBundle(event, environment);

      // Assert
      expect([result.ok, result.errorType, result.errorMessage]).toEqual([
        false,
        'ConfigError',
        message,
      ]);
    },
  );

  it('fails the invocation after all work when an entry fails, with a summary naming it', async () => {
    // Arrange: one entry in a namespace the cluster does not have
    const config = `${ORIGINAL_EXAMPLE('handler-fail-apps')}  - name: other
    kubernetes_namespace: handler-fail-apps
    type: DOCKER
    credential: {docker_registry: "registry.example.com", docker_user: "u", docker_password: ""}
`;
    const { h, environment } = await setUp('handler-fail', config);

    // Act
    const result = await invokeBundle({}, environment);

    // Assert
    expect(result.ok).toBe(false);
    expect(result.errorType).toBe('SyncFailedError');
    expect(result.errorMessage).toBe('sync partial: 2 created; invalid entry secrets[2]');
    expect(await h.readSecret('apps', 'docker-example')).toBeDefined();
  });
});

describe('handler on an EKS cluster', () => {
  it('signs in through DescribeCluster and a bearer token, and syncs what the chart grants', async () => {
    // Arrange: the local API server as EKS cluster dev, with the chart installed
    const h = new Harness('handler-eks');
    await h.createNamespace('apps');
    await registerEksCluster(env);
    const helm = await helmCluster(env);
    const release = { name: 'prs-manager', namespace: 'handler-eks-chart' };
    await installChart(helm, release, { namespaces: [h.ns('apps')] });
    await putSecret(env, 'handler-eks-config', ORIGINAL_EXAMPLE(h.ns('apps')));
    const environment = functionEnvironment(
      env,
      'handler-eks-config',
      { eks: true, chartNamespace: release.namespace },
      { PRS_MANAGER_OWNER: h.owner },
    );

    try {
      // Act
      const result = await invokeBundle({}, environment);

      // Assert
      expect(
        result.result?.clusters.map((c) => [c.cluster, c.status, c.rows.map((r) => r.action)]),
      ).toEqual([['dev', 'ok', ['created', 'created']]]);
      expect(await h.readSecret('apps', 'docker-example')).toBeDefined();
    } finally {
      await uninstallChart(helm, release);
      await helm.dispose();
    }
  });
});

describe('logs', () => {
  it('never contain a password, token, auth string or .dockerconfigjson, plain or encoded', async () => {
    // Arrange: distinctive credentials, and a failure so that error paths log too
    const password = 'canary-Pa55-word';
    const awsSecret = 'canary-aws-secret-access-key';
    const config = `secrets:
  - name: ecr-canary
    kubernetes_namespace: handler-logs-apps
    type: ECR
    credential: {aws_access_key_id: AKIACANARYKEY0000001, aws_secret_access_key: ${awsSecret}, aws_ecr_repository_region: us-east-1}
  - name: docker-canary
    kubernetes_namespace: handler-logs-apps
    type: DOCKER
    credential: {docker_registry: registry.example.com, docker_user: canary-user, docker_password: ${password}}
  - name: docker-missing-ns
    kubernetes_namespace: handler-logs-nowhere
    type: DOCKER
    credential: {docker_registry: registry.example.com, docker_user: canary-user, docker_password: ${password}}
`;
    const { h, environment } = await setUp('handler-logs', config);

    // Act
    const first = await invokeBundle({}, environment);
    await h.core.patchNamespacedSecret(
      {
        name: 'docker-canary',
        namespace: h.ns('apps'),
        body: [{ op: 'replace', path: '/metadata/annotations', value: { touched: 'yes' } }],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    const second = await invokeBundle({ dryRun: false }, environment);

    // Assert
    const secret = await h.readSecret('apps', 'docker-canary');
    const ecr = await h.readSecret('apps', 'ecr-canary');
    const dockerValue = secret?.data?.['.dockerconfigjson'] ?? 'missing';
    const ecrValue = ecr?.data?.['.dockerconfigjson'] ?? 'missing';
    const ecrJson = Buffer.from(ecrValue, 'base64').toString();
    const ecrToken = /"auth":"([^"]+)"/.exec(ecrJson)?.[1] ?? 'missing';
    const forbidden = [
      password,
      Buffer.from(password).toString('base64'),
      Buffer.from(`canary-user:${password}`).toString('base64'),
      dockerValue,
      Buffer.from(dockerValue, 'base64').toString(),
      ecrValue,
      ecrToken,
      Buffer.from(ecrToken, 'base64').toString().slice(4),
      awsSecret,
      env.kube.syncToken,
      env.kube.adminToken,
    ];
    const lines = [first, second]
      .flatMap((i) => `${i.stdout}\n${i.stderr}`.split('\n'))
      .filter(Boolean);
    expect(lines.length).toBeGreaterThan(10);
    const json = lines
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { service?: string; level?: string });
    expect(lines.filter((l) => !l.startsWith('{'))).toEqual([]);
    expect(new Set(json.map((l) => l.service))).toEqual(new Set(['prs-manager']));
    for (const text of [...lines, JSON.stringify(first.result), JSON.stringify(second.result)]) {
      for (const value of forbidden) expect(text).not.toContain(value);
    }
    expect(first.result?.clusters[0]?.rows.map((r) => [r.secret, r.action, r.reason])).toEqual([
      ['ecr-canary', 'created', 'missing'],
      ['docker-canary', 'created', 'missing'],
      ['docker-missing-ns', 'skipped', 'namespace does not exist'],
    ]);
    expect(json.filter((l) => l.level === 'INFO').length).toBeGreaterThan(4);
  });
});
