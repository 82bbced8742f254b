import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { OWNER_PATTERN } from '../lambda/config/settings.ts';
import { FUNCTION_NODE_OPTIONS } from '../lambda/node-options.ts';
import { SettingsError } from './settings-error.ts';

/** The bundle `npm run build` writes: `handler.mjs` and its chunks. */
export const FUNCTION_ASSET_DIR = fileURLToPath(new URL('../dist/function', import.meta.url));

/** The Kubernetes group the Helm chart binds to its Roles by default. */
export const DEFAULT_KUBERNETES_GROUP = 'prs-manager';

/** Log levels of the function's Powertools logger. */
export type PrsManagerLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** An EKS cluster whose image-pull Secrets prs-manager keeps. */
export interface PrsManagerCluster {
  /**
   * The EKS cluster's name. The function signs its Kubernetes tokens for
   * this name and calls `eks:DescribeCluster` on it.
   */
  readonly name: string;

  /**
   * The cluster's region.
   *
   * A cluster in another region gets no access entry from this construct
   * (CloudFormation creates resources in the stack's region only).
   *
   * @default - the stack's region
   */
  readonly region?: string;

  /**
   * A role the function assumes to reach this cluster, typically in the
   * cluster's account. That role needs `eks:DescribeCluster` and its own
   * access entry in the cluster; this construct grants the function
   * `sts:AssumeRole` on it and creates no access entry.
   *
   * @default - the function's own role
   */
  readonly role?: iam.IRole;

  /**
   * Whether to create an EKS access entry that maps the function's role to
   * `kubernetesGroups`. Turn it off for a cluster that authenticates through
   * the `aws-auth` ConfigMap only, and map the role there instead.
   *
   * @default - true for a cluster in the stack's region reached with the
   * function's own role; a cluster with `region` or `role` never gets one
   */
  readonly accessEntry?: boolean;

  /**
   * The namespace the Helm chart is installed in: the function reads the
   * grant the chart records there before it writes anything.
   *
   * @default 'prs-manager'
   */
  readonly chartNamespace?: string;
}

/** Properties of {@link PrsManager}. */
export interface PrsManagerProps {
  /** The EKS clusters to keep image-pull Secrets in; at least one. */
  readonly clusters: readonly PrsManagerCluster[];

  /**
   * The Secrets Manager secret holding the registry configuration (YAML or
   * JSON). The function may read this secret only, and decrypt with its
   * `encryptionKey` when it has one.
   *
   * @default - an empty secret is created; fill it with `put-secret-value`
   */
  readonly configSecret?: secretsmanager.ISecret;

  /**
   * When the scheduled sync runs, in UTC unless the expression names a
   * time zone.
   *
   * @default - every hour on the hour, `cron(0 * * * ? *)`
   */
  readonly schedule?: scheduler.ScheduleExpression;

  /**
   * The longest time between two scheduled runs. The function refreshes an
   * ECR token at a run before the one at which it would expire, so this must
   * be shorter than the tokens' 12 hours less a 5-minute allowance.
   *
   * @default - the rate of `schedule` when it is a `rate(...)` expression,
   * one hour for the default schedule; required for any other schedule
   */
  readonly runInterval?: Duration;

  /**
   * How many times a failed run is retried: the function's asynchronous
   * retries, and Scheduler's retries of a delivery it could not make.
   * Between 0 and 2 (Lambda's limit).
   *
   * @default 2
   */
  readonly retryAttempts?: number;

  /**
   * Roles the function may assume for ECR entries with a `role_arn`. Roles
   * of `clusters` are added without being listed here.
   *
   * @default - none
   */
  readonly assumeRoles?: readonly iam.IRole[];

  /**
   * Repositories the function's own role may pull from. An ECR token carries
   * the pull rights of whoever minted it, so kubelet can pull with a token
   * the function minted with its own role only from repositories granted
   * here or by a repository policy. Entries with a `role_arn` need none.
   *
   * @default - none
   */
  readonly pullRepositories?: readonly ecr.IRepository[];

  /**
   * The Kubernetes groups the function's role is mapped to by the access
   * entries; the Helm chart binds its Roles to `prs-manager` by default.
   *
   * @default ['prs-manager']
   */
  readonly kubernetesGroups?: readonly string[];

  /**
   * The ownership label value (`prs-manager.io/owner`) of this installation.
   * Two installations writing to the same clusters need different owners.
   *
   * @default 'prs-manager'
   */
  readonly owner?: string;

  /**
   * Memory of the function in MiB. `npm run bench` measures a peak RSS of
   * 124-144 MiB for a first run over 5000 Secrets.
   *
   * @default 256
   */
  readonly memorySizeMiB?: number;

  /**
   * How long one run may take. 5000 writes at the default 20 writes per
   * second take about 250 s per cluster.
   *
   * @default Duration.minutes(10)
   */
  readonly timeout?: Duration;

  /**
   * How long the function's log lines are kept.
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The lowest level the function logs; one INFO line per Secret outcome.
   *
   * @default 'INFO'
   */
  readonly logLevel?: PrsManagerLogLevel;

  /**
   * A topic told when a run fails and when runs succeed again.
   *
   * @default - the alarm has no action
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * The function's code: a folder with `handler.mjs` exporting `handler`.
   *
   * @default - the bundle in `dist/function`, built by `npm run build`
   */
  readonly code?: lambda.Code;
}

/** Token lifetime and the allowance the function adds to the run interval. */
const ECR_TOKEN_MINUTES = 12 * 60;
const RUN_INTERVAL_ALLOWANCE_MINUTES = 5;
const MAX_RETRY_ATTEMPTS = 2;
/** Lambda keeps an asynchronous event for 6 hours at most. */
const MAX_EVENT_AGE = Duration.hours(6);
const EKS_CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DEFAULT_SCHEDULE = scheduler.ScheduleExpression.cron({ minute: '0' });

/**
 * prs-manager in one construct: the function, its hourly schedule, the
 * configuration secret, least-privilege IAM, an EKS access entry per
 * cluster and an alarm on failed runs.
 */
export class PrsManager extends Construct {
  /** The sync function. */
  readonly function: lambda.Function;

  /** The function's role; the access entries map it to `kubernetesGroups`. */
  readonly role: iam.Role;

  /** The registry configuration the function reads. */
  readonly configSecret: secretsmanager.ISecret;

  /** The id the function reads `configSecret` by (its ARN, or its name). */
  readonly configSecretId: string;

  /** The schedule that starts a full sync. */
  readonly schedule: scheduler.CfnSchedule;

  /** In ALARM from a failed run until a run succeeds or a period passes without one. */
  readonly failedRunsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: PrsManagerProps) {
    super(scope, id);
    validateProps(props);
    const runInterval = resolveRunInterval(props);
    const retryAttempts = props.retryAttempts ?? MAX_RETRY_ATTEMPTS;

    this.configSecret = props.configSecret ?? createEmptySecret(this);
    this.configSecretId = this.configSecret.secretFullArn ?? this.configSecret.secretName;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'prs-manager sync function',
    });
    this.function = this.createFunction(props, runInterval, retryAttempts);
    this.grantAccess(props);
    this.schedule = this.createSchedule(props, runInterval, retryAttempts);
    this.createAccessEntries(props);
    this.failedRunsAlarm = this.createAlarm(props, runInterval);
  }

  private createFunction(
    props: PrsManagerProps,
    runInterval: Duration,
    retryAttempts: number,
  ): lambda.Function {
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    });
    logGroup.grantWrite(this.role);
    const logLevel = props.logLevel ?? 'INFO';

    const fn = new lambda.Function(this, 'Function', {
      description: 'prs-manager: keeps image-pull Secrets in EKS clusters',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'handler.handler',
      code: props.code ?? bundledCode(),
      role: this.role,
      memorySize: props.memorySizeMiB ?? 256,
      timeout: props.timeout ?? Duration.minutes(10),
      // Two runs at once would race on the same Secrets. A scheduled run that finds one
      // going is throttled and retried by Lambda; a manual invocation is refused.
      reservedConcurrentExecutions: 1,
      retryAttempts,
      maxEventAge: eventAge(runInterval),
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel[logLevel],
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
      environment: this.environment(props, runInterval, logLevel),
    });
    // lambda.Function adds a DependsOn on its role, which the GetAtt of the role's ARN
    // already implies; cfn-lint reports the redundancy as W3005.
    (fn.node.defaultChild as lambda.CfnFunction).addMetadata('cfn-lint', {
      config: { ignore_checks: ['W3005'] },
    });

    return fn;
  }

  private environment(
    props: PrsManagerProps,
    runInterval: Duration,
    logLevel: PrsManagerLogLevel,
  ): Record<string, string> {
    return {
      PRS_MANAGER_CONFIG_SECRET_ID: this.configSecretId,
      PRS_MANAGER_CLUSTERS: Stack.of(this).toJsonString(props.clusters.map(clusterSpec)),
      PRS_MANAGER_OWNER: props.owner ?? 'prs-manager',
      PRS_MANAGER_RUN_INTERVAL_MINUTES: String(runInterval.toMinutes()),
      // No --enable-source-maps: loading the 5 MB map costs ~19 MB of memory at every cold
      // start (npm run bench), and the function's errors carry no stack to map.
      NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
      POWERTOOLS_LOG_LEVEL: logLevel,
      POWERTOOLS_SERVICE_NAME: 'prs-manager',
    };
  }

  private grantAccess(props: PrsManagerProps): void {
    this.configSecret.grantRead(this.role);
    this.grantKeyDecrypt();
    // GetAuthorizationToken has no resource-level permissions: its only resource is "*".
    iam.Grant.addToPrincipal({
      grantee: this.role,
      actions: ['ecr:GetAuthorizationToken'],
      resourceArns: ['*'],
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken supports no resource-level permissions; ' +
        'it is the only action granted on "*"',
    });
    const ownClusters = props.clusters.filter((c) => !c.role);
    if (ownClusters.length) {
      iam.Grant.addToPrincipal({
        grantee: this.role,
        actions: ['eks:DescribeCluster'],
        resourceArns: ownClusters.map((c) => this.clusterArn(c)),
      });
    }
    const roles = [
      ...props.clusters.flatMap((c) => (c.role ? [c.role] : [])),
      ...(props.assumeRoles ?? []),
    ];
    if (roles.length) {
      iam.Grant.addToPrincipal({
        grantee: this.role,
        actions: ['sts:AssumeRole'],
        resourceArns: [...new Set(roles.map((r) => r.roleArn))],
      });
    }
    for (const repository of props.pullRepositories ?? []) repository.grantPull(this.role);
  }

  /**
   * grantRead allows decryption through the key policy only, and the policy
   * of an imported key cannot change: the role's own policy says it too.
   */
  private grantKeyDecrypt(): void {
    const key = this.configSecret.encryptionKey;
    if (!key) return;
    const region = Stack.of(this).region;
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` },
        },
      }),
    );
  }

  private createSchedule(
    props: PrsManagerProps,
    runInterval: Duration,
    retryAttempts: number,
  ): scheduler.CfnSchedule {
    const expression = props.schedule ?? DEFAULT_SCHEDULE;
    const role = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        // Only schedules of this account may use the role (confused deputy).
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'EventBridge Scheduler: starts the prs-manager sync function',
    });
    // The function's ARN alone: grantInvoke would add "<arn>:*" for versions and aliases.
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['lambda:InvokeFunction'],
      resourceArns: [this.function.functionArn],
    });

    return new scheduler.CfnSchedule(this, 'Schedule', {
      description: 'prs-manager: full sync of every configured Secret',
      scheduleExpression: expression.expressionString,
      ...(expression.timeZone
        ? { scheduleExpressionTimezone: expression.timeZone.timezoneName }
        : {}),
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: this.function.functionArn,
        roleArn: role.roleArn,
        // The handler treats an event from aws.scheduler as a full sync.
        input: JSON.stringify({ source: 'aws.scheduler' }),
        retryPolicy: {
          maximumRetryAttempts: retryAttempts,
          maximumEventAgeInSeconds: eventAge(runInterval).toSeconds(),
        },
      },
    });
  }

  private createAccessEntries(props: PrsManagerProps): void {
    const groups = [...(props.kubernetesGroups ?? [DEFAULT_KUBERNETES_GROUP])];
    for (const cluster of props.clusters.filter(wantsAccessEntry)) {
      // No access policy: the chart's namespaced Roles are the whole grant.
      new eks.CfnAccessEntry(this, `AccessEntry-${cluster.name}`, {
        clusterName: cluster.name,
        principalArn: this.role.roleArn,
        kubernetesGroups: groups,
        type: 'STANDARD',
      });
    }
  }

  private createAlarm(props: PrsManagerProps, runInterval: Duration): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, 'FailedRunsAlarm', {
      alarmDescription: 'prs-manager: a sync run failed; its log names each failed Secret',
      // One period per run: a run and its retries land in the same period.
      metric: this.function.metricErrors({ period: runInterval, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopic) {
      alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
      alarm.addOkAction(new cloudwatchActions.SnsAction(props.alarmTopic));
    }

    return alarm;
  }

  private clusterArn(cluster: PrsManagerCluster): string {
    return Stack.of(this).formatArn({
      service: 'eks',
      resource: 'cluster',
      resourceName: cluster.name,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      ...(cluster.region ? { region: cluster.region } : {}),
    });
  }
}

/** The cluster as the function reads it from `PRS_MANAGER_CLUSTERS`. */
function clusterSpec(cluster: PrsManagerCluster): Record<string, string> {
  return {
    name: cluster.name,
    ...(cluster.region ? { region: cluster.region } : {}),
    ...(cluster.role ? { roleArn: cluster.role.roleArn } : {}),
    ...(cluster.chartNamespace ? { chartNamespace: cluster.chartNamespace } : {}),
  };
}

function wantsAccessEntry(cluster: PrsManagerCluster): boolean {
  return cluster.accessEntry ?? (!cluster.region && !cluster.role);
}

function createEmptySecret(scope: Construct): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, 'ConfigSecret', {
    description:
      'prs-manager registry configuration (YAML or JSON); ' +
      'set its value with aws secretsmanager put-secret-value',
  });
  // The L2 generates a random value by default; without one the secret starts empty.
  (secret.node.defaultChild as secretsmanager.CfnSecret).generateSecretString = undefined;
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      "the secret holds registry credentials issued and rotated by each registry's " +
      'owner; there is no rotation function for them (ECR entries need no stored credential)',
  });

  return secret;
}

function bundledCode(): lambda.Code {
  if (!existsSync(`${FUNCTION_ASSET_DIR}/handler.mjs`)) {
    throw invalid(
      `no function bundle at ${FUNCTION_ASSET_DIR}; ` + 'run `npm run build` first, or pass `code`',
    );
  }

  return lambda.Code.fromAsset(FUNCTION_ASSET_DIR);
}

/** Older than one run interval, a scheduled event is superseded by the next run. */
function eventAge(runInterval: Duration): Duration {
  const seconds = Math.min(Math.max(runInterval.toSeconds(), 60), MAX_EVENT_AGE.toSeconds());

  return Duration.seconds(seconds);
}

/** The run interval the schedule implies, or the one given. */
function resolveRunInterval(props: PrsManagerProps): Duration {
  const interval = props.runInterval ?? intervalOf(props.schedule ?? DEFAULT_SCHEDULE);
  if (!interval) {
    throw invalid(
      'runInterval is required when schedule is not a rate(...) expression: ' +
        'set it to the longest time between two runs',
    );
  }
  const minutes = interval.toMinutes({ integral: false });
  const limit = ECR_TOKEN_MINUTES - RUN_INTERVAL_ALLOWANCE_MINUTES;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes >= limit) {
    throw invalid(
      `runInterval must be a whole number of minutes from 1 to ${limit - 1} ` +
        `(ECR tokens live 12 hours), not ${minutes}`,
    );
  }

  return interval;
}

function intervalOf(schedule: scheduler.ScheduleExpression): Duration | undefined {
  if (schedule.expressionString === DEFAULT_SCHEDULE.expressionString) return Duration.hours(1);
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule.expressionString);
  if (!rate) return undefined;
  const count = Number(rate[1]);
  const unit = rate[2];

  return unit === 'minute'
    ? Duration.minutes(count)
    : unit === 'hour'
      ? Duration.hours(count)
      : Duration.days(count);
}

function validateProps(props: PrsManagerProps): void {
  if (!props.clusters.length) throw invalid('clusters must name at least one cluster');
  props.clusters.forEach((cluster, i) => {
    if (!EKS_CLUSTER_NAME.test(cluster.name)) {
      throw invalid(
        `clusters[${i}].name ${JSON.stringify(cluster.name)} is not an EKS cluster ` +
          'name (up to 100 letters, digits, "-" and "_", starting with a letter or digit)',
      );
    }
    if (cluster.chartNamespace !== undefined && !NAMESPACE.test(cluster.chartNamespace)) {
      throw invalid(
        `clusters[${i}].chartNamespace ${JSON.stringify(cluster.chartNamespace)} is ` +
          'not a namespace name (up to 63 lowercase letters, digits and "-")',
      );
    }
    if (cluster.accessEntry && (cluster.region || cluster.role)) {
      throw invalid(
        `clusters[${i}].accessEntry cannot be true for a cluster with region or ` +
          'role: create its access entry in that region or account',
      );
    }
  });
  const names = props.clusters.map((c) => c.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw invalid(`clusters lists ${JSON.stringify(twice)} twice`);
  validateSettings(props);
}

function validateSettings(props: PrsManagerProps): void {
  const retries = props.retryAttempts ?? MAX_RETRY_ATTEMPTS;
  if (!Number.isInteger(retries) || retries < 0 || retries > MAX_RETRY_ATTEMPTS) {
    throw invalid(`retryAttempts must be 0, 1 or 2, not ${retries}`);
  }
  if (props.owner !== undefined && !OWNER_PATTERN.test(props.owner)) {
    throw invalid(
      `owner ${JSON.stringify(props.owner)} is not a Kubernetes label value (up to ` +
        '63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit)',
    );
  }
  const groups = props.kubernetesGroups ?? [DEFAULT_KUBERNETES_GROUP];
  const bad = groups.find((g) => !g || g.startsWith('system:'));
  if (!groups.length || bad !== undefined) {
    throw invalid(
      'kubernetesGroups must list at least one group, none empty and none ' +
        `starting with "system:" (EKS rejects those), not ${JSON.stringify(groups)}`,
    );
  }
}

function invalid(message: string): SettingsError {
  return new SettingsError(`PrsManager: ${message}`);
}
