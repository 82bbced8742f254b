import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  DOCKER_CONFIG_KEY,
  DOCKER_CONFIG_TYPE,
  EXPIRES_ANNOTATION,
  OWNER_LABEL,
} from '../../../lambda/sync/model.ts';
import { expectedSecrets, getCase, type Case } from '../../support/cases.ts';
import { Harness, grantSyncCluster } from '../../support/harness.ts';
import { resolveImage } from '../../support/kubelet.ts';
import { ecrFromCase, type CaseEcrState } from '../../support/scripted-aws.ts';
import { loadTestEnvironment } from '../../env/test-env.ts';

/** Runs an output case once from its start state and checks every expected Secret exactly. */
async function runOutputCase(
  c: Case,
  prefix: string,
  patch?: (state: CaseEcrState[]) => CaseEcrState[],
) {
  const h = new Harness(prefix);
  await h.apply(c.clusterState);
  const ecrState = (c.awsState.GetAuthorizationToken ?? []) as CaseEcrState[];
  const ecr = ecrFromCase(patch ? patch(ecrState) : ecrState, () => h.now);
  const result = await h.run({ config: c.config, ecr });
  if (process.env.DEBUG_CASES)
    console.log(JSON.stringify(result.report.clusters, null, 1), JSON.stringify(result.logs));

  return { h, result, ecr };
}

async function expectSecrets(h: Harness, c: Case) {
  for (const expected of expectedSecrets(c)) {
    const secret = await h.readSecret(expected.namespace, expected.name);
    expect(secret?.type).toBe(expected.type);
    expect(secret?.data).toStrictEqual({ [DOCKER_CONFIG_KEY]: expected.dockerconfigjsonBase64 });
    expect(await h.dockerConfig(expected.namespace, expected.name)).toStrictEqual(
      expected.dockerconfigjson,
    );
    expect(secret?.metadata?.labels?.[OWNER_LABEL]).toBe(h.owner);
  }
}

beforeAll(async () => {
  await grantSyncCluster(loadTestEnvironment());
});

describe('C-05 ECR registry key is the bare host, without scheme or trailing slash', () => {
  const c = getCase('C-05');

  it.each([
    {
      name: 'without trailing slash',
      prefix: 'c05a',
      endpoint: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com',
    },
    {
      name: 'with trailing slash',
      prefix: 'c05b',
      endpoint: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com/',
    },
  ])(
    'writes exactly the expected Secret for a proxyEndpoint $name',
    async ({ prefix, endpoint }) => {
      // Act
      const { h, result } = await runOutputCase(c, prefix, (state) =>
        state.map((s) => ({
          ...s,
          responses: s.responses?.map((r) =>
            'error' in r ? r : { ...r, proxyEndpoint: endpoint },
          ),
        })),
      );

      // Assert
      expect(result.report.status).toBe('success');
      await expectSecrets(h, c);
      expect(
        Object.keys(((await h.dockerConfig('team-a', 'ecr-pull')) as { auths: object }).auths),
      ).toEqual(['123456789012.dkr.ecr.us-east-1.amazonaws.com']);
    },
  );
});

describe('C-06 Every Docker Hub alias produces the canonical Docker Hub key', () => {
  const c = getCase('C-06');

  it('writes the same canonical value for all six aliases, and nginx:1 resolves to it', async () => {
    // Act
    const { h, result } = await runOutputCase(c, 'c06');

    // Assert
    expect(result.report.status).toBe('success');
    expect(result.report.totals.created).toBe(6);
    await expectSecrets(h, c);
    for (const expected of expectedSecrets(c)) {
      const json = Buffer.from(expected.dockerconfigjsonBase64, 'base64').toString();
      expect(resolveImage(json, 'nginx:1')).toEqual({
        username: 'exampleuser',
        password: 'examplepass',
      });
      expect(json).not.toMatch(/"(undefined|null)?":/);
    }
  });
});

describe('C-07 Every auths entry has a non-empty auth that matches the username and password', () => {
  it('writes regcred, creates neither invalid entry, and reports two invalid entries', async () => {
    // Arrange
    const c = getCase('C-07');

    // Act
    const { h, result } = await runOutputCase(c, 'c07');

    // Assert
    await expectSecrets(h, c);
    expect(await h.readSecret('team-a', 'regcred-nouser')).toBeUndefined();
    expect(await h.readSecret('team-a', 'regcred-nopass')).toBeUndefined();
    expect(result.report.status).toBe('partial');
    expect(result.report.config.invalidEntries.map((e) => e.issues[0]?.path)).toEqual([
      'secrets[1].credential.docker_user',
      'secrets[2].credential.docker_password',
    ]);
    expect(result.report.totals.created).toBe(1);
  });
});

describe('C-08 The .dockerconfigjson value and the ECR auth are base64-encoded exactly once', () => {
  it('stores JSON encoded once and the ECR token verbatim as auth', async () => {
    // Arrange
    const c = getCase('C-08');

    // Act
    const { h, result } = await runOutputCase(c, 'c08');

    // Assert
    expect(result.report.status).toBe('success');
    await expectSecrets(h, c);
    const hub = (await h.readSecret('team-a', 'hub-regcred'))?.data?.[DOCKER_CONFIG_KEY] ?? '';
    expect(Buffer.from(hub, 'base64').toString().startsWith('{')).toBe(true);
    expect(hub.startsWith('ZXlKaGRYUm9jeUk2')).toBe(false);
    const ecr = (await h.dockerConfig('team-a', 'ecr-pull')) as {
      auths: Record<string, { auth: string }>;
    };
    expect(ecr.auths['123456789012.dkr.ecr.us-east-1.amazonaws.com']?.auth).toBe(
      'QVdTOmVjci10b2tlbi1wbGFjZWhvbGRlcg==',
    );
  });
});

describe('C-09 Email is optional and is never written empty', () => {
  it('writes email only where docker_email is non-empty, and never for ECR', async () => {
    // Arrange
    const c = getCase('C-09');

    // Act
    const { h, result } = await runOutputCase(c, 'c09');

    // Assert
    expect(result.report.status).toBe('success');
    await expectSecrets(h, c);
  });
});

describe('C-12 Changed Docker credentials reach every target namespace in one run', () => {
  const c = getCase('C-12');

  it('updates both namespaces in one run and leaves no old password', async () => {
    // Act
    const { h, result } = await runOutputCase(c, 'c12');

    // Assert
    expect(result.report.totals.updated).toBe(2);
    await expectSecrets(h, c);
    for (const ns of ['team-a', 'team-b']) {
      const raw = Buffer.from(
        (await h.readSecret(ns, 'regcred'))?.data?.[DOCKER_CONFIG_KEY] ?? '',
        'base64',
      ).toString();
      expect(raw).not.toContain('oldpass');
      expect(raw).not.toContain('ZXhhbXBsZXVzZXI6b2xkcGFzcw==');
    }
  });

  it.each([
    { field: 'docker_user', value: 'exampleuser2' },
    { field: 'docker_email', value: 'user@example.com' },
    { field: 'docker_registry', value: 'other.example.com' },
  ])('updates both namespaces when only $field changes', async ({ field, value }) => {
    // Arrange
    const h = new Harness(`c12-${field.replace('_', '')}`);
    await h.apply(c.clusterState);
    const entry = c.config[0] as { credential: Record<string, string> };
    await h.run({ config: c.config });
    const changed = [{ ...entry, credential: { ...entry.credential, [field]: value } }];

    // Act
    const result = await h.run({ config: changed });

    // Assert
    expect(result.report.clusters[0]?.rows.map((r) => [r.namespace, r.action])).toEqual([
      [h.ns('team-a'), 'updated'],
      [h.ns('team-b'), 'updated'],
    ]);
  });
});

describe('C-20 An ECR entry yields a complete dockerconfigjson Secret that works without templating', () => {
  it('writes one data key, the owner label and the expiry annotation, and resolves the ECR image', async () => {
    // Arrange
    const c = getCase('C-20');

    // Act
    const { h, result } = await runOutputCase(c, 'c20');

    // Assert
    expect(result.report.status).toBe('success');
    await expectSecrets(h, c);
    const secret = await h.readSecret('team-a', 'ecr-pull');
    expect(secret?.type).toBe(DOCKER_CONFIG_TYPE);
    expect(secret?.metadata?.annotations?.[EXPIRES_ANNOTATION]).toBe(h.at('now+12h'));
    const json = Buffer.from(secret?.data?.[DOCKER_CONFIG_KEY] ?? '', 'base64').toString();
    expect(resolveImage(json, '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1')).toEqual({
      username: 'AWS',
      password: 'ecr-token-placeholder',
    });
  });
});
