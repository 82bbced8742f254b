import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Fields of a log line. Only names, namespaces, hosts, times, counts and
 * codes belong here: never a password, token, `auth` string or
 * `.dockerconfigjson`.
 */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** The logging port the engine writes to: JSON lines with correlation keys. */
export interface Log {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (cluster, namespace, ...). */
  with(fields: LogFields): Log;
}

const SERVICE = 'prs-manager';

/**
 * The structured logger: Powertools Logger, one JSON object per line, level
 * from `POWERTOOLS_LOG_LEVEL` (or `LOG_LEVEL`), default INFO.
 */
export function createLogger(fields: LogFields = {}): Log {
  return wrap(new Logger({ serviceName: SERVICE, persistentKeys: clean(fields) }));
}

function wrap(logger: Logger): Log {
  return {
    debug: (message, fields) => logger.debug(message, clean(fields)),
    info: (message, fields) => logger.info(message, clean(fields)),
    warn: (message, fields) => logger.warn(message, clean(fields)),
    error: (message, fields) => logger.error(message, clean(fields)),
    with: (fields) => wrap(logger.createChild({ persistentKeys: clean(fields) })),
  };
}

function clean(fields: LogFields | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    if (value !== undefined) out[key] = value;
  }

  return out;
}

/**
 * Sends Node's process warnings (deprecations from dependencies, such as
 * node-fetch's url.parse under client-node 1.x) through the JSON logger,
 * so that every line the function prints is one JSON object. Node's own
 * printer is a 'warning' listener; it is replaced.
 */
export function routeNodeWarnings(log: Log): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    const code = (warning as { code?: unknown }).code;
    log.debug('node warning', {
      warning: warning.name,
      code: typeof code === 'string' ? code : undefined,
    });
  });
}
