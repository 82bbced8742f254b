import type { ConfigIssue } from '../errors.ts';
import type { InvalidEntry } from '../config/config.ts';
import { Action } from './model.ts';

/** One Secret in one namespace of one cluster, and what the run did to it. */
export interface ReportRow {
  readonly cluster: string;
  readonly namespace: string;
  readonly secret: string;
  /** The configuration entry, when the Secret belongs to one. */
  readonly entry?: string;
  readonly action: Action;
  readonly reason: string;
  /** AWS error code, HTTP status or error name, when the action is failed. */
  readonly errorCode?: string;
}

export interface ClusterReport {
  readonly cluster: string;
  /** failed: the cluster could not be worked on at all. */
  readonly status: 'ok' | 'failed';
  readonly error?: string;
  readonly rows: readonly ReportRow[];
}

export interface RunReport {
  /** success: everything done; partial: some work failed; failed: nothing could be done. */
  readonly status: 'success' | 'partial' | 'failed';
  readonly dryRun: boolean;
  readonly config: {
    readonly source: string;
    readonly validEntries: number;
    readonly invalidEntries: readonly InvalidEntry[];
    readonly warnings: readonly ConfigIssue[];
    readonly error?: string;
  };
  readonly clusters: readonly ClusterReport[];
  readonly totals: Readonly<Record<Action, number>>;
  readonly tokenCalls: number;
}

const TROUBLE: readonly Action[] = [Action.failed, Action.conflict];

export function totals(clusters: readonly ClusterReport[]): Record<Action, number> {
  const counts = Object.fromEntries(Object.values(Action).map((a) => [a, 0])) as Record<
    Action,
    number
  >;
  for (const row of clusters.flatMap((c) => c.rows)) counts[row.action] += 1;

  return counts;
}

/** success only when nothing failed, conflicted or was invalid. */
export function runStatus(
  clusters: readonly ClusterReport[],
  invalidEntries: number,
): RunReport['status'] {
  const rows = clusters.flatMap((c) => c.rows);
  const trouble =
    invalidEntries > 0 ||
    clusters.some((c) => c.status === 'failed') ||
    rows.some((r) => TROUBLE.includes(r.action));
  if (!trouble) return 'success';
  const worked = rows.some((r) => !TROUBLE.includes(r.action));

  return worked || invalidEntries > 0 ? 'partial' : 'failed';
}

/** A one-line summary that names no credential: counts and failing objects. */
export function summary(report: RunReport): string {
  const counts = Object.entries(report.totals)
    .filter(([, n]) => n > 0)
    .map(([action, n]) => `${n} ${action}`)
    .join(', ');
  const problems = [
    ...(report.config.error ? [`configuration: ${report.config.error}`] : []),
    ...report.config.invalidEntries.map((e) => `invalid entry secrets[${e.index}]`),
    ...report.clusters
      .filter((c) => c.status === 'failed')
      .map((c) => `cluster ${c.cluster}: ${c.error}`),
    ...report.clusters
      .flatMap((c) => c.rows)
      .filter((r) => TROUBLE.includes(r.action))
      .map((r) => `${r.cluster}/${r.namespace}/${r.secret} ${r.action}: ${r.reason}`),
  ];
  const head = `sync ${report.status}${report.dryRun ? ' (dry run)' : ''}: ${counts || 'no secrets'}`;

  return problems.length ? `${head}; ${problems.slice(0, 10).join('; ')}` : head;
}

/** The report as an aligned text table, one row per Secret. */
export function table(report: RunReport): string {
  const header = ['CLUSTER', 'NAMESPACE', 'SECRET', 'ACTION', 'REASON'];
  const rows = report.clusters.flatMap((c) =>
    c.rows.length
      ? c.rows.map((r) => [r.cluster, r.namespace, r.secret, r.action, r.reason])
      : [[c.cluster, '-', '-', c.status, c.error ?? 'nothing to do']],
  );
  const invalid = report.config.invalidEntries.flatMap((e) =>
    e.issues.map((i) => [
      '-',
      '-',
      e.name ?? `secrets[${e.index}]`,
      'invalid',
      `${i.path}: ${i.rule}`,
    ]),
  );
  const all = [header, ...rows, ...invalid];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const lines = all.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );

  return [...lines, '', summary(report)].join('\n');
}
