import type { AwsCredentialSource } from '../config/config.ts';
import type { MintedTokens } from './ecr.ts';

/** One GetAuthorizationToken call: a region, registry ids and credentials. */
export interface MintRequest {
  readonly region: string;
  readonly registryIds?: readonly string[];
  readonly credentials: AwsCredentialSource;
  /** The entry asking, for logs. */
  readonly entry: string;
}

/** The token port: the only AWS call the registries code depends on. */
export interface TokenMinter {
  mint(request: MintRequest): Promise<MintedTokens>;
}

/**
 * Mints lazily and at most once per (credentials, region, registry ids) in
 * a run, however many Secrets and clusters need the token. A failure is
 * remembered too, so a throttled call is not repeated by every Secret.
 */
export class RunTokenCache {
  readonly #minter: TokenMinter;
  readonly #results = new Map<string, Promise<MintedTokens>>();

  constructor(minter: TokenMinter) {
    this.#minter = minter;
  }

  /** How many distinct mints this run started. */
  get calls(): number {
    return this.#results.size;
  }

  get(request: MintRequest): Promise<MintedTokens> {
    const id = mintKey(request);
    let result = this.#results.get(id);
    if (!result) {
      result = this.#minter.mint(request);
      // Failures are reported by each waiting Secret; keep the rejection handled here.
      result.catch(() => undefined);
      this.#results.set(id, result);
    }

    return result;
  }
}

function mintKey(request: MintRequest): string {
  const c = request.credentials;
  const who = c.roleArn ?? (c.staticKeys ? `key:${c.staticKeys.accessKeyId}` : 'default');
  const ids = request.registryIds ? [...request.registryIds].sort().join(',') : 'caller';

  return `${who}|${request.region}|${ids}`;
}
