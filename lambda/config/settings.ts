import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { formatPath } from './config.ts';

/**
 * The function's settings, from its environment. Every setting has a finite
 * default; a bad value stops the start with a message naming the variable.
 */

const kubeconfigCluster = z
  .object({
    /** The cluster's name in reports and logs. */
    name: z.string().min(1),
    /** A Secrets Manager secret holding a kubeconfig (clusters outside EKS, the demo). */
    kubeconfigSecretId: z.string().min(1),
    /** The kubeconfig context; default: its current context. */
    context: z.string().min(1).optional(),
    /** Where the Helm chart is installed, if it is (optional for these clusters). */
    chartNamespace: z.string().min(1).optional(),
  })
  .strict();

const eksCluster = z
  .object({
    /** The EKS cluster's name: DescribeCluster and the token's x-k8s-aws-id use it. */
    name: z
      .string()
      .regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, { error: 'must be an EKS cluster name' }),
    /** The cluster's region; default: the function's. */
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { error: 'must be an AWS region' })
      .optional(),
    /** A role to assume for this cluster (another account); default: the function's role. */
    roleArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, { error: 'must be an IAM role ARN' })
      .optional(),
    /** Where the Helm chart is installed (it must be); default: prs-manager. */
    chartNamespace: z.string().min(1).optional(),
  })
  .strict();

const clusterSchema = z.union([kubeconfigCluster, eksCluster], {
  error:
    'must be {"name", "region"?, "roleArn"?} (EKS) or {"name", "kubeconfigSecretId", "context"?}',
});

export type KubeconfigClusterSpec = z.infer<typeof kubeconfigCluster>;
export type EksClusterSpec = z.infer<typeof eksCluster>;
export type ClusterSpec = KubeconfigClusterSpec | EksClusterSpec;

/** The owner is a label value (and part of a label selector): 1-63 plain characters. */
export const OWNER_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
export const OWNER_RULE = 'must be a valid label value (1-63 letters, digits, "-", "_", ".")';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const envSchema = z.object({
  PRS_MANAGER_CONFIG_SECRET_ID: z
    .string({ error: 'required: the configuration secret id or ARN' })
    .min(1, { error: 'required: the configuration secret id or ARN' }),
  PRS_MANAGER_CLUSTERS: z.string().default('[]'),
  PRS_MANAGER_OWNER: z.string().regex(OWNER_PATTERN, { error: OWNER_RULE }).default('prs-manager'),
  PRS_MANAGER_REFRESH_MARGIN: z.coerce.number().gt(0).lt(1).default(0.5),
  PRS_MANAGER_RUN_INTERVAL_MINUTES: positiveInt(60),
  PRS_MANAGER_CONCURRENCY: positiveInt(8),
  PRS_MANAGER_CLUSTER_CONCURRENCY: positiveInt(4),
  PRS_MANAGER_WRITES_PER_SECOND: positiveInt(20),
  PRS_MANAGER_REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().positive().max(600).default(10),
  PRS_MANAGER_PAGE_SIZE: positiveInt(500),
  PRS_MANAGER_AWS_MAX_ATTEMPTS: positiveInt(3),
  AWS_ENDPOINT_URL: z.string().url().optional(),
});

export interface Settings {
  readonly configSecretId: string;
  readonly clusters: readonly ClusterSpec[];
  readonly owner: string;
  readonly refreshMargin: number;
  readonly runIntervalMinutes: number;
  readonly concurrency: number;
  readonly clusterConcurrency: number;
  readonly writesPerSecond: number;
  readonly requestTimeoutMs: number;
  readonly pageSize: number;
  readonly awsMaxAttempts: number;
  readonly awsEndpoint?: string;
  /** Notes for the log, e.g. a margin raised to fit the run interval. */
  readonly warnings: readonly string[];
}

/** ECR tokens live 12 hours; the margin is a fraction of that. */
const TOKEN_HOURS = 12;

/** @throws ConfigError naming the variable and the rule. */
export function loadSettings(env: Record<string, string | undefined>): Settings {
  // An empty variable means unset, as in a shell: its default applies.
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(set);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: formatPath(i.path), rule: i.message }));
    throw new ConfigError(
      `bad setting: ${issues.map((i) => `${i.path}: ${i.rule}`).join('; ')}`,
      issues,
    );
  }
  const e = parsed.data;
  const clusters = parseClusters(e.PRS_MANAGER_CLUSTERS);
  const { margin, warnings } = fitMargin(
    e.PRS_MANAGER_REFRESH_MARGIN,
    e.PRS_MANAGER_RUN_INTERVAL_MINUTES,
  );

  return {
    configSecretId: e.PRS_MANAGER_CONFIG_SECRET_ID,
    clusters,
    owner: e.PRS_MANAGER_OWNER,
    refreshMargin: margin,
    runIntervalMinutes: e.PRS_MANAGER_RUN_INTERVAL_MINUTES,
    concurrency: e.PRS_MANAGER_CONCURRENCY,
    clusterConcurrency: e.PRS_MANAGER_CLUSTER_CONCURRENCY,
    writesPerSecond: e.PRS_MANAGER_WRITES_PER_SECOND,
    requestTimeoutMs: e.PRS_MANAGER_REQUEST_TIMEOUT_SECONDS * 1000,
    pageSize: e.PRS_MANAGER_PAGE_SIZE,
    awsMaxAttempts: e.PRS_MANAGER_AWS_MAX_ATTEMPTS,
    ...(e.AWS_ENDPOINT_URL ? { awsEndpoint: e.AWS_ENDPOINT_URL } : {}),
    warnings,
  };
}

/**
 * A token must be refreshed at a run before the one at which it would
 * expire: the margin (of a 12-hour token) must exceed the run interval.
 * A margin that does not is raised, with a warning.
 */
export function fitMargin(
  margin: number,
  intervalMinutes: number,
): { margin: number; warnings: string[] } {
  const needed = (intervalMinutes + 5) / (TOKEN_HOURS * 60);
  if (margin * TOKEN_HOURS * 60 > intervalMinutes) return { margin, warnings: [] };
  if (needed >= 1) {
    throw new ConfigError(
      `PRS_MANAGER_RUN_INTERVAL_MINUTES: ${intervalMinutes} is too long; ` +
        `runs must come more often than every ${TOKEN_HOURS} hours to keep ECR tokens valid`,
    );
  }

  return {
    margin: needed,
    warnings: [
      `PRS_MANAGER_REFRESH_MARGIN raised from ${margin} to ${needed.toFixed(3)}: ` +
        `it must exceed the run interval of ${intervalMinutes} min`,
    ],
  };
}

function parseClusters(text: string): ClusterSpec[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ConfigError('PRS_MANAGER_CLUSTERS: must be a JSON list of cluster targets');
  }
  const parsed = z.array(clusterSchema).safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const at = formatPath(first?.path ?? []);
    throw new ConfigError(
      `PRS_MANAGER_CLUSTERS${at && !at.startsWith('[') ? `.${at}` : at}: ` +
        `${first?.message ?? 'invalid'}`,
    );
  }
  const names = parsed.data.map((c) => c.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice)
    throw new ConfigError(
      `PRS_MANAGER_CLUSTERS: cluster name ${JSON.stringify(twice)} is used twice`,
    );

  return parsed.data;
}
