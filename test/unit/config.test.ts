import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../lambda/config/config.ts';
import { ConfigError } from '../../lambda/errors.ts';
import { getCase } from '../support/cases.ts';

// The original design's example, kept unchanged in examples/config.yaml.
const ORIGINAL_EXAMPLE = readFileSync('examples/config.yaml', 'utf8');

function docker(overrides: Record<string, unknown> = {}, credential: Record<string, unknown> = {}) {
  return {
    name: 'regcred',
    kubernetes_namespace: 'team-a',
    type: 'DOCKER',
    credential: {
      docker_registry: 'registry.example.com',
      docker_user: 'u',
      docker_password: 'p',
      ...credential,
    },
    ...overrides,
  };
}

function issuesOf(entries: unknown[]) {
  return parseConfig(JSON.stringify({ secrets: entries }), 'test').invalid.flatMap((e) => e.issues);
}

describe('parseConfig', () => {
  it('loads the original design example unchanged, with a warning for static keys', () => {
    // Act
    const config = parseConfig(ORIGINAL_EXAMPLE, 'test');

    // Assert
    expect(config.invalid).toEqual([]);
    expect(config.entries).toEqual([
      {
        index: 0,
        name: 'ecr-dev',
        namespaces: { all: false, names: ['default'] },
        credential: {
          type: 'ECR',
          region: 'ap-northeast-2',
          staticKeys: { accessKeyId: 'foobargem', secretAccessKey: 'foobargem' },
        },
      },
      {
        index: 1,
        name: 'docker-example',
        namespaces: { all: false, names: ['default'] },
        credential: {
          type: 'DOCKER',
          registry: 'docker.io',
          username: 'foobargem',
          password: 'password',
          email: 'foobargem@example.com',
        },
      },
    ]);
    expect(config.warnings.map((w) => w.path)).toEqual(['secrets[0].credential.aws_access_key_id']);
  });

  it.each([
    { name: 'JSON with secrets at the top', text: JSON.stringify({ secrets: [docker()] }) },
    { name: 'JSON in the chart shape', text: JSON.stringify({ config: { secrets: [docker()] } }) },
    {
      name: 'YAML in the chart shape',
      text: 'config:\n  secrets:\n    - name: regcred\n      kubernetes_namespace: team-a\n      type: DOCKER\n      credential: {docker_registry: registry.example.com, docker_user: u, docker_password: p}\n',
    },
  ])('reads $name', ({ text }) => {
    // Act
    const config = parseConfig(text, 'test');

    // Assert
    expect(config.entries.map((e) => [e.name, e.namespaces])).toEqual([
      ['regcred', { all: false, names: ['team-a'] }],
    ]);
  });

  it.each([
    {
      name: 'unparsable text',
      text: '{"secrets": [',
      message: 'test: not valid JSON or YAML at line 1, column 14 (BAD_INDENT)',
    },
    {
      name: 'no secrets key',
      text: '{"other": 1}',
      message: 'test: secrets: required, a list of entries',
    },
    {
      name: 'secrets not a list',
      text: '{"secrets": {"a": 1}}',
      message: 'test: secrets: must be a list of entries',
    },
  ])('throws ConfigError for $name', ({ text, message }) => {
    expect(() => parseConfig(text, 'test')).toThrow(new ConfigError(message));
  });

  it('never quotes the document when it cannot be parsed', () => {
    // Arrange
    const text = 'secrets:\n  - docker_password: "hunter2-secret\n';

    // Act
    const error = (() => {
      try {
        parseConfig(text, 'test');
      } catch (e) {
        return e as Error;
      }
      throw new Error('no error');
    })();

    // Assert
    expect(error.message).not.toContain('hunter2');
  });

  it.each([
    {
      name: 'missing docker_user',
      credential: { docker_user: undefined },
      path: 'secrets[0].credential.docker_user',
      rule: 'required, a non-empty string (quote numbers: 0123 would load as 123)',
    },
    {
      name: 'empty docker_user',
      credential: { docker_user: '' },
      path: 'secrets[0].credential.docker_user',
      rule: 'required, must not be empty',
    },
    {
      name: 'empty docker_password',
      credential: { docker_password: '' },
      path: 'secrets[0].credential.docker_password',
      rule: 'required, must not be empty',
    },
    {
      name: 'a colon in docker_user',
      credential: { docker_user: 'a:b' },
      path: 'secrets[0].credential.docker_user',
      rule: 'must not contain ":" (the registry splits user and password at the first colon)',
    },
    {
      name: 'a registry with a user part',
      credential: { docker_registry: 'me@registry.example.com' },
      path: 'secrets[0].credential.docker_registry',
      rule: 'must be host[:port] with an optional path, no user, query or spaces',
    },
  ])('reports $name at its path, without the value', ({ credential, path, rule }) => {
    // Act
    const issues = issuesOf([docker({}, credential)]);

    // Assert
    expect(issues).toEqual([{ path, rule }]);
  });

  it.each([
    {
      name: 'no type',
      entry: docker({ type: undefined }),
      issue: { path: 'secrets[0].type', rule: 'required, "ECR" or "DOCKER" (upper case)' },
    },
    {
      name: 'an unknown type',
      entry: docker({ type: 'GCR' }),
      issue: { path: 'secrets[0].type', rule: 'required, "ECR" or "DOCKER" (upper case)' },
    },
    {
      name: 'a region that is not one',
      entry: {
        name: 'e',
        kubernetes_namespace: 'a',
        type: 'ECR',
        credential: { aws_ecr_repository_region: 'Virginia' },
      },
      issue: {
        path: 'secrets[0].credential.aws_ecr_repository_region',
        rule: 'must be an AWS region such as us-east-1',
      },
    },
    {
      name: 'a short registry id',
      entry: {
        name: 'e',
        kubernetes_namespace: 'a',
        type: 'ECR',
        credential: { aws_ecr_repository_region: 'us-east-1', registry_ids: ['1234'] },
      },
      issue: {
        path: 'secrets[0].credential.registry_ids[0]',
        rule: 'must be a 12-digit account id',
      },
    },
    {
      name: 'half a key pair',
      entry: {
        name: 'e',
        kubernetes_namespace: 'a',
        type: 'ECR',
        credential: { aws_ecr_repository_region: 'us-east-1', aws_access_key_id: 'AKIAEXAMPLE' },
      },
      issue: {
        path: 'secrets[0].credential.aws_secret_access_key',
        rule: 'aws_access_key_id and aws_secret_access_key go together: set both or neither',
      },
    },
    {
      name: '"*" with names',
      entry: docker({ kubernetes_namespace: undefined, namespaces: ['*', 'a'] }),
      issue: {
        path: 'secrets[0].namespaces',
        rule: '"*" means all namespaces and cannot be combined with names',
      },
    },
    {
      name: 'a bad namespace',
      entry: docker({ kubernetes_namespace: 'Team_A' }),
      issue: {
        path: 'secrets[0].kubernetes_namespace',
        rule: '"Team_A" is not a valid namespace name: only lowercase letters are allowed (lowercase letters, digits, "-")',
      },
    },
  ])('reports $name', ({ entry, issue }) => {
    expect(issuesOf([entry])).toEqual([issue]);
  });

  it('reports a duplicate (name, namespace) pair against the later entry', () => {
    // Act
    const config = parseConfig(
      JSON.stringify({
        secrets: [
          docker(),
          docker({ kubernetes_namespace: 'team-b' }),
          docker({ namespaces: ['team-c', 'team-a'], kubernetes_namespace: undefined }),
        ],
      }),
      'test',
    );

    // Assert
    expect(config.entries.map((e) => e.index)).toEqual([0, 1]);
    expect(config.invalid).toEqual([
      {
        index: 2,
        name: 'regcred',
        issues: [
          {
            path: 'secrets[2].name',
            rule: 'duplicate: secrets[0] already keeps a Secret "regcred" in the same namespace',
          },
        ],
      },
    ]);
  });
});

describe('C-07 Every auths entry has a non-empty auth that matches the username and password', () => {
  it('rejects the entries with an empty user or password by field, and keeps regcred', () => {
    // Arrange
    const c = getCase('C-07');

    // Act
    const config = parseConfig(JSON.stringify({ secrets: c.config }), 'test');

    // Assert
    expect(config.entries.map((e) => e.name)).toEqual(['regcred']);
    expect(config.invalid).toEqual([
      {
        index: 1,
        name: 'regcred-nouser',
        issues: [
          { path: 'secrets[1].credential.docker_user', rule: 'required, must not be empty' },
        ],
      },
      {
        index: 2,
        name: 'regcred-nopass',
        issues: [
          { path: 'secrets[2].credential.docker_password', rule: 'required, must not be empty' },
        ],
      },
    ]);
  });
});

describe('C-09 Email is optional and is never written empty', () => {
  it('fails no entry for a missing or empty docker_email, and keeps email only when set', () => {
    // Act
    const config = parseConfig(JSON.stringify({ secrets: getCase('C-09').config }), 'test');

    // Assert
    expect(config.invalid).toEqual([]);
    expect(
      config.entries.map((e) => ('email' in e.credential ? e.credential.email : null)),
    ).toEqual([null, 'user@example.com', null, null]);
  });
});

describe('C-10 Invalid Secret names are rejected entry by entry during config validation', () => {
  const LONGEST =
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc.ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd';

  it('gives each of entries 0 to 5 its own message naming the field, the value and the rule', () => {
    // Arrange
    const c = getCase('C-10');
    const names = (c.config as { name: string }[]).map((e) => e.name);

    // Act
    const config = parseConfig(JSON.stringify({ secrets: c.config }), 'test');

    // Assert
    const q = (i: number) => JSON.stringify(names[i]);
    expect(config.invalid).toEqual([
      {
        index: 0,
        issues: [
          {
            path: 'secrets[0].name',
            rule: `${q(0)} is not a valid Secret name: only lowercase letters are allowed (lowercase letters, digits, "-" and ".")`,
          },
        ],
      },
      {
        index: 1,
        issues: [
          {
            path: 'secrets[1].name',
            rule: `${q(1)} is not a valid Secret name: "_" is not allowed`,
          },
        ],
      },
      {
        index: 2,
        issues: [
          {
            path: 'secrets[2].name',
            rule: `${q(2)} is not a valid Secret name: ":" is not allowed`,
          },
        ],
      },
      {
        index: 3,
        issues: [
          {
            path: 'secrets[3].name',
            rule: `${q(3)} is not a valid Secret name: each label must start and end with a lowercase letter or digit`,
          },
        ],
      },
      {
        index: 4,
        issues: [
          {
            path: 'secrets[4].name',
            rule: `${q(4)} is not a valid Secret name: must be at most 253 characters (has 254)`,
          },
        ],
      },
      {
        index: 5,
        issues: [
          {
            path: 'secrets[5].name',
            rule: `${q(5)} is not a valid Secret name: each dot-separated label must be at most 63 characters (label 1 has 64)`,
          },
        ],
      },
    ]);
    expect(config.entries.map((e) => [e.index, e.name])).toEqual([[6, 'ecr-pull']]);
  });

  it.each([
    { name: 'the 253-character name', value: LONGEST },
    { name: 'a 63-character label', value: `${'a'.repeat(63)}.example` },
  ])('accepts $name', ({ value }) => {
    expect(value.length === 253 || value.startsWith('a'.repeat(63))).toBe(true);
    expect(issuesOf([docker({ name: value })])).toEqual([]);
  });
});

describe('C-14 All-namespaces entries cover every namespace; no silent default namespace', () => {
  it('reads ["*"] as all namespaces and fails the entry without a namespace by name and field', () => {
    // Act
    const config = parseConfig(JSON.stringify({ secrets: getCase('C-14').config }), 'test');

    // Assert
    expect(config.entries.map((e) => [e.name, e.namespaces])).toEqual([
      ['regcred', { all: true }],
      ['regcred-a', { all: false, names: ['team-a'] }],
    ]);
    expect(config.invalid).toEqual([
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
  });
});
