// A token-webhook authenticator for the local kube-apiserver that checks
// bearer tokens the way EKS does (kubernetes-sigs/aws-iam-authenticator
// pkg/token/token.go, REFERENCE.md 3.2), so the product's EKS sign-in is
// tested against a strict verifier and never knows it is a test:
//   - `k8s-aws-v1.` + unpadded base64url of an https URL to an STS host, path `/`;
//   - only the allowed query keys, each once; Action=GetCallerIdentity;
//     x-k8s-aws-id among the signed headers; 0 <= X-Amz-Expires <= 900;
//   - X-Amz-Date at most 15 minutes old;
//   - the SigV4 signature recomputed with x-k8s-aws-id = THIS cluster's name
//     (a token for another cluster fails), with the signer's secret key from
//     a table or, for keys moto issued by AssumeRole, from moto's state;
//   - the identity from moto's STS (GetCallerIdentity replayed), assumed-role
//     ARNs turned into role ARNs, mapped to a user and groups by a table, as
//     an EKS access entry would. Anything else is refused.
// Configuration comes from the environment (set by environment.ts):
// WEBHOOK_PORT, WEBHOOK_CERT, WEBHOOK_KEY, WEBHOOK_CLUSTER, WEBHOOK_MOTO,
// WEBHOOK_IDENTITIES ({arn: {username, groups}}), WEBHOOK_SECRETS ({keyId: secret}).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';

const ALLOWED = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);
const STS_HOST = /^sts(\.[a-z]{2}(-[a-z]+)+-\d+)?\.amazonaws\.com(\.cn)?$/;
const MAX_AGE_MS = 15 * 60 * 1000;

interface Identity {
  readonly username: string;
  readonly groups: readonly string[];
}

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`token-webhook: ${name} is not set`);

  return value;
};
const cluster = env('WEBHOOK_CLUSTER');
const moto = env('WEBHOOK_MOTO');
const identities = JSON.parse(env('WEBHOOK_IDENTITIES')) as Record<string, Identity>;
const secrets = JSON.parse(env('WEBHOOK_SECRETS')) as Record<string, string>;

class Refused extends Error {}

function refuse(reason: string): never {
  throw new Refused(reason);
}

async function review(token: string): Promise<Identity> {
  if (token.length > 4096) refuse('token longer than 4096');
  if (!token.startsWith('k8s-aws-v1.')) refuse('no k8s-aws-v1. prefix');
  const encoded = token.slice('k8s-aws-v1.'.length);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) refuse('not unpadded base64url');
  let url: URL;
  try {
    url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return refuse('not a URL');
  }
  if (url.protocol !== 'https:' || !STS_HOST.test(url.host) || url.pathname !== '/')
    refuse('not an STS URL');
  const query = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    const lower = key.toLowerCase();
    if (!ALLOWED.has(lower)) refuse(`query key ${key} not allowed`);
    if (query.has(lower)) refuse(`query key ${key} twice`);
    query.set(lower, value);
  }
  if (query.get('action') !== 'GetCallerIdentity') refuse('not GetCallerIdentity');
  const signedHeaders = query.get('x-amz-signedheaders') ?? '';
  if (!signedHeaders.split(';').includes('x-k8s-aws-id')) refuse('x-k8s-aws-id not signed');
  const expires = Number(query.get('x-amz-expires'));
  if (!(expires >= 0 && expires <= 900)) refuse('X-Amz-Expires out of range');
  const amzDate = query.get('x-amz-date') ?? '';
  const signedAt = Date.parse(
    amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  if (Number.isNaN(signedAt)) refuse('no X-Amz-Date');
  if (Date.now() - signedAt > MAX_AGE_MS) refuse('token expired');
  const [keyId = '', date = '', region = '', service = ''] = (
    query.get('x-amz-credential') ?? ''
  ).split('/');
  if (service !== 'sts') refuse('credential scope is not sts');
  const secret = secrets[keyId] ?? (await motoSecret(keyId));
  if (!secret) refuse('unknown access key');
  const expected = signature(url, signedHeaders, amzDate, date, region, secret);
  const given = Buffer.from(query.get('x-amz-signature') ?? '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    refuse(`signature does not match for cluster ${cluster}`);
  }
  const arn = await callerArn(url, keyId, date, region);
  const identity = identities[arn];
  if (!identity) refuse(`no access entry for ${arn}`);

  return identity;
}

/** SigV4 of the presigned GET, with this cluster's name as the signed x-k8s-aws-id. */
function signature(
  url: URL,
  signedHeaders: string,
  amzDate: string,
  date: string,
  region: string,
  secret: string,
): Buffer {
  const encode = (s: string) =>
    encodeURIComponent(s).replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
  const canonicalQuery = [...url.searchParams]
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => [encode(key), encode(value)])
    .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const headers: Record<string, string> = { host: url.host, 'x-k8s-aws-id': cluster };
  const canonicalHeaders = signedHeaders
    .split(';')
    .map((h) => `${h}:${headers[h] ?? ''}\n`)
    .join('');
  // A presigned GET has no body; outside S3, SigV4 signs the hash of the empty payload.
  const emptyPayload = createHash('sha256').update('').digest('hex');
  const request = ['GET', '/', canonicalQuery, canonicalHeaders, signedHeaders, emptyPayload].join(
    '\n',
  );
  const scope = `${date}/${region}/sts/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(request).digest('hex'),
  ].join('\n');
  const hmac = (key: Buffer | string, data: string) =>
    createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), 'sts'), 'aws4_request');

  return hmac(key, toSign);
}

/** The secret of a key moto issued (AssumeRole), from moto's state. */
async function motoSecret(keyId: string): Promise<string | undefined> {
  const state = (await (await fetch(`${moto}/moto-api/data.json`)).json()) as {
    sts?: { AssumedRole?: { access_key_id: string; secret_access_key: string }[] };
  };

  return state.sts?.AssumedRole?.find((r) => r.access_key_id === keyId)?.secret_access_key;
}

/**
 * Who signed: GetCallerIdentity replayed to moto. moto routes by the
 * Authorization header's scope and reads the key from it (REFERENCE 2.5),
 * so the replay carries one; the signature was checked above.
 */
async function callerArn(url: URL, keyId: string, date: string, region: string): Promise<string> {
  const answer = await fetch(`${moto}/?${url.searchParams.toString()}`, {
    headers: {
      'x-k8s-aws-id': cluster,
      authorization:
        `AWS4-HMAC-SHA256 Credential=${keyId}/${date}/${region}/sts/aws4_request, ` +
        'SignedHeaders=host, Signature=00',
    },
  });
  const text = await answer.text();
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
  if (answer.status !== 200 || !arn) refuse(`STS did not confirm the identity (${answer.status})`);
  // An assumed-role session maps as its role, as EKS access entries do.
  const assumed = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  if (assumed) return `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}`;

  return arn.replace(/^arn:([^:]+):sts::/, 'arn:$1:iam::');
}

const server = https.createServer(
  { cert: readFileSync(env('WEBHOOK_CERT')), key: readFileSync(env('WEBHOOK_KEY')) },
  (request, response) => {
    // GET is the environment's readiness probe; reviews are POSTed.
    if (request.method === 'GET') {
      response.end('ok');

      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
          apiVersion?: string;
          spec?: { token?: string };
        };
        let status: Record<string, unknown>;
        try {
          const identity = await review(body.spec?.token ?? '');
          status = {
            authenticated: true,
            user: {
              username: identity.username,
              uid: identity.username,
              groups: [...identity.groups],
            },
          };
          process.stdout.write(`allowed ${identity.username}\n`);
        } catch (error) {
          const reason =
            error instanceof Refused ? error.message : `error: ${(error as Error).name}`;
          status = { authenticated: false, error: reason };
          process.stdout.write(`refused: ${reason}\n`);
        }
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            apiVersion: body.apiVersion ?? 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            status,
          }),
        );
      })();
    });
  },
);
server.listen(Number(env('WEBHOOK_PORT')), '127.0.0.1', () => {
  process.stdout.write(`token webhook for cluster ${cluster} ready\n`);
});
