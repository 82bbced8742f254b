import { describe, expect, it } from '@jest/globals';
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { prsManagerStack } from './synth.ts';

const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const EVERY_OPTION = {
  configSecretName: 'prs-manager/config',
  configSecretKeyArn: KEY_ARN,
  schedule: 'cron(0 */2 * * ? *)',
  runIntervalMinutes: 120,
  assumeRoleArns: ['arn:aws:iam::123456789012:role/ecr-pull'],
  pullRepositoryArns: ['arn:aws:ecr:eu-west-1:123456789012:repository/app'],
  kubernetesGroup: 'image-pull-writers',
  owner: 'platform',
  alarmEmail: 'ops@example.com',
};

/** Rule ids the AWS Solutions pack reports, errors and warnings alike. */
function findings(scope: IConstruct): string[] {
  return new AwsSolutionsChecks().validateScope(scope).violations.map((v) => v.ruleName);
}

/** Every acknowledgement in the tree: where, which rule, and why. */
function acknowledgements(scope: IConstruct): { path: string; id: string; reason: string }[] {
  return scope.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason })),
  );
}

describe('AWS Solutions checks (cdk-nag)', () => {
  it.each([
    { name: 'the defaults', props: {} },
    { name: 'every option', props: EVERY_OPTION },
    { name: 'aws-auth clusters', props: { accessEntries: false } },
  ])('find nothing unacknowledged with $name', ({ props }) => {
    const stack = prsManagerStack(props);

    expect(findings(stack)).toEqual([]);
  });

  it("acknowledges the token's wildcard and the created secret's rotation, with reasons", () => {
    const stack = prsManagerStack(EVERY_OPTION);

    expect(acknowledgements(stack)).toEqual([
      {
        path: 'PrsManager/PrsManager/Role',
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: expect.stringContaining('ecr:GetAuthorizationToken supports no resource-level'),
      },
    ]);
    expect(acknowledgements(prsManagerStack())).toEqual([
      {
        path: 'PrsManager/PrsManager/ConfigSecret',
        id: 'AwsSolutions-SMG4',
        reason: expect.stringContaining('no rotation function'),
      },
      {
        path: 'PrsManager/PrsManager/Role',
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: expect.stringContaining('ecr:GetAuthorizationToken supports no resource-level'),
      },
    ]);
  });

  it('reports a wildcard action added to the function role (the checks are live)', () => {
    const stack = prsManagerStack();
    stack.prsManager.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecr:*'],
        resources: ['arn:aws:ecr:eu-west-1:123456789012:repository/app'],
      }),
    );

    expect(findings(stack)).toEqual(['AwsSolutions-IAM5[Action::ecr:*]']);
  });
});
