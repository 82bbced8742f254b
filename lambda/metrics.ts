import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';

/**
 * The metrics port: counts with dimensions, for alarms beyond the
 * function's own error count. Dimensions are names (cluster, namespace,
 * entry), never values.
 */
export interface MetricSink {
  count(name: string, dimensions: Readonly<Record<string, string>>): void;
}

/** CloudWatch metrics as embedded-metric-format log lines (Powertools Metrics). */
export function createMetrics(): MetricSink {
  const metrics = new Metrics({ namespace: 'prs-manager', serviceName: 'prs-manager' });

  return {
    count: (name, dimensions) => {
      // A metric of its own, published at once: each carries its own dimensions.
      const single = metrics.singleMetric();
      single.addDimensions({ ...dimensions });
      single.addMetric(name, MetricUnit.Count, 1);
    },
  };
}
