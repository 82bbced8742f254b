import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as k8s from '@kubernetes/client-node';
import { secretsManagerSource, type ConfigSource } from '../../lambda/config/sources.ts';
import {
  createKubernetesStore,
  newCounters,
  type RequestCounters,
  type SentRequest,
} from '../../lambda/clusters/kubernetes-store.ts';
import type { Log, LogFields } from '../../lambda/logger.ts';
import { AwsTokenMinter, SkewClock } from '../../lambda/registries/aws-token-minter.ts';
import type { TokenMinter } from '../../lambda/registries/token-minter.ts';
import {
  type ClusterTarget,
  type EngineSettings,
  type SyncRequest,
} from '../../lambda/sync/engine.ts';
import { EXPIRES_ANNOTATION, MINTED_ANNOTATION, OWNER_LABEL } from '../../lambda/sync/model.ts';
import type { RunReport } from '../../lambda/sync/report.ts';
import { runOnce } from '../../lambda/sync/run.ts';
import {
  adminKubeConfig,
  awsClientConfig,
  kubeConfigFor,
  loadTestEnvironment,
  syncKubeConfig,
  type EnvironmentState,
} from '../env/test-env.ts';
import type { Manifest } from './cases.ts';
import type { ScriptedAws } from './scripted-aws.ts';

/**
 * Runs the real engine against the real API server and moto, with a test
 * clock. Each test gets its own owner label value and namespace prefix, so
 * tests sharing one control plane never see each other's Secrets.
 */

export const OTHER_OWNER = 'other-installation';

export interface LogLine extends LogFields {
  readonly level: string;
  readonly message: string;
}

export interface RunResult {
  readonly report: RunReport;
  /** Metrics counted in the run: name and dimensions. */
  readonly metrics: { name: string; dimensions: Readonly<Record<string, string>> }[];
  readonly requests: SentRequest[];
  readonly counters: RequestCounters;
  readonly logs: LogLine[];
}

export interface RunOptions {
  /** The configuration entries, or a whole document as text. */
  readonly config: unknown[] | string;
  readonly ecr?: ScriptedAws;
  readonly minter?: TokenMinter;
  readonly request?: SyncRequest;
  /** Kubernetes identity: the sync user (default) or another kubeconfig. */
  readonly kubeConfig?: k8s.KubeConfig;
  readonly source?: ConfigSource;
  readonly settings?: Partial<EngineSettings>;
  readonly requestTimeoutMs?: number;
  readonly random?: () => number;
  readonly skew?: SkewClock;
  /** Cluster targets instead of the local cluster through the sync user's kubeconfig. */
  readonly clusters?: readonly ClusterTarget[];
}

export class Harness {
  readonly env: EnvironmentState;
  readonly owner: string;
  readonly prefix: string;
  readonly core: k8s.CoreV1Api;
  readonly rbac: k8s.RbacAuthorizationV1Api;
  /** The test clock: what the engine believes is server time. */
  now: Date;
  /** The Kubernetes user `<project-identity>` stands for. */
  identity: string;
  #configs = 0;

  constructor(prefix: string, env: EnvironmentState = loadTestEnvironment()) {
    this.env = env;
    this.prefix = prefix;
    this.owner = `test-${prefix}`;
    this.core = adminKubeConfig(env).makeApiClient(k8s.CoreV1Api);
    this.rbac = adminKubeConfig(env).makeApiClient(k8s.RbacAuthorizationV1Api);
    this.now = new Date();
    this.identity = env.kube.syncUser;
    // moto's test keys stand in for the Lambda role's credentials (the default chain).
    process.env.AWS_ACCESS_KEY_ID ??= env.aws.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY ??= env.aws.secretAccessKey;
  }

  /** `team-a` -> `<prefix>-team-a`; built-in namespaces stay as they are. */
  ns(name: string): string {
    return name === '*' || name === 'default' || name.startsWith('kube-')
      ? name
      : `${this.prefix}-${name}`;
  }

  advance(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
  }

  /** A time of the cases' notation (`now+20m`, `now-1m`) on the test clock. */
  at(expression: string): string {
    const m = /^now(?:([+-])(\d+)([mh]))?$/.exec(expression);
    if (!m) throw new Error(`not a time: ${expression}`);
    const amount = m[2] ? Number(m[2]) * (m[3] === 'h' ? 3600000 : 60000) : 0;

    return new Date(this.now.getTime() + (m[1] === '-' ? -amount : amount)).toISOString();
  }

  /** The configuration entries with namespaces mapped to this test's prefix. */
  mapConfig(entries: unknown[]): unknown[] {
    return entries.map((raw) => {
      const entry = { ...(raw as Record<string, unknown>) };
      if (typeof entry.kubernetes_namespace === 'string')
        entry.kubernetes_namespace = this.ns(entry.kubernetes_namespace);
      if (Array.isArray(entry.namespaces))
        entry.namespaces = entry.namespaces.map((n) => this.ns(String(n)));

      return entry;
    });
  }

  /** Creates the manifests of a case's clusterState, placeholders resolved. */
  async apply(manifests: readonly Manifest[]): Promise<void> {
    for (const m of manifests.filter((x) => x.kind === 'Namespace'))
      await this.createNamespace(m.metadata.name);
    for (const m of manifests.filter((x) => x.kind !== 'Namespace')) {
      const namespace = this.ns(m.metadata.namespace ?? 'default');
      const resolved = this.resolve(m);
      if (m.kind === 'Secret') {
        await this.core.createNamespacedSecret({
          namespace,
          body: resolved as unknown as k8s.V1Secret,
        });
      } else if (m.kind === 'Role') {
        await this.rbac.createNamespacedRole({
          namespace,
          body: resolved as unknown as k8s.V1Role,
        });
      } else if (m.kind === 'RoleBinding') {
        await this.rbac.createNamespacedRoleBinding({
          namespace,
          body: resolved as unknown as k8s.V1RoleBinding,
        });
      } else {
        throw new Error(`cannot create ${m.kind}`);
      }
    }
  }

  async createNamespace(name: string): Promise<void> {
    await this.core
      .createNamespace({ body: { metadata: { name: this.ns(name) } } })
      .catch((e: unknown) => {
        if (!(e instanceof k8s.ApiException && e.code === 409)) throw e;
      });
  }

  resolve(m: Manifest): Record<string, unknown> {
    const text = JSON.stringify(m)
      .replaceAll('<owner-label-key>', OWNER_LABEL)
      .replaceAll('<owner-label-value>', this.owner)
      .replaceAll('<other-owner-value>', OTHER_OWNER)
      .replaceAll('<expiry-annotation-key>', EXPIRES_ANNOTATION)
      .replaceAll('<minted-annotation-key>', MINTED_ANNOTATION)
      .replaceAll('<project-identity>', this.identity)
      .replace(/"(now(?:[+-]\d+[mh])?)"/g, (_, t: string) => JSON.stringify(this.at(t)));
    const body = JSON.parse(text) as { metadata: Record<string, unknown> };
    body.metadata.namespace = this.ns(String(body.metadata.namespace ?? 'default'));
    delete body.metadata.resourceVersion;

    return body;
  }

  async readSecret(namespace: string, name: string): Promise<k8s.V1Secret | undefined> {
    try {
      return await this.core.readNamespacedSecret({ name, namespace: this.ns(namespace) });
    } catch (e) {
      if (e instanceof k8s.ApiException && e.code === 404) return undefined;
      throw e;
    }
  }

  /** The decoded `.dockerconfigjson` of a Secret, parsed. */
  async dockerConfig(namespace: string, name: string): Promise<unknown> {
    const secret = await this.readSecret(namespace, name);
    const value = secret?.data?.['.dockerconfigjson'];

    return value === undefined
      ? undefined
      : JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  }

  /** Stores the configuration in moto's Secrets Manager and returns it as a source. */
  async storeConfig(config: unknown[] | string): Promise<ConfigSource> {
    const client = new SecretsManagerClient(awsClientConfig(this.env));
    this.#configs += 1;
    const name = `${this.prefix}-config-${this.#configs}`;
    const text =
      typeof config === 'string' ? config : JSON.stringify({ secrets: this.mapConfig(config) });
    await client.send(new CreateSecretCommand({ Name: name, SecretString: text }));

    return secretsManagerSource(client, name);
  }

  /** One run of the engine, like the handler's, with recorded requests and logs. */
  async run(options: RunOptions): Promise<RunResult> {
    const logs: LogLine[] = [];
    const metrics: RunResult['metrics'] = [];
    const requests: SentRequest[] = [];
    const counters = newCounters();
    const log = recordingLog(logs);
    const kc = options.kubeConfig ?? syncKubeConfig(this.env);
    const store = await createKubernetesStore(
      kc,
      {
        requestTimeoutMs: options.requestTimeoutMs ?? 10000,
        pageSize: 500,
        maxSockets: 8,
        userAgent: 'prs-manager-test',
        onRequest: (r) => requests.push(r),
      },
      counters,
    );
    // The minter's clock is the test clock, so mint times and credential
    // lifetimes are judged on it.
    const skew = options.skew ?? new SkewClock(() => this.now.getTime());
    const minter =
      options.minter ??
      new AwsTokenMinter({
        ...(options.ecr ? {} : { endpoint: this.env.aws.endpoint }),
        maxAttempts: 3,
        baseDelayMs: 1,
        random: options.random ?? (() => 0.5),
        clock: skew,
        log,
        ...(options.ecr ? { requestHandler: options.ecr.handler } : {}),
      });
    const deps = {
      minter,
      log,
      metrics: {
        count: (name: string, dimensions: Readonly<Record<string, string>>) =>
          metrics.push({ name, dimensions }),
      },
      now: () => skew.now(),
      settings: {
        owner: this.owner,
        refreshMargin: 0.5,
        concurrency: 8,
        writesPerSecond: 1000,
        clusterConcurrency: 2,
        conflictRetries: 3,
        ...options.settings,
      },
    };
    const source = options.source ?? (await this.storeConfig(options.config));
    // Each test's own chart namespace, absent unless the test installs one: another suite's
    // chart in the shared control plane must not narrow this test's grant.
    const cluster = {
      name: 'local',
      connect: async () => store,
      chart: { namespace: `${this.prefix}-chart`, required: false },
    };
    const request = options.request ?? { dryRun: false };
    const report = await runOnce(source, options.clusters ?? [cluster], deps, request);

    return { report, requests, counters, logs, metrics };
  }

  /** A minter kept across runs (a warm Lambda container), on the test clock. */
  warmMinter(ecr: ScriptedAws, logs: LogLine[] = []): AwsTokenMinter {
    return new AwsTokenMinter({
      maxAttempts: 3,
      baseDelayMs: 1,
      random: () => 0.5,
      clock: new SkewClock(() => this.now.getTime()),
      log: recordingLog(logs),
      requestHandler: ecr.handler,
    });
  }

  /** A kubeconfig for another token-file identity of the environment. */
  kubeConfigAs(user: 'nobody'): k8s.KubeConfig {
    return kubeConfigFor(this.env, user, this.env.kube.nobodyToken);
  }
}

/** A Log that keeps its lines, as the JSON logger would print them. */
export function recordingLog(lines: LogLine[], fields: LogFields = {}): Log {
  const at = (level: string) => (message: string, extra?: LogFields) => {
    lines.push({ level, message, ...fields, ...extra });
  };

  return {
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
    with: (more) => recordingLog(lines, { ...fields, ...more }),
  };
}

/**
 * Grants the sync identity's group what the engine needs cluster-wide:
 * secrets (all verbs it uses) and listing namespaces. Idempotent.
 */
export async function grantSyncCluster(env: EnvironmentState): Promise<void> {
  const rbac = adminKubeConfig(env).makeApiClient(k8s.RbacAuthorizationV1Api);
  const name = 'prs-manager-test-sync';
  const ignoreExists = (e: unknown) => {
    if (!(e instanceof k8s.ApiException && e.code === 409)) throw e;
  };
  await rbac
    .createClusterRole({
      body: {
        metadata: { name },
        rules: [
          {
            apiGroups: [''],
            resources: ['secrets'],
            verbs: ['get', 'list', 'create', 'update', 'delete'],
          },
          { apiGroups: [''], resources: ['namespaces'], verbs: ['list'] },
        ],
      },
    })
    .catch(ignoreExists);
  await rbac
    .createClusterRoleBinding({
      body: {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [
          { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: env.kube.syncGroup },
        ],
      },
    })
    .catch(ignoreExists);
}
