import type { ECRClient } from '@aws-sdk/client-ecr';
import { ConfiguredRetryStrategy, isClockSkewError } from '@smithy/core/retry';
import type {
  AwsCredentialIdentity,
  HttpHandlerOptions,
  RequestHandler,
  RetryErrorInfo,
  RetryStrategyV2,
  RetryToken,
  StandardRetryToken,
} from '@smithy/types';
import type { HttpRequest, HttpResponse } from '@smithy/protocol-http';
import type { AwsCredentialSource } from '../config/config.ts';
import { AssumedRoles, awsError, commonJs } from '../aws/assumed-roles.ts';
import type { AwsCallError } from '../errors.ts';
import type { Log } from '../logger.ts';
import type { MintedTokens } from './ecr.ts';
import type { MintRequest, TokenMinter } from './token-minter.ts';

/** The local clock, corrected by the skew the AWS SDK measured against AWS. */
export class SkewClock {
  /** Server time minus local time, in milliseconds. */
  offsetMs = 0;
  readonly #local: () => number;

  constructor(local: () => number = Date.now) {
    this.#local = local;
  }

  now(): Date {
    return new Date(this.#local() + this.offsetMs);
  }
}

export interface AwsMinterOptions {
  /** Endpoint override for every AWS call (tests: moto). */
  readonly endpoint?: string;
  /** Attempts per call, the first included; throttling and 5xx are retried. */
  readonly maxAttempts: number;
  /** First retry delay; each later one doubles, with full jitter. */
  readonly baseDelayMs: number;
  readonly random: () => number;
  readonly clock: SkewClock;
  readonly log: Log;
  /** Assumed roles shared with the EKS sign-in; default: a cache of the minter's own. */
  readonly roles?: AssumedRoles;
  /** The SDK's HTTP handler; tests give one that answers as a scripted ECR would. */
  readonly requestHandler?: RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions>;
}

const SKEW_REPORT_MS = 5 * 60 * 1000;

/**
 * Mints ECR tokens with the function's role, a role to assume, or static
 * keys. The ECR and STS clients are loaded on first use: most runs mint
 * nothing, and each SDK client costs resident memory (see `npm run bench`). Clients are kept per region and credentials for the life of the
 * process. The SDK retries throttling with exponential backoff and full
 * jitter, and corrects clock skew once per call.
 */
export class AwsTokenMinter implements TokenMinter {
  readonly #options: AwsMinterOptions;
  readonly #clients = new Map<string, ECRClient>();
  readonly #roles: AssumedRoles;

  constructor(options: AwsMinterOptions) {
    this.#options = options;
    this.#roles =
      options.roles ??
      new AssumedRoles({
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        now: () => options.clock.now().getTime(),
        ...(options.requestHandler
          ? { clientConfig: { requestHandler: options.requestHandler } }
          : {}),
      });
  }

  async mint(request: MintRequest): Promise<MintedTokens> {
    const credentials = await this.#credentials(request.credentials, request.region);
    const ecr = commonJs(await import('@aws-sdk/client-ecr'));
    const client = this.#client(ecr, request.region, request.credentials, credentials);
    const input = request.registryIds ? { registryIds: [...request.registryIds] } : {};
    try {
      const answer = await client.send(new ecr.GetAuthorizationTokenCommand(input));
      this.#noteSkew(client, request.entry);

      return {
        authorizations: (answer.authorizationData ?? []).map((a) => ({
          authorizationToken: a.authorizationToken ?? '',
          proxyEndpoint: a.proxyEndpoint ?? '',
          expiresAt: a.expiresAt ?? new Date(0),
        })),
        mintedAt: this.#options.clock.now(),
        ...(credentials && 'expiration' in credentials && credentials.expiration
          ? { credentialsExpireAt: credentials.expiration }
          : {}),
      };
    } catch (error) {
      this.#noteSkew(client, request.entry);
      throw mintError(error, this.#options.clock.offsetMs);
    }
  }

  #client(
    ecr: typeof import('@aws-sdk/client-ecr'),
    region: string,
    source: AwsCredentialSource,
    credentials: AwsCredentialIdentity | undefined,
  ): ECRClient {
    const id = `${region}|${source.roleArn ?? source.staticKeys?.accessKeyId ?? 'default'}`;
    const cached = this.#clients.get(id);
    if (cached && !source.roleArn) return cached;
    const { maxAttempts, baseDelayMs, random, endpoint } = this.#options;
    const client = new ecr.ECRClient({
      region,
      ...(endpoint ? { endpoint } : {}),
      ...(credentials ? { credentials } : {}),
      systemClockOffset: this.#options.clock.offsetMs,
      retryStrategy: new OneSkewRetry(
        new ConfiguredRetryStrategy(maxAttempts, (attempt) =>
          Math.floor(random() * baseDelayMs * 2 ** attempt),
        ),
      ),
      ...(this.#options.requestHandler ? { requestHandler: this.#options.requestHandler } : {}),
    });
    this.#clients.set(id, client);

    return client;
  }

  async #credentials(
    source: AwsCredentialSource,
    region: string,
  ): Promise<(AwsCredentialIdentity & { expiration?: Date }) | undefined> {
    if (source.staticKeys) return source.staticKeys;
    if (!source.roleArn) return undefined;

    return this.#roles.credentials(source.roleArn, region);
  }

  #noteSkew(client: ECRClient, entry: string): void {
    const offset = client.config.systemClockOffset ?? 0;
    if (Math.abs(offset - this.#options.clock.offsetMs) < 1000) return;
    this.#options.clock.offsetMs = offset;
    if (Math.abs(offset) >= SKEW_REPORT_MS) {
      this.#options.log.warn('clock skew against AWS corrected', {
        entry,
        skewSeconds: Math.round(offset / 1000),
      });
    }
  }
}

type SkewToken = StandardRetryToken & { skewRetried?: boolean };

/**
 * The SDK corrects its clock from a skew error's Date header and retries.
 * One corrected retry is enough: if that is refused too, the clock is not
 * the problem, and more attempts would only repeat the refusal.
 */
class OneSkewRetry implements RetryStrategyV2 {
  readonly #inner: ConfiguredRetryStrategy;

  constructor(inner: ConfiguredRetryStrategy) {
    this.#inner = inner;
  }

  async acquireInitialRetryToken(scope: string): Promise<RetryToken> {
    return this.#inner.acquireInitialRetryToken(scope);
  }

  async refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const skewed =
      isClockSkewError(info.error as Parameters<typeof isClockSkewError>[0]) &&
      /signature expired|skew/i.test(String((info.error as Error).message));
    const previous = token as SkewToken;
    if (skewed && previous.skewRetried) throw info.error;
    const next = (await this.#inner.refreshRetryTokenForRetry(previous, info)) as SkewToken;
    if (skewed || previous.skewRetried) next.skewRetried = true;

    return next;
  }

  recordSuccess(token: RetryToken): void {
    this.#inner.recordSuccess(token as StandardRetryToken);
  }
}

/** An AWS SDK error as an AwsCallError; a skew refusal says by how much the clocks differ. */
function mintError(error: unknown, offsetMs: number): AwsCallError {
  const name = error instanceof Error ? error.name : 'UnknownError';
  const skew =
    /Signature expired|RequestTimeTooSkewed/i.test(name) ||
    (error instanceof Error && /signature expired/i.test(error.message));

  return awsError(
    'ecr:GetAuthorizationToken',
    error,
    skew
      ? `clock skew: the local clock differs from AWS by about ${Math.round(offsetMs / 1000)} s`
      : undefined,
  );
}
