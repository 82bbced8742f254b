import { describe, expect, it } from '@jest/globals';
import { App, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { loadSettings } from '../../lambda/config/settings.ts';
import { FUNCTION_NODE_OPTIONS } from '../../lambda/node-options.ts';
import { PrsManager, type PrsManagerProps } from '../../infra/prs-manager.ts';
import { cdkContext, ensureBundle, prsManagerStack } from './synth.ts';

const ACCOUNT = { Ref: 'AWS::AccountId' };
const PARTITION = { Ref: 'AWS::Partition' };
const REGION = { Ref: 'AWS::Region' };

const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function clusterArn(name: string) {
  const arn = ['arn:', PARTITION, ':eks:', REGION, ':', ACCOUNT, `:cluster/${name}`];

  return { 'Fn::Join': ['', arn] };
}

/** The app's stack with the given settings; `ref` resolves a token as the template has it. */
function setup(props: Parameters<typeof prsManagerStack>[0] = {}) {
  const stack = prsManagerStack(props);
  const template = Template.fromStack(stack);
  const ref = (value: unknown) => stack.resolve(value);
  const pm = stack.prsManager;

  return { stack, template, ref, pm };
}

/** Every statement of the policies attached to a role. */
function rolePolicy(template: Template, roleRef: unknown): unknown[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [roleRef] },
  });
  const documents = Object.values(policies).map(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument,
  );

  return documents.flatMap((d) => d.Statement);
}

/** The construct alone in a stack, for props the app does not expose. */
function constructTemplate(props: Partial<PrsManagerProps>): { template: Template } {
  ensureBundle();
  const stack = new Stack(new App({ context: cdkContext() }), 'Custom');
  new PrsManager(stack, 'PrsManager', { clusters: [{ name: 'dev' }], ...props });

  return { template: Template.fromStack(stack) };
}

describe('PrsManager function', () => {
  it('runs the bundle on nodejs24.x, ARM64, 256 MiB, 10 minutes, one run at a time', () => {
    const { template, ref, pm } = setup();

    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'handler.handler',
      MemorySize: 256,
      Timeout: 600,
      ReservedConcurrentExecutions: 1,
      Role: ref(pm.role.roleArn),
    });
  });

  it('sets the environment the handler reads, and nothing else', () => {
    const { template, ref, pm } = setup();

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectEquals({
          PRS_MANAGER_CONFIG_SECRET_ID: ref(pm.configSecret.secretArn),
          PRS_MANAGER_CLUSTERS: '[{"name":"dev"},{"name":"prod"}]',
          PRS_MANAGER_OWNER: 'prs-manager',
          PRS_MANAGER_RUN_INTERVAL_MINUTES: '60',
          NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
          POWERTOOLS_LOG_LEVEL: 'INFO',
          POWERTOOLS_SERVICE_NAME: 'prs-manager',
        }),
      },
    });
  });

  it("sets an environment the function's own settings loader reads back", () => {
    ensureBundle();
    const stack = new Stack(new App({ context: cdkContext() }), 'Custom');
    const role = iam.Role.fromRoleArn(stack, 'Remote', 'arn:aws:iam::210987654321:role/prs');
    new PrsManager(stack, 'PrsManager', {
      clusters: [
        { name: 'dev', chartNamespace: 'platform' },
        { name: 'shared', region: 'eu-west-1', role },
      ],
      owner: 'platform',
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(30)),
    });
    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const variables = (
      Object.values(functions)[0] as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      }
    ).Properties.Environment.Variables;

    const env = { ...variables, PRS_MANAGER_CONFIG_SECRET_ID: 'prs-manager/config' };
    const settings = loadSettings(env as Record<string, string>);

    expect(settings.clusters).toEqual([
      { name: 'dev', chartNamespace: 'platform' },
      { name: 'shared', region: 'eu-west-1', roleArn: 'arn:aws:iam::210987654321:role/prs' },
    ]);
    expect(settings.owner).toBe('platform');
    expect(settings.runIntervalMinutes).toBe(30);
    expect(settings.warnings).toEqual([]);
  });

  it('logs JSON to its own log group, kept for 90 days', () => {
    const { template, ref, pm } = setup();

    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: {
        LogFormat: 'JSON',
        ApplicationLogLevel: 'INFO',
        SystemLogLevel: 'INFO',
        LogGroup: ref(pm.function.logGroup.logGroupName),
      },
    });
  });

  it('retries a failed run twice at most, and drops an event older than one run interval', () => {
    const { template } = setup();

    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      Qualifier: '$LATEST',
    });
  });
});

describe('PrsManager schedule', () => {
  it('starts a full sync every hour on the hour with bounded retries', () => {
    const { template, ref, pm } = setup();

    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 * * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: ref(pm.function.functionArn),
        Input: '{"source":"aws.scheduler"}',
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        RoleArn: Match.anyValue(),
      },
    });
  });

  it('lets the scheduler role invoke this function only, for this account only', () => {
    const { template, ref, pm } = setup();
    const schedule = Object.values(template.findResources('AWS::Scheduler::Schedule'))[0] as {
      Properties: { Target: { RoleArn: { 'Fn::GetAtt': [string, string] } } };
    };
    const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];

    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
          },
        ],
      },
    });
    expect(rolePolicy(template, { Ref: roleId })).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: ref(pm.function.functionArn),
      },
    ]);
  });

  it.each([
    { name: 'a rate in minutes', schedule: 'rate(30 minutes)', minutes: undefined, interval: 30 },
    { name: 'a rate in hours', schedule: 'rate(2 hours)', minutes: undefined, interval: 120 },
    {
      name: 'a cron with its interval',
      schedule: 'cron(0 */6 * * ? *)',
      minutes: 360,
      interval: 360,
    },
  ])('runs on $name and tells the function the interval', ({ schedule, minutes, interval }) => {
    const { template } = setup({ schedule, ...(minutes ? { runIntervalMinutes: minutes } : {}) });

    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: schedule,
      Target: Match.objectLike({
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: interval * 60 },
      }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          PRS_MANAGER_RUN_INTERVAL_MINUTES: String(interval),
        }),
      },
    });
  });

  it('keeps a time zone given with the schedule', () => {
    const { template } = constructTemplate({
      schedule: scheduler.ScheduleExpression.cron({
        minute: '0',
        hour: '*/2',
        timeZone: TimeZone.EUROPE_BERLIN,
      }),
      runInterval: Duration.hours(2),
    });

    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 */2 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
  });
});

describe('PrsManager config secret', () => {
  it('creates an empty secret when none is named', () => {
    const { template } = setup();

    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      SecretString: Match.absent(),
      GenerateSecretString: Match.absent(),
    });
  });

  it('uses the named secret and reads it by name', () => {
    const { template } = setup({ configSecretName: 'prs-manager/config' });

    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          PRS_MANAGER_CONFIG_SECRET_ID: 'prs-manager/config',
        }),
      },
    });
    template.hasOutput('ConfigSecretId', { Value: 'prs-manager/config' });
  });
});

describe('PrsManager IAM', () => {
  it('grants the function exactly token minting, its secret, and its clusters', () => {
    const { template, ref, pm } = setup();

    expect(rolePolicy(template, ref(pm.role.roleName))).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: ref(pm.function.logGroup.logGroupArn),
      },
      {
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Effect: 'Allow',
        Resource: ref(pm.configSecret.secretArn),
      },
      { Action: 'ecr:GetAuthorizationToken', Effect: 'Allow', Resource: '*' },
      {
        Action: 'eks:DescribeCluster',
        Effect: 'Allow',
        Resource: [clusterArn('dev'), clusterArn('prod')],
      },
    ]);
  });

  it('lets only Lambda assume the function role, which has no managed policy', () => {
    const { template, ref, pm } = setup();
    const roleId = (ref(pm.role.roleArn) as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];

    expect(template.toJSON().Resources[roleId].Properties).toEqual({
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'lambda.amazonaws.com' },
          },
        ],
        Version: '2012-10-17',
      },
      Description: 'prs-manager sync function',
    });
  });

  it('reads a named secret only, and decrypts with its key through Secrets Manager only', () => {
    const { template, ref, pm } = setup({
      configSecretName: 'prs-manager/config',
      configSecretKeyArn: KEY_ARN,
    });
    const statements = rolePolicy(template, ref(pm.role.roleName));

    expect(statements).toContainEqual({
      Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
      Effect: 'Allow',
      Resource: {
        'Fn::Join': [
          '',
          [
            'arn:',
            PARTITION,
            ':secretsmanager:',
            REGION,
            ':',
            ACCOUNT,
            ':secret:prs-manager/config-??????',
          ],
        ],
      },
    });
    expect(statements).toContainEqual({
      Action: 'kms:Decrypt',
      Condition: {
        StringEquals: {
          'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', REGION, '.amazonaws.com']] },
        },
      },
      Effect: 'Allow',
      Resource: KEY_ARN,
    });
  });

  it('lets the function assume the listed roles only', () => {
    const roles = ['arn:aws:iam::123456789012:role/ecr-pull', 'arn:aws:iam::210987654321:role/ecr'];
    const { template, ref, pm } = setup({ assumeRoleArns: roles });

    expect(rolePolicy(template, ref(pm.role.roleName))).toContainEqual({
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Resource: roles,
    });
  });

  it('lets the function pull from the listed repositories only', () => {
    const repository = 'arn:aws:ecr:eu-west-1:123456789012:repository/team/app';
    const { template, ref, pm } = setup({ pullRepositoryArns: [repository] });

    expect(rolePolicy(template, ref(pm.role.roleName))).toContainEqual({
      Action: [
        'ecr:BatchCheckLayerAvailability',
        'ecr:BatchGetImage',
        'ecr:GetDownloadUrlForLayer',
      ],
      Effect: 'Allow',
      Resource: repository,
    });
  });

  it.each([
    { name: 'the defaults', props: {} },
    {
      name: 'every option',
      props: {
        configSecretName: 'prs-manager/config',
        configSecretKeyArn: KEY_ARN,
        assumeRoleArns: ['arn:aws:iam::123456789012:role/ecr-pull'],
        pullRepositoryArns: ['arn:aws:ecr:eu-west-1:123456789012:repository/app'],
        alarmEmail: 'ops@example.com',
      },
    },
  ])(
    'grants "*" to ecr:GetAuthorizationToken alone, and no wildcard action, with $name',
    ({ props }) => {
      const { template } = setup(props);
      const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties
            .PolicyDocument.Statement,
      );
      const actions = statements.flatMap((s) => [s.Action].flat());
      const onEverything = statements.filter((s) => [s.Resource].flat().includes('*'));

      expect(actions.filter((a) => a.includes('*'))).toEqual([]);
      expect(onEverything.flatMap((s) => [s.Action].flat())).toEqual(['ecr:GetAuthorizationToken']);
      template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    },
  );
});

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
}

describe('PrsManager cluster access', () => {
  it("maps the function role to the chart's group in each cluster, with no access policy", () => {
    const { template, ref, pm } = setup();

    template.resourceCountIs('AWS::EKS::AccessEntry', 2);
    for (const name of ['dev', 'prod']) {
      template.hasResourceProperties(
        'AWS::EKS::AccessEntry',
        Match.objectEquals({
          ClusterName: name,
          PrincipalArn: ref(pm.role.roleArn),
          KubernetesGroups: ['prs-manager'],
          Type: 'STANDARD',
        }),
      );
    }
  });

  it('maps the role to the group the kubernetesGroup setting names', () => {
    const { template } = setup({ kubernetesGroup: 'image-pull-writers' });

    template.allResourcesProperties('AWS::EKS::AccessEntry', {
      KubernetesGroups: ['image-pull-writers'],
    });
  });

  it('creates no access entry for clusters that use the aws-auth ConfigMap', () => {
    const { template } = setup({ accessEntries: false });

    template.resourceCountIs('AWS::EKS::AccessEntry', 0);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'eks:DescribeCluster',
            Effect: 'Allow',
            Resource: [clusterArn('dev'), clusterArn('prod')],
          },
        ]),
      },
    });
  });

  it('reaches a cluster through its role: assumes it, and neither describes nor maps it', () => {
    ensureBundle();
    const stack = new Stack(new App({ context: cdkContext() }), 'Custom');
    const remoteRole = 'arn:aws:iam::210987654321:role/prs-manager';
    const role = iam.Role.fromRoleArn(stack, 'Remote', remoteRole);
    const pm = new PrsManager(stack, 'PrsManager', {
      clusters: [{ name: 'dev' }, { name: 'shared', region: 'eu-west-1', role }],
    });
    const template = Template.fromStack(stack);
    const statements = rolePolicy(template, stack.resolve(pm.role.roleName));

    template.resourceCountIs('AWS::EKS::AccessEntry', 1);
    template.hasResourceProperties('AWS::EKS::AccessEntry', { ClusterName: 'dev' });
    expect(statements).toContainEqual({
      Action: 'eks:DescribeCluster',
      Effect: 'Allow',
      Resource: clusterArn('dev'),
    });
    expect(statements).toContainEqual({
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Resource: remoteRole,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          PRS_MANAGER_CLUSTERS:
            '[{"name":"dev"},{"name":"shared","region":"eu-west-1",' +
            '"roleArn":"arn:aws:iam::210987654321:role/prs-manager"}]',
        }),
      },
    });
  });

  it('describes a cluster of another region in that region, and maps it nowhere', () => {
    const { template } = constructTemplate({ clusters: [{ name: 'west', region: 'eu-west-1' }] });

    template.resourceCountIs('AWS::EKS::AccessEntry', 0);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'eks:DescribeCluster',
            Effect: 'Allow',
            Resource: {
              'Fn::Join': ['', ['arn:', PARTITION, ':eks:eu-west-1:', ACCOUNT, ':cluster/west']],
            },
          },
        ]),
      },
    });
  });
});

describe('PrsManager alarm and outputs', () => {
  it('alarms on the first failed run of a period, without an action by default', () => {
    const { template, ref, pm } = setup();

    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.hasResourceProperties(
      'AWS::CloudWatch::Alarm',
      Match.objectEquals({
        AlarmDescription: 'prs-manager: a sync run failed; its log names each failed Secret',
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: ref(pm.function.functionName) }],
        Statistic: 'Sum',
        Period: 3600,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      }),
    );
  });

  it('emails the alarm and its recovery through a topic that requires TLS', () => {
    const { template } = setup({ alarmEmail: 'ops@example.com' });
    const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0];

    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topicId },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: topicId }],
      OKActions: [{ Ref: topicId }],
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: 'sns:Publish',
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ],
      },
    });
  });

  it('outputs the function name, the config secret id and the role ARN', () => {
    const { template, ref, pm } = setup();

    expect(template.toJSON().Outputs).toEqual({
      FunctionName: { Value: ref(pm.function.functionName) },
      ConfigSecretId: { Value: ref(pm.configSecret.secretArn) },
      RoleArn: { Value: ref(pm.role.roleArn) },
    });
  });
});

describe('PrsManager props', () => {
  it.each([
    {
      name: 'no cluster',
      props: { clusters: [] },
      error: 'PrsManager: clusters must name at least one cluster',
    },
    {
      name: 'a bad cluster name',
      props: { clusters: [{ name: 'dev' }, { name: 'prod!' }] },
      error:
        'PrsManager: clusters[1].name "prod!" is not an EKS cluster name (up to 100 ' +
        'letters, digits, "-" and "_", starting with a letter or digit)',
    },
    {
      name: 'a bad chart namespace',
      props: { clusters: [{ name: 'dev', chartNamespace: 'Apps' }] },
      error:
        'PrsManager: clusters[0].chartNamespace "Apps" is not a namespace name (up to 63 ' +
        'lowercase letters, digits and "-")',
    },
    {
      name: 'a cluster twice',
      props: { clusters: [{ name: 'dev' }, { name: 'dev' }] },
      error: 'PrsManager: clusters lists "dev" twice',
    },
    {
      name: 'an access entry in another region',
      props: { clusters: [{ name: 'west', region: 'eu-west-1', accessEntry: true }] },
      error:
        'PrsManager: clusters[0].accessEntry cannot be true for a cluster with region or ' +
        'role: create its access entry in that region or account',
    },
    {
      name: 'three retries',
      props: { retryAttempts: 3 },
      error: 'PrsManager: retryAttempts must be 0, 1 or 2, not 3',
    },
    {
      name: 'a bad owner',
      props: { owner: '-team' },
      error:
        'PrsManager: owner "-team" is not a Kubernetes label value (up to 63 letters, ' +
        'digits, "-", "_" and ".", starting and ending with a letter or digit)',
    },
    {
      name: 'a system: group',
      props: { kubernetesGroups: ['system:masters'] },
      error:
        'PrsManager: kubernetesGroups must list at least one group, none empty and none ' +
        'starting with "system:" (EKS rejects those), not ["system:masters"]',
    },
    {
      name: 'a cron without its interval',
      props: { schedule: scheduler.ScheduleExpression.expression('cron(0 */6 * * ? *)') },
      error:
        'PrsManager: runInterval is required when schedule is not a rate(...) expression: ' +
        'set it to the longest time between two runs',
    },
    {
      name: 'an interval as long as a token',
      props: { runInterval: Duration.hours(12) },
      error:
        'PrsManager: runInterval must be a whole number of minutes from 1 to 714 ' +
        '(ECR tokens live 12 hours), not 720',
    },
    {
      name: 'a daily rate',
      props: { schedule: scheduler.ScheduleExpression.rate(Duration.days(1)) },
      error:
        'PrsManager: runInterval must be a whole number of minutes from 1 to 714 ' +
        '(ECR tokens live 12 hours), not 1440',
    },
  ])('fails at synth on $name, naming the prop', ({ props, error }) => {
    expect(() => constructTemplate(props as Partial<PrsManagerProps>)).toThrow(error);
  });

  it('sets owner, log level, memory and timeout as given', () => {
    const { template } = constructTemplate({
      owner: 'platform',
      logLevel: 'DEBUG',
      memorySizeMiB: 512,
      timeout: Duration.minutes(15),
    });

    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      Timeout: 900,
      LoggingConfig: Match.objectLike({ ApplicationLogLevel: 'DEBUG' }),
      Environment: {
        Variables: Match.objectLike({
          PRS_MANAGER_OWNER: 'platform',
          POWERTOOLS_LOG_LEVEL: 'DEBUG',
        }),
      },
    });
  });
});
