/** The import rules of DESIGN.md §2, written down as a check (`npm run lint`). */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain is pure TypeScript: no SDK, no Slack, no adapters.',
      severity: 'error',
      from: { path: '^src/domain' },
      to: { path: ['^src/(aws|store|slack|app|config)', '@aws-sdk', '@slack', 'node_modules/(pino|dynalite)'] },
    },
    {
      name: 'only-config-reads-env',
      comment: 'Only src/config.ts reads process.env; everything else receives values.',
      severity: 'error',
      from: { pathNot: '^src/(config|main)\\.ts$' },
      // type-only imports of Config are fine
      to: { path: '^src/config\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'commands-and-workflows-use-ports',
      comment: 'commands/ and workflows/ reach AWS and DynamoDB through ports, never adapters.',
      severity: 'error',
      from: { path: '^(commands|workflows)' },
      to: { path: ['^src/(aws|store)/', '@aws-sdk'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'nothing-imports-tests-or-infra',
      severity: 'error',
      from: { pathNot: '^(test|infra|bench)' },
      to: { path: '^(test|infra|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
