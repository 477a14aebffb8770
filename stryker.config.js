/**
 * Mutation testing (`npm run mutate`): StrykerJS changes the safety rules one at a time
 * (a condition flipped, a comparison moved, a string emptied…) and runs the unit project
 * against each change; a change no test notices is a "survived" mutant, a gap in the tests.
 * Unit project only: no moto, no servers, so each mutant costs milliseconds.
 */

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
module.exports = {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    // The unit project only (jest.config.js's `projects` would bring the integration
    // project, and moto_server, into every mutant's run).
    configFile: 'jest.unit.config.js',
    enableFindRelatedTests: true,
  },
  checkers: ['typescript'],
  // The checker compiles only the mutated modules and what they import: seconds, not minutes.
  tsconfigFile: 'tsconfig.stryker.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: [
    // The safety rules: who may approve, the step state machine, key ids, the exact AWS calls.
    'src/domain/approval-rules.ts',
    'src/domain/incident.ts',
    'src/domain/key-id.ts',
    'src/domain/aws-plan.ts',
    // The session policy each write session carries: exactly the approved calls.
    'src/domain/session-policy.ts',
    // The store's conditional writes, as the in-memory store states them.
    'src/store/in-memory-store.ts',
  ],
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  // Two cores, shared: one or two test processes at a time.
  concurrency: 2,
  timeoutMS: 30000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
