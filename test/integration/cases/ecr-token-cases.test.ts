import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AwsTokenMinter, SkewClock } from '../../../lambda/registries/aws-token-minter.ts';
import { EXPIRES_ANNOTATION, MINTED_ANNOTATION } from '../../../lambda/sync/model.ts';
import { EXAMPLE_ECR, getCase } from '../../support/cases.ts';
import { Harness, grantSyncCluster, recordingLog } from '../../support/harness.ts';
import {
  assumeRoleAnswer,
  caseTime,
  ecrFromCase,
  ecrTokenAnswer,
  scriptedAws,
  type CaseEcrState,
  type ScriptedAws,
} from '../../support/scripted-aws.ts';
import { loadTestEnvironment } from '../../env/test-env.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];

function token(n: number): string {
  return Buffer.from(`AWS:ecr-token-new-${n}`).toString('base64');
}

interface Tick {
  readonly minute: number;
  readonly mints: number;
  readonly writes: number;
  readonly expiry: number;
  readonly password: string;
}

/** Runs the project every `step` minutes from `from` to `to` (minutes after start). */
async function schedule(
  h: Harness,
  config: unknown[],
  ecr: ScriptedAws,
  step: number,
  from: number,
  to: number,
  warm: boolean,
): Promise<Tick[]> {
  const start = h.now.getTime() - from * MIN;
  const minter = warm ? h.warmMinter(ecr) : undefined;
  const ticks: Tick[] = [];
  for (let minute = from; minute <= to; minute += step) {
    h.now = new Date(start + minute * MIN);
    const before = await h.readSecret('team-a', 'ecr-pull');
    const storedExpiry = Date.parse(before?.metadata?.annotations?.[EXPIRES_ANNOTATION] ?? '');
    // At no instant does the Secret hold a token already expired.
    expect(storedExpiry).toBeGreaterThan(h.now.getTime());
    const calls = ecr.calls.length;
    const result = await h.run({ config, ecr, ...(minter ? { minter } : {}) });
    const after = (await h.dockerConfig('team-a', 'ecr-pull')) as {
      auths: Record<string, { password: string }>;
    };
    const secret = await h.readSecret('team-a', 'ecr-pull');
    ticks.push({
      minute,
      mints:
        ecr.calls.filter((c) => c.operation === 'GetAuthorizationToken').length -
        ecr.calls.slice(0, calls).filter((c) => c.operation === 'GetAuthorizationToken').length,
      writes: result.requests.filter((r) => WRITES.includes(r.verb)).length,
      expiry: Date.parse(secret?.metadata?.annotations?.[EXPIRES_ANNOTATION] ?? ''),
      password: Object.values(after.auths)[0]?.password ?? '',
    });
  }

  return ticks;
}

beforeAll(async () => {
  await grantSyncCluster(loadTestEnvironment());
});

describe('C-01 ECR token refresh is driven by the stored expiry, not by the run interval', () => {
  const c = getCase('C-01');
  const responses = Array.from({ length: 20 }, (_, i) => ({
    authorizationToken: token(i + 1),
    proxyEndpoint: 'https://123456789012.dkr.ecr.ap-southeast-2.amazonaws.com',
    expiresAt: 'call+12h',
  }));
  const state: CaseEcrState[] = [{ region: 'ap-southeast-2', responses }];

  async function setUp(prefix: string) {
    await grantSyncCluster(loadTestEnvironment());
    const h = new Harness(prefix);
    await h.apply(c.clusterState);

    return { h, ecr: ecrFromCase(state, () => h.now) };
  }

  it('refreshes at the run where the first token is due and writes exactly the new token', async () => {
    // Arrange
    const { h, ecr } = await setUp('c01-first');
    const start = h.now;

    // Act
    await h.run({ config: c.config, ecr });

    // Assert
    expect(await h.dockerConfig('team-a', 'ecr-pull')).toStrictEqual({
      auths: {
        '123456789012.dkr.ecr.ap-southeast-2.amazonaws.com': {
          username: 'AWS',
          password: 'ecr-token-new-1',
          auth: 'QVdTOmVjci10b2tlbi1uZXctMQ==',
        },
      },
    });
    const annotations = (await h.readSecret('team-a', 'ecr-pull'))?.metadata?.annotations ?? {};
    expect(annotations[EXPIRES_ANNOTATION]).toBe(
      new Date(start.getTime() + 12 * HOUR).toISOString(),
    );
    expect(annotations[MINTED_ANNOTATION]).toBe(start.toISOString());
  });

  it.each([
    { name: 'A (every 5 min, warm process)', step: 5, warm: true },
    { name: 'A (every 5 min, a fresh process each run)', step: 5, warm: false },
    { name: 'B (every 60 min)', step: 60, warm: true },
  ])('refreshes only when due, at the same times, in schedule $name', async ({ step, warm }) => {
    // Arrange
    const { h, ecr } = await setUp(`c01-${step}-${warm ? 'w' : 'f'}`);

    // Act
    const ticks = await schedule(h, c.config, ecr, step, 0, 26 * 60, warm);

    // Assert: a token is replaced when half of its 12 h remain, and at no other run.
    const refreshes = ticks.filter((t) => t.mints > 0).map((t) => t.minute);
    expect(refreshes).toEqual([0, 360, 720, 1080, 1440]);
    for (const t of ticks)
      expect([t.mints, t.writes]).toEqual(refreshes.includes(t.minute) ? [1, 1] : [0, 0]);
    const stored = ticks.filter((t) => t.mints > 0);
    expect(stored.map((t) => t.password)).toEqual([
      'ecr-token-new-1',
      'ecr-token-new-2',
      'ecr-token-new-3',
      'ecr-token-new-4',
      'ecr-token-new-5',
    ]);
    expect(stored.map((t) => (t.expiry - ticks[0]!.expiry) / MIN)).toEqual([
      0, 360, 720, 1080, 1440,
    ]);
  });

  it('reads the expiry back after a restart: no mint at now+5m, later refreshes as without restart', async () => {
    // Arrange: the refresh at now, then a new process instance
    const { h, ecr } = await setUp('c01-restart');
    await h.run({ config: c.config, ecr, minter: h.warmMinter(ecr) });
    h.advance(5 * MIN);

    // Act
    const ticks = await schedule(h, c.config, ecr, 5, 5, 26 * 60, true);

    // Assert
    expect(ticks[0]).toMatchObject({ minute: 5, mints: 0, writes: 0 });
    expect(ticks.filter((t) => t.mints > 0).map((t) => t.minute)).toEqual([360, 720, 1080, 1440]);
  });
});

describe('C-02 ECR token refreshed early when minted with short-lived credentials; partition DNS suffix', () => {
  const c = getCase('C-02');
  const role = 'arn:aws-cn:iam::123456789012:role/ecr-pull';

  function aws(h: Harness, credentialHours: number): ScriptedAws {
    return scriptedAws((call) =>
      call.operation === 'AssumeRole'
        ? assumeRoleAnswer(role, new Date(h.now.getTime() + credentialHours * HOUR))
        : ecrTokenAnswer(
            'QVdTOmVjci10b2tlbi1wbGFjZWhvbGRlcg==',
            'https://123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn',
            caseTime('call+12h', h.now),
          ),
    );
  }

  it('writes the amazonaws.com.cn host and calls cn-north-1 endpoints', async () => {
    // Arrange
    const h = new Harness('c02-host');
    await h.apply(c.clusterState);
    const calls = aws(h, 1);

    // Act
    const result = await h.run({ config: c.config, ecr: calls });

    // Assert
    expect(result.report.status).toBe('success');
    expect(await h.dockerConfig('team-a', 'ecr-pull')).toStrictEqual({
      auths: {
        '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn': {
          username: 'AWS',
          password: 'ecr-token-placeholder',
          auth: 'QVdTOmVjci10b2tlbi1wbGFjZWhvbGRlcg==',
        },
      },
    });
    expect(calls.calls.map((x) => [x.operation, x.region, x.hostname])).toEqual([
      ['AssumeRole', 'cn-north-1', 'sts.cn-north-1.amazonaws.com.cn'],
      ['GetAuthorizationToken', 'cn-north-1', 'api.ecr.cn-north-1.amazonaws.com.cn'],
    ]);
    expect(calls.calls[0]?.input.RoleArn).toBe(role);
  });

  it.each([
    { name: 'valid 1 h', hours: 1 },
    { name: 'valid 12 h', hours: 12 },
  ])(
    'never keeps a token past its credentials or half its life, with credentials $name',
    async ({ hours }) => {
      // Arrange
      const h = new Harness(`c02-${hours}h`);
      await h.apply(c.clusterState);
      const calls = aws(h, hours);
      const start = h.now.getTime();
      const minter = h.warmMinter(calls);

      // Act: every 5 minutes up to now+13h; record what each mint was signed with
      const mints: { at: number; credentialsExpire: number; assumedJustBefore: boolean }[] = [];
      let credentialsExpire = 0;
      for (let minute = 0; minute <= 13 * 60; minute += 5) {
        h.now = new Date(start + minute * MIN);
        const stored = Date.parse(
          (await h.readSecret('team-a', 'ecr-pull'))?.metadata?.annotations?.[EXPIRES_ANNOTATION] ??
            '',
        );
        if (minute > 0) expect(stored).toBeGreaterThan(h.now.getTime());
        const seen = calls.calls.length;
        await h.run({ config: c.config, ecr: calls, minter });
        const fresh = calls.calls.slice(seen);
        if (fresh.some((x) => x.operation === 'AssumeRole'))
          credentialsExpire = h.now.getTime() + hours * HOUR;
        if (fresh.some((x) => x.operation === 'GetAuthorizationToken')) {
          mints.push({
            at: minute,
            credentialsExpire,
            assumedJustBefore: fresh[0]?.operation === 'AssumeRole',
          });
          const annotations =
            (await h.readSecret('team-a', 'ecr-pull'))?.metadata?.annotations ?? {};
          expect(Date.parse(annotations[EXPIRES_ANNOTATION] ?? '')).toBeLessThanOrEqual(
            credentialsExpire,
          );
          expect(annotations[MINTED_ANNOTATION]).toBe(h.now.toISOString());
        }
      }

      // Assert
      if (hours === 1) {
        expect(mints[1]?.at).toBeLessThanOrEqual(60);
        expect(mints[1]?.assumedJustBefore).toBe(true);
      }
      const gaps = mints.slice(1).map((m, i) => m.at - mints[i]!.at);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(hours === 1 ? 30 : 360);
    },
  );
});

describe('C-03 A failed or throttled ECR token request keeps the last good Secret', () => {
  const c = getCase('C-03');
  const OLD =
    'eyJhdXRocyI6eyIxMjM0NTY3ODkwMTIuZGtyLmVjci51cy1lYXN0LTEuYW1hem9uYXdzLmNvbSI6eyJ1c2VybmFtZSI6IkFXUyIsInBhc3N3b3JkIjoiZWNyLXRva2VuLW9sZCIsImF1dGgiOiJRVmRUT21WamNpMTBiMnRsYmkxdmJHUT0ifX19';

  it('retries the throttled call with growing waits, then updates the Secret exactly once', async () => {
    // Arrange
    const h = new Harness('c03');
    await h.apply(c.clusterState);
    const ecr = ecrFromCase(c.awsState.GetAuthorizationToken as CaseEcrState[], () => h.now);
    const times: number[] = [];
    const timed = {
      ...ecr,
      handler: {
        handle: (r: Parameters<ScriptedAws['handler']['handle']>[0]) => {
          times.push(performance.now());

          return ecr.handler.handle(r);
        },
      },
    };
    const minter = new AwsTokenMinter({
      maxAttempts: 3,
      baseDelayMs: 60,
      random: () => 0.5,
      clock: new SkewClock(() => h.now.getTime()),
      log: recordingLog([]),
      requestHandler: timed.handler,
    });

    // Act
    const result = await h.run({ config: c.config, ecr: timed, minter });

    // Assert
    expect(ecr.calls).toHaveLength(3);
    expect(times[2]! - times[1]!).toBeGreaterThan(times[1]! - times[0]!);
    expect(result.requests.filter((r) => WRITES.includes(r.verb)).map((r) => r.verb)).toEqual([
      'PUT',
    ]);
    expect(await h.dockerConfig('team-a', 'ecr-pull')).toStrictEqual(EXAMPLE_ECR);
  });

  it('variant A: never writes while every call is throttled, and reports the stored token expired', async () => {
    // Arrange
    const h = new Harness('c03-a');
    await h.apply(c.clusterState);
    const ecr = scriptedAws(() => ({
      error: { code: 'ThrottlingException', message: 'Rate exceeded' },
    }));
    const start = h.now.getTime();

    for (const minute of [0, 60, 120, 185]) {
      // Act
      h.now = new Date(start + minute * MIN);
      const seen = ecr.calls.length;
      const result = await h.run({ config: c.config, ecr });

      // Assert
      expect(ecr.calls.length - seen).toBe(3);
      expect(result.requests.filter((r) => WRITES.includes(r.verb))).toEqual([]);
      const row = result.report.clusters[0]?.rows[0];
      expect([row?.secret, row?.namespace, row?.action, row?.errorCode]).toEqual([
        'ecr-pull',
        h.ns('team-a'),
        'failed',
        'ThrottlingException',
      ]);
      expect((await h.readSecret('team-a', 'ecr-pull'))?.data?.['.dockerconfigjson']).toBe(OLD);
      const expiredLines = result.logs.filter(
        (l) => l.message === 'stored token expired and could not be refreshed',
      );
      expect(expiredLines.map((l) => [l.entry, l.namespace])).toEqual(
        minute === 185 ? [['ecr-pull', h.ns('team-a')]] : [],
      );
      expect(result.metrics).toEqual(
        minute === 185
          ? [
              {
                name: 'ExpiredTokenInUse',
                dimensions: {
                  cluster: 'local',
                  namespace: h.ns('team-a'),
                  secretName: 'ecr-pull',
                  entry: 'ecr-pull',
                },
              },
            ]
          : [],
      );
    }
  });

  it('variant B: does not write a token whose expiresAt is already past', async () => {
    // Arrange
    const h = new Harness('c03-b');
    await h.apply(c.clusterState);
    const ecr = scriptedAws(() =>
      ecrTokenAnswer(
        'QVdTOmVjci10b2tlbi1wbGFjZWhvbGRlcg==',
        'https://123456789012.dkr.ecr.us-east-1.amazonaws.com',
        caseTime('now-1m', h.now),
      ),
    );

    // Act
    const result = await h.run({ config: c.config, ecr });

    // Assert
    expect(result.requests.filter((r) => WRITES.includes(r.verb))).toEqual([]);
    expect(result.report.clusters[0]?.rows.map((r) => r.action)).toEqual(['failed']);
    expect((await h.readSecret('team-a', 'ecr-pull'))?.data?.['.dockerconfigjson']).toBe(OLD);
  });
});

describe('C-04 Clock skew against AWS is detected, corrected once and reported', () => {
  const c = getCase('C-04');
  const SKEW = 3 * HOUR;

  function skewedEcr(alwaysReject: boolean): ScriptedAws {
    return scriptedAws((call) => {
      const server = new Date(Date.now() + SKEW);
      const off = Math.abs(call.signedAt.getTime() - server.getTime()) > 5 * MIN;
      if (off || alwaysReject) {
        return {
          error: {
            code: 'InvalidSignatureException',
            message:
              'Signature expired: the request time is more than 5 minutes before the server time',
          },
          headers: { date: server.toUTCString() },
        };
      }

      return ecrTokenAnswer(
        'QVdTOmVjci10b2tlbi1wbGFjZWhvbGRlcg==',
        'https://123456789012.dkr.ecr.us-east-1.amazonaws.com',
        new Date(server.getTime() + 12 * HOUR),
      );
    });
  }

  it('makes one corrected retry, writes the Secret with the server expiry, and logs the skew', async () => {
    // Arrange: the local clock is the real one, AWS is 3 h ahead
    const h = new Harness('c04');
    await h.apply(c.clusterState);
    const ecr = skewedEcr(false);
    const skew = new SkewClock();

    // Act
    const result = await h.run({ config: c.config, ecr, skew });

    // Assert
    expect(ecr.calls).toHaveLength(2);
    expect(Math.abs(ecr.calls[1]!.signedAt.getTime() - (Date.now() + SKEW))).toBeLessThan(5 * MIN);
    expect(await h.dockerConfig('team-a', 'ecr-pull')).toStrictEqual(EXAMPLE_ECR);
    const expiry = Date.parse(
      (await h.readSecret('team-a', 'ecr-pull'))?.metadata?.annotations?.[EXPIRES_ANNOTATION] ?? '',
    );
    expect(Math.abs(expiry - (Date.now() + SKEW + 12 * HOUR))).toBeLessThan(MIN);
    const line = result.logs.find((l) => l.message === 'clock skew against AWS corrected');
    expect(line?.entry).toBe('ecr-pull');
    expect(Math.round(Number(line?.skewSeconds) / 60)).toBe(180);
    expect(Math.abs(skew.offsetMs - SKEW)).toBeLessThan(MIN);
  });

  it('refreshes at the same server time as with a correct clock while the local clock stays 3 h slow', async () => {
    // Arrange: the local clock (Date, which the SDK signs with too) is faked and moved in
    // 30-minute steps; the scripted ECR's server time stays 3 h ahead of it.
    const h = new Harness('c04-steps');
    await h.apply(c.clusterState);
    const ecr = skewedEcr(false);
    const start = Date.now();
    jest.useFakeTimers({
      now: start,
      doNotFake: [
        'setTimeout',
        'clearTimeout',
        'setInterval',
        'clearInterval',
        'setImmediate',
        'clearImmediate',
        'nextTick',
        'queueMicrotask',
        'hrtime',
        'performance',
      ],
    });
    try {
      const skew = new SkewClock();
      const minter = new AwsTokenMinter({
        maxAttempts: 3,
        baseDelayMs: 1,
        random: () => 0.5,
        clock: skew,
        log: recordingLog([]),
        requestHandler: ecr.handler,
      });
      await h.run({ config: c.config, ecr, minter, skew });
      const firstExpiry = Date.parse(
        (await h.readSecret('team-a', 'ecr-pull'))?.metadata?.annotations?.[EXPIRES_ANNOTATION] ??
          '',
      );

      // Act
      const refreshedAt: number[] = [];
      for (let minute = 30; minute <= 13 * 60; minute += 30) {
        jest.setSystemTime(start + minute * MIN);
        const calls = ecr.calls.length;
        await h.run({ config: c.config, ecr, minter, skew });
        if (ecr.calls.length > calls) refreshedAt.push(minute);
      }

      // Assert: the expiry is the server's; each token is replaced once half of its 12 h are
      // gone on the server's clock (6 h after its mint), as with a correct local clock.
      expect(Math.abs(firstExpiry - (start + SKEW + 12 * HOUR))).toBeLessThan(MIN);
      expect(refreshedAt).toEqual([360, 720]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('variant: reports a clock-skew error with the difference after one corrected retry, writing nothing', async () => {
    // Arrange
    const h = new Harness('c04-reject');
    await h.apply(c.clusterState);
    const ecr = skewedEcr(true);

    // Act
    const result = await h.run({ config: c.config, ecr, skew: new SkewClock() });

    // Assert
    expect(ecr.calls).toHaveLength(2);
    expect(result.requests.filter((r) => WRITES.includes(r.verb))).toEqual([]);
    const row = result.report.clusters[0]?.rows[0];
    expect(row?.errorCode).toBe('InvalidSignatureException');
    expect(row?.reason).toMatch(
      /^ecr:GetAuthorizationToken failed: InvalidSignatureException: clock skew: the local clock differs from AWS by about 10[78]\d\d s$/,
    );
  });
});
