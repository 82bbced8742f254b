import { describe, expect, it } from '@jest/globals';
import { fitMargin, loadSettings } from '../../lambda/config/settings.ts';
import { ConfigError } from '../../lambda/errors.ts';

const BASE = { PRS_MANAGER_CONFIG_SECRET_ID: 'prs-manager/config' };

describe('loadSettings', () => {
  it('gives every setting a finite default', () => {
    expect(loadSettings(BASE)).toEqual({
      configSecretId: 'prs-manager/config',
      clusters: [],
      owner: 'prs-manager',
      refreshMargin: 0.5,
      runIntervalMinutes: 60,
      concurrency: 8,
      clusterConcurrency: 4,
      writesPerSecond: 20,
      requestTimeoutMs: 10000,
      pageSize: 500,
      awsMaxAttempts: 3,
      warnings: [],
    });
  });

  it.each([
    {
      name: 'no config secret',
      env: {},
      message:
        'bad setting: PRS_MANAGER_CONFIG_SECRET_ID: required: the configuration secret id or ARN',
    },
    {
      name: 'a margin of 1',
      env: { ...BASE, PRS_MANAGER_REFRESH_MARGIN: '1' },
      message: 'bad setting: PRS_MANAGER_REFRESH_MARGIN: Too big: expected number to be <1',
    },
    {
      name: 'a zero concurrency',
      env: { ...BASE, PRS_MANAGER_CONCURRENCY: '0' },
      message: 'bad setting: PRS_MANAGER_CONCURRENCY: Too small: expected number to be >0',
    },
    {
      name: 'clusters that are not JSON',
      env: { ...BASE, PRS_MANAGER_CLUSTERS: 'dev' },
      message: 'PRS_MANAGER_CLUSTERS: must be a JSON list of cluster targets',
    },
    {
      name: 'a cluster without a name',
      env: { ...BASE, PRS_MANAGER_CLUSTERS: '[{"kubeconfigSecretId": "k"}]' },
      message:
        'PRS_MANAGER_CLUSTERS[0]: must be {"name", "region"?, "roleArn"?} (EKS) or {"name", "kubeconfigSecretId", "context"?}',
    },
    {
      name: 'a cluster named twice',
      env: {
        ...BASE,
        PRS_MANAGER_CLUSTERS:
          '[{"name": "a", "kubeconfigSecretId": "k"}, {"name": "a", "kubeconfigSecretId": "l"}]',
      },
      message: 'PRS_MANAGER_CLUSTERS: cluster name "a" is used twice',
    },
  ])('throws naming the variable for $name', ({ env, message }) => {
    expect(() => loadSettings(env)).toThrow(new ConfigError(message));
  });
});

describe('fitMargin', () => {
  it('keeps a margin larger than the run interval', () => {
    expect(fitMargin(0.5, 60)).toEqual({ margin: 0.5, warnings: [] });
  });

  it('raises a margin that does not exceed the run interval, with a warning', () => {
    expect(fitMargin(0.05, 60)).toEqual({
      margin: 65 / 720,
      warnings: [
        'PRS_MANAGER_REFRESH_MARGIN raised from 0.05 to 0.090: it must exceed the run interval of 60 min',
      ],
    });
  });

  it('throws when runs are too rare to keep any token valid', () => {
    expect(() => fitMargin(0.5, 720)).toThrow('PRS_MANAGER_RUN_INTERVAL_MINUTES: 720 is too long');
  });
});
