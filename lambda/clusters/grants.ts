import { PrsManagerError } from '../errors.ts';

/**
 * What a cluster grants the function, as its Helm chart records it in the
 * ConfigMap `prs-manager` (key `grants.json`) of the release namespace.
 * Read once per run, before any Secret is touched, so that entries aimed at
 * namespaces the cluster has not granted are reported as such, not as 403s.
 */
export interface Grants {
  readonly allNamespaces: boolean;
  /** Granted namespaces (meaningless when allNamespaces). */
  readonly namespaces: readonly string[];
}

export const GRANTS_CONFIGMAP = 'prs-manager';
export const GRANTS_KEY = 'grants.json';
/** Where the chart is installed unless a cluster target says otherwise. */
export const DEFAULT_CHART_NAMESPACE = 'prs-manager';

/** @throws PrsManagerError when the ConfigMap does not hold a grant this version reads. */
export function parseGrants(data: Readonly<Record<string, string>>): Grants {
  const text = data[GRANTS_KEY];
  if (text === undefined)
    throw new PrsManagerError(`the ConfigMap ${GRANTS_CONFIGMAP} has no ${GRANTS_KEY}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PrsManagerError(`${GRANTS_CONFIGMAP}/${GRANTS_KEY} is not JSON`);
  }
  const grants = value as { version?: unknown; allNamespaces?: unknown; namespaces?: unknown };
  if (grants.version !== 1) {
    throw new PrsManagerError(
      `${GRANTS_CONFIGMAP}/${GRANTS_KEY}: version ${String(grants.version)} ` +
        'is not one this function reads (1); upgrade the function or the chart',
    );
  }
  const namespaces =
    Array.isArray(grants.namespaces) &&
    grants.namespaces.every((n): n is string => typeof n === 'string')
      ? grants.namespaces
      : undefined;
  if (typeof grants.allNamespaces !== 'boolean' || !namespaces) {
    throw new PrsManagerError(
      `${GRANTS_CONFIGMAP}/${GRANTS_KEY}: allNamespaces (boolean) and ` +
        'namespaces (list of names) are required',
    );
  }

  return { allNamespaces: grants.allNamespaces, namespaces };
}

/** Whether the grant covers a namespace. */
export function granted(grants: Grants, namespace: string): boolean {
  return grants.allNamespaces || grants.namespaces.includes(namespace);
}
