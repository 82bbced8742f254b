import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as k8s from './clusters/client-node.ts';
import { Command, InvalidArgumentError, Option } from 'commander';
import { OWNER_PATTERN, OWNER_RULE, fitMargin } from './config/settings.ts';
import { fileSource, secretsManagerSource, type ConfigSource } from './config/sources.ts';
import { kubeConfigTarget } from './clusters/targets.ts';
import { safeMessage } from './errors.ts';
import { USER_AGENT } from './version.ts';
import { createLogger, routeNodeWarnings } from './logger.ts';
import { AwsTokenMinter, SkewClock } from './registries/aws-token-minter.ts';
import { table } from './sync/report.ts';
import { runOnce } from './sync/run.ts';

/**
 * The same engine as the Lambda, against the current kubeconfig context:
 * `prs-manager --config secrets.yaml --dry-run`. Exit status 0 when the run
 * fully succeeded, 1 when anything failed, 2 on bad usage.
 */

interface CliOptions {
  config?: string;
  configSecret?: string;
  kubeconfig?: string;
  context?: string;
  dryRun: boolean;
  secret?: string[];
  output: 'table' | 'json';
  owner: string;
  refreshMargin: number;
}

function owner(value: string): string {
  if (!OWNER_PATTERN.test(value)) throw new InvalidArgumentError(OWNER_RULE);

  return value;
}

function fraction(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('must be a number between 0 and 1');

  return n;
}

export function program(): Command {
  return new Command('prs-manager')
    .description('Sync image-pull secrets into the current Kubernetes context.')
    .addOption(
      new Option('-c, --config <file>', 'configuration document (JSON or YAML)').conflicts(
        'configSecret',
      ),
    )
    .option('--config-secret <id>', 'Secrets Manager secret id holding the configuration')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('--dry-run', 'compute and report every action, write nothing', false)
    .option('-s, --secret <name...>', 'only these entries (deletes nothing)')
    .addOption(
      new Option('-o, --output <format>', 'report format')
        .choices(['table', 'json'])
        .default('table'),
    )
    .option('--owner <value>', 'owner label value of this installation', owner, 'prs-manager')
    .option(
      '--refresh-margin <fraction>',
      'refresh ECR tokens once this part of their life (or less) remains',
      fraction,
      0.5,
    );
}

async function main(argv: readonly string[]): Promise<number> {
  const cli = program().exitOverride();
  try {
    cli.parse(argv);
  } catch (error) {
    return (error as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  const opts = cli.opts<CliOptions>();
  if (!opts.config && !opts.configSecret) {
    process.stderr.write('error: one of --config <file> or --config-secret <id> is required\n');

    return 2;
  }
  // The report goes to stdout; only warnings and errors are logged, unless asked.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const log = createLogger();
  routeNodeWarnings(log);
  const kc = new k8s.KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
    if (opts.context && !kc.getContexts().some((c) => c.name === opts.context)) {
      process.stderr.write(
        `error: the kubeconfig has no context ${JSON.stringify(opts.context)}\n`,
      );

      return 2;
    }
    if (opts.context) kc.setCurrentContext(opts.context);
    // Without any kubeconfig, client-node invents a context aimed at http://localhost:8080.
    if (kc.getContexts().length === 0 || kc.getCurrentContext() === 'loaded-context') {
      process.stderr.write(
        'error: no kubeconfig found: set KUBECONFIG, or pass --kubeconfig <file>\n',
      );

      return 2;
    }
  } catch (error) {
    process.stderr.write(`error: cannot load the kubeconfig: ${safeMessage(error)}\n`);

    return 2;
  }
  const clock = new SkewClock();
  const endpoint = process.env.AWS_ENDPOINT_URL ? { endpoint: process.env.AWS_ENDPOINT_URL } : {};
  const source: ConfigSource = opts.config
    ? fileSource(opts.config)
    : secretsManagerSource(new SecretsManagerClient({ ...endpoint }), opts.configSecret ?? '');
  const cluster = kubeConfigTarget(kc.getCurrentContext() || 'current', kc, {
    requestTimeoutMs: 10000,
    pageSize: 500,
    maxSockets: 8,
    userAgent: USER_AGENT,
  });
  const report = await runOnce(
    source,
    [cluster],
    {
      minter: new AwsTokenMinter({
        ...endpoint,
        maxAttempts: 3,
        baseDelayMs: 100,
        random: Math.random,
        clock,
        log,
      }),
      log,
      now: () => clock.now(),
      settings: {
        owner: opts.owner,
        refreshMargin: fitMargin(opts.refreshMargin, 60).margin,
        concurrency: 8,
        writesPerSecond: 20,
        clusterConcurrency: 1,
        conflictRetries: 3,
      },
    },
    { dryRun: opts.dryRun, ...(opts.secret ? { only: opts.secret } : {}) },
  );
  process.stdout.write(
    opts.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : `${table(report)}\n`,
  );

  return report.status === 'success' ? 0 : 1;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${safeMessage(error)}\n`);
    process.exitCode = 1;
  },
);
