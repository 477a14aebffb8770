/**
 * The import rules of the layout (README "Layout"), written down as a check (`npm run lint`):
 *
 *   src/domain  ←  src/ports  ←  adapters (src/aws, src/store, src/slack)
 *                     ↑
 *        commands/, workflows/ (through ports only)      src/app.ts wires the concrete ones
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
      from: { pathNot: '^(src/(config|main|cli/main)|sandbox/bot)\\.ts$' },
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
      name: 'nothing-imports-tests-or-infra',
      severity: 'error',
      from: { pathNot: '^(test|infra|bench)' },  // sandbox/ and cli/ included
      to: { path: '^(test|infra|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
