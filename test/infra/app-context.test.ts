import { describe, expect, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { readAppSettings } from '../../infra/app-context.ts';

const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function read(context: Record<string, unknown>) {
  return readAppSettings(new App({ context }).node);
}

describe('readAppSettings', () => {
  it('reads the clusters alone as a complete install', () => {
    expect(read({ clusters: 'dev,prod' })).toEqual({ clusters: ['dev', 'prod'] });
  });

  it.each([
    { name: 'a comma list with spaces', clusters: ' dev , prod ,', expected: ['dev', 'prod'] },
    { name: 'a JSON list from cdk.json', clusters: ['dev', 'prod'], expected: ['dev', 'prod'] },
    { name: 'one name', clusters: 'dev', expected: ['dev'] },
  ])('reads clusters from $name', ({ clusters, expected }) => {
    expect(read({ clusters }).clusters).toEqual(expected);
  });

  it('reads every setting from command-line strings', () => {
    const settings = read({
      clusters: 'dev',
      configSecretName: 'prs-manager/config',
      configSecretKeyArn: KEY_ARN,
      schedule: 'cron(0 */2 * * ? *)',
      runIntervalMinutes: '120',
      assumeRoleArns: 'arn:aws:iam::123456789012:role/a,arn:aws:iam::123456789012:role/path/b',
      pullRepositoryArns: 'arn:aws:ecr:eu-west-1:123456789012:repository/team/app',
      kubernetesGroup: 'image-pull-writers',
      accessEntries: 'false',
      owner: 'platform',
      alarmEmail: 'ops@example.com',
    });

    expect(settings).toEqual({
      clusters: ['dev'],
      configSecretName: 'prs-manager/config',
      configSecretKeyArn: KEY_ARN,
      schedule: 'cron(0 */2 * * ? *)',
      runIntervalMinutes: 120,
      assumeRoleArns: ['arn:aws:iam::123456789012:role/a', 'arn:aws:iam::123456789012:role/path/b'],
      pullRepositoryArns: ['arn:aws:ecr:eu-west-1:123456789012:repository/team/app'],
      kubernetesGroup: 'image-pull-writers',
      accessEntries: false,
      owner: 'platform',
      alarmEmail: 'ops@example.com',
    });
  });

  it('reads numbers and booleans typed in cdk.json', () => {
    const settings = read({ clusters: ['dev'], runIntervalMinutes: 30, accessEntries: true });

    expect(settings).toEqual({ clusters: ['dev'], runIntervalMinutes: 30, accessEntries: true });
  });

  it.each([
    {
      name: 'no clusters',
      context: {},
      error:
        'context clusters: required: the EKS cluster names, comma-separated ' +
        '(npx cdk deploy -c clusters=dev,prod)',
    },
    {
      name: 'empty clusters',
      context: { clusters: ' , ' },
      error:
        'context clusters: required: the EKS cluster names, comma-separated ' +
        '(npx cdk deploy -c clusters=dev,prod)',
    },
    {
      name: 'clusters as a number',
      context: { clusters: 3 },
      error: 'context clusters: must be a comma-separated string or a list of strings',
    },
    {
      name: 'a role that is not an ARN',
      context: { clusters: 'dev', assumeRoleArns: 'ecr-pull' },
      error: 'context assumeRoleArns: "ecr-pull" is not one of IAM role ARNs',
    },
    {
      name: 'a repository name',
      context: { clusters: 'dev', pullRepositoryArns: 'team/app' },
      error: 'context pullRepositoryArns: "team/app" is not one of ECR repository ARNs',
    },
    {
      name: 'a key alias',
      context: { clusters: 'dev', configSecretKeyArn: 'alias/prs' },
      error: 'context configSecretKeyArn: "alias/prs" is not a KMS key ARN',
    },
    {
      name: 'a Unix crontab',
      context: { clusters: 'dev', schedule: '0 * * * *' },
      error: 'context schedule: "0 * * * *" is not a rate(...) or cron(...) expression',
    },
    {
      name: 'a cron without its interval',
      context: { clusters: 'dev', schedule: 'cron(0 1 * * ? *)' },
      error:
        'context runIntervalMinutes: required with a cron(...) schedule: the longest time ' +
        'between two of its runs, in minutes',
    },
    {
      name: 'a fractional interval',
      context: { clusters: 'dev', runIntervalMinutes: '7.5' },
      error: 'context runIntervalMinutes: must be a whole number of minutes, not "7.5"',
    },
    {
      name: 'a yes',
      context: { clusters: 'dev', accessEntries: 'yes' },
      error: 'context accessEntries: must be true or false, not "yes"',
    },
    {
      name: 'a bad email',
      context: { clusters: 'dev', alarmEmail: 'ops' },
      error: 'context alarmEmail: "ops" is not an email address',
    },
  ])('fails on $name, naming the context key', ({ context, error }) => {
    expect(() => read(context)).toThrow(error);
  });
});
