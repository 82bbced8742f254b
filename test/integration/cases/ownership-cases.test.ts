import { beforeAll, describe, expect, it } from '@jest/globals';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretsManagerSource } from '../../../lambda/config/sources.ts';
import { OWNER_LABEL } from '../../../lambda/sync/model.ts';
import { EXAMPLE_REGCRED, getCase } from '../../support/cases.ts';
import { Harness, OTHER_OWNER, grantSyncCluster } from '../../support/harness.ts';
import { scriptedAws } from '../../support/scripted-aws.ts';
import { awsClientConfig, loadTestEnvironment } from '../../env/test-env.ts';

const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];
const REGCRED = EXAMPLE_REGCRED;

beforeAll(async () => {
  await grantSyncCluster(loadTestEnvironment());
});

function writesTo(requests: { verb: string; url: string }[], namespace: string, name?: string) {
  const path = `/api/v1/namespaces/${namespace}/secrets${name ? `/${name}` : ''}`;

  return requests
    .filter((r) => WRITES.includes(r.verb) && new URL(r.url).pathname === path)
    .map((r) => r.verb);
}

describe('C-11 A same-name Secret that the project does not own is never changed or deleted', () => {
  const c = getCase('C-11');

  it('reports both conflicts, creates team-b only, and later deletes only its own', async () => {
    // Arrange
    const h = new Harness('c11');
    await h.apply(c.clusterState);
    const before = {
      a: await h.readSecret('team-a', 'regcred'),
      c: await h.readSecret('team-c', 'regcred'),
    };

    // Act
    const first = await h.run({ config: c.config });

    // Assert
    for (const ns of ['team-a', 'team-c'])
      expect(writesTo(first.requests, h.ns(ns), 'regcred')).toEqual([]);
    expect(await h.readSecret('team-a', 'regcred')).toStrictEqual(before.a);
    expect(await h.readSecret('team-c', 'regcred')).toStrictEqual(before.c);
    const rows = first.report.clusters[0]?.rows ?? [];
    expect(rows.map((r) => [r.namespace, r.secret, r.action, r.reason])).toEqual([
      [
        h.ns('team-a'),
        'regcred',
        'conflict',
        `a secret of this name exists without the owner label ${OWNER_LABEL}; left alone`,
      ],
      [h.ns('team-b'), 'regcred', 'created', 'missing'],
      [
        h.ns('team-c'),
        'regcred',
        'conflict',
        `a secret of this name has owner label ${OWNER_LABEL}=${OTHER_OWNER}, not ${h.owner}; left alone`,
      ],
    ]);
    expect(first.report.status).toBe('partial');
    expect((await h.readSecret('team-b', 'regcred'))?.metadata?.labels?.[OWNER_LABEL]).toBe(
      h.owner,
    );
    expect(await h.dockerConfig('team-b', 'regcred')).toStrictEqual(REGCRED);

    // Act: the entry is replaced by another one
    await h.createNamespace('team-d');
    const entry = c.config[0] as Record<string, unknown>;
    const second = await h.run({
      config: [{ ...entry, name: 'regcred-new', namespaces: ['team-d'] }],
    });

    // Assert
    const deletes = second.requests
      .filter((r) => r.verb === 'DELETE')
      .map((r) => new URL(r.url).pathname);
    expect(deletes).toEqual([`/api/v1/namespaces/${h.ns('team-b')}/secrets/regcred`]);
    expect(await h.readSecret('team-b', 'regcred')).toBeUndefined();
    expect(await h.readSecret('team-a', 'regcred')).toStrictEqual(before.a);
    expect(await h.readSecret('team-c', 'regcred')).toStrictEqual(before.c);
  });

  it('leaves an unlabelled Secret with exactly the desired content alone and reports it', async () => {
    // Arrange
    const h = new Harness('c11-same');
    await h.createNamespace('team-a');
    const value = Buffer.from(JSON.stringify(REGCRED)).toString('base64');
    await h.core.createNamespacedSecret({
      namespace: h.ns('team-a'),
      body: {
        metadata: { name: 'regcred' },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': value },
      },
    });
    const before = await h.readSecret('team-a', 'regcred');

    // Act
    const result = await h.run({
      config: [{ ...(c.config[0] as object), namespaces: ['team-a'] }],
    });

    // Assert
    expect(result.report.clusters[0]?.rows.map((r) => r.action)).toEqual(['conflict']);
    expect(writesTo(result.requests, h.ns('team-a'), 'regcred')).toEqual([]);
    expect(await h.readSecret('team-a', 'regcred')).toStrictEqual(before);
  });
});

describe('C-13 Secrets of removed entries are deleted, only if owned, and never after a bad config load', () => {
  const c = getCase('C-13');

  it('sends exactly two deletes, for the owned orphans, and nothing for team-c', async () => {
    // Arrange
    const h = new Harness('c13');
    await h.apply(c.clusterState);

    // Act
    const result = await h.run({ config: c.config });

    // Assert
    const writes = result.requests
      .filter((r) => WRITES.includes(r.verb))
      .map((r) => `${r.verb} ${new URL(r.url).pathname}`);
    expect(writes.sort()).toEqual([
      `DELETE /api/v1/namespaces/${h.ns('team-a')}/secrets/ecr-old`,
      `DELETE /api/v1/namespaces/${h.ns('team-b')}/secrets/ecr-old`,
    ]);
    expect(result.requests.filter((r) => r.url.includes(`/namespaces/${h.ns('team-c')}/`))).toEqual(
      [],
    );
    expect(await h.readSecret('team-c', 'ecr-old')).toBeDefined();
    expect(await h.dockerConfig('team-a', 'regcred')).toStrictEqual(REGCRED);
    expect(result.report.status).toBe('success');
  });

  it.each([
    {
      name: 'A: GetSecretValue is denied',
      error:
        'secretsmanager:prs-config: secretsmanager:GetSecretValue failed: AccessDeniedException: User is not authorized',
      source: () => {
        const denied = scriptedAws(() => ({
          error: { code: 'AccessDeniedException', message: 'User is not authorized' },
        }));
        const client = new SecretsManagerClient({
          ...awsClientConfig(loadTestEnvironment()),
          requestHandler: denied.handler,
          maxAttempts: 1,
        });

        return secretsManagerSource(client, 'prs-config');
      },
    },
    {
      name: 'B: the document is not valid JSON',
      text: '{"secrets": [ {"name": ',
      error:
        'secretsmanager:c13-b-config-1: not valid JSON or YAML at line 1, column 24 (BAD_INDENT)',
    },
    {
      name: 'C: the document has no entries',
      text: '{"secrets": []}',
      error:
        'secretsmanager:c13-c-config-1: secrets: the list is empty; nothing is kept or deleted',
    },
  ])('sends no delete and no other write when variant $name', async ({ text, source, error }) => {
    // Arrange
    const h = new Harness(`c13-${text ? (text.length > 16 ? 'b' : 'c') : 'a'}`);
    await h.apply(c.clusterState);

    // Act
    const result = await h.run({ config: text ?? [], ...(source ? { source: source() } : {}) });

    // Assert
    expect(result.requests.filter((r) => WRITES.includes(r.verb))).toEqual([]);
    expect(result.report.status).toBe('failed');
    expect(result.report.config.error).toBe(error);
    expect(result.logs.filter((l) => l.level === 'ERROR').map((l) => l.message)).toEqual([
      text
        ? 'configuration is invalid; nothing is changed'
        : 'configuration could not be loaded; nothing is changed',
    ]);
    for (const ns of ['team-a', 'team-b']) expect(await h.readSecret(ns, 'ecr-old')).toBeDefined();
  });

  it('variant D: creates a deleted Secret with the owner label in the create request, and nothing else', async () => {
    // Arrange
    const h = new Harness('c13-d');
    await h.apply(c.clusterState);
    await h.core.deleteNamespacedSecret({ name: 'regcred', namespace: h.ns('team-a') });

    // Act
    const result = await h.run({ config: c.config });

    // Assert
    const posts = result.requests.filter((r) => r.verb === 'POST');
    expect(posts.map((r) => new URL(r.url).pathname)).toEqual([
      `/api/v1/namespaces/${h.ns('team-a')}/secrets`,
    ]);
    const body = JSON.parse(posts[0]?.body ?? '{}') as {
      metadata: { name: string; labels: Record<string, string> };
    };
    expect(body.metadata.name).toBe('regcred');
    expect(body.metadata.labels[OWNER_LABEL]).toBe(h.owner);
    expect(result.requests.filter((r) => r.verb === 'PUT' || r.verb === 'PATCH')).toEqual([]);
  });
});
