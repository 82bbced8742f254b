import type { RegistryEntry } from '../config/config.ts';
import { authEntry, encodeDockerConfig, registryKey } from '../registries/docker-config.ts';
import { expectedEcrKeys } from '../registries/ecr.ts';
import {
  DOCKER_CONFIG_KEY,
  DOCKER_CONFIG_TYPE,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  OWN_ANNOTATIONS,
  OWNER_LABEL,
  type LiveSecret,
  type SecretBody,
} from './model.ts';
import type { DesiredSecret } from './plan.ts';

/** The Secrets an entry asks for, one per namespace it targets. */
export function desiredSecrets(
  entry: RegistryEntry,
  namespaces: readonly string[],
): DesiredSecret[] {
  const credential = entry.credential;
  if (credential.type === 'DOCKER') {
    const key = registryKey(credential.registry);
    const value = encodeDockerConfig({
      [key]: authEntry(credential.username, credential.password, credential.email),
    });

    return namespaces.map((namespace) => ({ entry, namespace, dockerConfig: value }));
  }
  const expectedKeys = expectedEcrKeys(credential.region, credential.registryIds);

  return namespaces.map((namespace) => ({
    entry,
    namespace,
    ...(expectedKeys ? { expectedKeys } : {}),
  }));
}

/** The labels every owned Secret carries; the owner label alone decides ownership. */
export function ownLabels(owner: string): Record<string, string> {
  return { [OWNER_LABEL]: owner, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE };
}

/** A whole new Secret, labels included in the create request itself. */
export function newBody(
  desired: DesiredSecret,
  value: string,
  annotations: Readonly<Record<string, string>>,
  owner: string,
): SecretBody {
  return {
    namespace: desired.namespace,
    name: desired.entry.name,
    type: DOCKER_CONFIG_TYPE,
    labels: ownLabels(owner),
    annotations,
    data: { [DOCKER_CONFIG_KEY]: value },
  };
}

/**
 * The live Secret with our parts replaced: other tools' labels and
 * annotations stay, our annotations are rewritten, data is ours alone.
 */
export function mergedBody(
  live: LiveSecret,
  value: string,
  annotations: Readonly<Record<string, string>>,
  owner: string,
): SecretBody {
  const kept = Object.fromEntries(
    Object.entries(live.annotations).filter(
      ([k]) => !(OWN_ANNOTATIONS as readonly string[]).includes(k),
    ),
  );

  return {
    namespace: live.namespace,
    name: live.name,
    type: DOCKER_CONFIG_TYPE,
    labels: { ...live.labels, ...ownLabels(owner) },
    annotations: { ...kept, ...annotations },
    data: { [DOCKER_CONFIG_KEY]: value },
    resourceVersion: live.resourceVersion,
  };
}
