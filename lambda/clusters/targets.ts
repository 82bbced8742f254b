import * as k8s from './client-node.ts';
import type { ConfigSource } from '../config/sources.ts';
import type { ClusterTarget } from '../sync/engine.ts';
import { DEFAULT_CHART_NAMESPACE } from './grants.ts';
import {
  createKubernetesStore,
  type RequestCounters,
  type StoreOptions,
} from './kubernetes-store.ts';

/**
 * Builds a KubeConfig from a kubeconfig document, on the given context or
 * its current one. The only place kubeconfig text is read.
 */
export function kubeConfigFromText(text: string, context?: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(text);
  if (context) kc.setCurrentContext(context);

  return kc;
}

/** A cluster reached through a kubeconfig kept in a source (a Secrets Manager secret). */
export function kubeconfigTarget(
  name: string,
  source: ConfigSource,
  context: string | undefined,
  options: StoreOptions,
  counters?: RequestCounters,
  chartNamespace: string = DEFAULT_CHART_NAMESPACE,
): ClusterTarget {
  return {
    name,
    chart: { namespace: chartNamespace, required: false },
    connect: async () =>
      createKubernetesStore(kubeConfigFromText(await source.read(), context), options, counters),
  };
}

/** The CLI's cluster: the current context of a kubeconfig already loaded. */
export function kubeConfigTarget(
  name: string,
  kc: k8s.KubeConfig,
  options: StoreOptions,
  counters?: RequestCounters,
): ClusterTarget {
  return { name, connect: () => createKubernetesStore(kc, options, counters) };
}
