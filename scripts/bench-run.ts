// One measured sync, bundled like the function (dist/bench-run.mjs) and run
// in a process of its own, so that its peak memory is what the Lambda's
// would be. Prints one JSON object of metrics on stdout.
// Usage: node dist/bench-run.mjs <environment state file> <config file> <owner>
import { readFileSync } from 'node:fs';
import { KubeConfig } from '../lambda/clusters/client-node.ts';
import { createKubernetesStore, newCounters } from '../lambda/clusters/kubernetes-store.ts';
import { fileSource } from '../lambda/config/sources.ts';
import { createLogger } from '../lambda/logger.ts';
import { AwsTokenMinter, SkewClock } from '../lambda/registries/aws-token-minter.ts';
import { runOnce } from '../lambda/sync/run.ts';

const [stateFile, configFile, owner] = process.argv.slice(2);
if (!stateFile || !configFile || !owner)
  throw new Error('usage: bench-run.ts <state> <config> <owner>');
const env = JSON.parse(readFileSync(stateFile, 'utf8')) as {
  kube: { server: string; caData: string; syncUser: string; syncToken: string };
  aws: { endpoint: string };
};
const kc = new KubeConfig();
kc.loadFromOptions({
  clusters: [
    { name: 'local', server: env.kube.server, caData: env.kube.caData, skipTLSVerify: false },
  ],
  users: [{ name: env.kube.syncUser, token: env.kube.syncToken }],
  contexts: [{ name: 'local', cluster: 'local', user: env.kube.syncUser }],
  currentContext: 'local',
});
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const log = createLogger();
const counters = newCounters();
const store = await createKubernetesStore(
  kc,
  {
    requestTimeoutMs: 30000,
    pageSize: 500,
    maxSockets: 8,
    userAgent: 'prs-manager-bench',
  },
  counters,
);
const clock = new SkewClock();
const minter = new AwsTokenMinter({
  endpoint: env.aws.endpoint,
  maxAttempts: 3,
  baseDelayMs: 100,
  random: Math.random,
  clock,
  log,
});
const peak = { heapUsed: 0, external: 0, arrayBuffers: 0 };
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
  peak.external = Math.max(peak.external, m.external);
  peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
}, 20);
const started = performance.now();
const report = await runOnce(
  fileSource(configFile),
  [{ name: 'local', connect: async () => store }],
  {
    minter,
    log,
    now: () => clock.now(),
    settings: {
      owner,
      refreshMargin: 0.5,
      concurrency: 8,
      writesPerSecond: 200,
      clusterConcurrency: 1,
      conflictRetries: 3,
    },
  },
  { dryRun: false },
);
const wallMs = Math.round(performance.now() - started);
clearInterval(sampler);
const writes = ['POST', 'PUT', 'PATCH', 'DELETE'].reduce(
  (n, v) => n + (counters.requests[v] ?? 0),
  0,
);
process.stdout.write(
  `${JSON.stringify({
    status: report.status,
    wallMs,
    requests: counters.requests,
    connections: counters.connections,
    writes,
    tokenCalls: report.tokenCalls,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    peakHeapMb: Math.round(peak.heapUsed / 1048576),
    peakExternalMb: Math.round(peak.external / 1048576),
    totals: report.totals,
    firstFailure: report.clusters.flatMap((c) => c.rows).find((row) => row.action === 'failed')
      ?.reason,
  })}\n`,
);
