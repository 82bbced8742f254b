import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eksTarget } from '../../lambda/clusters/eks.ts';
import type { SentRequest } from '../../lambda/clusters/kubernetes-store.ts';
import { startEnvironment, type RunningEnvironment } from '../env/environment.ts';
import {
  helmCluster,
  installChart,
  uninstallChart,
  upgradeChart,
  type HelmCluster,
} from '../helm/helm.ts';
import { createEksCluster, eksOptions } from '../support/eks.ts';
import { Harness } from '../support/harness.ts';

const REGCRED = {
  type: 'DOCKER',
  credential: { docker_registry: 'registry.example.com', docker_user: 'u', docker_password: 'p' },
};
const RELEASE = { name: 'prs-manager', namespace: 'prs-manager' };

describe("the sync with only the chart's RBAC (EKS sign-in, group prs-manager)", () => {
  // A control plane of its own: no other suite's grants to the group, so every refusal is the chart's.
  let env: RunningEnvironment;
  let helm: HelmCluster;
  let h: Harness;

  beforeAll(async () => {
    env = await startEnvironment();
    await createEksCluster(env, env.kube.eks.clusterName);
    h = new Harness('chart', env);
    h.ns = (name) => name;
    for (const ns of ['team-a', 'team-b', 'team-c']) await h.createNamespace(ns);
    helm = await helmCluster(env);
  });

  afterAll(async () => {
    await helm.dispose();
    await env.stop();
  });

  const run = async () => {
    const sent: SentRequest[] = [];
    const options = eksOptions(env);
    const result = await h.run({
      config: [
        { name: 'regcred', namespaces: ['team-a', 'team-b', 'team-c'], ...REGCRED },
        { name: 'everywhere', namespaces: ['*'], ...REGCRED },
      ],
      clusters: [
        eksTarget(
          { name: env.kube.eks.clusterName },
          { ...options, store: { ...options.store, onRequest: (r) => sent.push(r) } },
        ),
      ],
    });

    return { ...result, requests: sent };
  };

  const outcome = (result: Awaited<ReturnType<typeof run>>) =>
    result.report.clusters[0]?.rows
      .map((r) => `${r.secret} ${r.namespace} ${r.action}: ${r.reason}`)
      .sort();

  it('reports a cluster without the chart as not installed, and attempts nothing there', async () => {
    // Act
    const result = await run();

    // Assert
    expect(result.report.clusters).toEqual([
      {
        cluster: 'dev',
        status: 'failed',
        rows: [],
        error:
          'prs-manager is not installed in this cluster for this identity: reading ConfigMap ' +
          "prs-manager/prs-manager is forbidden (is the function's role mapped to the group the chart binds?)",
      },
    ]);
    expect(result.requests.map((r) => `${r.verb} ${new URL(r.url).pathname}`)).toEqual([
      'GET /api/v1/namespaces/prs-manager/configmaps/prs-manager',
    ]);
  });

  it('does its whole job in granted namespaces and reports the others as not granted, with no 403', async () => {
    // Arrange
    await installChart(helm, RELEASE, { namespaces: ['team-a', 'team-b'] });

    // Act
    const result = await run();

    // Assert
    const notGranted = "not granted: the cluster's prs-manager chart does not grant this namespace";
    expect(outcome(result)).toEqual([
      'everywhere team-a created: missing',
      'everywhere team-b created: missing',
      `regcred team-a created: missing`,
      `regcred team-b created: missing`,
      `regcred team-c skipped: ${notGranted}`,
    ]);
    expect(result.requests.filter((r) => r.url.includes('/namespaces/team-c/'))).toEqual([]);
    expect(result.report.status).toBe('success');
  });

  it('after helm upgrade drops a namespace, reports what it no longer manages and carries on', async () => {
    // Arrange
    await upgradeChart(helm, RELEASE, { namespaces: ['team-a'] });

    // Act
    const result = await run();

    // Assert
    const notGranted = "not granted: the cluster's prs-manager chart does not grant this namespace";
    expect(outcome(result)).toEqual([
      'everywhere team-a unchanged: up to date',
      'regcred team-a unchanged: up to date',
      `regcred team-b skipped: ${notGranted}`,
      `regcred team-c skipped: ${notGranted}`,
    ]);
    expect(result.requests.filter((r) => r.verb !== 'GET')).toEqual([]);
    expect(result.report.status).toBe('success');
  });

  it('after helm uninstall, attempts nothing', async () => {
    // Arrange
    await uninstallChart(helm, RELEASE);

    // Act
    const result = await run();

    // Assert
    expect(result.report.clusters[0]?.status).toBe('failed');
    expect(result.requests).toHaveLength(1);
  });
});
