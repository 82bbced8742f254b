import { partition } from '@aws-sdk/core/client';
import { MalformedEcrTokenError } from '../errors.ts';
import type { AuthEntry, Auths } from './docker-config.ts';

/** What GetAuthorizationToken gives for one registry. */
export interface EcrAuthorization {
  readonly authorizationToken: string;
  readonly proxyEndpoint: string;
  readonly expiresAt: Date;
}

/** One mint: the tokens, and when the credentials that signed them expire. */
export interface MintedTokens {
  readonly authorizations: readonly EcrAuthorization[];
  /** Server time of the mint (the local clock corrected by the measured skew). */
  readonly mintedAt: Date;
  /** Temporary credentials end the tokens' validity too (assumed roles). */
  readonly credentialsExpireAt?: Date;
}

/**
 * The ECR registry host for an account and region, with the DNS suffix of
 * the region's partition (amazonaws.com, amazonaws.com.cn, ...). Built from
 * the configured registry id, never from the caller's account.
 */
export function ecrRegistryHost(registryId: string, region: string): string {
  return `${registryId}.dkr.ecr.${region}.${partition(region).dnsSuffix}`;
}

/** The bare host of a proxyEndpoint: no scheme, path or trailing slash. */
export function proxyEndpointHost(proxyEndpoint: string): string {
  return proxyEndpoint
    .trim()
    .replace(/^https?:\/\//i, '')
    .replace(/\/.*$/, '');
}

/** The registry id (account) a proxyEndpoint names, or undefined. */
export function proxyEndpointAccount(proxyEndpoint: string): string | undefined {
  return /^(\d{12})\.dkr\.ecr\./.exec(proxyEndpointHost(proxyEndpoint))?.[1];
}

/**
 * The auths entry for one ECR token. `auth` is the token exactly as ECR
 * gives it (already base64 of `AWS:<password>`): encoding it again would
 * make it unusable. Each shape rule is checked on its own.
 */
export function ecrAuthEntry(authorization: EcrAuthorization): AuthEntry {
  const token = authorization.authorizationToken;
  if (!token) throw new MalformedEcrTokenError('the token is empty');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token) || token.length % 4 !== 0) {
    throw new MalformedEcrTokenError('the token is not standard padded base64');
  }
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  if (!decoded.startsWith('AWS:')) {
    throw new MalformedEcrTokenError('the decoded token does not start with "AWS:"');
  }
  const password = decoded.slice('AWS:'.length);
  if (!password) throw new MalformedEcrTokenError('the decoded token has no password after "AWS:"');
  if (!authorization.proxyEndpoint)
    throw new MalformedEcrTokenError('the proxyEndpoint is missing');

  return { username: 'AWS', password, auth: token };
}

/**
 * The auths of an ECR entry: one key per registry id, each the bare
 * registry host. Without configured ids, the ids come from the answer
 * (the account of the credentials).
 */
export function ecrAuths(
  region: string,
  registryIds: readonly string[] | undefined,
  minted: MintedTokens,
): Auths {
  const count = minted.authorizations.length;
  if (registryIds ? count !== registryIds.length : count !== 1) {
    throw new MalformedEcrTokenError(
      `expected ${registryIds?.length ?? 1} authorization entries, got ${count}`,
    );
  }
  const auths: Record<string, AuthEntry> = {};
  minted.authorizations.forEach((authorization, i) => {
    // Match by the account the endpoint names when it is one we asked for,
    // else by position (ECR answers in request order).
    const named = proxyEndpointAccount(authorization.proxyEndpoint);
    const id = registryIds
      ? named && registryIds.includes(named)
        ? named
        : registryIds[i]
      : named;
    if (!id) throw new MalformedEcrTokenError('the proxyEndpoint names no ECR registry account');
    auths[ecrRegistryHost(id, region)] = ecrAuthEntry(authorization);
  });

  return auths;
}

/** The keys an ECR entry's Secret will have, when the registry ids are known. */
export function expectedEcrKeys(
  region: string,
  registryIds: readonly string[] | undefined,
): readonly string[] | undefined {
  return registryIds?.map((id) => ecrRegistryHost(id, region));
}

/**
 * When the written tokens stop working: the earliest of their expiries and
 * the expiry of the credentials that minted them.
 */
export function effectiveExpiry(minted: MintedTokens): Date {
  const times = [
    ...minted.authorizations.map((a) => a.expiresAt.getTime()),
    ...(minted.credentialsExpireAt ? [minted.credentialsExpireAt.getTime()] : []),
  ];

  return new Date(Math.min(...times));
}
