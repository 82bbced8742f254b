// The demo: starts the local environment (etcd, kube-apiserver, moto),
// stores the original design's example configuration in moto's Secrets
// Manager, invokes the esbuild bundle's handler as the Lambda runtime would,
// twice, and shows the pull secrets that exist. Everything is stopped at the end.
import * as k8s from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { table, type RunReport } from '../lambda/sync/report.ts';
import { EXPIRES_ANNOTATION, OWNER_LABEL } from '../lambda/sync/model.ts';
import { startEnvironment, type RunningEnvironment } from '../test/env/environment.ts';
import { adminKubeConfig } from '../test/env/test-env.ts';
import {
  functionEnvironment,
  invokeBundle,
  putSecret,
  registerEksCluster,
  type Invocation,
} from '../test/support/bundle.ts';
import { helmCluster, installChart } from '../test/helm/helm.ts';

const say = (text = '') => process.stdout.write(`${text}\n`);
const heading = (text: string) => say(`\n== ${text}`);

async function main(): Promise<void> {
  heading('starting etcd, kube-apiserver and moto (first run builds the control plane: minutes)');
  const env = await startEnvironment({ log: (line) => say(`   ${line}`) });
  try {
    await demo(env);
  } finally {
    heading('stopping everything');
    await env.stop();
  }
}

async function demo(env: RunningEnvironment): Promise<void> {
  const config = await readFile('examples/config.yaml', 'utf8');
  heading('configuration stored in Secrets Manager as prs-manager/config (examples/config.yaml)');
  say(config.replace(/^/gm, '   ').trimEnd());
  await putSecret(env, 'prs-manager/config', config);
  // The local API server plays EKS cluster "dev": moto's DescribeCluster answers with its
  // endpoint and CA, and its token webhook checks the function's bearer tokens as EKS does.
  await registerEksCluster(env);
  heading(
    'cluster owner: helm install prs-manager ./helm -n prs-manager --create-namespace (grants namespace default)',
  );
  const helm = await helmCluster(env);
  try {
    const installed = await installChart(
      helm,
      { name: 'prs-manager', namespace: 'prs-manager' },
      { namespaces: ['default'] },
    );
    say(installed.stdout.trim().replace(/^/gm, '   '));
  } finally {
    await helm.dispose();
  }
  heading(
    `clusters: PRS_MANAGER_CLUSTERS=[{"name":"${env.kube.eks.clusterName}"}] (EKS sign-in with the function's IAM identity)`,
  );
  const environment = functionEnvironment(
    env,
    'prs-manager/config',
    { eks: true },
    {
      POWERTOOLS_LOG_LEVEL: 'INFO',
    },
  );
  const scheduled = { source: 'aws.scheduler', 'detail-type': 'Scheduled Event', detail: {} };

  heading('run 1: the hourly schedule fires (dist/handler.mjs in a fresh Node process)');
  show(await invokeBundle(scheduled, environment));
  heading('run 2: nothing changed, so nothing is written');
  show(await invokeBundle(scheduled, environment));
  heading('manual dry run: {"dryRun": true, "secrets": ["ecr-dev"]}');
  show(await invokeBundle({ dryRun: true, secrets: ['ecr-dev'] }, environment));
  const reviews = (await readFile(path.join(env.dir, 'webhook.log'), 'utf8'))
    .split('\n')
    .filter((line) => line.startsWith('allowed') || line.startsWith('refused'));
  heading(`token webhook: ${reviews.length} bearer tokens reviewed as EKS would`);
  say(`   ${[...new Set(reviews)].join(', ')}`);
  heading('pull secrets in the cluster (values not shown)');
  await listSecrets(env);
}

function show(invocation: Invocation): void {
  const report: RunReport | undefined = invocation.result ?? invocation.report;
  const logs = `${invocation.stdout}\n${invocation.stderr}`.split('\n').filter(Boolean);
  const warnings = logs.filter((l) => /"level":"(WARN|ERROR)"/.test(l));
  say(`   ${logs.length} JSON log lines${warnings.length ? `, of which warnings or errors:` : ''}`);
  for (const line of warnings) say(`     ${line}`);
  if (!report) {
    say(`   invocation failed: ${invocation.errorType}: ${invocation.errorMessage}`);

    return;
  }
  say(table(report).replace(/^/gm, '   '));
  const writes =
    report.totals.created + report.totals.updated + report.totals.refreshed + report.totals.deleted;
  say(
    `   writes: ${writes}, ECR token calls: ${report.tokenCalls}, invocation ${invocation.ok ? 'succeeded' : 'failed'}`,
  );
}

async function listSecrets(env: RunningEnvironment): Promise<void> {
  const core = adminKubeConfig(env).makeApiClient(k8s.CoreV1Api);
  const list = await core.listSecretForAllNamespaces({ labelSelector: OWNER_LABEL });
  for (const s of list.items) {
    const json = Buffer.from(s.data?.['.dockerconfigjson'] ?? '', 'base64').toString();
    const keys = Object.keys((JSON.parse(json) as { auths: object }).auths);
    const expiry = s.metadata?.annotations?.[EXPIRES_ANNOTATION];
    say(
      `   ${s.metadata?.namespace}/${s.metadata?.name}  ${s.type}  registries: ${keys.join(', ')}` +
        `${expiry ? `  token expires ${expiry}` : ''}`,
    );
  }
}

await main();
