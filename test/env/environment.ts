// The local environment shared by integration tests, the demo and the benchmark: etcd and
// kube-apiserver built from pinned Go modules (build-control-plane.sh), plus moto_server for
// AWS, started through moto_launcher.py. See REFERENCE.md sections 1 and 2.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));

// stopEnvironmentFromState only deletes directories with this prefix, so a corrupt or hostile
// state file cannot point it at anything else.
const DIR_PREFIX = 'prs-manager-env-';
const DEFAULT_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 10_000;
const START_ATTEMPTS = 3;
const POLL_MS = 150;

export interface KubeAccess {
  server: string;
  caFile: string;
  /** Base64 of the CA PEM, in the form EKS reports as certificateAuthority.data. */
  caData: string;
  adminToken: string;
  syncToken: string;
  syncUser: 'registry-sync';
  syncGroup: 'prs-manager';
  nobodyToken: string;
  /**
   * The local API server as an EKS cluster: moto's DescribeCluster of this name answers with
   * its endpoint and CA, and its token webhook accepts tokens signed for this name only.
   */
  eks: EksAccess;
}

/** What the token webhook (token-webhook.ts) accepts, as EKS access entries would. */
export interface EksAccess {
  clusterName: string;
  region: 'us-east-1';
  /** IAM principal ARN -> Kubernetes user and groups. */
  identities: Record<string, { username: string; groups: string[] }>;
}

/** The EKS name of the local cluster, and the identities its access entries map. */
export const LOCAL_EKS: EksAccess = {
  clusterName: 'dev',
  region: 'us-east-1',
  identities: {
    // The function's own identity in tests: moto's answer for the 'testing' keys.
    'arn:aws:iam::123456789012:user/moto': {
      username: 'prs-manager-function',
      groups: ['prs-manager'],
    },
    // A role in another account that the function assumes for a cross-account cluster.
    'arn:aws:iam::111111111111:role/prs-manager-cross-account': {
      username: 'prs-manager-cross-account',
      groups: ['prs-manager'],
    },
  },
};

export interface AwsAccess {
  endpoint: string;
  region: 'us-east-1';
  accessKeyId: 'testing';
  secretAccessKey: 'testing';
}

export interface EnvironmentPids {
  etcd: number;
  kubeApiserver: number;
  moto: number;
  webhook: number;
}

/** Everything a separate process needs to use (or stop) a running environment. */
export interface EnvironmentState {
  kube: KubeAccess;
  aws: AwsAccess;
  /** Temp dir with pki/, etcd data and one log file per server (etcd.log, ...). */
  dir: string;
  pids: EnvironmentPids;
}

export interface RunningEnvironment extends EnvironmentState {
  stop(): Promise<void>;
}

export interface StartOptions {
  log?: (line: string) => void;
  /**
   * Start the servers in their own sessions and let this process exit without them (the
   * `env:up` CLI). Otherwise they are children that die with this process.
   */
  detached?: boolean;
  /** Overall readiness timeout per start attempt. */
  timeoutMs?: number;
}

interface Server {
  name: keyof EnvironmentPids;
  pid: number;
  logFile: string;
  /** Set once the process has exited (only observable for our own children). */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  spawnError?: string;
}

class StartupError extends Error {
  readonly portClash: boolean;
  constructor(message: string, portClash: boolean) {
    super(message);
    this.name = 'StartupError';
    this.portClash = portClash;
  }
}

export async function startEnvironment(options: StartOptions = {}): Promise<RunningEnvironment> {
  const log = options.log ?? (() => {});
  const detached = options.detached ?? false;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const started = Date.now();

  const binDir = await buildControlPlane(log);
  const dir = await mkdtemp(path.join(os.tmpdir(), DIR_PREFIX));
  if (!detached) {
    attachedDirs.add(dir);
    installExitHook();
  }
  try {
    const pki = await createPki(dir);
    for (let attempt = 1; ; attempt += 1) {
      const servers: Server[] = [];
      try {
        const env = await startServers({ dir, binDir, pki, servers, detached, timeoutMs, log });
        log(`environment ready in ${Date.now() - started} ms (${dir})`);
        return env;
      } catch (error) {
        // Newest first: the apiserver goes down before the etcd it uses.
        for (const server of servers.reverse()) await stopPid(server.pid, server.name);
        const clash = error instanceof StartupError && error.portClash;
        if (!clash || attempt >= START_ATTEMPTS) throw error;
        log(`port clash (${(error as Error).message.split('\n')[0]}); retrying`);
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    attachedDirs.delete(dir);
    throw error;
  }
}

/**
 * Stops the servers by pid, then removes the env dir. Works from any process, e.g. `env:down`
 * for servers an earlier `env:up` left running; RunningEnvironment.stop() uses it too.
 */
export async function stopEnvironmentFromState(state: EnvironmentState): Promise<void> {
  await Promise.all([
    stopPid(state.pids.moto, 'moto'),
    stopPid(state.pids.kubeApiserver, 'kubeApiserver'),
  ]);
  await stopPid(state.pids.webhook, 'webhook');
  // The apiserver goes first so it never runs against a stopped etcd.
  await stopPid(state.pids.etcd, 'etcd');
  if (path.basename(state.dir).startsWith(DIR_PREFIX)) {
    await rm(state.dir, { recursive: true, force: true });
  }
}

/** Drops all moto state (secrets, clusters, ...); the launcher's patches stay in place. */
export async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (response.status !== 200) {
    throw new Error(`moto reset at ${endpoint} answered HTTP ${response.status}`);
  }
}

export async function writeState(file: string, env: EnvironmentState): Promise<void> {
  const state: EnvironmentState = { kube: env.kube, aws: env.aws, dir: env.dir, pids: env.pids };
  // Mode 0600: the file holds the admin token.
  await writeFile(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}

export function readState(file: string): EnvironmentState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read environment state ${file}: ${(error as Error).message}`);
  }
  if (!isEnvironmentState(parsed)) {
    throw new Error(`environment state ${file} is not a prs-manager environment state file`);
  }
  return parsed;
}

function isEnvironmentState(value: unknown): value is EnvironmentState {
  if (!isRecord(value) || !isRecord(value.kube) || !isRecord(value.aws)) return false;
  if (!isRecord(value.pids) || typeof value.dir !== 'string') return false;
  const strings = (record: Record<string, unknown>, keys: string[]): boolean =>
    keys.every((key) => typeof record[key] === 'string');
  const kubeKeys = ['server', 'caFile', 'caData', 'adminToken', 'syncToken', 'nobodyToken'];
  const pids = value.pids;
  return (
    strings(value.kube, kubeKeys) &&
    strings(value.aws, ['endpoint', 'region', 'accessKeyId', 'secretAccessKey']) &&
    ['etcd', 'kubeApiserver', 'moto', 'webhook'].every((key) => Number.isInteger(pids[key]))
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function buildControlPlane(log: (line: string) => void): Promise<string> {
  const script = path.join(here, 'build-control-plane.sh');
  const stdout: string[] = [];
  const stderr: string[] = [];
  const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr.push(chunk);
    for (const line of chunk.split('\n')) if (line.trim() !== '') log(line);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const lines = stdout.join('').trim().split('\n');
  const binDir = lines[lines.length - 1] ?? '';
  if (code !== 0 || binDir === '') {
    throw new Error(`${script} failed (exit ${code}):\n${tail(stderr.join(''))}`);
  }
  return binDir;
}

interface Pki {
  caFile: string;
  caData: string;
  tokens: { admin: string; sync: string; nobody: string };
  dir: string;
}

async function createPki(dir: string): Promise<Pki> {
  const pki = path.join(dir, 'pki');
  await mkdir(pki);
  const openssl = async (...args: string[]): Promise<void> => {
    try {
      await execFileAsync('openssl', args, { cwd: pki });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`openssl ${args[0]} failed: ${(error as Error).message}\n${stderr}`);
    }
  };
  const subject = (cn: string): string[] => ['-subj', `/CN=${cn}`];
  // The three keys are independent, so they are generated concurrently (RSA keygen is the
  // slow part of this step).
  await Promise.all([
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      ...subject('test-ca'),
    ),
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'apiserver.key',
      '-out',
      'apiserver.csr',
      ...subject('apiserver'),
    ),
    openssl('genrsa', '-out', 'sa.key', '2048'),
  ]);
  await writeFile(
    path.join(pki, 'srv.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  await openssl(
    'x509',
    '-req',
    '-in',
    'apiserver.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'srv.ext',
    '-out',
    'apiserver.crt',
  );
  await openssl('rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');

  const token = (): string => randomBytes(24).toString('hex');
  const tokens = { admin: token(), sync: token(), nobody: token() };
  // CSV: token,user,uid,"group1,group2" (REFERENCE 1.6); nobody has no groups at all.
  await writeFile(
    path.join(pki, 'tokens.csv'),
    [
      `${tokens.admin},admin,admin-uid,"system:masters"`,
      `${tokens.sync},registry-sync,registry-sync-uid,"prs-manager"`,
      `${tokens.nobody},nobody,nobody-uid`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const caFile = path.join(pki, 'ca.crt');
  const caData = (await readFile(caFile)).toString('base64');
  return { caFile, caData, tokens, dir: pki };
}

interface StartServersInput {
  dir: string;
  binDir: string;
  pki: Pki;
  servers: Server[];
  detached: boolean;
  timeoutMs: number;
  log: (line: string) => void;
}

async function startServers(input: StartServersInput): Promise<RunningEnvironment> {
  const { dir, binDir, pki, servers, detached, timeoutMs, log } = input;
  const deadline = Date.now() + timeoutMs;
  const [etcdPort, peerPort, apiPort, motoPort, webhookPort] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  // A retried attempt starts from an empty etcd.
  await rm(path.join(dir, 'etcd'), { recursive: true, force: true });
  const server = `https://127.0.0.1:${apiPort}`;
  const awsEndpoint = `http://127.0.0.1:${motoPort}`;

  // moto does not depend on the control plane, so it starts first and warms up meanwhile.
  const moto = launch({
    name: 'moto',
    command: process.env.PRS_TEST_PYTHON ?? 'python3',
    args: [path.join(here, 'moto_launcher.py'), '-H', '127.0.0.1', '-p', String(motoPort)],
    env: { TZ: 'UTC', PRS_TEST_EKS_ENDPOINT: server, PRS_TEST_EKS_CA_FILE: pki.caFile },
    dir,
    detached,
  });
  servers.push(moto);
  const etcd = launch({
    name: 'etcd',
    command: path.join(binDir, 'etcd'),
    args: [
      '--data-dir',
      path.join(dir, 'etcd'),
      '--listen-client-urls',
      `http://127.0.0.1:${etcdPort}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${etcdPort}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync=true',
    ],
    dir,
    detached,
  });
  servers.push(etcd);
  // The token webhook checks EKS-style bearer tokens for the API server (token-webhook.ts).
  const webhook = launch({
    name: 'webhook',
    command: process.execPath,
    args: [path.join(here, 'token-webhook.ts')],
    env: {
      WEBHOOK_PORT: String(webhookPort),
      WEBHOOK_CERT: path.join(pki.dir, 'apiserver.crt'),
      WEBHOOK_KEY: path.join(pki.dir, 'apiserver.key'),
      WEBHOOK_CLUSTER: LOCAL_EKS.clusterName,
      WEBHOOK_MOTO: awsEndpoint,
      WEBHOOK_IDENTITIES: JSON.stringify(LOCAL_EKS.identities),
      WEBHOOK_SECRETS: JSON.stringify({ testing: 'testing' }),
    },
    dir,
    detached,
  });
  servers.push(webhook);
  const webhookConfig = path.join(pki.dir, 'webhook.kubeconfig');
  await writeFile(
    webhookConfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: webhook',
      '  cluster:',
      `    certificate-authority: ${pki.caFile}`,
      `    server: https://127.0.0.1:${webhookPort}/authenticate`,
      'users:',
      '- name: apiserver',
      '  user: {}',
      'contexts:',
      '- name: webhook',
      '  context: {cluster: webhook, user: apiserver}',
      'current-context: webhook',
      '',
    ].join('\n'),
  );
  await waitUntil(etcd, deadline, () => httpStatus(`http://127.0.0.1:${etcdPort}/health`));
  log(`etcd ready on 127.0.0.1:${etcdPort}`);

  const apiserver = launch({
    name: 'kubeApiserver',
    command: path.join(binDir, 'kube-apiserver'),
    args: [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${pki.dir}`,
      `--tls-cert-file=${path.join(pki.dir, 'apiserver.crt')}`,
      `--tls-private-key-file=${path.join(pki.dir, 'apiserver.key')}`,
      `--client-ca-file=${pki.caFile}`,
      `--token-auth-file=${path.join(pki.dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${path.join(pki.dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${path.join(pki.dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--disable-admission-plugins=ServiceAccount',
      `--authentication-token-webhook-config-file=${webhookConfig}`,
      '--authentication-token-webhook-version=v1',
      // Every token is reviewed: tests of expired and refused tokens must not hit a cache.
      '--authentication-token-webhook-cache-ttl=0s',
    ],
    dir,
    detached,
  });
  servers.push(apiserver);

  const ca = readFileSync(pki.caFile);
  await Promise.all([
    waitUntil(moto, deadline, () => httpStatus(`${awsEndpoint}/moto-api/`)).then(() =>
      log(`moto ready on ${awsEndpoint}`),
    ),
    // The admin token avoids depending on anonymous access to /readyz. readyz only turns 200
    // after the post-start hooks, including the RBAC bootstrap roles, have run.
    waitUntil(webhook, deadline, () =>
      httpsStatus(`https://127.0.0.1:${webhookPort}/`, ca, 'probe'),
    ),
    waitUntil(apiserver, deadline, () =>
      httpsStatus(`${server}/readyz`, ca, pki.tokens.admin),
    ).then(() => log(`kube-apiserver ready on ${server}`)),
  ]);

  const pids: EnvironmentPids = {
    etcd: etcd.pid,
    kubeApiserver: apiserver.pid,
    moto: moto.pid,
    webhook: webhook.pid,
  };
  const state: EnvironmentState = {
    kube: {
      server,
      caFile: pki.caFile,
      caData: pki.caData,
      adminToken: pki.tokens.admin,
      syncToken: pki.tokens.sync,
      syncUser: 'registry-sync',
      syncGroup: 'prs-manager',
      nobodyToken: pki.tokens.nobody,
      eks: LOCAL_EKS,
    },
    aws: {
      endpoint: awsEndpoint,
      region: 'us-east-1',
      accessKeyId: 'testing',
      secretAccessKey: 'testing',
    },
    dir,
    pids,
  };
  let stopping: Promise<void> | undefined;
  return {
    ...state,
    stop: () => {
      stopping ??= stopEnvironmentFromState(state).then(() => {
        attachedDirs.delete(dir);
      });
      return stopping;
    },
  };
}

interface LaunchInput {
  name: Server['name'];
  command: string;
  args: string[];
  env?: Record<string, string>;
  dir: string;
  detached: boolean;
}

// Attached servers are killed, and their dirs (~120 MB, mostly etcd's preallocated WAL)
// removed, when this process exits even if nobody called stop() (a crashed jest run, an
// exception in the demo). A terminal Ctrl-C reaches the servers directly as members of the
// same process group.
const attachedPids = new Set<number>();
const attachedDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of attachedPids) signal(pid, 'SIGKILL');
    for (const dir of attachedDirs) {
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // Best effort: the process is exiting anyway.
      }
    }
  });
}

function launch(input: LaunchInput): Server {
  const logFile = path.join(input.dir, `${input.name}.log`);
  // Output goes to files, never pipes: a detached server must not hold a pipe to a process
  // that exited, and a full pipe that nobody drains would block an attached one.
  // 'w': a retried start must not find the previous attempt's errors in the tail.
  const fd = openSync(logFile, 'w');
  const child = withClose(fd, () =>
    spawn(input.command, input.args, {
      cwd: input.dir,
      env: { ...process.env, ...input.env },
      stdio: ['ignore', fd, fd],
      detached: input.detached,
    }),
  );
  const server: Server = { name: input.name, pid: child.pid ?? -1, logFile, exit: undefined };
  child.on('error', (error) => {
    server.exit = { code: null, signal: null };
    server.spawnError = error.message;
  });
  if (child.pid === undefined) {
    // spawn failed (e.g. ENOENT); the details arrive later on 'error', the cause is clear now.
    throw new StartupError(`${input.name}: cannot run ${input.command}`, false);
  }
  child.on('exit', (code, signal) => {
    server.exit = { code, signal };
    attachedPids.delete(server.pid);
  });
  if (input.detached) {
    child.unref();
  } else {
    attachedPids.add(server.pid);
    installExitHook();
  }
  return server;
}

/** The child holds its own copy of the descriptor, so ours is closed right after spawn. */
function withClose<T>(fd: number, body: () => T): T {
  try {
    return body();
  } finally {
    closeSync(fd);
  }
}

async function waitUntil(
  server: Server,
  deadline: number,
  probe: () => Promise<number>,
): Promise<void> {
  for (;;) {
    if (server.exit !== undefined) {
      const logTail = await readTail(server.logFile);
      const how =
        server.spawnError ?? server.exit?.signal ?? `code ${server.exit?.code ?? 'unknown'}`;
      throw new StartupError(
        `${server.name} exited during startup (${how}); last log lines:\n${logTail}`,
        /address already in use/i.test(logTail),
      );
    }
    if ((await probe().catch(() => 0)) === 200) return;
    if (Date.now() > deadline) {
      throw new StartupError(
        `${server.name} not ready in time; last log lines:\n${await readTail(server.logFile)}`,
        false,
      );
    }
    await sleep(POLL_MS);
  }
}

function httpStatus(url: string): Promise<number> {
  return fetch(url, { signal: AbortSignal.timeout(2_000) }).then(async (response) => {
    await response.arrayBuffer();
    return response.status;
  });
}

function httpsStatus(url: string, ca: Buffer, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      { ca, headers: { authorization: `Bearer ${token}` }, timeout: 2_000 },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}

/** Binds port 0 n times at once (so the n ports differ), reads the ports, then closes. */
async function freePorts(count: number): Promise<number[]> {
  const listeners = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const listener = net.createServer();
          listener.once('error', reject);
          listener.listen(0, '127.0.0.1', () => resolve(listener));
        }),
    ),
  );
  const ports = listeners.map((listener) => (listener.address() as net.AddressInfo).port);
  await Promise.all(
    listeners.map((listener) => new Promise<void>((resolve) => listener.close(() => resolve()))),
  );
  return ports;
}

async function stopPid(pid: number, name: string): Promise<void> {
  if (pid <= 0 || !isAlive(pid)) return;
  // A stale state file may name a pid that now belongs to something else: only signal a
  // process that still looks like the server we started.
  if (!looksLike(pid, name)) return;
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, STOP_GRACE_MS)) return;
  signal(pid, 'SIGKILL');
  await waitForExit(pid, 5_000);
}

const commandMarkers: Record<string, string> = {
  etcd: 'etcd',
  kubeApiserver: 'kube-apiserver',
  moto: 'moto_launcher.py',
  webhook: 'token-webhook.ts',
};

function looksLike(pid: number, name: string): boolean {
  const marker = commandMarkers[name];
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return marker === undefined || cmdline.includes(marker);
  } catch {
    // No /proc (not Linux): fall back to trusting the pid.
    return !existsSync('/proc/self');
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is dead for our purposes; in containers whose init does not reap orphans, a
  // detached server's zombie can linger indefinitely.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

async function readTail(file: string, lines = 30): Promise<string> {
  try {
    return tail(await readFile(file, 'utf8'), lines);
  } catch {
    return '(no log)';
  }
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
