import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../lambda/config/config.ts';
import { desiredSecrets } from '../../lambda/sync/desired.ts';
import { EXPIRES_ANNOTATION, MINTED_ANNOTATION, type LiveSecret } from '../../lambda/sync/model.ts';
import { plan, refreshDue } from '../../lambda/sync/plan.ts';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60000).toISOString();

function live(name: string, namespace: string, extra: Partial<LiveSecret> = {}): LiveSecret {
  return {
    namespace,
    name,
    uid: `uid-${name}`,
    resourceVersion: '7',
    type: 'kubernetes.io/dockerconfigjson',
    labels: {},
    annotations: {},
    data: {
      '.dockerconfigjson': Buffer.from(
        '{"auths":{"123456789012.dkr.ecr.us-east-1.amazonaws.com":{}}}',
      ).toString('base64'),
    },
    immutable: false,
    ...extra,
  };
}

function entries(yaml: unknown[]) {
  return parseConfig(JSON.stringify({ secrets: yaml }), 'test').entries;
}

describe('refreshDue', () => {
  it.each([
    { name: 'no expiry annotation', annotations: {}, due: 'no recorded token expiry' },
    {
      name: 'an unparsable expiry',
      annotations: { [EXPIRES_ANNOTATION]: 'soon' },
      due: 'no recorded token expiry',
    },
    {
      name: 'an expired token',
      annotations: { [EXPIRES_ANNOTATION]: at(-1) },
      due: 'token expired',
    },
    {
      name: '20 min left of an unknown lifetime',
      annotations: { [EXPIRES_ANNOTATION]: at(20) },
      due: 'token expires in 20 min, under the margin of 360 min',
    },
    {
      name: 'exactly half of 12 h left',
      annotations: { [EXPIRES_ANNOTATION]: at(360), [MINTED_ANNOTATION]: at(-360) },
      due: 'token expires in 360 min, under the margin of 360 min',
    },
    {
      name: 'a minute more than half left (clock tolerance)',
      annotations: { [EXPIRES_ANNOTATION]: at(361), [MINTED_ANNOTATION]: at(-359) },
      due: 'token expires in 361 min, under the margin of 360 min',
    },
    {
      name: 'two minutes more than half left',
      annotations: { [EXPIRES_ANNOTATION]: at(362), [MINTED_ANNOTATION]: at(-358) },
      due: undefined,
    },
    {
      name: '25 min left of a 1 h token',
      annotations: { [EXPIRES_ANNOTATION]: at(25), [MINTED_ANNOTATION]: at(-35) },
      due: 'token expires in 25 min, under the margin of 30 min',
    },
    {
      name: '35 min left of a 1 h token',
      annotations: { [EXPIRES_ANNOTATION]: at(35), [MINTED_ANNOTATION]: at(-25) },
      due: undefined,
    },
  ])('answers $due for $name', ({ annotations, due }) => {
    expect(
      refreshDue(live('e', 'a', { annotations: annotations as Record<string, string> }), NOW, 0.5),
    ).toBe(due);
  });
});

describe('plan', () => {
  const [docker, ecr] = entries([
    {
      name: 'regcred',
      namespaces: ['a', 'b'],
      type: 'DOCKER',
      credential: {
        docker_registry: 'registry.example.com',
        docker_user: 'u',
        docker_password: 'p',
      },
    },
    {
      name: 'ecr',
      kubernetes_namespace: 'a',
      type: 'ECR',
      credential: { aws_ecr_repository_region: 'us-east-1', registry_ids: ['123456789012'] },
    },
  ]);
  const desired = [...desiredSecrets(docker!, ['a', 'b']), ...desiredSecrets(ecr!, ['a'])];
  const current = desired[0]!.dockerConfig!;

  it('creates what is missing, leaves what matches, updates what differs and deletes orphans', () => {
    // Arrange
    const liveSecrets = [
      live('regcred', 'a', { data: { '.dockerconfigjson': current } }),
      live('regcred', 'b', { data: { '.dockerconfigjson': 'e30=' } }),
      live('old', 'c'),
    ];

    // Act
    const steps = plan({
      desired,
      live: liveSecrets,
      now: NOW,
      refreshMargin: 0.5,
      protectedNames: new Set(),
    });

    // Assert
    expect(steps.map((s) => [s.op, 'action' in s ? s.action : '-', s.reason])).toEqual([
      ['none', 'unchanged', 'up to date'],
      ['update', 'updated', 'content unreadable'],
      ['create', '-', 'missing'],
      ['delete', '-', 'no longer configured'],
    ]);
  });

  it.each([
    { name: 'another type', extra: { type: 'Opaque' }, reason: 'type is Opaque' },
    {
      name: 'an extra data key',
      extra: { data: { '.dockerconfigjson': 'e30=', token: 'eA==' } },
      reason: 'data keys changed',
    },
    {
      name: 'our ECR annotations',
      extra: { annotations: { [EXPIRES_ANNOTATION]: at(60) } },
      reason: 'content changed',
    },
  ])('updates an owned Docker Secret with $name', ({ extra, reason }) => {
    // Arrange
    const liveSecret = live('regcred', 'a', { data: { '.dockerconfigjson': current }, ...extra });

    // Act
    const [step] = plan({
      desired: [desired[0]!],
      live: [liveSecret],
      now: NOW,
      refreshMargin: 0.5,
      protectedNames: new Set(),
    });

    // Assert
    expect([step?.op, step?.reason]).toEqual(['update', reason]);
  });

  it('updates an ECR Secret whose registries changed, before its token is due', () => {
    // Arrange
    const other = Buffer.from(
      '{"auths":{"210987654321.dkr.ecr.us-east-1.amazonaws.com":{}}}',
    ).toString('base64');
    const liveSecret = live('ecr', 'a', {
      data: { '.dockerconfigjson': other },
      annotations: { [EXPIRES_ANNOTATION]: at(700), [MINTED_ANNOTATION]: at(-20) },
    });

    // Act
    const [step] = plan({
      desired: [desired[2]!],
      live: [liveSecret],
      now: NOW,
      refreshMargin: 0.5,
      protectedNames: new Set(),
    });

    // Assert
    expect([step?.op, step?.reason]).toEqual(['update', 'registries changed']);
  });

  it.each([
    {
      name: 'deletions are off',
      noDeleteReason: 'the configuration has no valid entries',
      protectedNames: new Set<string>(),
      reason: 'not deleted: the configuration has no valid entries',
    },
    {
      name: 'its entry is invalid',
      noDeleteReason: undefined,
      protectedNames: new Set(['old']),
      reason: 'not deleted: its entry is invalid',
    },
  ])('keeps an orphan when $name', ({ noDeleteReason, protectedNames, reason }) => {
    // Act
    const steps = plan({
      desired: [],
      live: [live('old', 'c')],
      now: NOW,
      refreshMargin: 0.5,
      protectedNames,
      ...(noDeleteReason ? { noDeleteReason } : {}),
    });

    // Assert
    expect(steps).toEqual([{ op: 'none', namespace: 'c', name: 'old', action: 'skipped', reason }]);
  });
});
