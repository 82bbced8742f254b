import { readFile } from 'node:fs/promises';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AwsCallError, ConfigError, SourceNotFoundError, redact } from '../errors.ts';

/** Where the configuration document comes from. */
export interface ConfigSource {
  /** For reports and messages: never the document itself. */
  readonly description: string;
  read(): Promise<string>;
}

/** A Secrets Manager secret whose string value is the document (JSON or YAML). */
export function secretsManagerSource(client: SecretsManagerClient, secretId: string): ConfigSource {
  const description = `secretsmanager:${secretId}`;

  return {
    description,
    read: async () => {
      try {
        const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
        if (answer.SecretString !== undefined) return answer.SecretString;
        if (answer.SecretBinary) return Buffer.from(answer.SecretBinary).toString('utf8');
        throw new ConfigError(`${description}: the secret has no value`);
      } catch (error) {
        if (error instanceof ConfigError) throw error;
        const name = error instanceof Error ? error.name : 'UnknownError';
        const cause = new AwsCallError(
          'secretsmanager:GetSecretValue',
          name,
          redact(error instanceof Error ? error.message : ''),
        );
        // A missing secret is its own outcome: the id in the environment is wrong.
        if (name === 'ResourceNotFoundException')
          throw new SourceNotFoundError(description, { cause });
        throw new ConfigError(`${description}: ${cause.message}`, [], { cause });
      }
    },
  };
}

/** A local file (the CLI). */
export function fileSource(path: string): ConfigSource {
  return {
    description: `file:${path}`,
    read: async () => {
      try {
        return await readFile(path, 'utf8');
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === 'ENOENT') throw new SourceNotFoundError(`file:${path}`);
        throw new ConfigError(`file:${path}: cannot be read (${String(code)})`);
      }
    },
  };
}
