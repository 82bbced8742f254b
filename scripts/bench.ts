// npm run bench [-- --namespaces N]: syncs N namespaces x 2 Secrets (one
// Docker registry entry, one ECR entry) against the local control plane and
// moto, then runs again with nothing changed. Prints wall time, requests by
// verb, connections, writes, ECR token calls and peak RSS of each run, and
// checks them against the budget the project promises.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { FUNCTION_NODE_OPTIONS } from '../lambda/node-options.ts';
import { startEnvironment, writeState } from '../test/env/environment.ts';
import { adminKubeConfig } from '../test/env/test-env.ts';
import { grantSyncCluster } from '../test/support/harness.ts';

const { values } = parseArgs({
  options: { namespaces: { type: 'string', default: process.env.BENCH_NAMESPACES ?? '200' } },
});
const count = Number(values.namespaces);
if (!Number.isInteger(count) || count < 1)
  throw new Error('--namespaces must be a positive integer');
const say = (text = '') => process.stdout.write(`${text}\n`);
// The measured process runs with the function's NODE_OPTIONS, unless BENCH_NODE_FLAGS says otherwise.
const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? FUNCTION_NODE_OPTIONS)
  .split(' ')
  .filter(Boolean);

interface Metrics {
  status: string;
  wallMs: number;
  requests: Record<string, number>;
  connections: number;
  writes: number;
  tokenCalls: number;
  peakRssMb: number;
  totals: Record<string, number>;
}

const env = await startEnvironment();
const dir = await mkdtemp(path.join(os.tmpdir(), 'prs-bench-'));
try {
  await grantSyncCluster(env);
  const core = adminKubeConfig(env).makeApiClient(k8s.CoreV1Api);
  const names = Array.from({ length: count }, (_, i) => `bench-${String(i + 1).padStart(5, '0')}`);
  say(`creating ${count} namespaces ...`);
  for (let i = 0; i < names.length; i += 50) {
    await Promise.all(
      names.slice(i, i + 50).map((name) => core.createNamespace({ body: { metadata: { name } } })),
    );
  }
  const config = {
    secrets: [
      {
        name: 'regcred',
        namespaces: names,
        type: 'DOCKER',
        credential: {
          docker_registry: 'registry.example.com',
          docker_user: 'bench',
          docker_password: 'bench-pass',
        },
      },
      {
        name: 'ecr-pull',
        namespaces: names,
        type: 'ECR',
        credential: { aws_ecr_repository_region: 'us-east-1', registry_ids: ['123456789012'] },
      },
    ],
  };
  const stateFile = path.join(dir, 'env.json');
  const configFile = path.join(dir, 'config.json');
  await writeState(stateFile, env);
  await writeFile(configFile, JSON.stringify(config));
  const run = async (): Promise<Metrics> => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...nodeFlags, 'dist/bench-run.mjs', stateFile, configFile, 'bench'],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: env.aws.accessKeyId,
          AWS_SECRET_ACCESS_KEY: env.aws.secretAccessKey,
          AWS_REGION: env.aws.region,
        },
        maxBuffer: 64 * 1024 * 1024,
      },
    );

    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Metrics;
  };
  const first = await run();
  const steady = await run();
  const secrets = 2 * count;
  say();
  say(
    `${count} namespaces x 2 secrets = ${secrets} secrets; measured process: node ${nodeFlags.join(' ')}`,
  );
  say(
    'run          status   wall ms  GET    POST   PUT  DELETE  conns  writes  token calls  peak RSS MB',
  );
  for (const [label, m] of [
    ['first', first],
    ['steady-state', steady],
  ] as const) {
    const r = m.requests;
    say(
      `${label.padEnd(12)} ${m.status.padEnd(8)} ${String(m.wallMs).padStart(7)}  ${String(r.GET ?? 0).padEnd(6)} ` +
        `${String(r.POST ?? 0).padEnd(6)} ${String(r.PUT ?? 0).padEnd(4)} ${String(r.DELETE ?? 0).padEnd(7)} ` +
        `${String(m.connections).padEnd(6)} ${String(m.writes).padEnd(7)} ${String(m.tokenCalls).padEnd(12)} ${m.peakRssMb}`,
    );
  }
  const checks: [string, boolean][] = [
    [
      `first run: one write per secret (${secrets}), nothing more`,
      first.writes === secrets && (first.requests.POST ?? 0) === secrets,
    ],
    ['steady state: zero writes', steady.writes === 0],
    [
      `steady state: at most one list per namespace plus a constant (${count} + 10)`,
      (steady.requests.GET ?? 0) <= count + 10,
    ],
    [
      'at most one ECR token call per (credentials, region) in any run',
      first.tokenCalls <= 1 && steady.tokenCalls <= 1,
    ],
    ['peak RSS under 128 MB', first.peakRssMb < 128 && steady.peakRssMb < 128],
  ];
  say();
  for (const [what, ok] of checks) say(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
} finally {
  await rm(dir, { recursive: true, force: true });
  await env.stop();
}
