// Jest runs the TypeScript sources as ES modules (the package is "type":
// "module" and @kubernetes/client-node ships only ESM). Type checking is a
// separate step (`npm run typecheck`), so ts-jest only transpiles.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  // tsconfig.jest.json keeps `./x.ts` imports as written (jest resolves them).
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.jest.json' }],
  },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/test/env/jest-global-setup.ts',
  globalTeardown: '<rootDir>/test/env/jest-global-teardown.ts',
  testTimeout: 60000,
};
