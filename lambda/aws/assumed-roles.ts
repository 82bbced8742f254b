import type { AwsCredentialIdentity } from '@smithy/types';
import { AwsCallError, redact } from '../errors.ts';

/** Temporary credentials of an assumed role, and when they were issued. */
export type AssumedCredentials = AwsCredentialIdentity & { expiration: Date; issuedAt: number };

export interface AssumeRoleOptions {
  /** Endpoint override for STS (tests: moto). */
  readonly endpoint?: string;
  /** Server time in milliseconds (the local clock corrected by measured skew). */
  readonly now: () => number;
  /** Extra SDK client settings (tests: a scripted request handler). */
  readonly clientConfig?: Record<string, unknown>;
}

/**
 * Assumes roles and keeps their credentials for the life of the process.
 * Credentials are renewed once half their life is gone, so whatever they
 * sign (an ECR token, an EKS bearer token) keeps at least that half.
 */
export class AssumedRoles {
  readonly #options: AssumeRoleOptions;
  readonly #cache = new Map<string, AssumedCredentials>();

  constructor(options: AssumeRoleOptions) {
    this.#options = options;
  }

  async credentials(roleArn: string, region: string): Promise<AssumedCredentials> {
    const now = this.#options.now();
    const key = `${roleArn}|${region}`;
    const cached = this.#cache.get(key);
    if (
      cached &&
      cached.expiration.getTime() - now > (cached.expiration.getTime() - cached.issuedAt) / 2
    ) {
      return cached;
    }
    const { AssumeRoleCommand, STSClient } = commonJs(await import('@aws-sdk/client-sts'));
    const sts = new STSClient({
      region,
      ...(this.#options.endpoint ? { endpoint: this.#options.endpoint } : {}),
      ...this.#options.clientConfig,
    });
    try {
      const answer = await sts.send(
        new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'prs-manager' }),
      );
      const c = answer.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.Expiration) {
        throw new AwsCallError(
          'sts:AssumeRole',
          'IncompleteCredentials',
          'the answer has no credentials',
        );
      }
      const assumed: AssumedCredentials = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
        expiration: c.Expiration,
        issuedAt: now,
      };
      this.#cache.set(key, assumed);

      return assumed;
    } catch (error) {
      throw awsError('sts:AssumeRole', error);
    }
  }
}

/**
 * The SDK clients are CommonJS. Imported with import(), Node gives their
 * exports by name; an esbuild chunk gives them as the default export.
 */
export function commonJs<T extends object>(module: T): T {
  const fallback = (module as { default?: T }).default;

  return Object.keys(module).length === 1 && fallback ? fallback : module;
}

/** An AWS SDK error as an AwsCallError: its code, and redacted text. */
export function awsError(operation: string, error: unknown, detail?: string): AwsCallError {
  if (error instanceof AwsCallError) return error;
  const name = error instanceof Error ? error.name : 'UnknownError';

  return new AwsCallError(
    operation,
    name,
    detail ?? redact(error instanceof Error ? error.message : ''),
  );
}
