import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../lambda/config/config.ts';
import { loadSettings } from '../../lambda/config/settings.ts';
import type { SecretStore } from '../../lambda/clusters/secret-store.ts';
import { ConfigError } from '../../lambda/errors.ts';
import { parseEvent } from '../../lambda/handler.ts';
import { sync } from '../../lambda/sync/engine.ts';
import { OWNER_LABEL, type LiveSecret } from '../../lambda/sync/model.ts';
import { recordingLog } from '../support/harness.ts';

const DOCKER = {
  type: 'DOCKER',
  credential: { docker_registry: 'registry.example.com', docker_user: 'u', docker_password: 'p' },
};

function issues(text: string) {
  return parseConfig(text, 'test').invalid.flatMap((e) => e.issues);
}

/** A store holding one owned Secret, recording deletions. */
function storeWith(name: string) {
  const deleted: string[] = [];
  const secret: LiveSecret = {
    namespace: 'a',
    name,
    uid: 'u',
    resourceVersion: '1',
    type: 'kubernetes.io/dockerconfigjson',
    labels: { [OWNER_LABEL]: 'o' },
    annotations: {},
    data: { '.dockerconfigjson': 'e30=' },
    immutable: false,
  };
  const store: SecretStore = {
    listNamespaces: async () => [],
    listSecrets: async () => [secret],
    readConfigMap: async () => undefined,
    readSecret: async () => undefined,
    createSecret: async (b) => ({ ...b, uid: 'n', resourceVersion: '1', immutable: false }),
    replaceSecret: async (b) => ({ ...b, uid: 'n', resourceVersion: '2', immutable: false }),
    deleteSecret: async (s) => {
      deleted.push(s.name);
    },
  };

  return { store, deleted };
}

async function run(text: string, name: string, only?: string[]) {
  const { store, deleted } = storeWith(name);
  const report = await sync(
    parseConfig(text, 'test'),
    'test',
    [{ name: 'c', connect: async () => store }],
    {
      minter: { mint: () => Promise.reject(new Error('unused')) },
      log: recordingLog([]),
      now: () => new Date(),
      settings: {
        owner: 'o',
        refreshMargin: 0.5,
        concurrency: 2,
        writesPerSecond: 100,
        clusterConcurrency: 1,
        conflictRetries: 3,
      },
    },
    { dryRun: false, ...(only ? { only } : {}) },
  );

  return { report, deleted };
}

describe('bad input', () => {
  it.each([
    {
      name: 'a string',
      event: 'dryRun',
      message: 'invalid payload: must be an object such as {"dryRun": true}',
    },
    {
      name: 'true',
      event: true,
      message: 'invalid payload: must be an object such as {"dryRun": true}',
    },
    {
      name: 'a list',
      event: [],
      message: 'invalid payload: must be an object such as {"dryRun": true}',
    },
    {
      name: 'a scheduled event with dryRun',
      event: { source: 'aws.events', dryRun: true },
      message: 'invalid payload: a scheduled event cannot carry dryRun',
    },
  ])('rejects $name as a payload instead of running a full sync', ({ event, message }) => {
    expect(() => parseEvent(event)).toThrow(new ConfigError(message));
  });

  it.each([
    {
      name: 'a misspelt name key',
      entry: `- nmae: kept\n  kubernetes_namespace: a\n  type: DOCKER\n  credential: {docker_user: u, docker_password: p}`,
    },
    {
      name: 'a numeric name',
      entry: `- name: 123456\n  kubernetes_namespace: a\n  type: DOCKER\n  credential: {docker_user: u, docker_password: p}`,
    },
  ])('deletes nothing when an invalid entry has $name', async ({ entry }) => {
    // Arrange
    const text = `secrets:\n- name: other\n  kubernetes_namespace: b\n  type: DOCKER\n  credential: {docker_user: u, docker_password: p}\n${entry}\n`;

    // Act
    const { report, deleted } = await run(text, 'kept');

    // Assert
    expect(deleted).toEqual([]);
    expect(report.clusters[0]?.rows.find((r) => r.secret === 'kept')?.reason).toBe(
      'not deleted: an invalid entry has no readable name',
    );
  });

  it('rejects a password that is not valid Unicode by its path, and keeps the other entries', () => {
    // Arrange
    const text = JSON.stringify({
      secrets: [
        { name: 'good', kubernetes_namespace: 'a', ...DOCKER },
        {
          name: 'bad',
          kubernetes_namespace: 'a',
          type: 'DOCKER',
          credential: { docker_user: 'u', docker_password: 'Secret\uD800' },
        },
      ],
    });

    // Act
    const config = parseConfig(text, 'test');

    // Assert
    expect(config.entries.map((e) => e.name)).toEqual(['good']);
    expect(config.invalid[0]?.issues).toEqual([
      { path: 'secrets[1].credential.docker_password', rule: 'must be valid Unicode text' },
    ]);
  });

  it('loads 150 entries sharing one anchor, and merge keys', () => {
    // Arrange
    const many = Array.from(
      { length: 150 },
      (_, i) => `- {name: s${i}, kubernetes_namespace: a, type: DOCKER, credential: *cred}`,
    ).join('\n');
    const text = `base: &cred {docker_user: u, docker_password: p}\nsecrets:\n${many}\n- name: merged\n  kubernetes_namespace: a\n  type: DOCKER\n  credential:\n    <<: *cred\n    docker_registry: registry.example.com\n`;

    // Act
    const config = parseConfig(text, 'test');

    // Assert
    expect(config.invalid).toEqual([]);
    expect(config.entries).toHaveLength(151);
    expect(config.entries.at(-1)?.credential).toEqual({
      type: 'DOCKER',
      registry: 'registry.example.com',
      username: 'u',
      password: 'p',
    });
  });

  it('throws a ConfigError for an undefined alias', () => {
    expect(() => parseConfig('secrets:\n- *nope\n', 'test')).toThrow(
      new ConfigError('test: a YAML alias is undefined, or aliases expand more than 10000 times'),
    );
  });

  it('reads the top-level list even when a config key is present', () => {
    expect(
      parseConfig(
        JSON.stringify({
          config: { other: 1 },
          secrets: [{ name: 's', kubernetes_namespace: 'a', ...DOCKER }],
        }),
        'test',
      ).entries,
    ).toHaveLength(1);
  });

  it.each([
    {
      name: 'a numeric password',
      credential: { docker_user: 'u', docker_password: 123456 },
      issue: {
        path: 'secrets[0].credential.docker_password',
        rule: 'required, a non-empty string (quote numbers: 0123 would load as 123)',
      },
    },
    {
      name: 'a blank registry',
      credential: { docker_registry: '   ', docker_user: 'u', docker_password: 'p' },
      issue: {
        path: 'secrets[0].credential.docker_registry',
        rule: 'must not be blank; omit it for Docker Hub',
      },
    },
    {
      name: 'no credential',
      credential: undefined,
      issue: {
        path: 'secrets[0].credential',
        rule: 'required, an object with the registry credentials',
      },
    },
  ])('reports $name', ({ credential, issue }) => {
    expect(
      issues(
        JSON.stringify({
          secrets: [{ name: 's', kubernetes_namespace: 'a', type: 'DOCKER', credential }],
        }),
      ),
    ).toEqual([issue]);
  });

  it('rejects kubernetes_namespace next to namespaces ["*"]', () => {
    expect(
      issues(
        JSON.stringify({
          secrets: [{ name: 's', kubernetes_namespace: 'x', namespaces: ['*'], ...DOCKER }],
        }),
      ),
    ).toEqual([
      {
        path: 'secrets[0].namespaces',
        rule: '"*" means all namespaces and cannot be combined with names',
      },
    ]);
  });

  it('warns about unknown fields, such as a misspelt docker_registry', () => {
    // Act
    const config = parseConfig(
      JSON.stringify({
        secrets: [
          {
            name: 's',
            kubernetes_namespace: 'a',
            type: 'DOCKER',
            extra: 1,
            credential: { docker_registery: 'ghcr.io', docker_user: 'u', docker_password: 'p' },
          },
        ],
      }),
      'test',
    );

    // Assert
    expect(config.warnings).toEqual([
      { path: 'secrets[0].extra', rule: 'unknown field, ignored (check its spelling)' },
      {
        path: 'secrets[0].credential.docker_registery',
        rule: 'unknown field, ignored (check its spelling)',
      },
    ]);
  });

  it('fails a narrowed run that names no configured entry', async () => {
    // Act
    const { report, deleted } = await run(
      JSON.stringify({ secrets: [{ name: 'kept', kubernetes_namespace: 'a', ...DOCKER }] }),
      'kept',
      ['ECR-DEV'],
    );

    // Assert
    expect([report.status, report.config.error]).toEqual([
      'failed',
      'payload secrets: no entry is named "ECR-DEV"',
    ]);
    expect(deleted).toEqual([]);
  });

  it.each([
    {
      name: 'an empty concurrency (the default applies)',
      env: { PRS_MANAGER_CONCURRENCY: '' },
      check: (s: ReturnType<typeof loadSettings>) => s.concurrency === 8,
    },
  ])('reads $name', ({ env, check }) => {
    expect(check(loadSettings({ PRS_MANAGER_CONFIG_SECRET_ID: 'c', ...env }))).toBe(true);
  });

  it.each([
    {
      name: 'a timeout over 600 s',
      env: { PRS_MANAGER_REQUEST_TIMEOUT_SECONDS: '4294968' },
      message:
        'bad setting: PRS_MANAGER_REQUEST_TIMEOUT_SECONDS: Too big: expected number to be <=600',
    },
    {
      name: 'clusters as an object',
      env: { PRS_MANAGER_CLUSTERS: '{}' },
      message: 'PRS_MANAGER_CLUSTERS: Invalid input: expected array, received object',
    },
  ])('rejects $name', ({ env, message }) => {
    expect(() => loadSettings({ PRS_MANAGER_CONFIG_SECRET_ID: 'c', ...env })).toThrow(
      new ConfigError(message),
    );
  });
});
