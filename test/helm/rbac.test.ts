// The chart installed by a real helm into the local kube-apiserver, and its RBAC checked as the
// identity it binds: impersonated requests for what the sync does and for some refusals, and
// SubjectAccessReviews for the whole allowed and denied matrix. Then helm upgrade narrows the
// grant and helm uninstall leaves nothing behind.
//
// The bound group is unique to this file, not the shared prs-manager group: other suites bind
// that group cluster-wide (test/support/harness.ts grantSyncCluster) and leave the binding for
// the rest of the run, so denials asserted for it would depend on which suite ran first.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { adminKubeConfig, loadTestEnvironment } from '../env/test-env.ts';
import { helmCluster, installChart, uninstallChart, upgradeChart } from './helm.ts';
import type { HelmCluster, Release } from './helm.ts';

const env = loadTestEnvironment();
const admin = adminKubeConfig(env);
const core = admin.makeApiClient(k8s.CoreV1Api);
const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
const authorization = admin.makeApiClient(k8s.AuthorizationV1Api);
const authentication = admin.makeApiClient(k8s.AuthenticationV1Api);

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const SECRET_VERBS = ['get', 'list', 'create', 'update', 'delete'] as const;
const PROBE_LABEL = 'prs-manager.io/owner';
const PROBE_SELECTOR = `${PROBE_LABEL}=helm-rbac-test`;

/** A user name and the groups it is in, as the API server would authenticate it. */
interface Identity {
  readonly user: string;
  readonly groups: readonly string[];
}

type Attributes = k8s.V1ResourceAttributes;

/** SubjectAccessReview: would the API server allow this identity to do this? No side effects. */
async function allowed(who: Identity, attributes: Attributes): Promise<boolean> {
  const review = await authorization.createSubjectAccessReview({
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: who.user, groups: [...who.groups], resourceAttributes: attributes },
    },
  });

  return review.status?.allowed ?? false;
}

/** Options that make an admin request run as the identity (REFERENCE.md 1.7). */
function as(who: Identity): k8s.ConfigurationOptions {
  let options = k8s.setHeaderOptions('Impersonate-User', who.user);
  for (const group of who.groups) {
    options = k8s.setHeaderOptions('Impersonate-Group', group, options);
  }

  return options;
}

async function statusOf(call: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await call;

    return 'ok';
  } catch (error) {
    if (error instanceof k8s.ApiException) return error.code;
    throw error;
  }
}

function secretBody(name: string): k8s.V1Secret {
  return {
    metadata: { name, labels: { [PROBE_LABEL]: 'helm-rbac-test' } },
    type: 'Opaque',
    stringData: { probe: 'not a credential' },
  };
}

/** Each object of the release that could outlive it, found by its labels. */
async function leftovers(release: string): Promise<string[]> {
  const labelSelector = `app.kubernetes.io/instance=${release},app.kubernetes.io/name=prs-manager`;
  const lists: [string, Promise<{ items: { metadata?: k8s.V1ObjectMeta }[] }>][] = [
    ['Role', rbac.listRoleForAllNamespaces({ labelSelector })],
    ['RoleBinding', rbac.listRoleBindingForAllNamespaces({ labelSelector })],
    ['ClusterRole', rbac.listClusterRole({ labelSelector })],
    ['ClusterRoleBinding', rbac.listClusterRoleBinding({ labelSelector })],
    ['ConfigMap', core.listConfigMapForAllNamespaces({ labelSelector })],
  ];
  // List items carry no kind, so each list is tagged with its own.
  const found = await Promise.all(
    lists.map(async ([kind, list]) =>
      (await list).items.map(
        (item) => `${kind} ${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? ''}`,
      ),
    ),
  );

  return found.flat().sort();
}

async function createNamespaces(names: readonly string[]): Promise<void> {
  await Promise.all(names.map((name) => core.createNamespace({ body: { metadata: { name } } })));
}

async function deleteNamespaces(names: readonly string[]): Promise<void> {
  // No controller-manager: they stay Terminating, which is harmless to other suites.
  await Promise.all(names.map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
}

function uniquePrefix(): string {
  return `helm-rbac-${randomBytes(3).toString('hex')}`;
}

describe('chart granting two namespaces, installed with helm', () => {
  const prefix = uniquePrefix();
  const release: Release = { name: prefix, namespace: `${prefix}-system` };
  const teamA = `${prefix}-team-a`;
  const teamB = `${prefix}-team-b`;
  const other = `${prefix}-other`;
  const group = `${prefix}-group`;
  const fn: Identity = { user: `${prefix}-fn`, groups: [group] };
  // The denial table names namespaces by role: the real names are made per run.
  const namespaceFor = { A: teamA, OTHER: other, RELEASE: release.namespace };
  let cluster: HelmCluster;

  beforeAll(async () => {
    cluster = await helmCluster(env);
    await createNamespaces([teamA, teamB, other]);
    await installChart(cluster, release, { group, namespaces: [teamA, teamB] });
    await core.createNamespacedConfigMap({
      namespace: release.namespace,
      body: { metadata: { name: 'someone-elses' }, data: { key: 'value' } },
    });
  });

  afterAll(async () => {
    await uninstallChart(cluster, release);
    await deleteNamespaces([teamA, teamB, other, release.namespace]);
    await cluster.dispose();
  });

  describe('as installed', () => {
    it('sends requests as the bound identity, not as the admin', async () => {
      // Act
      const review = await authentication.createSelfSubjectReview(
        { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } },
        as(fn),
      );

      // Assert
      expect(review.status?.userInfo).toMatchObject({
        username: fn.user,
        groups: [group, 'system:authenticated'],
      });
    });

    it.each([
      { name: 'the first', namespace: teamA },
      { name: 'the second', namespace: teamB },
    ])(
      'lets the group create, list, get, update and delete a Secret in $name granted namespace',
      async ({ namespace }) => {
        // Arrange
        const name = 'probe';

        // Act
        const created = await core.createNamespacedSecret(
          { namespace, body: secretBody(name) },
          as(fn),
        );
        const listed = await core.listNamespacedSecret(
          { namespace, labelSelector: PROBE_SELECTOR },
          as(fn),
        );
        const read = await core.readNamespacedSecret({ name, namespace }, as(fn));
        const replaced = await core.replaceNamespacedSecret(
          { name, namespace, body: { ...read, stringData: { probe: 'changed' } } },
          as(fn),
        );
        await core.deleteNamespacedSecret({ name, namespace }, as(fn));

        // Assert
        expect(created.metadata?.name).toBe(name);
        expect(listed.items.map((s) => s.metadata?.name)).toEqual([name]);
        expect(replaced.metadata?.resourceVersion).not.toBe(read.metadata?.resourceVersion);
        expect(await statusOf(core.readNamespacedSecret({ name, namespace }))).toBe(404);
      },
    );

    it('lets the group read the ConfigMap prs-manager, which records the grant', async () => {
      // Act
      const configMap = await core.readNamespacedConfigMap(
        { name: 'prs-manager', namespace: release.namespace },
        as(fn),
      );

      // Assert
      expect(configMap.data).toEqual({
        'grants.json': JSON.stringify({
          version: 1,
          group,
          user: null,
          allNamespaces: false,
          namespaces: [teamA, teamB],
        }),
      });
    });

    it.each([
      {
        what: 'get a Secret in a namespace not granted',
        call: () => core.readNamespacedSecret({ name: 'any', namespace: other }, as(fn)),
      },
      {
        what: 'list Secrets in a namespace not granted',
        call: () => core.listNamespacedSecret({ namespace: other }, as(fn)),
      },
      {
        what: 'create a Secret in a namespace not granted',
        call: () =>
          core.createNamespacedSecret({ namespace: other, body: secretBody('probe') }, as(fn)),
      },
      {
        what: 'list Secrets cluster-wide',
        call: () => core.listSecretForAllNamespaces({}, as(fn)),
      },
      {
        what: 'get another ConfigMap in the release namespace',
        call: () =>
          core.readNamespacedConfigMap(
            { name: 'someone-elses', namespace: release.namespace },
            as(fn),
          ),
      },
      {
        what: 'delete the ConfigMap prs-manager',
        call: () =>
          core.deleteNamespacedConfigMap(
            { name: 'prs-manager', namespace: release.namespace },
            as(fn),
          ),
      },
      {
        what: 'list Pods in a granted namespace',
        call: () => core.listNamespacedPod({ namespace: teamA }, as(fn)),
      },
      {
        what: 'list ServiceAccounts in a granted namespace',
        call: () => core.listNamespacedServiceAccount({ namespace: teamA }, as(fn)),
      },
      {
        what: 'list Roles in a granted namespace',
        call: () => rbac.listNamespacedRole({ namespace: teamA }, as(fn)),
      },
      {
        what: 'bind itself to the admin ClusterRole in a granted namespace',
        call: () =>
          rbac.createNamespacedRoleBinding(
            {
              namespace: teamA,
              body: {
                metadata: { name: 'escalate' },
                roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'admin' },
                subjects: [{ apiGroup: RBAC_GROUP, kind: 'Group', name: group }],
              },
            },
            as(fn),
          ),
      },
    ])('answers 403 when the group tries to $what', async ({ call }) => {
      // Act
      const status = await statusOf(call());

      // Assert
      expect(status).toBe(403);
    });

    it('allows each of the five secret verbs in each granted namespace', async () => {
      // Act: get, update and delete are checked on a name, as the sync asks for them
      const answers = await Promise.all(
        [teamA, teamB].flatMap((namespace) =>
          SECRET_VERBS.map(async (verb) => {
            const name = verb === 'list' || verb === 'create' ? undefined : 'ecr-dev';
            const ok = await allowed(fn, { namespace, verb, resource: 'secrets', name });

            return `${namespace} ${verb} ${ok ? 'allowed' : 'denied'}`;
          }),
        ),
      );

      // Assert
      expect(answers.filter((answer) => answer.endsWith('denied'))).toEqual([]);
    });

    it.each([
      ...SECRET_VERBS.map((verb) => ({
        what: `${verb} secrets in a namespace not granted`,
        attributes: { namespace: 'OTHER', verb, resource: 'secrets' },
      })),
      {
        what: 'get secrets in the release namespace, which is not granted',
        attributes: { namespace: 'RELEASE', verb: 'get', resource: 'secrets' },
      },
      { what: 'list secrets cluster-wide', attributes: { verb: 'list', resource: 'secrets' } },
      { what: 'get secrets cluster-wide', attributes: { verb: 'get', resource: 'secrets' } },
      { what: 'patch secrets', attributes: { namespace: 'A', verb: 'patch', resource: 'secrets' } },
      { what: 'watch secrets', attributes: { namespace: 'A', verb: 'watch', resource: 'secrets' } },
      {
        what: 'deletecollection secrets',
        attributes: { namespace: 'A', verb: 'deletecollection', resource: 'secrets' },
      },
      {
        what: 'get another ConfigMap in the release namespace',
        attributes: {
          namespace: 'RELEASE',
          verb: 'get',
          resource: 'configmaps',
          name: 'someone-elses',
        },
      },
      {
        what: 'list ConfigMaps in the release namespace',
        attributes: { namespace: 'RELEASE', verb: 'list', resource: 'configmaps' },
      },
      ...['update', 'patch', 'delete', 'watch'].map((verb) => ({
        what: `${verb} the ConfigMap prs-manager`,
        attributes: { namespace: 'RELEASE', verb, resource: 'configmaps', name: 'prs-manager' },
      })),
      {
        what: 'get a ConfigMap named prs-manager in a granted namespace',
        attributes: { namespace: 'A', verb: 'get', resource: 'configmaps', name: 'prs-manager' },
      },
      { what: 'list pods', attributes: { namespace: 'A', verb: 'list', resource: 'pods' } },
      { what: 'create pods', attributes: { namespace: 'A', verb: 'create', resource: 'pods' } },
      {
        what: 'get serviceaccounts',
        attributes: { namespace: 'A', verb: 'get', resource: 'serviceaccounts' },
      },
      {
        what: 'create serviceaccount tokens',
        attributes: {
          namespace: 'A',
          verb: 'create',
          resource: 'serviceaccounts',
          subresource: 'token',
        },
      },
      ...['roles', 'rolebindings'].flatMap((resource) =>
        ['get', 'create', 'update'].map((verb) => ({
          what: `${verb} ${resource}`,
          attributes: { namespace: 'A', verb, resource, group: RBAC_GROUP },
        })),
      ),
      {
        what: 'escalate roles',
        attributes: { namespace: 'A', verb: 'escalate', resource: 'roles', group: RBAC_GROUP },
      },
      {
        what: 'bind roles',
        attributes: { namespace: 'A', verb: 'bind', resource: 'roles', group: RBAC_GROUP },
      },
      {
        what: 'bind clusterroles',
        attributes: { verb: 'bind', resource: 'clusterroles', group: RBAC_GROUP },
      },
      { what: 'impersonate users', attributes: { verb: 'impersonate', resource: 'users' } },
      { what: 'impersonate groups', attributes: { verb: 'impersonate', resource: 'groups' } },
      { what: 'list namespaces', attributes: { verb: 'list', resource: 'namespaces' } },
      { what: 'create namespaces', attributes: { verb: 'create', resource: 'namespaces' } },
      {
        what: 'create deployments',
        attributes: { namespace: 'A', verb: 'create', resource: 'deployments', group: 'apps' },
      },
    ])('denies the group to $what', async ({ attributes }) => {
      // Arrange
      type Named = Attributes & { namespace?: keyof typeof namespaceFor };
      const { namespace, ...rest } = attributes as Named;
      const resolved = namespace ? { ...rest, namespace: namespaceFor[namespace] } : rest;

      // Act
      const answer = await allowed(fn, resolved);

      // Assert
      expect(answer).toBe(false);
    });

    it('binds nobody else: another group is denied what the bound group may do', async () => {
      // Act
      const answer = await allowed(
        { user: fn.user, groups: ['someone-else'] },
        { namespace: teamA, verb: 'list', resource: 'secrets' },
      );

      // Assert
      expect(answer).toBe(false);
    });

    it('fails a second release in the same namespace, saying what to do instead', async () => {
      // Arrange
      const again: Release = { name: `${prefix}-again`, namespace: release.namespace };

      // Act
      const result = await installChart(
        cluster,
        again,
        { group, namespaces: [teamA] },
        { allowFailure: true },
      );

      // Assert
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `ConfigMap ${release.namespace}/prs-manager already exists (release ` +
          `"${release.name}"): prs-manager is installed once per namespace; upgrade that ` +
          'release, or install into another namespace',
      );
      expect(await leftovers(again.name)).toEqual([]);
    });
  });

  describe('after helm upgrade removes a namespace from the grant', () => {
    beforeAll(async () => {
      await upgradeChart(cluster, release, { group, namespaces: [teamA] });
    });

    it('denies every secret verb in the removed namespace and keeps the other', async () => {
      // Act
      const answers = await Promise.all(
        [teamA, teamB].map(async (namespace) => [
          namespace,
          await Promise.all(
            SECRET_VERBS.map((verb) => allowed(fn, { namespace, verb, resource: 'secrets' })),
          ),
        ]),
      );

      // Assert
      expect(Object.fromEntries(answers)).toEqual({
        [teamA]: [true, true, true, true, true],
        [teamB]: [false, false, false, false, false],
      });
    });

    it('answers 403 to a create in the removed namespace and creates in the kept one', async () => {
      // Act
      const removed = await statusOf(
        core.createNamespacedSecret(
          { namespace: teamB, body: secretBody('after-upgrade') },
          as(fn),
        ),
      );
      const kept = await statusOf(
        core.createNamespacedSecret(
          { namespace: teamA, body: secretBody('after-upgrade') },
          as(fn),
        ),
      );

      // Assert
      expect({ removed, kept }).toEqual({ removed: 403, kept: 'ok' });
    });

    it('records the narrower grant in the ConfigMap', async () => {
      // Act
      const configMap = await core.readNamespacedConfigMap(
        { name: 'prs-manager', namespace: release.namespace },
        as(fn),
      );

      // Assert
      expect(JSON.parse(configMap.data?.['grants.json'] ?? '')).toEqual({
        version: 1,
        group,
        user: null,
        allNamespaces: false,
        namespaces: [teamA],
      });
    });

    it('removes the Role and RoleBinding of the removed namespace only', async () => {
      // Act
      const remaining = await leftovers(release.name);

      // Assert
      expect(remaining).toEqual(
        [
          `ConfigMap ${release.namespace}/prs-manager`,
          `Role ${release.namespace}/${release.name}-prs-manager-config`,
          `Role ${teamA}/${release.name}-prs-manager`,
          `RoleBinding ${release.namespace}/${release.name}-prs-manager-config`,
          `RoleBinding ${teamA}/${release.name}-prs-manager`,
        ].sort(),
      );
    });
  });

  describe('after helm uninstall', () => {
    beforeAll(async () => {
      await uninstallChart(cluster, release);
    });

    it('leaves no Role, RoleBinding, ClusterRole, ClusterRoleBinding or ConfigMap', async () => {
      // Act
      const remaining = await leftovers(release.name);
      const configMap = await statusOf(
        core.readNamespacedConfigMap({ name: 'prs-manager', namespace: release.namespace }),
      );

      // Assert
      expect({ remaining, configMap }).toEqual({ remaining: [], configMap: 404 });
    });

    it('denies the group everything it had', async () => {
      // Act
      const answers = await Promise.all([
        allowed(fn, { namespace: teamA, verb: 'list', resource: 'secrets' }),
        allowed(fn, { namespace: teamA, verb: 'create', resource: 'secrets' }),
        allowed(fn, {
          namespace: release.namespace,
          verb: 'get',
          resource: 'configmaps',
          name: 'prs-manager',
        }),
      ]);

      // Assert
      expect(answers).toEqual([false, false, false]);
    });
  });
});

describe('chart with allNamespaces and a user, installed with helm', () => {
  const prefix = uniquePrefix();
  const release: Release = { name: prefix, namespace: `${prefix}-system` };
  const later = `${prefix}-later`;
  const group = `${prefix}-group`;
  const user = `${prefix}-user`;
  const byGroup: Identity = { user: `${prefix}-someone`, groups: [group] };
  const byUser: Identity = { user, groups: [] };
  let cluster: HelmCluster;

  beforeAll(async () => {
    cluster = await helmCluster(env);
    await installChart(cluster, release, { group, user, allNamespaces: true });
    await createNamespaces([later]);
  });

  afterAll(async () => {
    await uninstallChart(cluster, release);
    await deleteNamespaces([later, release.namespace]);
    await cluster.dispose();
  });

  it.each([
    { name: 'group', who: byGroup },
    { name: 'user', who: byUser },
  ])('lets the $name list Secrets cluster-wide and list namespaces', async ({ who }) => {
    // Act
    const secrets = await statusOf(
      core.listSecretForAllNamespaces({ labelSelector: PROBE_SELECTOR }, as(who)),
    );
    const namespaces = await statusOf(core.listNamespace({}, as(who)));

    // Assert
    expect({ secrets, namespaces }).toEqual({ secrets: 'ok', namespaces: 'ok' });
  });

  it('allows the five secret verbs in a namespace created after the install', async () => {
    // Act
    const answers = await Promise.all(
      SECRET_VERBS.map((verb) => allowed(byGroup, { namespace: later, verb, resource: 'secrets' })),
    );

    // Assert
    expect(answers).toEqual([true, true, true, true, true]);
  });

  it.each([
    { what: 'get a namespace', attributes: { verb: 'get', resource: 'namespaces' } },
    { what: 'patch secrets', attributes: { verb: 'patch', resource: 'secrets' } },
    { what: 'watch secrets', attributes: { verb: 'watch', resource: 'secrets' } },
    { what: 'list pods', attributes: { verb: 'list', resource: 'pods' } },
    { what: 'list serviceaccounts', attributes: { verb: 'list', resource: 'serviceaccounts' } },
    { what: 'list configmaps', attributes: { verb: 'list', resource: 'configmaps' } },
    {
      what: 'create clusterrolebindings',
      attributes: { verb: 'create', resource: 'clusterrolebindings', group: RBAC_GROUP },
    },
    {
      what: 'escalate clusterroles',
      attributes: { verb: 'escalate', resource: 'clusterroles', group: RBAC_GROUP },
    },
  ])('still denies the group to $what', async ({ attributes }) => {
    // Act
    const answer = await allowed(byGroup, attributes);

    // Assert
    expect(answer).toBe(false);
  });

  it('leaves no ClusterRole or ClusterRoleBinding behind after helm uninstall', async () => {
    // Act
    await uninstallChart(cluster, release);
    const remaining = await leftovers(release.name);
    const listAll = await allowed(byGroup, { verb: 'list', resource: 'secrets' });

    // Assert
    expect({ remaining, listAll }).toEqual({ remaining: [], listAll: false });
  });
});
