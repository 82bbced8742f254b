// The chart rendered by a real helm (`helm template`, `helm lint --strict`): the exact RBAC and
// ConfigMap for each shape of values, and values the schema or the templates refuse.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, parseDocument } from 'yaml';
import type { Scalar, YAMLMap } from 'yaml';
import { CHART_DIR, renderChart, runHelm, templateChart, withValues } from './helm.ts';
import type { ChartValues, RenderedObject } from './helm.ts';

const RBAC = 'rbac.authorization.k8s.io';
const CREATE_AND_LIST = { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'list'] };
const GET_UPDATE_DELETE = {
  apiGroups: [''],
  resources: ['secrets'],
  verbs: ['get', 'update', 'delete'],
};
const READ_CONFIG = {
  apiGroups: [''],
  resources: ['configmaps'],
  resourceNames: ['prs-manager'],
  verbs: ['get'],
};
const LIST_NAMESPACES = { apiGroups: [''], resources: ['namespaces'], verbs: ['list'] };
const GROUP = { apiGroup: RBAC, kind: 'Group', name: 'prs-manager' };

/** kind namespace/name of each object, sorted: proves nothing else is rendered. */
function inventory(objects: readonly RenderedObject[]): string[] {
  return objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
}

function find(
  objects: readonly RenderedObject[],
  kind: string,
  namespace?: string,
): RenderedObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.namespace === namespace);
  if (!found) throw new Error(`no ${kind} in ${namespace ?? 'the cluster scope'}`);

  return found;
}

function grants(objects: readonly RenderedObject[], namespace = 'prs-manager'): unknown {
  const json = find(objects, 'ConfigMap', namespace).data?.['grants.json'];
  if (json === undefined) throw new Error('the ConfigMap has no grants.json');

  return JSON.parse(json);
}

describe('chart rendered with the default values', () => {
  let objects: RenderedObject[];

  beforeAll(async () => {
    objects = await renderChart({});
  });

  it('renders a Role and RoleBinding in default, the config reader and the ConfigMap only', () => {
    expect(inventory(objects)).toEqual([
      'ConfigMap prs-manager/prs-manager',
      'Role default/prs-manager',
      'Role prs-manager/prs-manager-config',
      'RoleBinding default/prs-manager',
      'RoleBinding prs-manager/prs-manager-config',
    ]);
  });

  it('grants create and list, then get, update and delete on any Secret in default', () => {
    expect(find(objects, 'Role', 'default').rules).toEqual([CREATE_AND_LIST, GET_UPDATE_DELETE]);
  });

  it('grants get on the ConfigMap prs-manager in the release namespace and nothing else', () => {
    expect(find(objects, 'Role', 'prs-manager').rules).toEqual([READ_CONFIG]);
  });

  it('binds each Role to the group prs-manager only', () => {
    expect(find(objects, 'RoleBinding', 'default')).toMatchObject({
      roleRef: { apiGroup: RBAC, kind: 'Role', name: 'prs-manager' },
      subjects: [GROUP],
    });
    expect(find(objects, 'RoleBinding', 'prs-manager')).toMatchObject({
      roleRef: { apiGroup: RBAC, kind: 'Role', name: 'prs-manager-config' },
      subjects: [GROUP],
    });
  });

  it('records the grant as compact JSON in grants.json with a fixed key order', () => {
    const configMap = find(objects, 'ConfigMap', 'prs-manager');

    expect(configMap.data).toEqual({
      'grants.json':
        '{"version":1,"group":"prs-manager","user":null,"allNamespaces":false,' +
        '"namespaces":["default"]}',
    });
  });

  it('labels every object with the app.kubernetes.io set of the release', () => {
    const labels = objects.map((o) => o.metadata.labels);

    expect(new Set(labels.map((l) => JSON.stringify(l)))).toEqual(
      new Set([
        JSON.stringify({
          'helm.sh/chart': 'prs-manager-0.1.0',
          'app.kubernetes.io/name': 'prs-manager',
          'app.kubernetes.io/instance': 'prs-manager',
          'app.kubernetes.io/version': '0.1.0',
          'app.kubernetes.io/managed-by': 'Helm',
        }),
      ]),
    );
  });
});

describe('chart rendered with each shape of values', () => {
  it('renders one Role and RoleBinding per namespace, sorted and without duplicates', async () => {
    // Act
    const objects = await renderChart({ namespaces: ['team-b', 'team-a', 'team-b'] });

    // Assert
    expect(inventory(objects)).toEqual([
      'ConfigMap prs-manager/prs-manager',
      'Role prs-manager/prs-manager-config',
      'Role team-a/prs-manager',
      'Role team-b/prs-manager',
      'RoleBinding prs-manager/prs-manager-config',
      'RoleBinding team-a/prs-manager',
      'RoleBinding team-b/prs-manager',
    ]);
    expect(find(objects, 'Role', 'team-b').rules).toEqual([CREATE_AND_LIST, GET_UPDATE_DELETE]);
    expect(grants(objects)).toEqual({
      version: 1,
      group: 'prs-manager',
      user: null,
      allNamespaces: false,
      namespaces: ['team-a', 'team-b'],
    });
  });

  it('pins get, update and delete to secretNames and leaves create and list unpinned', async () => {
    // Act
    const objects = await renderChart({
      namespaces: ['team-a'],
      secretNames: ['ecr-dev', 'docker-example', 'ecr-dev'],
    });

    // Assert
    expect(find(objects, 'Role', 'team-a').rules).toEqual([
      CREATE_AND_LIST,
      { ...GET_UPDATE_DELETE, resourceNames: ['docker-example', 'ecr-dev'] },
    ]);
  });

  it('binds the user as well as the group when user is set', async () => {
    // Act
    const objects = await renderChart({ group: 'registry-writers', user: 'prs-manager-fn' });

    // Assert
    const subjects = [
      { apiGroup: RBAC, kind: 'Group', name: 'registry-writers' },
      { apiGroup: RBAC, kind: 'User', name: 'prs-manager-fn' },
    ];
    expect(find(objects, 'RoleBinding', 'default').subjects).toEqual(subjects);
    expect(find(objects, 'RoleBinding', 'prs-manager').subjects).toEqual(subjects);
    expect(grants(objects)).toEqual({
      version: 1,
      group: 'registry-writers',
      user: 'prs-manager-fn',
      allNamespaces: false,
      namespaces: ['default'],
    });
  });

  it('grants every namespace through one ClusterRole when allNamespaces is true', async () => {
    // Act: namespaces keeps its default, which allNamespaces makes irrelevant
    const objects = await renderChart({ allNamespaces: true });

    // Assert
    expect(inventory(objects)).toEqual([
      'ClusterRole /prs-manager',
      'ClusterRoleBinding /prs-manager',
      'ConfigMap prs-manager/prs-manager',
      'Role prs-manager/prs-manager-config',
      'RoleBinding prs-manager/prs-manager-config',
    ]);
    expect(find(objects, 'ClusterRole').rules).toEqual([
      CREATE_AND_LIST,
      GET_UPDATE_DELETE,
      LIST_NAMESPACES,
    ]);
    expect(find(objects, 'ClusterRoleBinding')).toMatchObject({
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'prs-manager' },
      subjects: [GROUP],
    });
    expect(grants(objects)).toEqual({
      version: 1,
      group: 'prs-manager',
      user: null,
      allNamespaces: true,
      namespaces: [],
    });
  });

  it('pins the ClusterRole to secretNames too when both are set', async () => {
    // Act
    const objects = await renderChart({ allNamespaces: true, secretNames: ['ecr-dev'] });

    // Assert
    expect(find(objects, 'ClusterRole').rules).toEqual([
      CREATE_AND_LIST,
      { ...GET_UPDATE_DELETE, resourceNames: ['ecr-dev'] },
      LIST_NAMESPACES,
    ]);
  });

  it('accepts an empty namespaces list when allNamespaces is true', async () => {
    // Act
    const objects = await renderChart({ allNamespaces: true, namespaces: [] });

    // Assert
    expect(inventory(objects)).toContain('ClusterRole /prs-manager');
  });

  it.each([
    {
      name: 'release name without the chart name',
      values: {},
      release: 'payments',
      role: 'payments-prs-manager',
      reader: 'payments-prs-manager-config',
      label: 'prs-manager',
    },
    {
      name: 'long nameOverride, cut to 63 with the trailing "-" trimmed',
      values: { nameOverride: `${'a'.repeat(53)}-bbbbbbbbbbbb` },
      release: 'prs-manager',
      role: `prs-manager-${'a'.repeat(51)}`,
      reader: `prs-manager-${'a'.repeat(44)}-config`,
      label: `${'a'.repeat(53)}-bbbbbbbbb`,
    },
    {
      name: 'fullnameOverride whose cut ends in "-"',
      values: { fullnameOverride: `${'c'.repeat(55)}-dddddddddd` },
      release: 'prs-manager',
      role: `${'c'.repeat(55)}-ddddddd`,
      reader: `${'c'.repeat(55)}-config`,
      label: 'prs-manager',
    },
  ])('names objects safely for a $name', async ({ values, release, role, reader, label }) => {
    // Act
    const objects = await renderChart(values, { release });

    // Assert
    const names = objects.map((o) => o.metadata.name);
    expect(names.every((n) => n.length <= 63 && !n.endsWith('-'))).toBe(true);
    expect(find(objects, 'Role', 'default').metadata.name).toBe(role);
    expect(find(objects, 'RoleBinding', 'default').roleRef?.name).toBe(role);
    expect(find(objects, 'Role', 'prs-manager').metadata.name).toBe(reader);
    expect(find(objects, 'RoleBinding', 'prs-manager').roleRef?.name).toBe(reader);
    expect(find(objects, 'ConfigMap', 'prs-manager').metadata.name).toBe('prs-manager');
    expect(
      find(objects, 'ConfigMap', 'prs-manager').metadata.labels?.['app.kubernetes.io/name'],
    ).toBe(label);
  });

  it('puts the ConfigMap and its reader in the release namespace', async () => {
    // Act
    const objects = await renderChart({}, { namespace: 'platform' });

    // Assert
    expect(inventory(objects)).toEqual([
      'ConfigMap platform/prs-manager',
      'Role default/prs-manager',
      'Role platform/prs-manager-config',
      'RoleBinding default/prs-manager',
      'RoleBinding platform/prs-manager-config',
    ]);
  });
});

describe('values the chart refuses', () => {
  const SCHEMA = "values don't meet the specifications of the schema(s)";

  it.each([
    {
      name: 'an unknown key',
      values: { groups: ['prs-manager'] },
      message: "at '': additional properties 'groups' not allowed",
    },
    {
      name: 'a string for allNamespaces',
      values: { allNamespaces: 'true' },
      message: "at '/allNamespaces': got string, want boolean",
    },
    {
      name: 'a string for namespaces',
      values: { namespaces: 'team-a' },
      message: "at '/namespaces': got string, want array",
    },
    {
      name: 'a namespace that is not an RFC 1123 label',
      values: { namespaces: ['team-a', 'Team_B'] },
      message:
        "at '/namespaces/1': 'Team_B' does not match pattern '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'",
    },
    {
      name: 'a namespace longer than 63 characters',
      values: { namespaces: ['n'.repeat(64)] },
      message: "at '/namespaces/0': maxLength: got 64, want 63",
    },
    {
      name: 'a secret name that is not an RFC 1123 subdomain',
      values: { secretNames: ['ecr_dev'] },
      message: "at '/secretNames/0': 'ecr_dev' does not match pattern",
    },
    {
      name: 'an empty group',
      values: { group: '' },
      message: "at '/group': minLength: got 0, want 1",
    },
    {
      name: 'a nameOverride with capitals',
      values: { nameOverride: 'PRS' },
      message: "at '/nameOverride': 'PRS' does not match pattern",
    },
  ])('fails on $name, naming the path and the rule', async ({ values, message }) => {
    // Act
    const result = await templateChart(values);

    // Assert
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(SCHEMA);
    expect(result.stderr).toContain(message);
  });

  it.each([
    {
      name: 'an empty grant',
      values: { namespaces: [] },
      message:
        'namespaces: empty, so the chart would grant nothing; list at least one ' +
        'namespace, or set allNamespaces: true to grant every namespace',
    },
    {
      name: 'a system group',
      values: { group: 'system:authenticated' },
      message:
        'group: "system:authenticated" is a Kubernetes system group; map the ' +
        "function's IAM role to a group of its own, such as prs-manager",
    },
    {
      name: 'a system user',
      values: { user: 'system:anonymous' },
      message:
        'user: "system:anonymous" is a Kubernetes system user; map the function\'s ' +
        'IAM role to a user of its own, or leave user empty',
    },
  ])('fails on $name with a message saying what to change', async ({ values, message }) => {
    // Act
    const result = await templateChart(values);

    // Assert
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
  });

  it('fails on a Kubernetes older than the kubeVersion floor of 1.27', async () => {
    // Act
    const result = await templateChart({}, { args: ['--kube-version', '1.26.9'] });

    // Assert
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'chart requires kubeVersion: >=1.27.0-0 which is incompatible with Kubernetes v1.26.9',
    );
  });

  it('renders for an EKS version string with a pre-release suffix', async () => {
    // Act
    const result = await templateChart({}, { args: ['--kube-version', 'v1.30.4-eks-a737599'] });

    // Assert
    expect(result).toMatchObject({ code: 0, stderr: '' });
  });
});

describe('NOTES.txt', () => {
  async function notes(values: ChartValues): Promise<string> {
    const result = await withValues(values, (file) =>
      runHelm([
        'install',
        'prs-manager',
        CHART_DIR,
        '--namespace',
        'prs-manager',
        '--values',
        file,
        '--dry-run=client',
      ]),
    );
    if (result.code !== 0) throw new Error(`helm install --dry-run failed: ${result.stderr}`);

    return result.stdout.slice(result.stdout.indexOf('NOTES:'));
  }

  it('tells the owner which namespaces were granted, to whom, and nothing else', async () => {
    // Act
    const text = await notes({ namespaces: ['team-b', 'team-a'], secretNames: ['ecr-dev'] });

    // Assert
    expect(text).toContain(
      [
        'The group "prs-manager" may:',
        '  in team-a: list and create Secrets; get, update and delete only ecr-dev',
        '  in team-b: list and create Secrets; get, update and delete only ecr-dev',
        '  in prs-manager: get the ConfigMap prs-manager',
        'and nothing else.',
      ].join('\n'),
    );
    expect(text).toContain(
      '  grants.json: {"version":1,"group":"prs-manager","user":null,' +
        '"allNamespaces":false,"namespaces":["team-a","team-b"]}',
    );
  });

  it('calls allNamespaces the wider choice and says what it allows', async () => {
    // Act
    const text = await notes({ allNamespaces: true, user: 'prs-manager-fn' });

    // Assert
    expect(text).toContain(
      [
        'The group "prs-manager" and the user "prs-manager-fn" may:',
        '  in every namespace, present and future (allNamespaces: true, the wider choice):',
        '    list and create Secrets; get, update and delete any Secret; list namespaces',
        '  This lets the function read every Secret in the cluster. To narrow it, set',
      ].join('\n'),
    );
  });
});

describe('helm lint --strict', () => {
  it.each([
    { name: 'the default values', args: [] },
    {
      name: 'examples/helm-values.yaml',
      args: ['--values', path.join(CHART_DIR, '..', 'examples', 'helm-values.yaml')],
    },
  ])('passes with $name', async ({ args }) => {
    // Act
    const result = await runHelm(['lint', '--strict', CHART_DIR, ...args]);

    // Assert
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
  });
});

describe('values.yaml and values.schema.json', () => {
  let text: string;
  let schema: { properties: Record<string, { default: unknown }> };

  beforeAll(async () => {
    text = await readFile(path.join(CHART_DIR, 'values.yaml'), 'utf8');
    schema = JSON.parse(await readFile(path.join(CHART_DIR, 'values.schema.json'), 'utf8'));
  });

  it('documents every value with a comment above it', () => {
    const values = parseDocument(text).contents as YAMLMap<Scalar<string>, unknown>;
    const undocumented = values.items
      .filter((pair) => !pair.key.commentBefore?.trim())
      .map((pair) => pair.key.value);

    expect(undocumented).toEqual([]);
  });

  it('has a schema property with the same default for every value, and no other', () => {
    const defaults = Object.fromEntries(
      Object.entries(schema.properties).map(([key, property]) => [key, property.default]),
    );

    expect(defaults).toEqual(parse(text));
  });
});
