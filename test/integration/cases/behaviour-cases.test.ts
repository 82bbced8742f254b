import net from 'node:net';
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { OWNER_LABEL } from '../../../lambda/sync/model.ts';
import { EXAMPLE_ECR, EXAMPLE_REGCRED, getCase, type Case } from '../../support/cases.ts';
import { Harness, grantSyncCluster } from '../../support/harness.ts';
import { ecrFromCase, type CaseEcrState } from '../../support/scripted-aws.ts';
import { loadTestEnvironment } from '../../env/test-env.ts';

const ECR_PLACEHOLDER = EXAMPLE_ECR;
const REGCRED = EXAMPLE_REGCRED;

function ecrOf(c: Case, h: Harness) {
  return ecrFromCase((c.awsState.GetAuthorizationToken ?? []) as CaseEcrState[], () => h.now);
}

beforeAll(async () => {
  await grantSyncCluster(loadTestEnvironment());
});

describe('C-10 Invalid Secret names are rejected entry by entry during config validation', () => {
  it('sends no request naming an invalid value, mints nothing for eu-west-1, and writes entry 6 only', async () => {
    // Arrange
    const c = getCase('C-10');
    const h = new Harness('c10');
    await h.apply(c.clusterState);
    const ecr = ecrOf(c, h);
    const invalid = (c.config as { name: string }[]).slice(0, 6).map((e) => e.name);

    // Act
    const result = await h.run({ config: c.config, ecr });

    // Assert
    for (const name of invalid) {
      expect(
        result.requests.filter(
          (r) => r.url.includes(encodeURIComponent(name)) || r.body?.includes(name),
        ),
      ).toEqual([]);
    }
    expect(ecr.calls.map((call) => call.region)).toEqual(['us-east-1']);
    expect(await h.readSecret('team-a', 'myprivaterepo')).toBeUndefined();
    expect(await h.dockerConfig('team-a', 'ecr-pull')).toStrictEqual(ECR_PLACEHOLDER);
    expect(result.report.status).toBe('partial');
    expect(result.report.totals.created).toBe(1);
    expect(result.report.config.invalidEntries.map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('C-16 A failing entry does not stop the other entries', () => {
  const c = getCase('C-16');
  const orders = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ];

  it.each(orders.map((order) => ({ order: order.join(','), indexes: order })))(
    'writes the two good entries and reports AccessDeniedException for ecr-pull, entries in order $order',
    async ({ order, indexes }) => {
      // Arrange
      const h = new Harness(`c16-${order.replaceAll(',', '')}`);
      await h.apply(c.clusterState);
      const before = await h.readSecret('team-a', 'ecr-pull');
      const config = indexes.map((i) => c.config[i]);

      // Act
      const result = await h.run({ config, ecr: ecrOf(c, h) });

      // Assert
      expect(await h.dockerConfig('team-a', 'regcred')).toStrictEqual(REGCRED);
      expect(await h.dockerConfig('team-a', 'ecr-ok')).toStrictEqual(ECR_PLACEHOLDER);
      expect(await h.readSecret('team-a', 'ecr-pull')).toStrictEqual(before);
      const writes = result.requests.filter(
        (r) => r.verb !== 'GET' && r.url.includes('/secrets/ecr-pull'),
      );
      expect(writes).toEqual([]);
      const failed = result.report.clusters[0]?.rows.filter((r) => r.action === 'failed');
      expect(failed?.map((r) => [r.secret, r.errorCode])).toEqual([
        ['ecr-pull', 'AccessDeniedException'],
      ]);
      expect(result.report.status).toBe('partial');
      expect(result.report.totals.created).toBe(2);
    },
  );
});

describe('C-17 Missing Kubernetes permissions are reported precisely, with no crash, loop or hang', () => {
  const c = getCase('C-17');

  it('writes team-a, reports the namespace list and team-b refusals once each, and completes', async () => {
    // Arrange
    const h = new Harness('c17');
    h.identity = 'nobody';
    await h.apply(c.clusterState);

    // Act
    const result = await h.run({ config: c.config, kubeConfig: h.kubeConfigAs('nobody') });

    // Assert
    expect(await h.dockerConfig('team-a', 'regcred-a')).toStrictEqual(REGCRED);
    const rows = result.report.clusters[0]?.rows ?? [];
    expect(rows.map((r) => [r.secret, r.namespace, r.action, r.reason])).toEqual([
      [
        'regcred-all',
        '*',
        'failed',
        'forbidden: list namespaces at cluster scope (HTTP 403 Forbidden); grant this verb',
      ],
      [
        'regcred-b',
        h.ns('team-b'),
        'failed',
        `forbidden: list secrets in namespace ${h.ns('team-b')} (HTTP 403 Forbidden); grant this verb`,
      ],
      ['regcred-a', h.ns('team-a'), 'created', 'missing'],
    ]);
    const namespaceLists = result.requests.filter(
      (r) => new URL(r.url).pathname === '/api/v1/namespaces',
    );
    expect(namespaceLists).toHaveLength(1);
    expect(result.report.status).toBe('partial');
  });

  it('fails a request to a server that never answers after the timeout, and ends the run', async () => {
    // Arrange: a TCP listener that accepts and stays silent
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const h = new Harness('c17-silent');
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [
        { name: 'silent', server: `https://127.0.0.1:${port}`, caData: h.env.kube.caData },
      ],
      users: [{ name: 'u', token: 'not-a-real-token' }],
      contexts: [{ name: 'silent', cluster: 'silent', user: 'u' }],
      currentContext: 'silent',
    });

    // Act
    const result = await h.run({ config: [c.config[0]], kubeConfig: kc, requestTimeoutMs: 300 });
    silent.close();

    // Assert
    expect(result.report.clusters).toEqual([
      {
        cluster: 'local',
        status: 'failed',
        error: 'API server unreachable: Timeout (no answer to get configmaps)',
        rows: [],
      },
    ]);
    expect(result.report.status).toBe('failed');
  });
});

describe('C-19 Kubernetes client calls have the right shape', () => {
  const c = getCase('C-19');

  it('updates with PUT carrying the read resourceVersion and creates with POST to the namespace path', async () => {
    // Arrange
    const h = new Harness('c19');
    await h.apply(c.clusterState);
    const live = await h.readSecret('team-a', 'ecr-pull');

    // Act
    const result = await h.run({ config: c.config, ecr: ecrOf(c, h) });

    // Assert
    const put = result.requests.filter((r) => r.verb === 'PUT');
    expect(put.map((r) => new URL(r.url).pathname)).toEqual([
      `/api/v1/namespaces/${h.ns('team-a')}/secrets/ecr-pull`,
    ]);
    expect(put[0]?.contentType).toBe('application/json');
    expect((JSON.parse(put[0]?.body ?? '{}') as k8s.V1Secret).metadata?.resourceVersion).toBe(
      live?.metadata?.resourceVersion,
    );
    const post = result.requests.filter((r) => r.verb === 'POST');
    expect(post.map((r) => new URL(r.url).pathname)).toEqual([
      `/api/v1/namespaces/${h.ns('team-b')}/secrets`,
    ]);
    const created = JSON.parse(post[0]?.body ?? '{}') as k8s.V1Secret;
    expect([created.metadata?.name, created.metadata?.namespace]).toEqual([
      'ecr-pull',
      h.ns('team-b'),
    ]);
    expect(result.requests.filter((r) => r.verb === 'PATCH')).toEqual([]);
    for (const ns of ['team-a', 'team-b'])
      expect(await h.dockerConfig(ns, 'ecr-pull')).toStrictEqual(ECR_PLACEHOLDER);
    const after = await h.readSecret('team-a', 'ecr-pull');
    expect(after?.metadata?.uid).toBe(live?.metadata?.uid);
    expect(after?.metadata?.labels?.[OWNER_LABEL]).toBe(h.owner);
  });

  it('pins @kubernetes/client-node exactly and locks it', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
      packages: Record<string, { version: string }>;
    };

    expect(pkg.dependencies['@kubernetes/client-node']).toBe('1.4.0');
    expect(lock.packages['node_modules/@kubernetes/client-node']?.version).toBe('1.4.0');
  });
});
