import { partition } from '@aws-sdk/core/client';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';

/**
 * The bearer token EKS accepts from an IAM identity: `k8s-aws-v1.` and the
 * unpadded base64url of a presigned STS GetCallerIdentity URL, with the
 * cluster's name in the signed header `x-k8s-aws-id` (so a token minted
 * for one cluster is refused by another). The API server replays the URL
 * to STS to learn who signed it. Formats: aws-cli `eks get-token` and
 * kubernetes-sigs/aws-iam-authenticator.
 */

const PREFIX = 'k8s-aws-v1.';
/** EKS accepts a token for 15 minutes after its X-Amz-Date; we use it for 14 at most. */
export const TOKEN_LIFETIME_MS = 14 * 60 * 1000;
/** EKS refuses tokens longer than this (long session tokens can get there). */
const MAX_TOKEN_LENGTH = 4096;

export interface EksToken {
  readonly token: string;
  /** When it must no longer be sent: 14 min after signing, or when its credentials expire. */
  readonly expiresAt: Date;
}

export async function eksToken(
  clusterName: string,
  region: string,
  credentials: AwsCredentialIdentity,
  signingDate: Date,
): Promise<EksToken> {
  const hostname = `sts.${region}.${partition(region).dnsSuffix}`;
  const signer = new SignatureV4({ service: 'sts', region, credentials, sha256: Sha256 });
  const signed = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, 'x-k8s-aws-id': clusterName },
    }),
    { expiresIn: 60, signingDate },
  );
  const query = Object.entries(signed.query ?? {})
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
    .join('&');
  const token = PREFIX + Buffer.from(`https://${hostname}/?${query}`).toString('base64url');
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new Error(
      `the EKS token would be ${token.length} characters, over EKS's ${MAX_TOKEN_LENGTH}; ` +
        'the session token of the credentials is too long (session tags or policies)',
    );
  }
  const expiries = [
    signingDate.getTime() + TOKEN_LIFETIME_MS,
    credentials.expiration?.getTime() ?? Infinity,
  ];

  return { token, expiresAt: new Date(Math.min(...expiries)) };
}

/** A source of fresh credentials for one cluster (the function's role, or a role it assumes). */
export type CredentialSource = () => Promise<AwsCredentialIdentity>;

/**
 * One cluster's current token: reused while more than a minute of it is
 * left, renewed otherwise, and dropped when the API server refuses it.
 */
export class TokenSource {
  /** A token this close to its end is not sent. */
  static readonly RENEW_BEFORE_MS = 60 * 1000;
  readonly #cluster: string;
  readonly #region: string;
  readonly #credentials: CredentialSource;
  readonly #now: () => Date;
  #current: EksToken | undefined;
  /** Tokens made so far, for tests and the log. */
  minted = 0;

  constructor(cluster: string, region: string, credentials: CredentialSource, now: () => Date) {
    this.#cluster = cluster;
    this.#region = region;
    this.#credentials = credentials;
    this.#now = now;
  }

  async token(): Promise<string> {
    const now = this.#now();
    if (
      !this.#current ||
      this.#current.expiresAt.getTime() - now.getTime() <= TokenSource.RENEW_BEFORE_MS
    ) {
      this.#current = await eksToken(this.#cluster, this.#region, await this.#credentials(), now);
      this.minted += 1;
    }

    return this.#current.token;
  }

  /** The API server said 401: the next request signs a new token. */
  invalidate(): void {
    this.#current = undefined;
  }
}
