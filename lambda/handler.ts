import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { formatPath } from './config/config.ts';
import { loadSettings, type Settings } from './config/settings.ts';
import { secretsManagerSource } from './config/sources.ts';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { AssumedRoles } from './aws/assumed-roles.ts';
import { eksTarget } from './clusters/eks.ts';
import { kubeconfigTarget } from './clusters/targets.ts';
import { ConfigError, PrsManagerError, safeMessage } from './errors.ts';
import { createLogger, routeNodeWarnings, type Log } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { AwsTokenMinter, SkewClock } from './registries/aws-token-minter.ts';
import type { ClusterTarget, EngineDeps, SyncRequest } from './sync/engine.ts';
import { summary, type RunReport } from './sync/report.ts';
import { runOnce } from './sync/run.ts';
import { USER_AGENT } from './version.ts';

/**
 * The Lambda entry. A scheduled event syncs everything; a manual payload
 * such as `{"dryRun": true, "secrets": ["ecr-dev"]}` narrows the run. The
 * report is returned; when anything failed, the invocation fails after all
 * the work is done, so that retries and alarms fire.
 */

const manualPayload = z
  .object({
    dryRun: z.boolean({ error: 'must be true or false' }).optional(),
    secrets: z.array(z.string(), { error: 'must be a list of entry names' }).min(1).optional(),
    clusters: z.array(z.string(), { error: 'must be a list of cluster names' }).min(1).optional(),
  })
  .strict();

/** A run that did not fully succeed; the message is the report's summary. */
export class SyncFailedError extends PrsManagerError {
  readonly report: RunReport;

  constructor(report: RunReport) {
    super(summary(report));
    this.name = 'SyncFailedError';
    this.report = report;
  }
}

interface Runtime {
  readonly settings: Settings;
  readonly deps: EngineDeps;
  readonly clusters: readonly ClusterTarget[];
  readonly sm: SecretsManagerClient;
}

let runtime: Runtime | undefined;
/** One logger per process: the engine (built once in the runtime) writes through it too. */
const log = createLogger();

export async function handler(event: unknown): Promise<RunReport> {
  try {
    const request = parseEvent(event);
    runtime ??= buildRuntime(process.env, log);
    const rt = runtime;
    const source = secretsManagerSource(rt.sm, rt.settings.configSecretId);
    const report = await runOnce(
      source,
      selectClusters(rt.clusters, request.clusters),
      rt.deps,
      request,
    );
    log.info('sync finished', { status: report.status, summary: summary(report) });
    if (report.status !== 'success') throw new SyncFailedError(report);

    return report;
  } catch (error) {
    throw forTheCaller(error);
  }
}

/**
 * The one catch at the edge. The runtime prints a failed invocation's
 * stack to the log and the caller; ours carries the safe message alone,
 * and a foreign error only its name.
 */
function forTheCaller(error: unknown): Error {
  const safe = error instanceof PrsManagerError ? error : new PrsManagerError(safeMessage(error));
  safe.stack = `${safe.name}: ${safe.message}`;

  return safe;
}

export interface InvocationRequest extends SyncRequest {
  /** Only these clusters (by name). */
  readonly clusters?: readonly string[];
}

/** The clusters a run covers: all, or the named ones (each must exist). */
export function selectClusters(
  all: readonly ClusterTarget[],
  names: readonly string[] | undefined,
): readonly ClusterTarget[] {
  if (!names) return all;
  const unknown = names.filter((n) => !all.some((c) => c.name === n));
  if (unknown.length) {
    throw new ConfigError(
      `invalid payload: clusters: unknown cluster ${JSON.stringify(unknown[0])}; ` +
        `configured: ${all.map((c) => c.name).join(', ') || 'none'}`,
    );
  }

  return all.filter((c) => names.includes(c.name));
}

const MANUAL_KEYS = ['dryRun', 'secrets', 'clusters'];

/**
 * The run a payload asks for. A scheduled event, an empty payload or none
 * is a full run; anything else must be a valid manual payload, so that a
 * malformed one never turns into a full run with deletions.
 */
export function parseEvent(event: unknown): InvocationRequest {
  if (event === undefined || event === null) return { dryRun: false };
  if (typeof event !== 'object' || Array.isArray(event)) {
    throw new ConfigError('invalid payload: must be an object such as {"dryRun": true}');
  }
  if (isScheduled(event)) {
    const manual = MANUAL_KEYS.find((key) => key in event);
    if (manual) throw new ConfigError(`invalid payload: a scheduled event cannot carry ${manual}`);

    return { dryRun: false };
  }
  const parsed = manualPayload.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `invalid payload: ${formatPath(issue?.path ?? []) || '(root)'}: ` +
        `${issue?.message ?? 'invalid'}; expected {"dryRun"?: boolean, "secrets"?: [names], ` +
        '"clusters"?: [names]}',
    );
  }

  return {
    dryRun: parsed.data.dryRun ?? false,
    ...(parsed.data.secrets ? { only: parsed.data.secrets } : {}),
    ...(parsed.data.clusters ? { clusters: parsed.data.clusters } : {}),
  };
}

function isScheduled(event: object): boolean {
  const source = (event as { source?: unknown }).source;

  return source === 'aws.events' || source === 'aws.scheduler' || 'detail-type' in event;
}

/** Real clients, built once per cold start and handed to the steps. */
export function buildRuntime(env: Record<string, string | undefined>, log: Log): Runtime {
  routeNodeWarnings(log);
  const settings = loadSettings(env);
  for (const warning of settings.warnings) log.warn(warning);
  const endpoint = settings.awsEndpoint ? { endpoint: settings.awsEndpoint } : {};
  const sm = new SecretsManagerClient({ ...endpoint });
  const clock = new SkewClock();
  const roles = new AssumedRoles({ ...endpoint, now: () => clock.now().getTime() });
  const minter = new AwsTokenMinter({
    ...endpoint,
    roles,
    maxAttempts: settings.awsMaxAttempts,
    baseDelayMs: 100,
    random: Math.random,
    clock,
    log,
  });
  const storeOptions = {
    requestTimeoutMs: settings.requestTimeoutMs,
    pageSize: settings.pageSize,
    maxSockets: settings.concurrency,
    userAgent: USER_AGENT,
  };
  const ownCredentials = defaultProvider();
  const clusters = settings.clusters.map((c) =>
    'kubeconfigSecretId' in c
      ? kubeconfigTarget(
          c.name,
          secretsManagerSource(sm, c.kubeconfigSecretId),
          c.context,
          storeOptions,
          undefined,
          c.chartNamespace,
        )
      : eksTarget(c, {
          region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
          roles,
          now: () => clock.now(),
          ...endpoint,
          ownCredentials,
          store: storeOptions,
        }),
  );
  const deps: EngineDeps = {
    minter,
    log,
    metrics: createMetrics(),
    now: () => clock.now(),
    settings: {
      owner: settings.owner,
      refreshMargin: settings.refreshMargin,
      concurrency: settings.concurrency,
      writesPerSecond: settings.writesPerSecond,
      clusterConcurrency: settings.clusterConcurrency,
      conflictRetries: 3,
    },
  };

  return { settings, deps, clusters, sm };
}
