import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EXAMPLE_REGCRED, getCase } from '../../support/cases.ts';
import { Harness, grantSyncCluster } from '../../support/harness.ts';
import { startEnvironment, type RunningEnvironment } from '../../env/environment.ts';
import { loadTestEnvironment } from '../../env/test-env.ts';

const REGCRED = EXAMPLE_REGCRED;
const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];

describe('C-14 All-namespaces entries cover every namespace, including kube-system and new ones', () => {
  const c = getCase('C-14');
  // "*" reaches every namespace of the cluster: this case gets a control plane of its own.
  let env: RunningEnvironment;

  beforeAll(async () => {
    env = await startEnvironment();
    await grantSyncCluster(env);
  });

  afterAll(async () => {
    await env.stop();
  });

  it('writes regcred to every namespace, regcred-a to team-a only, nothing for the entry without one', async () => {
    // Arrange
    const h = new Harness('c14', env);
    h.ns = (name) => name;
    await h.apply(c.clusterState);
    const all = ['default', 'kube-node-lease', 'kube-public', 'kube-system', 'team-a'];

    // Act
    const first = await h.run({ config: c.config });

    // Assert
    for (const ns of all) expect(await h.dockerConfig(ns, 'regcred')).toStrictEqual(REGCRED);
    expect(await h.dockerConfig('team-a', 'regcred-a')).toStrictEqual(REGCRED);
    expect(await h.readSecret('default', 'regcred-nons')).toBeUndefined();
    const posts = first.requests
      .filter((r) => r.verb === 'POST')
      .map((r) => new URL(r.url).pathname);
    expect(posts.filter((p) => p.startsWith('/api/v1/namespaces/team-a/'))).toEqual([
      '/api/v1/namespaces/team-a/secrets',
      '/api/v1/namespaces/team-a/secrets',
    ]);
    expect(posts.every((p) => !p.includes('regcred-nons'))).toBe(true);
    const rows = first.report.clusters[0]?.rows ?? [];
    expect(rows.map((r) => `${r.action} ${r.namespace}/${r.secret}`).sort()).toEqual(
      [...all.map((ns) => `created ${ns}/regcred`), 'created team-a/regcred-a'].sort(),
    );
    expect(first.report.config.invalidEntries).toEqual([
      {
        index: 1,
        name: 'regcred-nons',
        issues: [
          {
            path: 'secrets[1].kubernetes_namespace',
            rule: 'required: set kubernetes_namespace or namespaces (["*"] for all namespaces)',
          },
        ],
      },
    ]);
    expect(
      first.logs
        .filter((l) => l.message === 'secret created')
        .map((l) => `${l.namespace}/${l.secretName}`)
        .sort(),
    ).toEqual([...all.map((ns) => `${ns}/regcred`), 'team-a/regcred-a'].sort());

    // Act: a namespace appears
    await h.createNamespace('team-new');
    const second = await h.run({ config: c.config });

    // Assert
    expect(await h.dockerConfig('team-new', 'regcred')).toStrictEqual(REGCRED);
    expect(
      second.requests
        .filter((r) => WRITES.includes(r.verb))
        .map((r) => `${r.verb} ${new URL(r.url).pathname}`),
    ).toEqual(['POST /api/v1/namespaces/team-new/secrets']);
  });
});

describe('C-15 Thousands of target namespaces: exact targeting, paged listing, no idle writes', () => {
  const c = getCase('C-15');

  beforeAll(async () => {
    await grantSyncCluster(loadTestEnvironment());
  });

  it('creates exactly 1500 Secrets, pages every list, writes nothing on run 2 and deletes one on run 3', async () => {
    // Arrange
    const h = new Harness('c15');
    const namespaces = c.clusterState
      .filter((m) => m.kind === 'Namespace')
      .map((m) => m.metadata.name);
    for (let i = 0; i < namespaces.length; i += 50) {
      await Promise.all(namespaces.slice(i, i + 50).map((ns) => h.createNamespace(ns)));
    }
    const settings = { writesPerSecond: 1000, concurrency: 16 };

    // Act: run 1
    const first = await h.run({ config: c.config, settings });

    // Assert
    expect(first.report.totals.created).toBe(1500);
    expect(first.report.status).toBe('success');
    const owned = await h.core.listSecretForAllNamespaces({
      labelSelector: `prs-manager.io/owner=${h.owner}`,
    });
    expect(owned.items.map((s) => s.metadata?.namespace).sort()).toEqual(
      Array.from({ length: 1500 }, (_, i) => h.ns(`tenant-${String(i + 1).padStart(4, '0')}`)),
    );
    expect(await h.readSecret('kube-system', 'regcred')).toBeUndefined();

    // Act: run 2, nothing changed
    const second = await h.run({ config: c.config, settings });

    // Assert
    expect(second.requests.filter((r) => WRITES.includes(r.verb))).toEqual([]);
    const lists = second.requests.filter(
      (r) => r.verb === 'GET' && new URL(r.url).pathname === '/api/v1/secrets',
    );
    expect(second.requests.filter((r) => r.verb === 'GET').length - lists.length).toBe(1); // the chart's ConfigMap
    expect(lists.every((r) => new URL(r.url).searchParams.get('limit') === '500')).toBe(true);
    // 1500 owned Secrets in pages of 500: the first request has no continue token and every
    // later one follows the token the previous page returned (the API server may cut a page
    // short when a selector skips other Secrets, so there can be more than three).
    const continued = lists.map((r) => new URL(r.url).searchParams.has('continue'));
    expect(continued[0]).toBe(false);
    expect(continued.slice(1).every(Boolean)).toBe(true);
    expect(lists.length).toBeGreaterThanOrEqual(3);
    expect(lists.length).toBeLessThanOrEqual(8);
    expect(second.report.totals.unchanged).toBe(1500);

    // Act: run 3, tenant-1500 removed from the entry
    const entry = c.config[0] as { namespaces: string[] };
    const third = await h.run({
      config: [{ ...entry, namespaces: entry.namespaces.slice(0, 1499) }],
      settings,
    });

    // Assert
    expect(
      third.requests
        .filter((r) => WRITES.includes(r.verb))
        .map((r) => `${r.verb} ${new URL(r.url).pathname}`),
    ).toEqual([`DELETE /api/v1/namespaces/${h.ns('tenant-1500')}/secrets/regcred`]);
  });
});
