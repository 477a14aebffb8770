/**
 * The import rules of the layout (docs/architecture.md), written down as a check
 * (`npm run lint`, part of `npm test`):
 *
 *   src/domain  ←  src/ports  ←  adapters (src/aws/<concern>/, src/store, src/slack)
 *                     ↑                         ↑
 *        commands/, workflows/ (ports only)    src/wiring/ (the composition root: the only
 *                                              importer of src/aws and src/store adapters)
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain is pure TypeScript: it imports only src/domain (and luxon), no SDK, no Slack, no adapters, no ports.',
      severity: 'error',
      from: { path: '^src/domain' },
      to: { pathNot: ['^src/domain/', 'node_modules/luxon', '^luxon$'] },
    },
    {
      name: 'ports-speak-domain',
      comment: 'src/ports are interfaces typed with domain types only: they import src/domain and each other, nothing else.',
      severity: 'error',
      from: { path: '^src/ports' },
      to: { pathNot: ['^src/(domain|ports)/'] },
    },
    {
      name: 'slack-is-not-aws',
      comment: 'src/slack (presentation and Slack adapters) reaches AWS and the store only through ports.',
      severity: 'error',
      from: { path: '^src/slack' },
      to: { path: ['^src/(aws|store)/', '@aws-sdk'] },
    },
    {
      name: 'commands-and-workflows-use-ports',
      comment: 'commands/ and workflows/ reach AWS and DynamoDB through src/ports, never adapters (type-only imports included).',
      severity: 'error',
      from: { path: '^(commands|workflows)' },
      to: { path: ['^src/(aws|store)/', '@aws-sdk', 'node_modules/dynalite'] },
    },
    {
      name: 'workflows-say-nothing',
      comment: 'workflows/ emit typed notices and click results; presentation in src/slack words them (no Slack text, Block Kit or Slack SDK here).',
      severity: 'error',
      from: { path: '^workflows' },
      to: { path: ['^src/slack/', '@slack'] },
    },
    {
      name: 'only-config-reads-env',
      comment: 'Only src/config.ts reads process.env; everything else receives values. The entry points (src/main.ts, src/cli/main.ts, sandbox/bot.ts) call its loaders.',
      severity: 'error',
      from: { pathNot: ['^(src/(config|main|cli/main)|sandbox/bot)\\.ts$', '^(test|bench)/'] },
      // type-only imports of Config are fine
      to: { path: '^src/config\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'product-does-not-import-sandbox',
      comment: 'sandbox/ (local emulators and the simulated Slack) serves the demo and the tests; the product never depends on it.',
      severity: 'error',
      from: { path: '^(src|commands|workflows)/' },
      to: { path: '^sandbox/' },
    },
    {
      name: 'only-wiring-imports-adapters',
      comment: 'src/wiring is the composition root: nothing else in the product (nor the sandbox) imports the concrete src/aws or src/store adapters; they reach them through ports. Tests and benchmarks may exercise an adapter directly.',
      severity: 'error',
      from: { path: '^(src|commands|workflows|sandbox|scripts|bin)/', pathNot: '^src/(wiring|aws|store)/' },
      to: { path: '^src/(aws|store)/' },
    },
    {
      name: 'aws-concerns-show-one-face',
      comment: 'src/aws is split by concern (access, containment, history, owner): one concern imports another only through its index.ts.',
      severity: 'error',
      from: { path: '^src/aws/([^/]+)/' },
      to: { path: '^src/aws/', pathNot: ['^src/aws/$1/', '^src/aws/[^/]+/index\\.ts$'] },
    },
    {
      name: 'aws-concerns-show-one-face-outside',
      comment: 'Outside src/aws (the wiring, the sandbox) a concern is imported only through its index.ts. Tests and benchmarks may reach inside.',
      severity: 'error',
      from: { path: '^(src|sandbox|commands|workflows|scripts)/', pathNot: '^src/aws/' },
      to: { path: '^src/aws/[^/]+/', pathNot: '^src/aws/[^/]+/index\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles anywhere: each module can be read, tested and mutated on its own.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      comment: 'Every module is used by something (an entry point, a test, a script): dead files go.',
      severity: 'error',
      from: {
        orphan: true,
        pathNot: [
          '\\.d\\.ts$',
          '\\.test\\.ts$',
          '(^|/)\\.[^/]+\\.(js|cjs|mjs|json)$',
          '^(jest|jest\\.unit|stryker)\\.config\\.js$',
          '^test/support/(env|unit-env|global-teardown|global-setup)\\.ts$',
          '^src/main\\.ts$',
          '^src/cli/main\\.ts$',
          '^bench/run\\.ts$',
          '^bench/[^/]+-process\\.ts$',
          '^scripts/[^/]+\\.ts$',
          '^sandbox/demo/main\\.ts$',
        ],
      },
      to: {},
    },
    {
      name: 'nothing-imports-tests-or-infra',
      severity: 'error',
      from: { pathNot: '^(test|infra|bench|scripts)/' },  // sandbox/ and cli/ included; scripts build docs from test scenarios
      to: { path: '^(test|infra|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
