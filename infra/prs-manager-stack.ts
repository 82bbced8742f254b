import { ArnFormat, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { PrsManager } from './prs-manager.ts';

/** The app's settings, as names and ARNs (the context values of `cdk.json`). */
export interface PrsManagerStackProps extends StackProps {
  /** Names of the EKS clusters in the stack's account and region. */
  readonly clusters: readonly string[];

  /**
   * Name of an existing Secrets Manager secret holding the configuration.
   *
   * @default - an empty secret is created
   */
  readonly configSecretName?: string;

  /**
   * ARN of the customer managed KMS key of `configSecretName`.
   *
   * @default - the secret uses the AWS managed key `aws/secretsmanager`
   */
  readonly configSecretKeyArn?: string;

  /**
   * A Scheduler expression: `rate(...)`, `cron(...)` (UTC).
   *
   * @default - every hour on the hour
   */
  readonly schedule?: string;

  /**
   * The longest time between two runs of `schedule`, in minutes.
   *
   * @default - derived from a `rate(...)` schedule; required with `cron(...)`
   */
  readonly runIntervalMinutes?: number;

  /**
   * ARNs of the roles the function may assume (ECR entries' `role_arn`).
   *
   * @default - none
   */
  readonly assumeRoleArns?: readonly string[];

  /**
   * ARNs of the ECR repositories the function's own role may pull from.
   *
   * @default - none
   */
  readonly pullRepositoryArns?: readonly string[];

  /**
   * The Kubernetes group the function's role is mapped to.
   *
   * @default 'prs-manager'
   */
  readonly kubernetesGroup?: string;

  /**
   * Whether to create an EKS access entry in each cluster; false for clusters
   * that use only the `aws-auth` ConfigMap.
   *
   * @default true
   */
  readonly accessEntries?: boolean;

  /**
   * The ownership label value of this installation.
   *
   * @default 'prs-manager'
   */
  readonly owner?: string;

  /**
   * An email address told when a run fails and when runs succeed again.
   *
   * @default - no notification
   */
  readonly alarmEmail?: string;
}

/** prs-manager's own stack: the construct, wired to the app's settings. */
export class PrsManagerStack extends Stack {
  /** The construct, for tests and for apps that add to it. */
  readonly prsManager: PrsManager;

  constructor(scope: Construct, id: string, props: PrsManagerStackProps) {
    super(scope, id, props);

    // Notifications of failed runs, when an email address is given.
    const alarmTopic = props.alarmEmail ? this.alarmTopic(props.alarmEmail) : undefined;

    // The function, its schedule, secret, IAM, access entries and alarm.
    this.prsManager = new PrsManager(this, 'PrsManager', {
      clusters: props.clusters.map((name) => ({
        name,
        ...(props.accessEntries === false ? { accessEntry: false } : {}),
      })),
      ...this.configSecret(props),
      ...scheduleProps(props),
      assumeRoles: (props.assumeRoleArns ?? []).map((arn, i) =>
        iam.Role.fromRoleArn(this, `AssumeRole${i}`, arn, { mutable: false }),
      ),
      pullRepositories: (props.pullRepositoryArns ?? []).map((arn, i) =>
        ecr.Repository.fromRepositoryArn(this, `PullRepository${i}`, arn),
      ),
      ...(props.kubernetesGroup ? { kubernetesGroups: [props.kubernetesGroup] } : {}),
      ...(props.owner ? { owner: props.owner } : {}),
      ...(alarmTopic ? { alarmTopic } : {}),
    });

    // What a user needs next: fill the secret, invoke the function, map the role.
    new CfnOutput(this, 'FunctionName', { value: this.prsManager.function.functionName });
    new CfnOutput(this, 'ConfigSecretId', { value: this.prsManager.configSecretId });
    new CfnOutput(this, 'RoleArn', { value: this.prsManager.role.roleArn });
  }

  private configSecret(props: PrsManagerStackProps): { configSecret?: secretsmanager.ISecret } {
    if (!props.configSecretName) return {};
    const encryptionKey = props.configSecretKeyArn
      ? kms.Key.fromKeyArn(this, 'ConfigSecretKey', props.configSecretKeyArn)
      : undefined;
    const secretPartialArn = this.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: props.configSecretName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    return {
      configSecret: secretsmanager.Secret.fromSecretAttributes(this, 'ConfigSecret', {
        secretPartialArn,
        ...(encryptionKey ? { encryptionKey } : {}),
      }),
    };
  }

  private alarmTopic(email: string): sns.Topic {
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'prs-manager alarms',
      enforceSSL: true,
    });
    topic.addSubscription(new subscriptions.EmailSubscription(email));

    return topic;
  }
}

function scheduleProps(props: PrsManagerStackProps): {
  schedule?: scheduler.ScheduleExpression;
  runInterval?: Duration;
} {
  const { schedule, runIntervalMinutes } = props;

  return {
    ...(schedule ? { schedule: scheduler.ScheduleExpression.expression(schedule) } : {}),
    ...(runIntervalMinutes ? { runInterval: Duration.minutes(runIntervalMinutes) } : {}),
  };
}
