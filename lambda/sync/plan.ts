import type { RegistryEntry } from '../config/config.ts';
import { decodeDockerConfig } from '../registries/docker-config.ts';
import {
  DOCKER_CONFIG_KEY,
  DOCKER_CONFIG_TYPE,
  EXPIRES_ANNOTATION,
  MINTED_ANNOTATION,
  OWN_ANNOTATIONS,
  type LiveSecret,
} from './model.ts';

/**
 * The plan: desired Secrets against the owned Secrets that are live, to
 * steps. Pure: the clock is an input, and nothing here talks to a server.
 */

/** One Secret the configuration asks for in one namespace. */
export interface DesiredSecret {
  readonly entry: RegistryEntry;
  readonly namespace: string;
  /** DOCKER: the encoded `.dockerconfigjson`. ECR: absent until a token is minted. */
  readonly dockerConfig?: string;
  /** ECR: the `auths` keys the Secret must hold, when the registry ids are configured. */
  readonly expectedKeys?: readonly string[];
}

export type Step =
  | { readonly op: 'create'; readonly desired: DesiredSecret; readonly reason: string }
  | {
      readonly op: 'update';
      readonly desired: DesiredSecret;
      readonly live: LiveSecret;
      readonly action: 'updated' | 'refreshed';
      readonly reason: string;
    }
  | { readonly op: 'delete'; readonly live: LiveSecret; readonly reason: string }
  | {
      readonly op: 'none';
      readonly namespace: string;
      readonly name: string;
      readonly entry?: string;
      readonly action: 'unchanged' | 'skipped';
      readonly reason: string;
    };

export interface PlanInput {
  readonly desired: readonly DesiredSecret[];
  /** Owned Secrets found in the namespaces that were read. */
  readonly live: readonly LiveSecret[];
  /** Server time (local clock corrected by the measured AWS offset). */
  readonly now: Date;
  /** Refresh once less than this fraction of a token's lifetime remains. */
  readonly refreshMargin: number;
  /** Why nothing may be deleted in this run, if so (bad config, narrowed run). */
  readonly noDeleteReason?: string;
  /** Names of entries that failed validation: their Secrets are kept. */
  readonly protectedNames: ReadonlySet<string>;
}

const CLOCK_TOLERANCE_MS = 60 * 1000;

/** ECR tokens live 12 hours; used when a Secret does not record its mint time. */
export const DEFAULT_TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;

export function plan(input: PlanInput): Step[] {
  const live = new Map(input.live.map((s) => [key(s.namespace, s.name), s]));
  const steps = input.desired.map((desired) => {
    const current = live.get(key(desired.namespace, desired.entry.name));
    live.delete(key(desired.namespace, desired.entry.name));

    return current ? compare(desired, current, input) : create(desired);
  });
  for (const orphan of live.values()) steps.push(removal(orphan, input));

  return steps;
}

function create(desired: DesiredSecret): Step {
  return { op: 'create', desired, reason: 'missing' };
}

function compare(desired: DesiredSecret, live: LiveSecret, input: PlanInput): Step {
  const unchanged = (reason: string): Step => ({
    op: 'none',
    namespace: live.namespace,
    name: live.name,
    entry: desired.entry.name,
    action: 'unchanged',
    reason,
  });
  const update = (action: 'updated' | 'refreshed', reason: string): Step => ({
    op: 'update',
    desired,
    live,
    action,
    reason,
  });
  const shape = shapeProblem(live);
  if (shape) return update('updated', shape);
  if (desired.dockerConfig !== undefined) {
    if (live.data[DOCKER_CONFIG_KEY] !== desired.dockerConfig)
      return update('updated', 'content changed');
    if (OWN_ANNOTATIONS.some((a) => a in live.annotations))
      return update('updated', 'content changed');

    return unchanged('up to date');
  }
  const keys = liveKeys(live);
  if (desired.expectedKeys && !sameKeys(keys, desired.expectedKeys)) {
    return update('updated', 'registries changed');
  }
  const due = refreshDue(live, input.now, input.refreshMargin);

  return due
    ? update('refreshed', due)
    : unchanged(`token valid until ${live.annotations[EXPIRES_ANNOTATION]}`);
}

function removal(orphan: LiveSecret, input: PlanInput): Step {
  const keep = (reason: string): Step => ({
    op: 'none',
    namespace: orphan.namespace,
    name: orphan.name,
    action: 'skipped',
    reason,
  });
  if (input.noDeleteReason) return keep(`not deleted: ${input.noDeleteReason}`);
  if (input.protectedNames.has(orphan.name)) return keep('not deleted: its entry is invalid');

  return { op: 'delete', live: orphan, reason: 'no longer configured' };
}

/** Why an owned Secret cannot stay as it is, whatever its content. */
function shapeProblem(live: LiveSecret): string | undefined {
  if (live.type !== DOCKER_CONFIG_TYPE) return `type is ${live.type}`;
  const keys = Object.keys(live.data);
  if (keys.length !== 1 || keys[0] !== DOCKER_CONFIG_KEY) return 'data keys changed';
  if (!liveKeys(live).length) return 'content unreadable';

  return undefined;
}

/**
 * Why an ECR Secret needs a new token now, or undefined. Due once no more
 * than `margin` of the token's lifetime remains; the lifetime comes from the
 * annotations, so a fresh process decides exactly as a warm one.
 */
export function refreshDue(live: LiveSecret, now: Date, margin: number): string | undefined {
  const expires = Date.parse(live.annotations[EXPIRES_ANNOTATION] ?? '');
  if (Number.isNaN(expires)) return 'no recorded token expiry';
  const minted = Date.parse(live.annotations[MINTED_ANNOTATION] ?? '');
  const lifetime =
    Number.isNaN(minted) || minted >= expires ? DEFAULT_TOKEN_LIFETIME_MS : expires - minted;
  const remaining = expires - now.getTime();
  if (remaining <= 0) return 'token expired';
  // At exactly the margin it is due: with runs every few minutes, a token
  // minted at t is then replaced at t + (1 - margin) * lifetime, never later.
  // A minute's tolerance absorbs clock resolution (AWS's Date header has
  // whole seconds, so a skew-corrected clock can sit a second short).
  if (remaining <= margin * lifetime + CLOCK_TOLERANCE_MS) {
    return `token expires in ${minutes(remaining)} min, under the margin of ${minutes(margin * lifetime)} min`;
  }

  return undefined;
}

function liveKeys(live: LiveSecret): string[] {
  const auths = decodeDockerConfig(live.data[DOCKER_CONFIG_KEY])?.auths;

  return typeof auths === 'object' && auths !== null ? Object.keys(auths) : [];
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k) => b.includes(k));
}

function minutes(ms: number): number {
  return Math.floor(ms / 60000);
}

export function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
