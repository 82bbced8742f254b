import { Readable } from 'node:stream';
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http';
import type { HttpHandlerOptions, RequestHandler } from '@smithy/types';

/**
 * An AWS SDK request handler that answers from a script instead of the
 * network, for the answers moto cannot give (throttling, access denied,
 * clock skew, chosen tokens). Everything above the wire (signing, retries,
 * skew correction, error parsing) is the real SDK.
 */

export interface SeenCall {
  /** e.g. `GetAuthorizationToken`. */
  readonly operation: string;
  /** From the SigV4 credential scope. */
  readonly region: string;
  /** X-Amz-Date of the request, as a Date. */
  readonly signedAt: Date;
  readonly input: Record<string, unknown>;
  /** The host the SDK addressed (the real AWS endpoint when no override is set). */
  readonly hostname: string;
}

export type ScriptedAnswer =
  | { readonly ok: unknown; readonly headers?: Record<string, string> }
  | { readonly xml: string }
  | {
      readonly error: { code: string; message: string };
      readonly status?: number;
      readonly headers?: Record<string, string>;
    };

export interface ScriptedAws {
  readonly handler: RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions>;
  readonly calls: SeenCall[];
}

export function scriptedAws(
  answer: (call: SeenCall, index: number) => ScriptedAnswer,
): ScriptedAws {
  const calls: SeenCall[] = [];
  const handler: RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions> = {
    handle: async (request: HttpRequest) => {
      const call = seen(request);
      calls.push(call);

      return { response: toResponse(answer(call, calls.length - 1)) };
    },
  };

  return { handler, calls };
}

function seen(request: HttpRequest): SeenCall {
  const body = typeof request.body === 'string' ? request.body : '';
  const form = (request.headers['content-type'] ?? '').includes('x-www-form-urlencoded');
  const target = form
    ? (new URLSearchParams(body).get('Action') ?? '')
    : (request.headers['x-amz-target'] ?? '');
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(request.headers.authorization ?? '');
  const date = request.headers['x-amz-date'] ?? '';
  const iso = date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z');

  return {
    operation: target.split('.').at(-1) ?? '',
    region: scope?.[1] ?? '',
    signedAt: new Date(iso),
    input: form
      ? Object.fromEntries(new URLSearchParams(body))
      : (JSON.parse(body || '{}') as Record<string, unknown>),
    hostname: request.hostname,
  };
}

function toResponse(answer: ScriptedAnswer): HttpResponse {
  if ('xml' in answer) {
    return new HttpResponse({
      statusCode: 200,
      headers: { 'content-type': 'text/xml' },
      body: Readable.from([Buffer.from(answer.xml)]),
    });
  }
  const json =
    'ok' in answer
      ? JSON.stringify(answer.ok)
      : JSON.stringify({ __type: answer.error.code, message: answer.error.message });

  return new HttpResponse({
    statusCode: 'ok' in answer ? 200 : (answer.status ?? 400),
    headers: { 'content-type': 'application/x-amz-json-1.1', ...answer.headers },
    body: Readable.from([Buffer.from(json)]),
  });
}

/** A GetAuthorizationToken success, as ECR serialises it (expiresAt in epoch seconds). */
export function ecrTokenAnswer(
  authorizationToken: string,
  proxyEndpoint: string,
  expiresAt: Date,
): ScriptedAnswer {
  return {
    ok: {
      authorizationData: [
        { authorizationToken, proxyEndpoint, expiresAt: expiresAt.getTime() / 1000 },
      ],
    },
  };
}

/** The cases' awsState.GetAuthorizationToken: per region, answers in call order. */
export interface CaseEcrState {
  readonly region: string;
  readonly responses?: readonly CaseEcrResponse[];
}

export type CaseEcrResponse =
  | { authorizationToken: string; proxyEndpoint: string; expiresAt: string }
  | { error: { code: string; message: string } };

/**
 * A scripted ECR playing a case's GetAuthorizationToken answers: per region,
 * the next answer each call, the last one repeating. `expiresAt` of the
 * form `call+12h` is 12 hours after the call on `now()`.
 */
export function ecrFromCase(state: readonly CaseEcrState[], now: () => Date): ScriptedAws {
  const used = new Map<string, number>();

  return scriptedAws((call) => {
    const region = state.find((s) => s.region === call.region);
    const responses = region?.responses ?? [];
    const index = used.get(call.region) ?? 0;
    used.set(call.region, index + 1);
    const answer = responses[Math.min(index, responses.length - 1)];
    if (!answer)
      return {
        error: { code: 'UnrecognizedClientException', message: `no script for ${call.region}` },
      };
    if ('error' in answer) return { error: answer.error };

    return ecrTokenAnswer(
      answer.authorizationToken,
      answer.proxyEndpoint,
      caseTime(answer.expiresAt, now()),
    );
  });
}

/** `call+12h`, `now-1m`, ... relative to `base`. */
export function caseTime(expression: string, base: Date): Date {
  const m = /^(?:call|now)(?:([+-])(\d+)([mh]))?$/.exec(expression);
  if (!m) return new Date(expression);
  const amount = m[2] ? Number(m[2]) * (m[3] === 'h' ? 3600000 : 60000) : 0;

  return new Date(base.getTime() + (m[1] === '-' ? -amount : amount));
}

/** An STS AssumeRole success, as STS serialises it (XML). */
export function assumeRoleAnswer(roleArn: string, expiration: Date): ScriptedAnswer {
  const account = roleArn.split(':')[4] ?? '';
  const role = roleArn.split('/').at(-1) ?? '';

  return {
    xml: `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIATESTTESTTESTTEST</AccessKeyId><SecretAccessKey>test-secret</SecretAccessKey>
<SessionToken>test-session</SessionToken><Expiration>${expiration.toISOString()}</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws-cn:sts::${account}:assumed-role/${role}/prs-manager</Arn>
<AssumedRoleId>AROATEST:prs-manager</AssumedRoleId></AssumedRoleUser></AssumeRoleResult>
<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`,
  };
}
