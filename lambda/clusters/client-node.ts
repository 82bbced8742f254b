/**
 * The parts of @kubernetes/client-node the function uses, imported from
 * their own modules. The package index re-exports every API group, and a
 * bundler cannot drop what it re-exports: through the index the function
 * would carry code it never runs (about 10 MB more resident memory in the
 * Lambda, measured by `npm run bench`).
 */
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { ObjectCoreV1Api as CoreV1Api } from '@kubernetes/client-node/dist/gen/types/ObjectParamAPI.js';
export { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
export { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
export type { SecurityAuthentication } from '@kubernetes/client-node/dist/gen/auth/auth.js';
export type { V1Secret } from '@kubernetes/client-node/dist/gen/models/V1Secret.js';
export type { V1ListMeta } from '@kubernetes/client-node/dist/gen/models/V1ListMeta.js';
