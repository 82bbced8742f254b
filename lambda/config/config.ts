import { parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { ALL_NAMESPACES, entrySchema, type RawEntry } from './schema.ts';

/** Where an entry's Secrets go: every namespace, or the listed ones. */
export type NamespaceTarget =
  | { readonly all: true }
  | { readonly all: false; readonly names: readonly string[] };

/** AWS credentials to mint ECR tokens with; the function's role when neither is set. */
export interface AwsCredentialSource {
  readonly roleArn?: string;
  readonly staticKeys?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
}

export interface EcrCredential extends AwsCredentialSource {
  readonly type: 'ECR';
  readonly region: string;
  /** Registry (account) ids; absent means the account of the credentials. */
  readonly registryIds?: readonly string[];
}

export interface DockerCredential {
  readonly type: 'DOCKER';
  /** As configured; absent means Docker Hub. */
  readonly registry?: string;
  readonly username: string;
  readonly password: string;
  readonly email?: string;
}

/** Aliases a document may expand: generous for shared credentials, finite against bombs. */
const MAX_ALIASES = 10_000;

/** Fields an entry and its credential may have; others are reported as ignored. */
const ENTRY_FIELDS = new Set(['name', 'kubernetes_namespace', 'namespaces', 'type', 'credential']);
const CREDENTIAL_FIELDS = new Set([
  'aws_ecr_repository_region',
  'registry_ids',
  'role_arn',
  'aws_access_key_id',
  'aws_secret_access_key',
  'aws_session_token',
  'docker_registry',
  'docker_user',
  'docker_password',
  'docker_email',
]);

/** A valid configuration entry, in the code's own names. */
export interface RegistryEntry {
  /** Position in the document's `secrets` list, for messages. */
  readonly index: number;
  /** The Secret's name. */
  readonly name: string;
  readonly namespaces: NamespaceTarget;
  readonly credential: EcrCredential | DockerCredential;
}

/** An entry that failed validation: skipped, reported, and its Secrets kept. */
export interface InvalidEntry {
  readonly index: number;
  /** The entry's name when it is itself valid. */
  readonly name?: string;
  readonly issues: readonly ConfigIssue[];
}

export interface ParsedConfig {
  readonly entries: readonly RegistryEntry[];
  readonly invalid: readonly InvalidEntry[];
  readonly warnings: readonly ConfigIssue[];
}

/**
 * Parses and validates a configuration document (JSON or YAML). Both the
 * `{secrets: [...]}` shape and the original chart's `{config: {secrets:
 * [...]}}` load. Entries are validated one by one: invalid ones are returned
 * in `invalid` and the rest proceed.
 *
 * @throws ConfigError when the document as a whole cannot be used.
 */
export function parseConfig(text: string, source: string): ParsedConfig {
  const list = secretsList(parseText(text, source), source);
  const entries: RegistryEntry[] = [];
  const invalid: InvalidEntry[] = [];
  const warnings: ConfigIssue[] = [];
  list.forEach((raw, index) => {
    const result = entrySchema.safeParse(raw);
    warnings.push(...unknownFields(raw, index));
    if (result.success) {
      entries.push(toEntry(result.data, index));
      warnings.push(...entryWarnings(result.data, index));
    } else {
      invalid.push({ index, name: validName(raw), issues: toIssues(index, result.error.issues) });
    }
  });
  const duplicates = findDuplicates(entries);

  return {
    entries: entries.filter((entry) => !duplicates.has(entry.index)),
    invalid: [...invalid, ...duplicates.values()].sort((a, b) => a.index - b.index),
    warnings,
  };
}

function parseText(text: string, source: string): unknown {
  // YAML 1.2 is a superset of JSON, so one parser reads both. Parser
  // messages quote the offending line, which may hold a password: report
  // only the position.
  // Merge keys (`<<: *anchor`) load as PyYAML, which the original tool used, loaded them.
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true, merge: true });
  const first = document.errors[0];
  if (first) {
    const where = first.linePos?.[0];
    const at = where ? ` at line ${where.line}, column ${where.col}` : '';
    throw new ConfigError(`${source}: not valid JSON or YAML${at} (${first.code})`);
  }
  try {
    return document.toJS({ maxAliasCount: MAX_ALIASES });
  } catch {
    // An alias that names no anchor, or expansion past the limit (a "billion laughs" document).
    throw new ConfigError(
      `${source}: a YAML alias is undefined, or aliases expand more than ` + `${MAX_ALIASES} times`,
    );
  }
}

function secretsList(document: unknown, source: string): unknown[] {
  // The original chart nested the list under `config`; a top-level list wins.
  const nested = isObject(document) && !('secrets' in document) && isObject(document.config);
  const root = nested && isObject(document) ? document.config : document;
  if (!isObject(root) || !('secrets' in root)) {
    throw new ConfigError(`${source}: secrets: required, a list of entries`, [
      { path: 'secrets', rule: 'required, a list of entries' },
    ]);
  }
  if (!Array.isArray(root.secrets)) {
    throw new ConfigError(`${source}: secrets: must be a list of entries`, [
      { path: 'secrets', rule: 'must be a list of entries' },
    ]);
  }

  if (root.secrets.length === 0) {
    // An empty list would delete every Secret we own: far more often a
    // mistake (a truncated secret value) than the intent.
    throw new ConfigError(`${source}: secrets: the list is empty; nothing is kept or deleted`, [
      { path: 'secrets', rule: 'must not be empty' },
    ]);
  }

  return root.secrets;
}

function toEntry(raw: RawEntry, index: number): RegistryEntry {
  const names = [
    ...(raw.namespaces ?? []),
    ...(raw.kubernetes_namespace ? [raw.kubernetes_namespace] : []),
  ];
  const namespaces: NamespaceTarget = names.includes(ALL_NAMESPACES)
    ? { all: true }
    : { all: false, names: [...new Set(names)] };

  return { index, name: raw.name, namespaces, credential: toCredential(raw) };
}

function toCredential(raw: RawEntry): EcrCredential | DockerCredential {
  if (raw.type === 'DOCKER') {
    const c = raw.credential;

    return {
      type: 'DOCKER',
      ...(c.docker_registry ? { registry: c.docker_registry } : {}),
      username: c.docker_user,
      password: c.docker_password,
      ...(c.docker_email ? { email: c.docker_email } : {}),
    };
  }
  const c = raw.credential;
  const staticKeys =
    c.aws_access_key_id && c.aws_secret_access_key
      ? {
          accessKeyId: c.aws_access_key_id,
          secretAccessKey: c.aws_secret_access_key,
          ...(c.aws_session_token ? { sessionToken: c.aws_session_token } : {}),
        }
      : undefined;

  return {
    type: 'ECR',
    region: c.aws_ecr_repository_region,
    ...(c.registry_ids ? { registryIds: [...new Set(c.registry_ids)] } : {}),
    ...(c.role_arn ? { roleArn: c.role_arn } : {}),
    ...(staticKeys ? { staticKeys } : {}),
  };
}

function entryWarnings(raw: RawEntry, index: number): ConfigIssue[] {
  if (raw.type !== 'ECR' || !raw.credential.aws_access_key_id) return [];

  return [
    {
      path: `secrets[${index}].credential.aws_access_key_id`,
      rule:
        "static access keys are used; the function's own IAM role (or role_arn) is " +
        'recommended, since static keys do not rotate',
    },
  ];
}

/** Fields the project does not know: ignored, and reported so that a typo is seen. */
function unknownFields(raw: unknown, index: number): ConfigIssue[] {
  if (!isObject(raw)) return [];
  const unknown = (fields: Record<string, unknown>, known: Set<string>, at: string) =>
    Object.keys(fields)
      .filter((k) => !known.has(k))
      .map((k) => ({
        path: `${at}.${k}`,
        rule: 'unknown field, ignored (check its spelling)',
      }));
  const credential = isObject(raw.credential) ? raw.credential : {};

  return [
    ...unknown(raw, ENTRY_FIELDS, `secrets[${index}]`),
    ...unknown(credential, CREDENTIAL_FIELDS, `secrets[${index}].credential`),
  ];
}

/** A (name, namespace) pair may come from one entry only; later ones are invalid. */
function findDuplicates(entries: readonly RegistryEntry[]): Map<number, InvalidEntry> {
  const duplicates = new Map<number, InvalidEntry>();
  const byName = Map.groupBy(entries, (entry) => entry.name);
  entries.forEach((entry) => {
    const earlier = (byName.get(entry.name) ?? []).find(
      (other) => other.index < entry.index && overlap(other.namespaces, entry.namespaces),
    );
    if (!earlier) return;
    duplicates.set(entry.index, {
      index: entry.index,
      name: entry.name,
      issues: [
        {
          path: `secrets[${entry.index}].name`,
          rule:
            `duplicate: secrets[${earlier.index}] already keeps a Secret ` +
            `${JSON.stringify(entry.name)} in the same namespace`,
        },
      ],
    });
  });

  return duplicates;
}

function overlap(a: NamespaceTarget, b: NamespaceTarget): boolean {
  if (a.all || b.all) return true;

  return a.names.some((name) => b.names.includes(name));
}

function toIssues(
  index: number,
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): ConfigIssue[] {
  return issues.map((issue) => ({
    path: formatPath(['secrets', index, ...issue.path]),
    rule: issue.message,
  }));
}

/** `['secrets', 1, 'credential', 'docker_user']` -> `secrets[1].credential.docker_user` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) =>
      typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

function validName(raw: unknown): string | undefined {
  if (!isObject(raw) || typeof raw.name !== 'string') return undefined;

  return entrySchema.options[0].shape.name.safeParse(raw.name).success ? raw.name : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
