import { describe, expect, it } from '@jest/globals';
import {
  DOCKER_HUB_KEY,
  authEntry,
  basicAuth,
  decodeDockerConfig,
  dockerConfigProblem,
  encodeDockerConfig,
  registryKey,
} from '../../lambda/registries/docker-config.ts';
import { resolveImage } from '../support/kubelet.ts';

describe('registryKey', () => {
  it.each([
    { name: 'omitted', configured: undefined, key: DOCKER_HUB_KEY },
    { name: 'empty', configured: '', key: DOCKER_HUB_KEY },
    { name: 'docker.io', configured: 'docker.io', key: DOCKER_HUB_KEY },
    { name: 'https://docker.io', configured: 'https://docker.io', key: DOCKER_HUB_KEY },
    { name: 'index.docker.io', configured: 'index.docker.io', key: DOCKER_HUB_KEY },
    { name: 'index.docker.io/v1/', configured: 'index.docker.io/v1/', key: DOCKER_HUB_KEY },
    {
      name: 'https://index.docker.io/v1/',
      configured: 'https://index.docker.io/v1/',
      key: DOCKER_HUB_KEY,
    },
    {
      name: 'https://index.docker.io/v2/',
      configured: 'https://index.docker.io/v2/',
      key: DOCKER_HUB_KEY,
    },
    { name: 'registry-1.docker.io', configured: 'registry-1.docker.io', key: DOCKER_HUB_KEY },
    {
      name: 'https://registry-1.docker.io',
      configured: 'https://registry-1.docker.io',
      key: DOCKER_HUB_KEY,
    },
    { name: 'upper case Docker.IO', configured: 'Docker.IO', key: DOCKER_HUB_KEY },
    { name: 'http scheme', configured: 'http://docker.io/', key: DOCKER_HUB_KEY },
    { name: 'a plain host', configured: 'registry.example.com', key: 'registry.example.com' },
    {
      name: 'a host with scheme and slash',
      configured: 'https://registry.example.com/',
      key: 'registry.example.com',
    },
    {
      name: 'a host with port',
      configured: 'registry.example.com:5000',
      key: 'registry.example.com:5000',
    },
    {
      name: 'a host with /v2/',
      configured: 'https://registry.example.com:5000/v2/',
      key: 'registry.example.com:5000',
    },
    {
      name: 'a scoped path',
      configured: 'registry.example.com/team/',
      key: 'registry.example.com/team',
    },
    {
      name: 'a look-alike host',
      configured: 'docker.io.example.com',
      key: 'docker.io.example.com',
    },
  ])('maps $name to $key', ({ configured, key }) => {
    expect(registryKey(configured)).toBe(key);
  });
});

describe('authEntry', () => {
  it.each([
    {
      name: 'without email',
      email: undefined,
      entry: {
        username: 'exampleuser',
        password: 'examplepass',
        auth: 'ZXhhbXBsZXVzZXI6ZXhhbXBsZXBhc3M=',
      },
    },
    {
      name: 'with empty email',
      email: '',
      entry: {
        username: 'exampleuser',
        password: 'examplepass',
        auth: 'ZXhhbXBsZXVzZXI6ZXhhbXBsZXBhc3M=',
      },
    },
    {
      name: 'with email',
      email: 'user@example.com',
      entry: {
        username: 'exampleuser',
        password: 'examplepass',
        email: 'user@example.com',
        auth: 'ZXhhbXBsZXVzZXI6ZXhhbXBsZXBhc3M=',
      },
    },
  ])('builds the entry $name', ({ email, entry }) => {
    expect(authEntry('exampleuser', 'examplepass', email)).toStrictEqual(entry);
  });

  it.each([
    { password: 'newpass', auth: 'ZXhhbXBsZXVzZXI6bmV3cGFzcw==' },
    { password: 'oldpass', auth: 'ZXhhbXBsZXVzZXI6b2xkcGFzcw==' },
    { password: 'pa:ss:word', auth: 'ZXhhbXBsZXVzZXI6cGE6c3M6d29yZA==' },
    { password: 'pässwörd', auth: 'ZXhhbXBsZXVzZXI6cMOkc3N3w7ZyZA==' },
  ])('encodes user and $password as standard base64 of UTF-8', ({ password, auth }) => {
    expect(basicAuth('exampleuser', password)).toBe(auth);
  });
});

describe('encodeDockerConfig', () => {
  it('writes compact JSON in the fixed key order, encoded once', () => {
    // Act
    const value = encodeDockerConfig({
      [DOCKER_HUB_KEY]: authEntry('exampleuser', 'examplepass', 'user@example.com'),
    });

    // Assert
    expect(value).toBe(
      'eyJhdXRocyI6eyJodHRwczovL2luZGV4LmRvY2tlci5pby92MS8iOnsidXNlcm5hbWUiOiJleGFtcGxldXNlciIsInBhc3N3b3JkIjoiZXhhbXBsZXBhc3MiLCJlbWFpbCI6InVzZXJAZXhhbXBsZS5jb20iLCJhdXRoIjoiWlhoaGJYQnNaWFZ6WlhJNlpYaGhiWEJzWlhCaGMzTT0ifX19',
    );
    expect(Buffer.from(value, 'base64').toString('utf8').startsWith('{')).toBe(true);
  });

  it.each([
    {
      name: 'an auth of other credentials',
      entry: { username: 'a', password: 'b', auth: basicAuth('a', 'c') },
      problem: 'r: auth does not match username and password',
    },
    {
      name: 'a URL-safe auth',
      entry: { username: 'a', password: '??>', auth: 'YTo_Pz4=' },
      problem: 'r: auth is not standard base64',
    },
    {
      name: 'an empty password',
      entry: { username: 'a', password: '', auth: basicAuth('a', '') },
      problem: 'r: username and password are required',
    },
  ])('throws for $name', ({ entry, problem }) => {
    expect(dockerConfigProblem({ r: entry })).toBe(problem);
    expect(() => encodeDockerConfig({ r: entry })).toThrow(
      `refusing to write an unusable .dockerconfigjson: ${problem}`,
    );
  });

  it('decodes what it wrote and nothing that is not an object', () => {
    expect(decodeDockerConfig(encodeDockerConfig({ r: authEntry('a', 'b') }))).toEqual({
      auths: { r: { username: 'a', password: 'b', auth: 'YTpi' } },
    });
    expect(decodeDockerConfig(Buffer.from('[1]').toString('base64'))).toBeUndefined();
    expect(decodeDockerConfig('not base64 json')).toBeUndefined();
  });
});

describe('resolveImage (kubelet model)', () => {
  it.each([
    { name: 'Docker Hub short name', key: DOCKER_HUB_KEY, image: 'nginx:1', found: true },
    { name: 'Docker Hub user image', key: DOCKER_HUB_KEY, image: 'library/nginx', found: true },
    {
      name: 'docker.io image',
      key: DOCKER_HUB_KEY,
      image: 'docker.io/library/nginx:1',
      found: true,
    },
    {
      name: 'a host key',
      key: 'registry.example.com',
      image: 'registry.example.com/app:1',
      found: true,
    },
    {
      name: 'a port mismatch',
      key: 'registry.example.com:5000',
      image: 'registry.example.com/app:1',
      found: false,
    },
    {
      name: 'another host',
      key: 'registry.example.com',
      image: 'other.example.com/app:1',
      found: false,
    },
  ])('resolves $name: $found', ({ key, image, found }) => {
    // Arrange
    const json = Buffer.from(
      encodeDockerConfig({ [key]: authEntry('exampleuser', 'examplepass') }),
      'base64',
    ).toString();

    // Act
    const resolved = resolveImage(json, image);

    // Assert
    expect(resolved).toEqual(
      found ? { username: 'exampleuser', password: 'examplepass' } : undefined,
    );
  });
});
