/**
 * Errors of prs-manager. Every message is safe to log and show: it names
 * fields, objects and rules, never a credential. Causes are chained only
 * after they went through {@link safeCause}, because SDK and client-node
 * errors can carry request signatures or whole Secret bodies.
 */

/** Base class: `name` is set, and a cause is kept when it is safe. */
export class PrsManagerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PrsManagerError';
  }
}

/** One rule of the configuration document broken at one path. */
export interface ConfigIssue {
  /** Where, e.g. `secrets[1].credential.docker_user`. */
  readonly path: string;
  /** The rule that is broken, in words. */
  readonly rule: string;
}

/** The configuration cannot be used at all (unreadable, unparsable, empty). */
export class ConfigError extends PrsManagerError {
  readonly issues: readonly ConfigIssue[];

  constructor(message: string, issues: readonly ConfigIssue[] = [], options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** The configuration source (a secret or a file) does not exist. */
export class SourceNotFoundError extends ConfigError {
  constructor(source: string, options?: ErrorOptions) {
    super(`configuration source not found: ${source}`, [], options);
    this.name = 'SourceNotFoundError';
  }
}

/** An AWS call failed; `code` is the service error code, e.g. ThrottlingException. */
export class AwsCallError extends PrsManagerError {
  readonly code: string;
  readonly operation: string;

  constructor(operation: string, code: string, detail: string, options?: ErrorOptions) {
    super(`${operation} failed: ${code}${detail ? `: ${detail}` : ''}`, options);
    this.name = 'AwsCallError';
    this.code = code;
    this.operation = operation;
  }
}

/** ECR answered, but its token does not have the shape a kubelet can use. */
export class MalformedEcrTokenError extends PrsManagerError {
  constructor(rule: string) {
    super(`ECR authorization token rejected: ${rule}`);
    this.name = 'MalformedEcrTokenError';
  }
}

/** The Kubernetes API server refused or failed a call. */
export class KubernetesApiError extends PrsManagerError {
  readonly code: number;
  readonly reason: string;
  readonly verb: string;
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly objectName: string | undefined;
  /** `status.details.causes[].type`, e.g. `NamespaceTerminating`. */
  readonly causes: readonly string[];

  constructor(fields: KubernetesFailure) {
    super(describeKubernetesFailure(fields));
    this.name = 'KubernetesApiError';
    this.code = fields.code;
    this.reason = fields.reason;
    this.verb = fields.verb;
    this.resource = fields.resource;
    this.namespace = fields.namespace;
    this.objectName = fields.name;
    this.causes = fields.causes ?? [];
  }
}

/** The API server could not be reached, or did not answer in time. */
export class ClusterUnreachableError extends PrsManagerError {
  readonly code: string;

  constructor(code: string, detail: string) {
    super(`API server unreachable: ${code}${detail ? ` (${detail})` : ''}`);
    this.name = 'ClusterUnreachableError';
    this.code = code;
  }
}

/** What the API server said about one call, and which call it was. */
interface KubernetesFailure {
  readonly code: number;
  readonly reason: string;
  readonly verb: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly causes?: readonly string[];
}

function describeKubernetesFailure(f: KubernetesFailure): string {
  const scope = f.namespace ? `in namespace ${f.namespace}` : 'at cluster scope';
  const object = f.name ? ` ${f.name}` : '';
  const what = `${f.verb} ${f.resource}${object} ${scope}`;
  if (f.code === 403) return `forbidden: ${what} (HTTP 403 ${f.reason}); grant this verb`;
  if (f.code === 401) return `unauthorized: ${what} (HTTP 401); the credentials were refused`;

  return `${what} failed: HTTP ${f.code} ${f.reason}`;
}

// Access keys, signatures, session tokens and request ids in AWS error text.
const SECRETISH = [
  /Credential=[^\s,]+/g,
  /\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b/g,
  /Signature=[0-9a-f]+/gi,
  /X-Amz-Security-Token=[^\s&]+/gi,
  /[Rr]equest ?[Ii][Dd]:? ?[0-9a-f-]{20,}/g,
];

/** Removes fragments that identify credentials or requests from text. */
export function redact(text: string): string {
  return SECRETISH.reduce((t, re) => t.replace(re, '[redacted]'), text).slice(0, 300);
}

/**
 * Narrows anything thrown to a message that is safe to log. Our own errors
 * are safe by construction; anything else keeps only its name and code,
 * because foreign messages (client-node folds response bodies into them)
 * are not.
 */
export function safeMessage(error: unknown): string {
  if (error instanceof PrsManagerError) return error.message;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;

    return typeof code === 'string' || typeof code === 'number'
      ? `${error.name} (${code})`
      : error.name;
  }

  return 'unknown error';
}

/** The error code to put in a report: AWS error code, HTTP status, or name. */
export function errorCode(error: unknown): string {
  if (error instanceof AwsCallError) return error.code;
  if (error instanceof KubernetesApiError) return String(error.code);
  if (error instanceof ClusterUnreachableError) return error.code;
  if (error instanceof Error) return error.name;

  return 'Unknown';
}
