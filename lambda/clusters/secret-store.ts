import type { LiveSecret, NamespaceInfo, SecretBody } from '../sync/model.ts';

/**
 * The Kubernetes calls the engine makes against one cluster, and nothing
 * more. Failures are thrown as KubernetesApiError (the API answered) or
 * ClusterUnreachableError (it did not).
 */
export interface SecretStore {
  /** All namespaces, following `continue` tokens. Needs `list namespaces` at cluster scope. */
  listNamespaces(): Promise<NamespaceInfo[]>;
  /**
   * Secrets carrying `labelSelector`, in one namespace or (namespace
   * undefined) in all of them, following `continue` tokens.
   */
  listSecrets(labelSelector: string, namespace?: string): Promise<LiveSecret[]>;
  /** The data of one ConfigMap, or undefined when it does not exist. */
  readConfigMap(
    namespace: string,
    name: string,
  ): Promise<Readonly<Record<string, string>> | undefined>;
  /** One Secret, or undefined when it does not exist. */
  readSecret(namespace: string, name: string): Promise<LiveSecret | undefined>;
  createSecret(body: SecretBody): Promise<LiveSecret>;
  /** Replaces the Secret; `body.resourceVersion` makes a concurrent change a 409. */
  replaceSecret(body: SecretBody): Promise<LiveSecret>;
  /** Deletes the Secret only if it still has this uid and resourceVersion. */
  deleteSecret(
    secret: Pick<LiveSecret, 'namespace' | 'name' | 'uid' | 'resourceVersion'>,
  ): Promise<void>;
}
