import { z } from 'zod';
import { registryProblem } from '../registries/docker-config.ts';
import { labelProblem, subdomainProblem } from './names.ts';

/**
 * The configuration document, in the original design's field names
 * (snake_case), so that existing documents load unchanged. Unknown fields
 * are ignored. Error messages name the rule; values appear only for names
 * and namespaces, never for credentials.
 */

const ALL_NAMESPACES = '*';
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ACCOUNT_ID = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

const secretName = z.string({ error: 'required, a string' }).superRefine((value, ctx) => {
  const problem = subdomainProblem(value);
  if (problem) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(value)} is not a valid Secret name: ${problem}`,
    });
  }
});

const namespaceName = z.string({ error: 'must be a string' }).superRefine((value, ctx) => {
  if (value === ALL_NAMESPACES) return;
  const problem = labelProblem(value);
  if (problem) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(value)} is not a valid namespace name: ${problem}`,
    });
  }
});

/** Text that can be written: a lone UTF-16 surrogate cannot be encoded as UTF-8. */
const wellFormed = (value: string) => value.isWellFormed();
const UNICODE = { error: 'must be valid Unicode text' };

const nonEmpty = z
  .string({ error: 'required, a non-empty string (quote numbers: 0123 would load as 123)' })
  .min(1, { error: 'required, must not be empty' })
  .refine(wellFormed, UNICODE);

const optionalText = z.string({ error: 'must be a string' }).refine(wellFormed, UNICODE).optional();

const CREDENTIAL = { error: 'required, an object with the registry credentials' };

const ecrCredential = z
  .object(
    {
      aws_ecr_repository_region: z
        .string({ error: 'required, an AWS region such as us-east-1' })
        .regex(REGION, { error: 'must be an AWS region such as us-east-1' }),
      registry_ids: z
        .array(
          z
            .string({ error: 'must be a 12-digit account id in quotes' })
            .regex(ACCOUNT_ID, { error: 'must be a 12-digit account id' }),
          { error: 'must be a list of 12-digit account ids' },
        )
        .min(1, { error: 'must not be empty; omit it to use the account of the credentials' })
        .optional(),
      role_arn: z
        .string({ error: 'must be a string' })
        .regex(ROLE_ARN, {
          error: 'must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)',
        })
        .optional(),
      aws_access_key_id: optionalText,
      aws_secret_access_key: optionalText,
      aws_session_token: optionalText,
    },
    CREDENTIAL,
  )
  .superRefine((value, ctx) => {
    const { aws_access_key_id: id, aws_secret_access_key: key } = value;
    if (Boolean(id) === Boolean(key)) return;
    ctx.addIssue({
      code: 'custom',
      path: [id ? 'aws_secret_access_key' : 'aws_access_key_id'],
      message: 'aws_access_key_id and aws_secret_access_key go together: set both or neither',
    });
  });

const dockerRegistry = z.string({ error: 'must be a string' }).superRefine((value, ctx) => {
  const problem = value.trim()
    ? registryProblem(value)
    : 'must not be blank; omit it for Docker Hub';
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const dockerCredential = z.object(
  {
    docker_registry: dockerRegistry.optional(),
    docker_user: nonEmpty.refine((v) => !v.includes(':'), {
      error: 'must not contain ":" (the registry splits user and password at the first colon)',
    }),
    docker_password: nonEmpty,
    docker_email: optionalText,
  },
  CREDENTIAL,
);

const entryBase = {
  name: secretName,
  kubernetes_namespace: namespaceName.optional(),
  namespaces: z
    .array(namespaceName, { error: 'must be a list of namespace names, or ["*"]' })
    .min(1, { error: 'must not be empty' })
    .optional(),
};

/** One entry of `secrets`: a Secret to keep in one or more namespaces. */
export const entrySchema = z
  .discriminatedUnion(
    'type',
    [
      z.object({ ...entryBase, type: z.literal('ECR'), credential: ecrCredential }),
      z.object({ ...entryBase, type: z.literal('DOCKER'), credential: dockerCredential }),
    ],
    { error: 'required, "ECR" or "DOCKER" (upper case)' },
  )
  .superRefine((value, ctx) => {
    const { kubernetes_namespace: one, namespaces: many } = value;
    if (one === undefined && many === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['kubernetes_namespace'],
        message: 'required: set kubernetes_namespace or namespaces (["*"] for all namespaces)',
      });
    }
    const all = [...(many ?? []), ...(one === undefined ? [] : [one])];
    if (all.includes(ALL_NAMESPACES) && new Set(all).size > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['namespaces'],
        message: '"*" means all namespaces and cannot be combined with names',
      });
    }
  });

/** A raw entry as the document has it. */
export type RawEntry = z.infer<typeof entrySchema>;

export { ALL_NAMESPACES };
