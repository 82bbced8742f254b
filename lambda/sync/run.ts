import { type ParsedConfig, parseConfig } from '../config/config.ts';
import type { ConfigSource } from '../config/sources.ts';
import { safeMessage } from '../errors.ts';
import {
  configFailureReport,
  sync,
  type ClusterTarget,
  type EngineDeps,
  type SyncRequest,
} from './engine.ts';
import type { RunReport } from './report.ts';

/**
 * One whole run, as both entry points use it: load and validate the
 * configuration, then sync every cluster. A configuration that cannot be
 * read or parsed ends the run before any cluster is touched.
 */
export async function runOnce(
  source: ConfigSource,
  clusters: readonly ClusterTarget[],
  deps: EngineDeps,
  request: SyncRequest,
): Promise<RunReport> {
  let text: string;
  try {
    text = await source.read();
  } catch (error) {
    deps.log.error('configuration could not be loaded; nothing is changed', {
      error: safeMessage(error),
    });

    return configFailureReport(source.description, error, request.dryRun);
  }
  let config: ParsedConfig;
  try {
    config = parseConfig(text, source.description);
  } catch (error) {
    deps.log.error('configuration is invalid; nothing is changed', { error: safeMessage(error) });

    return configFailureReport(source.description, error, request.dryRun);
  }

  return sync(config, source.description, clusters, deps, request);
}
