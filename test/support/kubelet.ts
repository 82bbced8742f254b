/**
 * A test-side model of how the kubelet resolves pull credentials from a
 * `.dockerconfigjson` (kubernetes/kubernetes pkg/credentialprovider): keys
 * are normalised, matched against the image's registry host label by label,
 * and `auth`, when present, wins and is split at the first colon.
 */

export interface Resolved {
  readonly username: string;
  readonly password: string;
}

export function resolveImage(dockerconfigjson: string, image: string): Resolved | undefined {
  const auths = (JSON.parse(dockerconfigjson) as { auths?: Record<string, Entry> }).auths ?? {};
  const target = imageLocation(image);
  const matched = Object.entries(auths)
    .map(([key, entry]) => ({ key: normaliseKey(key), entry }))
    .filter((k): k is { key: Location; entry: Entry } => k.key !== undefined)
    .filter(({ key }) => matches(key, target));
  const found = matched[0] ?? (isDockerHub(image) ? hubFallback(auths) : undefined);

  return found ? credentials(found.entry) : undefined;
}

interface Entry {
  username?: string;
  password?: string;
  auth?: string;
}

interface Location {
  readonly host: string;
  readonly path: string;
}

function normaliseKey(key: string): Location | undefined {
  const withScheme =
    key.startsWith('https://') || key.startsWith('http://') ? key : `https://${key}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  let path = url.pathname;
  if (path.startsWith('/v1/') || path.startsWith('/v2/')) path = path.slice(3);

  return { host: url.host, path: path === '/' ? '' : path };
}

function imageLocation(image: string): Location {
  const name = image.replace(/@.*$/, '').replace(/:[^/:]+$/, '');
  const first = name.split('/')[0] ?? '';
  const hasRegistry =
    name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry)
    return { host: 'docker.io', path: `/${name.includes('/') ? name : `library/${name}`}` };

  return { host: first, path: name.slice(first.length) };
}

function matches(key: Location, target: Location): boolean {
  const [keyHost, keyPort] = key.host.split(':');
  const [host, port] = target.host.split(':');
  if (keyPort !== port) return false;
  const keyLabels = (keyHost ?? '').split('.');
  const labels = (host ?? '').split('.');
  if (keyLabels.length !== labels.length) return false;
  if (!keyLabels.every((label, i) => label === '*' || label === labels[i])) return false;

  return target.path.startsWith(key.path);
}

function isDockerHub(image: string): boolean {
  return (
    imageLocation(image).host === 'docker.io' || imageLocation(image).host === 'index.docker.io'
  );
}

function hubFallback(auths: Record<string, Entry>): { entry: Entry } | undefined {
  const entry = Object.entries(auths).find(
    ([key]) => normaliseKey(key)?.host === 'index.docker.io',
  );

  return entry ? { entry: entry[1] } : undefined;
}

function credentials(entry: Entry): Resolved | undefined {
  if (!entry.auth) {
    return entry.username !== undefined && entry.password !== undefined
      ? { username: entry.username, password: entry.password }
      : undefined;
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(entry.auth)) return undefined;
  const text = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');

  return colon < 0
    ? undefined
    : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}
