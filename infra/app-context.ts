import type { Node } from 'constructs';
import type { PrsManagerStackProps } from './prs-manager-stack.ts';
import { SettingsError } from './settings-error.ts';

/** The app's settings: every key of `PrsManagerStackProps` but those of `StackProps`. */
export type AppSettings = Pick<
  PrsManagerStackProps,
  | 'clusters'
  | 'configSecretName'
  | 'configSecretKeyArn'
  | 'schedule'
  | 'runIntervalMinutes'
  | 'assumeRoleArns'
  | 'pullRepositoryArns'
  | 'kubernetesGroup'
  | 'accessEntries'
  | 'owner'
  | 'alarmEmail'
>;

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const REPOSITORY_ARN = /^arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository\/[a-z0-9._/-]+$/;
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/;
const SCHEDULE = /^(rate|cron)\(.+\)$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * Reads the app's settings from context values: `-c key=value` on the
 * command line (always strings) or `context` in `cdk.json` (any JSON).
 *
 * @throws SettingsError naming the context key and what it must be.
 */
export function readAppSettings(node: Node): AppSettings {
  const clusters = list(node, 'clusters');
  if (!clusters.length) {
    throw invalid(
      'clusters',
      'required: the EKS cluster names, comma-separated ' + '(npx cdk deploy -c clusters=dev,prod)',
    );
  }
  const schedule = text(node, 'schedule', SCHEDULE, 'a rate(...) or cron(...) expression');
  const runIntervalMinutes = integer(node, 'runIntervalMinutes');
  if (schedule?.startsWith('cron(') && runIntervalMinutes === undefined) {
    throw invalid(
      'runIntervalMinutes',
      'required with a cron(...) schedule: ' +
        'the longest time between two of its runs, in minutes',
    );
  }
  const accessEntries = boolean(node, 'accessEntries');

  return {
    clusters,
    ...optional('configSecretName', text(node, 'configSecretName')),
    ...optional('configSecretKeyArn', text(node, 'configSecretKeyArn', KEY_ARN, 'a KMS key ARN')),
    ...optional('schedule', schedule),
    ...optional('runIntervalMinutes', runIntervalMinutes),
    ...optional(
      'assumeRoleArns',
      nonEmpty(list(node, 'assumeRoleArns', ROLE_ARN, 'IAM role ARNs')),
    ),
    ...optional(
      'pullRepositoryArns',
      nonEmpty(list(node, 'pullRepositoryArns', REPOSITORY_ARN, 'ECR repository ARNs')),
    ),
    ...optional('kubernetesGroup', text(node, 'kubernetesGroup')),
    ...optional('accessEntries', accessEntries),
    ...optional('owner', text(node, 'owner')),
    ...optional('alarmEmail', text(node, 'alarmEmail', EMAIL, 'an email address')),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: V };
}

function nonEmpty<T>(items: readonly T[]): readonly T[] | undefined {
  return items.length ? items : undefined;
}

/** A comma-separated string, or a JSON list of strings (in `cdk.json`). */
function list(node: Node, key: string, pattern?: RegExp, what?: string): string[] {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === '') return [];
  const items =
    typeof raw === 'string'
      ? raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : raw;
  if (!Array.isArray(items) || !items.every((item): item is string => typeof item === 'string')) {
    throw invalid(key, 'must be a comma-separated string or a list of strings');
  }
  const bad = pattern ? items.find((item) => !pattern.test(item)) : undefined;
  if (bad !== undefined) throw invalid(key, `${JSON.stringify(bad)} is not one of ${what}`);

  return items;
}

function text(node: Node, key: string, pattern?: RegExp, what?: string): string | undefined {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw invalid(key, 'must be a string');
  if (pattern && !pattern.test(raw)) {
    throw invalid(key, `${JSON.stringify(raw)} is not ${what}`);
  }

  return raw;
}

function integer(node: Node, key: string): number | undefined {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === '') return undefined;
  const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalid(key, `must be a whole number of minutes, not ${JSON.stringify(raw)}`);
  }

  return value;
}

function boolean(node: Node, key: string): boolean | undefined {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === '') return undefined;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw invalid(key, `must be true or false, not ${JSON.stringify(raw)}`);
}

function invalid(key: string, rule: string): SettingsError {
  return new SettingsError(`context ${key}: ${rule}`);
}
