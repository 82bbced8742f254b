import { describe, expect, it } from '@jest/globals';
import { TokenSource, eksToken } from '../../lambda/clusters/eks-token.ts';

const KEYS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const T0 = new Date('2026-12-03T12:00:00.000Z');
const MIN = 60_000;

function decode(token: string): URL {
  return new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString());
}

describe('eksToken', () => {
  it('is k8s-aws-v1. and unpadded base64url of a presigned GetCallerIdentity URL', async () => {
    // Act
    const { token, expiresAt } = await eksToken('dev', 'us-east-1', KEYS, T0);

    // Assert
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    expect(token).not.toMatch(/[=+/]/);
    const url = decode(token);
    expect([url.protocol, url.host, url.pathname]).toEqual([
      'https:',
      'sts.us-east-1.amazonaws.com',
      '/',
    ]);
    expect([...url.searchParams.keys()].sort()).toEqual([
      'Action',
      'Version',
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-Signature',
      'X-Amz-SignedHeaders',
    ]);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20261203T120000Z');
    expect(url.searchParams.get('X-Amz-Credential')).toBe(
      'AKIDEXAMPLE/20261203/us-east-1/sts/aws4_request',
    );
    expect(expiresAt).toEqual(new Date(T0.getTime() + 14 * MIN));
  });

  it.each([
    { region: 'cn-north-1', host: 'sts.cn-north-1.amazonaws.com.cn' },
    { region: 'eu-west-1', host: 'sts.eu-west-1.amazonaws.com' },
    { region: 'us-gov-west-1', host: 'sts.us-gov-west-1.amazonaws.com' },
  ])("signs for the STS host of $region's partition", async ({ region, host }) => {
    expect(decode((await eksToken('dev', region, KEYS, T0)).token).host).toBe(host);
  });

  it('differs per cluster name, which is signed but not in the URL', async () => {
    // Act
    const a = decode((await eksToken('dev', 'us-east-1', KEYS, T0)).token);
    const b = decode((await eksToken('prod', 'us-east-1', KEYS, T0)).token);

    // Assert
    expect(a.searchParams.get('X-Amz-Signature')).not.toBe(b.searchParams.get('X-Amz-Signature'));
    expect(a.toString()).not.toContain('dev');
  });

  it('carries a session token and ends with the credentials', async () => {
    // Act
    const { token, expiresAt } = await eksToken(
      'dev',
      'us-east-1',
      { ...KEYS, sessionToken: 'session', expiration: new Date(T0.getTime() + 5 * MIN) },
      T0,
    );

    // Assert
    expect(decode(token).searchParams.get('X-Amz-Security-Token')).toBe('session');
    expect(expiresAt).toEqual(new Date(T0.getTime() + 5 * MIN));
  });

  it("throws when a long session token would pass EKS's 4096 characters", async () => {
    await expect(
      eksToken('dev', 'us-east-1', { ...KEYS, sessionToken: 'x'.repeat(3000) }, T0),
    ).rejects.toThrow(/over EKS's 4096; the session token of the credentials is too long/);
  });
});

describe('C-18 The Kubernetes API bearer token is renewed before it expires during long or repeated runs', () => {
  it('renews at a reconcile every 10 minutes so that no request carries a token within a minute of its end', async () => {
    // Arrange: one process reconciling at now, +10, +20, +30 and +40 minutes
    let now = T0;
    const source = new TokenSource(
      'dev',
      'us-east-1',
      async () => KEYS,
      () => now,
    );
    const sent: { at: number; signedAt: number }[] = [];

    // Act
    for (const minute of [0, 10, 20, 30, 40]) {
      now = new Date(T0.getTime() + minute * MIN);
      const token = await source.token();
      const date = decode(token).searchParams.get('X-Amz-Date') ?? '';
      sent.push({
        at: minute,
        signedAt: Date.parse(
          date.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'),
        ),
      });
    }

    // Assert: a token lives 14 minutes (EKS accepts 15); it is reused only with more than 1 minute left
    expect(sent.map((s) => (s.signedAt - T0.getTime()) / MIN)).toEqual([0, 0, 20, 20, 40]);
    for (const s of sent)
      expect(s.signedAt + 14 * MIN - (T0.getTime() + s.at * MIN)).toBeGreaterThan(MIN);
    expect(source.minted).toBe(3);
  });

  it('treats a token as expired when the credentials that signed it expire first', async () => {
    // Arrange: credentials valid 5 more minutes
    let now = T0;
    let issued = 0;
    const source = new TokenSource(
      'dev',
      'us-east-1',
      async () => {
        issued += 1;

        return { ...KEYS, expiration: new Date(now.getTime() + 5 * MIN) };
      },
      () => now,
    );

    // Act
    await source.token();
    now = new Date(T0.getTime() + 4.5 * MIN);
    await source.token();

    // Assert
    expect([issued, source.minted]).toEqual([2, 2]);
  });

  it('signs a new token after a 401, and keeps tokens per cluster', async () => {
    // Arrange
    const dev = new TokenSource(
      'dev',
      'us-east-1',
      async () => KEYS,
      () => T0,
    );
    const prod = new TokenSource(
      'prod',
      'us-east-1',
      async () => KEYS,
      () => T0,
    );

    // Act
    const first = await dev.token();
    dev.invalidate();
    const second = await dev.token();

    // Assert
    expect(dev.minted).toBe(2);
    expect(second).toBe(first);
    expect(await prod.token()).not.toBe(first);
  });
});
