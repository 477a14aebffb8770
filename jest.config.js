/**
 * Two projects:
 * - unit: test/unit, pure logic and in-process fakes; no servers, no moto; runs in seconds
 *   (`npm run test:unit`).
 * - integration: test/integration, the real Bolt receiver, moto_server, the CloudTrail
 *   emulator, dynalite. One moto_server per worker (see test/support/global-setup.ts, launcher in sandbox/moto.ts).
 * `npm test` runs both.
 */
const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};

/** @type {import('jest').Config} */
module.exports = {
  // Two cores here; the integration project starts one moto_server per worker.
  maxWorkers: 2,
  testTimeout: 60000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/test/unit'],
      setupFiles: ['<rootDir>/test/support/unit-env.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFiles: ['<rootDir>/test/support/env.ts'],
    },
  ],
};
