/**
 * The shapes the sync engine works with, and the marks it leaves on the
 * Secrets it owns. Pure data: no SDK, no client-node.
 */

/** Secrets carrying this label with our owner value are ours; no others are ever changed. */
export const OWNER_LABEL = 'prs-manager.io/owner';
/** The conventional marker for tools; informative only, never used to decide ownership. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'prs-manager';
/** When the ECR token stored in the Secret stops working (RFC 3339). */
export const EXPIRES_ANNOTATION = 'prs-manager.io/token-expires-at';
/** When that token was minted (RFC 3339): with the expiry, its lifetime. */
export const MINTED_ANNOTATION = 'prs-manager.io/token-minted-at';
/** Annotations the project owns on its Secrets; others' annotations are kept. */
export const OWN_ANNOTATIONS = [EXPIRES_ANNOTATION, MINTED_ANNOTATION] as const;

export const DOCKER_CONFIG_TYPE = 'kubernetes.io/dockerconfigjson';
export const DOCKER_CONFIG_KEY = '.dockerconfigjson';

/** A Secret as the API server has it (only the fields the engine reads). */
export interface LiveSecret {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly type: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly data: Readonly<Record<string, string>>;
  readonly immutable: boolean;
}

/** A Secret to write: the whole object for a create, the merged one for an update. */
export interface SecretBody {
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly data: Readonly<Record<string, string>>;
  /** For an update: the version read, so a concurrent change is a 409, not lost. */
  readonly resourceVersion?: string;
}

/** What happened to one Secret in one namespace. */
export const Action = {
  created: 'created',
  updated: 'updated',
  refreshed: 'refreshed',
  deleted: 'deleted',
  unchanged: 'unchanged',
  skipped: 'skipped',
  conflict: 'conflict',
  failed: 'failed',
} as const;
export type Action = (typeof Action)[keyof typeof Action];

/** Namespace facts the engine needs: existence and whether it is being deleted. */
export interface NamespaceInfo {
  readonly name: string;
  readonly terminating: boolean;
}
