import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One case of test/fixtures/cases.json (a copy of shared/cases/cases.json). */
export interface Case {
  readonly id: string;
  readonly title: string;
  readonly kind: 'output' | 'behaviour';
  readonly config: unknown[];
  readonly clusterState: Manifest[];
  readonly awsState: Record<string, unknown>;
  readonly steps?: string[];
  readonly expected: unknown;
}

export interface ExpectedSecret {
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  readonly dockerconfigjson: unknown;
  readonly dockerconfigjsonBase64: string;
}

export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
  readonly [key: string]: unknown;
}

export const CASES_FILE = fileURLToPath(new URL('../fixtures/cases.json', import.meta.url));

/** Loads the cases with `$repeat` blocks expanded. */
export function loadCases(): Map<string, Case> {
  const raw = JSON.parse(readFileSync(CASES_FILE, 'utf8')) as Case[];

  return new Map(raw.map((c) => [c.id, expand(c) as Case]));
}

export function getCase(id: string): Case {
  const found = loadCases().get(id);
  if (!found) throw new Error(`case ${id} is not in ${CASES_FILE}`);

  return found;
}

/** The expected Secrets of an output case. */
export function expectedSecrets(c: Case): ExpectedSecret[] {
  return (c.expected as { secrets: ExpectedSecret[] }).secrets;
}

function expand(value: unknown): unknown {
  if (Array.isArray(value)) return value.flatMap((item) => repeat(item) ?? [expand(item)]);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v)]));
  }

  return value;
}

function repeat(item: unknown): unknown[] | undefined {
  if (typeof item !== 'object' || item === null || !('$repeat' in item)) return undefined;
  const { $repeat: r, template } = item as {
    $repeat: { from: number; to: number; pad: number };
    template: unknown;
  };
  const out: unknown[] = [];
  for (let n = r.from; n <= r.to; n += 1) {
    const text = JSON.stringify(template).replaceAll('{n}', String(n).padStart(r.pad, '0'));
    out.push(JSON.parse(text));
  }

  return out;
}

/** The decoded `.dockerconfigjson` the cases expect for exampleuser at registry.example.com. */
export const EXAMPLE_REGCRED = {
  auths: {
    'registry.example.com': {
      username: 'exampleuser',
      password: 'examplepass',
      auth: 'ZXhhbXBsZXVzZXI6ZXhhbXBsZXBhc3M=',
    },
  },
};

/** The decoded `.dockerconfigjson` the cases expect for the us-east-1 placeholder ECR token. */
export const EXAMPLE_ECR = {
  auths: {
    '123456789012.dkr.ecr.us-east-1.amazonaws.com': {
      username: 'AWS',
      password: 'ecr-token-placeholder',
      auth: 'QVdTOmVjci10b2tlbi1wbGFjZWhvbGRlcg==',
    },
  },
};
