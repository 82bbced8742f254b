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
import { AwsCallError, redact } from '../errors.ts';
import type { Log } from '../logger.ts';
import type { MintedTokens } from './ecr.ts';
import type { MintRequest, TokenMinter } from './token-minter.ts';

type AssumedCredentials = AwsCredentialIdentity & { expiration: Date; issuedAt: number };

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
  readonly #assumed = new Map<string, AssumedCredentials>();

  constructor(options: AwsMinterOptions) {
    this.#options = options;
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
      throw awsError('ecr:GetAuthorizationToken', error, this.#options.clock.offsetMs);
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
      retryStrategy: new OneSkewRetry(new ConfiguredRetryStrategy(
        maxAttempts,
        (attempt) => Math.floor(random() * baseDelayMs * 2 ** attempt),
      )),
      ...(this.#options.requestHandler ? { requestHandler: this.#options.requestHandler } : {}),
    });
    this.#clients.set(id, client);

    return client;
  }

  async #credentials(source: AwsCredentialSource, region: string):
    Promise<(AwsCredentialIdentity & { expiration?: Date }) | undefined> {
    if (source.staticKeys) return source.staticKeys;
    if (!source.roleArn) return undefined;
    const now = this.#options.clock.now().getTime();
    const cached = this.#assumed.get(source.roleArn);
    // Tokens die with the credentials that minted them: renew at half their
    // life, so a token minted now keeps at least that half.
    if (cached && cached.expiration.getTime() - now > (cached.expiration.getTime() - cached.issuedAt) / 2) {
      return cached;
    }
    const { AssumeRoleCommand, STSClient } = commonJs(await import('@aws-sdk/client-sts'));
    const sts = new STSClient({
      region,
      ...(this.#options.endpoint ? { endpoint: this.#options.endpoint } : {}),
      ...(this.#options.requestHandler ? { requestHandler: this.#options.requestHandler } : {}),
    });
    try {
      const answer = await sts.send(new AssumeRoleCommand({
        RoleArn: source.roleArn,
        RoleSessionName: 'prs-manager',
      }));
      const c = answer.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.Expiration) {
        throw new AwsCallError('sts:AssumeRole', 'IncompleteCredentials', 'the answer has no credentials');
      }
      const assumed = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
        expiration: c.Expiration,
        issuedAt: now,
      };
      this.#assumed.set(source.roleArn, assumed);

      return assumed;
    } catch (error) {
      throw awsError('sts:AssumeRole', error, this.#options.clock.offsetMs);
    }
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

/**
 * The SDK clients are CommonJS. Imported with import(), Node gives their
 * exports by name; an esbuild chunk gives them as the default export.
 */
function commonJs<T extends object>(module: T): T {
  const fallback = (module as { default?: T }).default;

  return Object.keys(module).length === 1 && fallback ? fallback : module;
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
    const skewed = isClockSkewError(info.error as Parameters<typeof isClockSkewError>[0]) &&
      /signature expired|skew/i.test(String((info.error as Error).message));
    const previous = token as SkewToken;
    if (skewed && previous.skewRetried) throw info.error;
    const next = await this.#inner.refreshRetryTokenForRetry(previous, info) as SkewToken;
    if (skewed || previous.skewRetried) next.skewRetried = true;

    return next;
  }

  recordSuccess(token: RetryToken): void {
    this.#inner.recordSuccess(token as StandardRetryToken);
  }
}

/** An AWS SDK error as an AwsCallError: its code, and redacted text. */
function awsError(operation: string, error: unknown, offsetMs: number): AwsCallError {
  if (error instanceof AwsCallError) return error;
  const name = error instanceof Error ? error.name : 'UnknownError';
  const skew = /Signature expired|RequestTimeTooSkewed|InvalidSignatureException/i.test(name) ||
    (error instanceof Error && /signature expired/i.test(error.message));
  const detail = skew
    ? `clock skew: the local clock differs from AWS by about ${Math.round(offsetMs / 1000)} s`
    : redact(error instanceof Error ? error.message : '');

  return new AwsCallError(operation, name, detail);
}
