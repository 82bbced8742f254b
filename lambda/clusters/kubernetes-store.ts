import https from 'node:https';
import * as k8s from './client-node.ts';
import { ClusterUnreachableError, KubernetesApiError } from '../errors.ts';
import type { LiveSecret, NamespaceInfo, SecretBody } from '../sync/model.ts';
import type { SecretStore } from './secret-store.ts';

/** Settings of the HTTP side of one cluster's client. */
export interface StoreOptions {
  /** Every request is aborted after this long; a silent server cannot hang a run. */
  readonly requestTimeoutMs: number;
  /** `limit` of list requests; `continue` tokens are followed. */
  readonly pageSize: number;
  /** Sockets kept open to the API server; requests beyond wait for one. */
  readonly maxSockets: number;
  readonly userAgent: string;
  /** A fresh bearer token per request, when the kubeconfig has none (EKS sign-in). */
  readonly bearerToken?: () => Promise<string>;
  /** The API server answered 401: drop the token; the request is retried once. */
  readonly onUnauthorized?: () => void;
  /** Sees each request as it is sent (tests and the benchmark record them). */
  readonly onRequest?: (request: SentRequest) => void;
}

/** What a request looked like on the wire: no headers, so no token. */
export interface SentRequest {
  readonly verb: string;
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: string | undefined;
}

/** Requests by HTTP verb and connections opened, for the benchmark and tests. */
export interface RequestCounters {
  readonly requests: Record<string, number>;
  connections: number;
}

export function newCounters(): RequestCounters {
  return { requests: {}, connections: 0 };
}

/**
 * A {@link SecretStore} over @kubernetes/client-node 1.x for the current
 * context of `kc`. One keep-alive agent serves all requests to the cluster
 * (client-node would otherwise open a TLS connection per request).
 */
export async function createKubernetesStore(
  kc: k8s.KubeConfig,
  options: StoreOptions,
  counters: RequestCounters = newCounters(),
): Promise<SecretStore> {
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    throw new ClusterUnreachableError('NoCluster', 'the kubeconfig has no current cluster');
  const agent = await keepAliveAgent(kc, options.maxSockets, counters);
  const auth: k8s.SecurityAuthentication = {
    getName: () => 'prs-manager',
    applySecurityAuthentication: async (context) => {
      await kc.applySecurityAuthentication(context);
      if (options.bearerToken) {
        context.setHeaderParam('Authorization', `Bearer ${await options.bearerToken()}`);
      }
      context.setAgent(agent);
      context.setSignal(AbortSignal.timeout(options.requestTimeoutMs));
      context.setHeaderParam('User-Agent', options.userAgent);
      const verb = context.getHttpMethod().toString();
      counters.requests[verb] = (counters.requests[verb] ?? 0) + 1;
      const body = context.getBody();
      options.onRequest?.({
        verb,
        url: context.getUrl(),
        contentType: context.getHeaders()['Content-Type'],
        body: typeof body === 'string' ? body : undefined,
      });
    },
  };
  const core = new k8s.CoreV1Api(
    k8s.createConfiguration({
      baseServer: new k8s.ServerConfiguration(cluster.server.replace(/\/+$/, ''), {}),
      authMethods: { default: auth },
    }),
  );

  return new KubernetesSecretStore(core, options.pageSize, options.onUnauthorized);
}

async function keepAliveAgent(
  kc: k8s.KubeConfig,
  maxSockets: number,
  counters: RequestCounters,
): Promise<https.Agent> {
  const tls: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(tls);
  const agent = new https.Agent({
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    ...(kc.getCurrentCluster()?.skipTLSVerify ? { rejectUnauthorized: false } : {}),
    keepAlive: true,
    maxSockets,
  });
  const create = agent.createConnection.bind(agent);
  agent.createConnection = (...args: Parameters<typeof create>) => {
    counters.connections += 1;

    return create(...args);
  };

  return agent;
}

class KubernetesSecretStore implements SecretStore {
  readonly #core: k8s.CoreV1Api;
  readonly #pageSize: number;
  readonly #onUnauthorized: (() => void) | undefined;

  constructor(core: k8s.CoreV1Api, pageSize: number, onUnauthorized?: () => void) {
    this.#core = core;
    this.#pageSize = pageSize;
    this.#onUnauthorized = onUnauthorized;
  }

  async listNamespaces(): Promise<NamespaceInfo[]> {
    const where = { verb: 'list', resource: 'namespaces' };
    const items = await this.#paged(where, (_continue) =>
      this.#core.listNamespace({ limit: this.#pageSize, _continue }),
    );

    return items.map((ns) => ({
      name: ns.metadata?.name ?? '',
      terminating: ns.status?.phase === 'Terminating' || Boolean(ns.metadata?.deletionTimestamp),
    }));
  }

  async listSecrets(labelSelector: string, namespace?: string): Promise<LiveSecret[]> {
    const where = { verb: 'list', resource: 'secrets', namespace };
    const items = await this.#paged(where, (_continue) =>
      namespace
        ? this.#core.listNamespacedSecret({
            namespace,
            labelSelector,
            limit: this.#pageSize,
            _continue,
          })
        : this.#core.listSecretForAllNamespaces({
            labelSelector,
            limit: this.#pageSize,
            _continue,
          }),
    );

    return items.map(toLive);
  }

  async readConfigMap(
    namespace: string,
    name: string,
  ): Promise<Readonly<Record<string, string>> | undefined> {
    try {
      const map = await this.#call({ verb: 'get', resource: 'configmaps', namespace, name }, () =>
        this.#core.readNamespacedConfigMap({ name, namespace }),
      );

      return map.data ?? {};
    } catch (error) {
      if (error instanceof KubernetesApiError && error.code === 404) return undefined;
      throw error;
    }
  }

  async readSecret(namespace: string, name: string): Promise<LiveSecret | undefined> {
    try {
      return toLive(
        await this.#call({ verb: 'get', resource: 'secrets', namespace, name }, () =>
          this.#core.readNamespacedSecret({ name, namespace }),
        ),
      );
    } catch (error) {
      // 404 is an answer here, not a failure: the Secret does not exist.
      if (error instanceof KubernetesApiError && error.code === 404) return undefined;
      throw error;
    }
  }

  async createSecret(body: SecretBody): Promise<LiveSecret> {
    const where = {
      verb: 'create',
      resource: 'secrets',
      namespace: body.namespace,
      name: body.name,
    };

    return toLive(
      await this.#call(where, () =>
        this.#core.createNamespacedSecret({ namespace: body.namespace, body: toV1(body) }),
      ),
    );
  }

  async replaceSecret(body: SecretBody): Promise<LiveSecret> {
    const { namespace, name } = body;
    const where = { verb: 'update', resource: 'secrets', namespace, name };

    return toLive(
      await this.#call(where, () =>
        this.#core.replaceNamespacedSecret({ name, namespace, body: toV1(body) }),
      ),
    );
  }

  async deleteSecret(
    secret: Pick<LiveSecret, 'namespace' | 'name' | 'uid' | 'resourceVersion'>,
  ): Promise<void> {
    const { namespace, name, uid, resourceVersion } = secret;
    const where = { verb: 'delete', resource: 'secrets', namespace, name };
    await this.#call(where, () =>
      this.#core.deleteNamespacedSecret({
        name,
        namespace,
        body: { preconditions: { uid, resourceVersion } },
      }),
    );
  }

  async #paged<T>(
    where: Where,
    page: (continueToken: string | undefined) => Promise<{ items: T[]; metadata?: k8s.V1ListMeta }>,
  ): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const list = await this.#call(where, () => page(token));
      items.push(...list.items);
      token = list.metadata?._continue || undefined;
    } while (token);

    return items;
  }

  /**
   * One request, its failure translated. A 401 means the bearer token was
   * refused (expired, or revoked early): with a token source, the token is
   * renewed and the request sent once more; a second 401 stands.
   */
  async #call<T>(where: Where, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (!(this.#onUnauthorized && error instanceof k8s.ApiException && error.code === 401)) {
        throw translate(error, where);
      }
    }
    this.#onUnauthorized();
    try {
      return await request();
    } catch (error) {
      throw translate(error, where);
    }
  }
}

interface Where {
  readonly verb: string;
  readonly resource: string;
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
}

/**
 * client-node's ApiException carries the response body in its message (for
 * a Secret, the credential): keep the status code, reason and causes only.
 */
function translate(error: unknown, where: Where): Error {
  if (error instanceof k8s.ApiException) {
    const status = parseStatus(error.body);

    return new KubernetesApiError({
      code: error.code,
      reason: status.reason ?? 'Unknown',
      verb: where.verb,
      resource: where.resource,
      ...(where.namespace ? { namespace: where.namespace } : {}),
      ...(where.name ? { name: where.name } : {}),
      causes: status.causes,
    });
  }
  const name = error instanceof Error ? error.name : 'Error';
  const code = (error as { code?: unknown }).code;
  if (name === 'AbortError' || name === 'TimeoutError') {
    return new ClusterUnreachableError('Timeout', `no answer to ${where.verb} ${where.resource}`);
  }

  return new ClusterUnreachableError(
    typeof code === 'string' ? code : name,
    `${where.verb} ${where.resource}`,
  );
}

function parseStatus(body: unknown): { reason?: string; causes: string[] } {
  try {
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as {
      reason?: unknown;
      details?: { causes?: { type?: unknown }[] };
    };
    const causes = (status.details?.causes ?? [])
      .map((c) => c.type)
      .filter((t): t is string => typeof t === 'string');

    return typeof status.reason === 'string' ? { reason: status.reason, causes } : { causes };
  } catch {
    return { causes: [] };
  }
}

function toLive(secret: k8s.V1Secret): LiveSecret {
  const meta = secret.metadata ?? {};

  return {
    namespace: meta.namespace ?? '',
    name: meta.name ?? '',
    uid: meta.uid ?? '',
    resourceVersion: meta.resourceVersion ?? '',
    type: secret.type ?? 'Opaque',
    labels: meta.labels ?? {},
    annotations: meta.annotations ?? {},
    data: secret.data ?? {},
    immutable: secret.immutable === true,
  };
}

function toV1(body: SecretBody): k8s.V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: body.name,
      namespace: body.namespace,
      labels: { ...body.labels },
      annotations: { ...body.annotations },
      ...(body.resourceVersion ? { resourceVersion: body.resourceVersion } : {}),
    },
    type: body.type,
    data: { ...body.data },
  };
}
