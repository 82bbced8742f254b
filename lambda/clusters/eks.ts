import type { Cluster, EKSClient } from '@aws-sdk/client-eks';
import type { AwsCredentialIdentity } from '@smithy/types';
import { awsError, commonJs, type AssumedRoles } from '../aws/assumed-roles.ts';
import type { EksClusterSpec } from '../config/settings.ts';
import { ClusterUnreachableError } from '../errors.ts';
import type { ClusterTarget } from '../sync/engine.ts';
import { KubeConfig } from './client-node.ts';
import { DEFAULT_CHART_NAMESPACE } from './grants.ts';
import {
  createKubernetesStore,
  type RequestCounters,
  type StoreOptions,
} from './kubernetes-store.ts';
import { TokenSource, type CredentialSource } from './eks-token.ts';

export interface EksOptions {
  /** The function's region: the default for clusters that name none. */
  readonly region: string;
  readonly roles: AssumedRoles;
  /** Server time (the local clock corrected by the skew AWS measured). */
  readonly now: () => Date;
  /** Endpoint override for EKS calls (tests: moto). */
  readonly endpoint?: string;
  /** The function's own credentials (its role), from the SDK's default chain. */
  readonly ownCredentials: CredentialSource;
  readonly store: Omit<StoreOptions, 'bearerToken' | 'onUnauthorized'>;
  readonly counters?: (cluster: string) => RequestCounters;
}

/**
 * An EKS cluster reached with the function's IAM identity: DescribeCluster
 * gives endpoint and CA, and each request carries a bearer token signed
 * for this cluster. No kubeconfig, AWS CLI or exec plugin.
 */
export function eksTarget(spec: EksClusterSpec, options: EksOptions): ClusterTarget {
  const region = spec.region ?? options.region;
  const credentials: CredentialSource = spec.roleArn
    ? () => options.roles.credentials(spec.roleArn ?? '', region)
    : options.ownCredentials;

  return {
    name: spec.name,
    // An EKS cluster lets the function in through its chart, and says what it grants there.
    chart: { namespace: spec.chartNamespace ?? DEFAULT_CHART_NAMESPACE, required: true },
    connect: async () => {
      const { endpoint, caData } = await describe(spec.name, region, await credentials(), options);
      const tokens = new TokenSource(spec.name, region, credentials, options.now);
      const kc = new KubeConfig();
      kc.loadFromOptions({
        // Real EKS endpoints have no trailing slash; some fakes do.
        clusters: [
          { name: spec.name, server: endpoint.replace(/\/+$/, ''), caData, skipTLSVerify: false },
        ],
        users: [{ name: 'prs-manager' }],
        contexts: [{ name: spec.name, cluster: spec.name, user: 'prs-manager' }],
        currentContext: spec.name,
      });

      return createKubernetesStore(
        kc,
        {
          ...options.store,
          bearerToken: () => tokens.token(),
          onUnauthorized: () => tokens.invalidate(),
        },
        options.counters?.(spec.name),
      );
    },
  };
}

async function describe(
  name: string,
  region: string,
  credentials: AwsCredentialIdentity,
  options: EksOptions,
): Promise<{ endpoint: string; caData: string }> {
  const eks = commonJs(await import('@aws-sdk/client-eks'));
  const client: EKSClient = new eks.EKSClient({
    region,
    credentials,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  let cluster: Cluster | undefined;
  try {
    cluster = (await client.send(new eks.DescribeClusterCommand({ name }))).cluster;
  } catch (error) {
    throw awsError('eks:DescribeCluster', error);
  }
  if (!cluster?.endpoint || !cluster.certificateAuthority?.data) {
    throw new ClusterUnreachableError(
      'NotReady',
      `EKS reports no endpoint or CA (status ${cluster?.status ?? 'unknown'})`,
    );
  }

  return { endpoint: cluster.endpoint, caData: cluster.certificateAuthority.data };
}
