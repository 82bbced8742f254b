/**
 * The `.dockerconfigjson` rules: which key a registry gets, what each entry
 * holds, and how the value is encoded. Written to what the kubelet reads
 * (kubernetes/kubernetes pkg/credentialprovider): `auth` wins over
 * username/password and is split at the first colon; keys lose their
 * scheme; Docker Hub is found under `index.docker.io`.
 */

import { PrsManagerError } from '../errors.ts';

/** The key every Docker Hub spelling becomes; the kubelet normalises it to index.docker.io. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

const DOCKER_HUB_HOSTS = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
  'hub.docker.com',
]);

/** One registry's credentials, in the key order the project writes. */
export interface AuthEntry {
  readonly username: string;
  readonly password: string;
  readonly email?: string;
  readonly auth: string;
}

export type Auths = Readonly<Record<string, AuthEntry>>;

/** Why a configured registry cannot be a key, or undefined. */
export function registryProblem(configured: string): string | undefined {
  const { host, path } = splitRegistry(configured);
  if (!host) return 'must name a registry host, e.g. registry.example.com[:port]';
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host)) {
    return 'must be host[:port] with an optional path, no user, query or spaces';
  }
  if (!/^(\/[A-Za-z0-9._-]+)*\/?$/.test(path)) return 'has a path the kubelet cannot match';

  return undefined;
}

/**
 * The `auths` key for a configured registry: every Docker Hub spelling (or
 * none) gives {@link DOCKER_HUB_KEY}; any other registry keeps host, port
 * and path as configured, without scheme, trailing slash or `/v1`/`/v2`.
 */
export function registryKey(configured: string | undefined): string {
  if (!configured?.trim()) return DOCKER_HUB_KEY;
  const { host, path } = splitRegistry(configured);
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  if (DOCKER_HUB_HOSTS.has(hostname)) return DOCKER_HUB_KEY;
  const scoped = path.replace(/\/+$/, '').replace(/^\/v[12]$/, '');

  return `${host}${scoped}`;
}

function splitRegistry(configured: string): { host: string; path: string } {
  const bare = configured.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = bare.indexOf('/');

  return slash < 0
    ? { host: bare, path: '' }
    : { host: bare.slice(0, slash), path: bare.slice(slash) };
}

/** Standard, padded base64 of the UTF-8 bytes of `user:password`. */
export function basicAuth(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

/** An entry for a user and password; `email` only when it is non-empty. */
export function authEntry(username: string, password: string, email?: string): AuthEntry {
  return {
    username,
    password,
    ...(email ? { email } : {}),
    auth: basicAuth(username, password),
  };
}

/**
 * The value of `data[".dockerconfigjson"]`: compact JSON, encoded once.
 * Keys are written in a fixed order so that the stored value is stable from
 * run to run and comparing it detects real changes only.
 */
export function encodeDockerConfig(auths: Auths): string {
  const ordered: Record<string, AuthEntry> = {};
  for (const [key, entry] of Object.entries(auths)) {
    const { username, password, email, auth } = entry;
    ordered[key] = { username, password, ...(email ? { email } : {}), auth };
  }
  const problem = dockerConfigProblem(ordered);
  if (problem)
    throw new PrsManagerError(`refusing to write an unusable .dockerconfigjson: ${problem}`);

  return Buffer.from(JSON.stringify({ auths: ordered }), 'utf8').toString('base64');
}

/** Decodes a stored value; undefined when it is not a `.dockerconfigjson` object. */
export function decodeDockerConfig(base64: string | undefined): { auths?: unknown } | undefined {
  if (!base64) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));

    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The checks a value passes before it is written (a decode error in any pull
 * secret fails every pull of the pod): each `auth` is standard base64 of
 * `user:password` with the entry's own user and password.
 */
export function dockerConfigProblem(auths: Auths): string | undefined {
  for (const [key, entry] of Object.entries(auths)) {
    if (!key) return 'an auths key is empty';
    if (!entry.username || !entry.password) return `${key}: username and password are required`;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(entry.auth)) return `${key}: auth is not standard base64`;
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    if (decoded !== `${entry.username}:${entry.password}`) {
      return `${key}: auth does not match username and password`;
    }
  }

  return undefined;
}
