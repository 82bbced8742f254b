import Bottleneck from 'bottleneck';
import type { EcrCredential, ParsedConfig, RegistryEntry } from '../config/config.ts';
import {
  ConfigError,
  KubernetesApiError,
  PrsManagerError,
  MalformedEcrTokenError,
  errorCode,
  safeMessage,
} from '../errors.ts';
import type { Log } from '../logger.ts';
import type { MetricSink } from '../metrics.ts';
import { encodeDockerConfig } from '../registries/docker-config.ts';
import { ecrAuths, effectiveExpiry } from '../registries/ecr.ts';
import { RunTokenCache, type TokenMinter } from '../registries/token-minter.ts';
import {
  DEFAULT_CHART_NAMESPACE,
  GRANTS_CONFIGMAP,
  granted,
  parseGrants,
  type Grants,
} from '../clusters/grants.ts';
import type { SecretStore } from '../clusters/secret-store.ts';
import { desiredSecrets, mergedBody, newBody } from './desired.ts';
import {
  Action,
  EXPIRES_ANNOTATION,
  MINTED_ANNOTATION,
  OWNER_LABEL,
  type LiveSecret,
  type NamespaceInfo,
} from './model.ts';
import { plan, type DesiredSecret, type Step } from './plan.ts';
import { runStatus, totals, type ClusterReport, type ReportRow, type RunReport } from './report.ts';

/** A cluster to sync: its name for reports, and how to reach its API server. */
export interface ClusterTarget {
  readonly name: string;
  connect(): Promise<SecretStore>;
  /**
   * Where the cluster's Helm chart records its grant. Required: a cluster
   * without it is not touched. Optional (kubeconfig targets): without it,
   * the kubeconfig's identity is trusted with what it was given.
   */
  readonly chart?: { readonly namespace: string; readonly required: boolean };
}

export interface EngineSettings {
  /** The owner label value of this installation. */
  readonly owner: string;
  /** Refresh an ECR token once less than this fraction of its lifetime remains. */
  readonly refreshMargin: number;
  /** Kubernetes requests in flight at once, per cluster. */
  readonly concurrency: number;
  /** Client-side rate limit of Kubernetes writes, per cluster. */
  readonly writesPerSecond: number;
  /** Clusters worked on at once. */
  readonly clusterConcurrency: number;
  /** Attempts of an update that meets a 409 (someone else wrote in between). */
  readonly conflictRetries: number;
}

export interface SyncRequest {
  readonly dryRun: boolean;
  /** Only these entry names; a narrowed run deletes nothing. */
  readonly only?: readonly string[];
}

export interface EngineDeps {
  readonly minter: TokenMinter;
  readonly log: Log;
  /** Counts for alarms (an expired token still in use); none when absent. */
  readonly metrics?: MetricSink;
  /** Server time: the local clock corrected by the skew AWS measured. */
  readonly now: () => Date;
  readonly settings: EngineSettings;
}

/** The report of a run whose configuration could not be loaded: nothing was touched. */
export function configFailureReport(source: string, error: unknown, dryRun: boolean): RunReport {
  return {
    status: 'failed',
    dryRun,
    config: {
      source,
      validEntries: 0,
      invalidEntries: [],
      warnings: [],
      error: safeMessage(error),
    },
    clusters: [],
    totals: totals([]),
    tokenCalls: 0,
  };
}

/** One run: every cluster against the configuration, then the report. */
export async function sync(
  config: ParsedConfig,
  source: string,
  clusters: readonly ClusterTarget[],
  deps: EngineDeps,
  request: SyncRequest,
): Promise<RunReport> {
  const known = new Set([
    ...config.entries.map((e) => e.name),
    ...config.invalid.map((e) => e.name),
  ]);
  const unknown = request.only?.find((name) => !known.has(name));
  if (unknown !== undefined) {
    return configFailureReport(
      source,
      new ConfigError(`payload secrets: no entry is named ${JSON.stringify(unknown)}`),
      request.dryRun,
    );
  }
  const tokens = new RunTokenCache(deps.minter);
  const entries = request.only
    ? config.entries.filter((e) => request.only?.includes(e.name))
    : config.entries;
  const run: RunContext = {
    deps,
    request,
    tokens,
    entries,
    protectedNames: new Set(config.invalid.flatMap((e) => (e.name ? [e.name] : []))),
    noDeleteReason: noDeleteReason(config, request),
  };
  for (const issue of config.warnings) deps.log.warn('configuration warning', { ...issue });
  for (const entry of config.invalid) {
    for (const issue of entry.issues) {
      deps.log.error('invalid configuration entry', { index: entry.index, ...issue });
    }
  }
  const limiter = new Bottleneck({ maxConcurrent: deps.settings.clusterConcurrency });
  const reports = await Promise.all(
    clusters.map((c) => limiter.schedule(() => syncCluster(c, run))),
  );

  return {
    status: runStatus(reports, config.invalid.length),
    dryRun: request.dryRun,
    config: {
      source,
      validEntries: config.entries.length,
      invalidEntries: config.invalid,
      warnings: config.warnings,
    },
    clusters: reports,
    totals: totals(reports),
    tokenCalls: tokens.calls,
  };
}

interface RunContext {
  readonly deps: EngineDeps;
  readonly request: SyncRequest;
  readonly tokens: RunTokenCache;
  readonly entries: readonly RegistryEntry[];
  readonly protectedNames: ReadonlySet<string>;
  readonly noDeleteReason: string | undefined;
}

interface ClusterContext extends RunContext {
  readonly cluster: string;
  readonly store: SecretStore;
  readonly log: Log;
  readonly writes: Bottleneck;
  /** What the cluster's chart grants; undefined when it has no chart and needs none. */
  readonly grants: Grants | undefined;
}

/**
 * The cluster's grant, read in one request before anything else. A cluster
 * whose chart is required but absent (or unreadable to us) is not touched.
 */
async function readGrants(target: ClusterTarget, store: SecretStore): Promise<Grants | undefined> {
  const chart = target.chart ?? { namespace: DEFAULT_CHART_NAMESPACE, required: false };
  let data: Readonly<Record<string, string>> | undefined;
  try {
    data = await store.readConfigMap(chart.namespace, GRANTS_CONFIGMAP);
  } catch (error) {
    if (!(error instanceof KubernetesApiError && error.code === 403)) throw error;
    if (!chart.required) return undefined;
    throw new PrsManagerError(
      `prs-manager is not installed in this cluster for this identity: ` +
        `reading ConfigMap ${chart.namespace}/${GRANTS_CONFIGMAP} is forbidden (is the function's ` +
        'role mapped to the group the chart binds?)',
    );
  }
  if (data === undefined) {
    if (!chart.required) return undefined;
    throw new PrsManagerError(
      `prs-manager is not installed in this cluster (no ConfigMap ` +
        `${GRANTS_CONFIGMAP} in namespace ${chart.namespace}); install the Helm chart there`,
    );
  }

  return parseGrants(data);
}

function noDeleteReason(config: ParsedConfig, request: SyncRequest): string | undefined {
  if (config.entries.length === 0) return 'the configuration has no valid entries';
  if (request.only) return 'the run is narrowed to named secrets';
  // Its Secrets cannot be told from orphans when the entry's own name is unreadable.
  if (config.invalid.some((e) => e.name === undefined))
    return 'an invalid entry has no readable name';

  return undefined;
}

async function syncCluster(target: ClusterTarget, run: RunContext): Promise<ClusterReport> {
  const log = run.deps.log.with({ cluster: target.name });
  try {
    const store = await target.connect();
    const writes = new Bottleneck({
      maxConcurrent: run.deps.settings.concurrency,
      minTime: Math.ceil(1000 / run.deps.settings.writesPerSecond),
    });
    const grants = await readGrants(target, store);
    const rows = await reconcileCluster({
      ...run,
      cluster: target.name,
      store,
      log,
      writes,
      grants,
    });
    log.info('cluster synced', { rows: rows.length });

    return { cluster: target.name, status: 'ok', rows };
  } catch (error) {
    log.error('cluster failed', { error: safeMessage(error), errorCode: errorCode(error) });

    return { cluster: target.name, status: 'failed', error: safeMessage(error), rows: [] };
  }
}

async function reconcileCluster(ctx: ClusterContext): Promise<ReportRow[]> {
  const rows: ReportRow[] = [];
  const namespaces = await readNamespaces(ctx);
  const desired = ctx.entries.flatMap((entry) => {
    const targets = targetNamespaces(entry, namespaces, ctx, rows);
    try {
      return desiredSecrets(entry, targets);
    } catch (error) {
      // Content that cannot be encoded fails its entry, not the cluster.
      rows.push(failedRow(ctx, '*', entry.name, entry.name, error));

      return [];
    }
  });
  const { live, unreadable } = await readOwned(ctx, [...new Set(desired.map((d) => d.namespace))]);
  const readable = desired.filter((d) => {
    const error = unreadable.get(d.namespace);
    if (error) rows.push(failedRow(ctx, d.namespace, d.entry.name, d.entry.name, error));

    return !error;
  });
  const names = ctx.request.only;
  const steps = plan({
    desired: readable,
    live: names ? live.filter((s) => names.includes(s.name)) : live,
    now: ctx.deps.now(),
    refreshMargin: ctx.deps.settings.refreshMargin,
    protectedNames: ctx.protectedNames,
    ...(ctx.noDeleteReason ? { noDeleteReason: ctx.noDeleteReason } : {}),
  });
  // In slices: thousands of queued writes at once would hold thousands of pending requests'
  // state in memory; a slice keeps the queue a few times the concurrency deep.
  const slice = ctx.deps.settings.concurrency * 16;
  for (let i = 0; i < steps.length; i += slice) {
    rows.push(
      ...(await Promise.all(steps.slice(i, i + slice).map((step) => applyStep(step, ctx)))),
    );
  }
  for (const row of rows) logRow(ctx.log, row);

  return rows;
}

/** All namespaces, when some entry targets all of them; else undefined (not needed). */
async function readNamespaces(ctx: ClusterContext): Promise<NamespaceList | undefined> {
  if (!ctx.entries.some((e) => e.namespaces.all)) return undefined;
  if (ctx.grants && !ctx.grants.allNamespaces) {
    // "All namespaces" is what the cluster grants; listing namespaces is not among it.
    const granted = ctx.grants.namespaces.map(
      (name) => [name, { name, terminating: false }] as const,
    );

    return { items: new Map(granted) };
  }
  try {
    return { items: new Map((await ctx.store.listNamespaces()).map((n) => [n.name, n])) };
  } catch (error) {
    // Reported once, against each entry that needed the list; never retried in the run.
    return { error };
  }
}

type NamespaceList =
  | { items: Map<string, NamespaceInfo>; error?: never }
  | { error: unknown; items?: never };

function targetNamespaces(
  entry: RegistryEntry,
  namespaces: NamespaceList | undefined,
  ctx: ClusterContext,
  rows: ReportRow[],
): string[] {
  if (entry.namespaces.all) {
    if (!namespaces?.items) {
      rows.push(failedRow(ctx, '*', entry.name, entry.name, namespaces?.error));

      return [];
    }
    const all = [...namespaces.items.values()];
    for (const ns of all.filter((n) => n.terminating)) {
      rows.push(
        row(ctx, ns.name, entry.name, entry.name, Action.skipped, 'namespace is being deleted'),
      );
    }

    return all.filter((n) => !n.terminating).map((n) => n.name);
  }
  const known = namespaces?.items;

  return entry.namespaces.names.filter((name) => {
    if (ctx.grants && !granted(ctx.grants, name)) {
      rows.push(
        row(
          ctx,
          name,
          entry.name,
          entry.name,
          Action.skipped,
          "not granted: the cluster's prs-manager chart does not grant this namespace",
        ),
      );

      return false;
    }
    const info = known?.get(name);
    if (known && !info) {
      rows.push(row(ctx, name, entry.name, entry.name, Action.skipped, 'namespace does not exist'));

      return false;
    }
    if (info?.terminating) {
      rows.push(
        row(ctx, name, entry.name, entry.name, Action.skipped, 'namespace is being deleted'),
      );

      return false;
    }

    return true;
  });
}

/**
 * The Secrets we own. One cluster-wide list finds them all, orphans in
 * namespaces no longer configured included. Where the cluster does not
 * grant that, each configured namespace is listed instead, and orphans
 * elsewhere are out of reach (logged once).
 */
async function readOwned(
  ctx: ClusterContext,
  namespaces: readonly string[],
): Promise<{ live: LiveSecret[]; unreadable: Map<string, unknown> }> {
  const selector = `${OWNER_LABEL}=${ctx.deps.settings.owner}`;
  if (ctx.grants && !ctx.grants.allNamespaces) {
    // Exactly the granted namespaces: orphans there are found, and nothing else is asked for.
    return readNamespaced(ctx, selector, ctx.grants.namespaces);
  }
  try {
    return { live: await ctx.store.listSecrets(selector), unreadable: new Map() };
  } catch (error) {
    if (!(error instanceof KubernetesApiError && error.code === 403)) throw error;
    ctx.log.warn(
      'secrets cannot be listed cluster-wide; reading configured namespaces only, ' +
        'so owned secrets in other namespaces are not cleaned up',
      { errorCode: '403' },
    );
  }

  return readNamespaced(ctx, selector, namespaces);
}

async function readNamespaced(
  ctx: ClusterContext,
  selector: string,
  namespaces: readonly string[],
): Promise<{ live: LiveSecret[]; unreadable: Map<string, unknown> }> {
  const unreadable = new Map<string, unknown>();
  const reads = new Bottleneck({ maxConcurrent: ctx.deps.settings.concurrency });
  const lists = await Promise.all(
    namespaces.map((ns) =>
      reads.schedule(async () => {
        try {
          return await ctx.store.listSecrets(selector, ns);
        } catch (error) {
          unreadable.set(ns, error);

          return [];
        }
      }),
    ),
  );

  return { live: lists.flat(), unreadable };
}

async function applyStep(step: Step, ctx: ClusterContext): Promise<ReportRow> {
  switch (step.op) {
    case 'none':
      return row(ctx, step.namespace, step.name, step.entry, step.action, step.reason);
    case 'delete':
      return ctx.writes.schedule(() => remove(step.live, step.reason, ctx));
    case 'create':
      return ctx.writes.schedule(() => create(step.desired, ctx));
    case 'update':
      return ctx.writes.schedule(() => update(step, ctx));
  }
}

async function remove(live: LiveSecret, reason: string, ctx: ClusterContext): Promise<ReportRow> {
  const done = (why: string) => row(ctx, live.namespace, live.name, undefined, Action.deleted, why);
  if (ctx.request.dryRun) return done(`dry run: ${reason}`);
  try {
    await ctx.store.deleteSecret(live);

    return done(reason);
  } catch (error) {
    // 404: already gone. 409: changed since it was read (maybe no longer ours): leave it.
    if (isStatus(error, 404)) return done(`${reason} (already gone)`);
    if (isStatus(error, 409)) {
      return row(
        ctx,
        live.namespace,
        live.name,
        undefined,
        Action.skipped,
        'changed since it was read; checked again next run',
      );
    }

    return failedRow(ctx, live.namespace, live.name, undefined, error);
  }
}

async function create(desired: DesiredSecret, ctx: ClusterContext): Promise<ReportRow> {
  const { namespace, entry } = desired;
  const done = (action: Action, why: string) =>
    row(ctx, namespace, entry.name, entry.name, action, why);
  try {
    if (ctx.request.dryRun) {
      const existing = await ctx.store.readSecret(namespace, entry.name);

      return existing
        ? conflictRow(ctx, existing, entry.name)
        : done(Action.created, 'dry run: missing');
    }
    const content = await contentFor(desired, ctx);
    await ctx.store.createSecret(
      newBody(desired, content.value, content.annotations, ctx.deps.settings.owner),
    );

    return done(Action.created, 'missing');
  } catch (error) {
    return createFailure(error, desired, ctx);
  }
}

async function createFailure(
  error: unknown,
  desired: DesiredSecret,
  ctx: ClusterContext,
): Promise<ReportRow> {
  const { namespace, entry } = desired;
  const skip = (why: string) => row(ctx, namespace, entry.name, entry.name, Action.skipped, why);
  if (error instanceof KubernetesApiError) {
    // 404 on create: the namespace does not exist. We never create namespaces.
    if (error.code === 404) return skip('namespace does not exist');
    if (error.causes.includes('NamespaceTerminating')) return skip('namespace is being deleted');
    // 409 AlreadyExists: a Secret of that name that we do not own (ours were listed).
    if (error.code === 409) {
      const existing = await ctx.store.readSecret(namespace, entry.name).catch(() => undefined);
      if (existing) return conflictRow(ctx, existing, entry.name);
    }
  }

  return failedRow(ctx, namespace, entry.name, entry.name, error);
}

async function update(
  step: Extract<Step, { op: 'update' }>,
  ctx: ClusterContext,
): Promise<ReportRow> {
  const { desired } = step;
  const done = (why: string) =>
    row(ctx, desired.namespace, desired.entry.name, desired.entry.name, step.action, why);
  if (ctx.request.dryRun) return done(`dry run: ${step.reason}`);
  let content: Content;
  try {
    content = await contentFor(desired, ctx);
  } catch (error) {
    // The live Secret is left exactly as it is: an old token beats no token.
    const expired = step.reason === 'token expired' ? ' (the stored token has expired)' : '';
    if (expired) {
      ctx.log.error('stored token expired and could not be refreshed', logKeys(desired));
      ctx.deps.metrics?.count('ExpiredTokenInUse', { cluster: ctx.cluster, ...logKeys(desired) });
    }

    return failedRow(
      ctx,
      desired.namespace,
      desired.entry.name,
      desired.entry.name,
      error,
      expired,
    );
  }
  let live = step.live;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await write(live, content, ctx);

      return done(step.reason);
    } catch (error) {
      if (!isStatus(error, 409) || attempt >= ctx.deps.settings.conflictRetries) {
        return failedRow(ctx, desired.namespace, desired.entry.name, desired.entry.name, error);
      }
      // 409: someone wrote in between. Read again; if it is no longer ours, leave it.
      const fresh = await ctx.store.readSecret(live.namespace, live.name);
      if (!fresh) return create(desired, ctx);
      if (fresh.labels[OWNER_LABEL] !== ctx.deps.settings.owner)
        return conflictRow(ctx, fresh, desired.entry.name);
      live = fresh;
    }
  }
}

/**
 * Updates in place, keeping UID and others' metadata. Only a Secret that
 * cannot take the new content (immutable, another type) is deleted and
 * created again.
 */
async function write(live: LiveSecret, content: Content, ctx: ClusterContext): Promise<void> {
  const owner = ctx.deps.settings.owner;
  const body = mergedBody(live, content.value, content.annotations, owner);
  if (!live.immutable && live.type === body.type) {
    await ctx.store.replaceSecret(body);

    return;
  }
  await ctx.store.deleteSecret(live);
  const { resourceVersion: _dropped, ...fresh } = body;
  await ctx.store.createSecret(fresh);
}

interface Content {
  readonly value: string;
  readonly annotations: Readonly<Record<string, string>>;
}

async function contentFor(desired: DesiredSecret, ctx: ClusterContext): Promise<Content> {
  if (desired.dockerConfig !== undefined) return { value: desired.dockerConfig, annotations: {} };
  const credential = desired.entry.credential as EcrCredential;
  const minted = await ctx.tokens.get({
    region: credential.region,
    credentials: credential,
    entry: desired.entry.name,
    ...(credential.registryIds ? { registryIds: credential.registryIds } : {}),
  });
  const expiry = effectiveExpiry(minted);
  if (expiry.getTime() <= ctx.deps.now().getTime()) {
    throw new MalformedEcrTokenError(`the token had already expired (at ${expiry.toISOString()})`);
  }

  return {
    value: encodeDockerConfig(ecrAuths(credential.region, credential.registryIds, minted)),
    annotations: {
      [EXPIRES_ANNOTATION]: expiry.toISOString(),
      [MINTED_ANNOTATION]: minted.mintedAt.toISOString(),
    },
  };
}

function conflictRow(ctx: ClusterContext, existing: LiveSecret, entry: string): ReportRow {
  const value = existing.labels[OWNER_LABEL];
  const why =
    value === undefined
      ? `a secret of this name exists without the owner label ${OWNER_LABEL}; left alone`
      : `a secret of this name has owner label ${OWNER_LABEL}=${value}, not ` +
        `${ctx.deps.settings.owner}; left alone`;

  return row(ctx, existing.namespace, existing.name, entry, Action.conflict, why);
}

function failedRow(
  ctx: ClusterContext,
  namespace: string,
  secret: string,
  entry: string | undefined,
  error: unknown,
  note = '',
): ReportRow {
  return {
    ...row(ctx, namespace, secret, entry, Action.failed, `${safeMessage(error)}${note}`),
    errorCode: errorCode(error),
  };
}

function row(
  ctx: ClusterContext,
  namespace: string,
  secret: string,
  entry: string | undefined,
  action: Action,
  reason: string,
): ReportRow {
  return { cluster: ctx.cluster, namespace, secret, ...(entry ? { entry } : {}), action, reason };
}

function isStatus(error: unknown, code: number): boolean {
  return error instanceof KubernetesApiError && error.code === code;
}

function logKeys(desired: DesiredSecret): Record<string, string> {
  return {
    namespace: desired.namespace,
    secretName: desired.entry.name,
    entry: desired.entry.name,
  };
}

function logRow(log: Log, r: ReportRow): void {
  const fields = {
    namespace: r.namespace,
    secretName: r.secret,
    entry: r.entry,
    action: r.action,
    reason: r.reason,
    errorCode: r.errorCode,
  };
  if (r.action === Action.failed) log.error('secret failed', fields);
  else if (r.action === Action.conflict) log.warn('secret conflict', fields);
  else log.info(`secret ${r.action}`, fields);
}
