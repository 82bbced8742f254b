import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../lambda/config/config.ts';
import type { SecretStore } from '../../lambda/clusters/secret-store.ts';
import { sync } from '../../lambda/sync/engine.ts';
import type { LiveSecret, SecretBody } from '../../lambda/sync/model.ts';
import { recordingLog } from '../support/harness.ts';

/** An in-memory store that measures how many writes are in flight at once. */
class MeasuringStore implements SecretStore {
  inFlight = 0;
  maxInFlight = 0;
  readonly starts: number[] = [];
  readonly #secrets = new Map<string, LiveSecret>();

  async listNamespaces() {
    return [];
  }

  async listSecrets() {
    return [...this.#secrets.values()];
  }

  async readConfigMap() {
    return undefined;
  }

  async readSecret(namespace: string, name: string) {
    return this.#secrets.get(`${namespace}/${name}`);
  }

  async createSecret(body: SecretBody): Promise<LiveSecret> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.starts.push(performance.now());
    await new Promise((resolve) => setTimeout(resolve, 60));
    this.inFlight -= 1;
    const secret = { ...body, uid: 'u', resourceVersion: '1', immutable: false };
    this.#secrets.set(`${body.namespace}/${body.name}`, secret);

    return secret;
  }

  async replaceSecret(body: SecretBody): Promise<LiveSecret> {
    return this.createSecret(body);
  }

  async deleteSecret() {}
}

describe('sync', () => {
  it('keeps writes in flight within the concurrency setting and spaced by the rate limit', async () => {
    // Arrange
    const namespaces = Array.from({ length: 30 }, (_, i) => `tenant-${i}`);
    const config = parseConfig(
      JSON.stringify({
        secrets: [
          {
            name: 'regcred',
            namespaces,
            type: 'DOCKER',
            credential: {
              docker_registry: 'registry.example.com',
              docker_user: 'u',
              docker_password: 'p',
            },
          },
        ],
      }),
      'test',
    );
    const store = new MeasuringStore();

    // Act
    const report = await sync(
      config,
      'test',
      [{ name: 'c', connect: async () => store }],
      {
        minter: { mint: () => Promise.reject(new Error('no ECR here')) },
        log: recordingLog([]),
        now: () => new Date(),
        settings: {
          owner: 'o',
          refreshMargin: 0.5,
          concurrency: 4,
          writesPerSecond: 100,
          clusterConcurrency: 1,
          conflictRetries: 3,
        },
      },
      { dryRun: false },
    );

    // Assert
    expect(report.totals.created).toBe(30);
    expect(store.maxInFlight).toBe(4);
    // 30 writes at 100 per second start over at least 29 intervals of 10 ms (timers jitter by ~1 ms).
    expect(store.starts.at(-1)! - store.starts[0]!).toBeGreaterThanOrEqual(29 * 9);
  });
});
