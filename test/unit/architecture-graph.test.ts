import { currentDoc, groupEdges, groupOf, mermaid } from '../../scripts/architecture-graph';

let doc: ReturnType<typeof currentDoc>;
beforeAll(() => {
  doc = currentDoc(); // dependency-cruiser reads every import once
}, 60_000);

it('docs/architecture.md shows the imports the code has (npm run docs:architecture)', () => {
  expect(doc.current).toBe(doc.next);
});

it('the picture never shows an adapter imported by anything but the wiring and its own concern', () => {
  const edges = doc.next.split('\n').filter((l) => l.includes('-->'));
  const into = (g: RegExp) => edges.filter((l) => g.test(l.split('-->')[1]));
  for (const l of into(/"(aws\/[^"]+|store)"/)) {
    const from = /"([^"]+)"/.exec(l.split('-->')[0])![1];
    expect([from, l]).toEqual([expect.stringMatching(/^(wiring|aws\/.+)$/), l]);
  }
  expect(into(/"aws\/containment"/).length).toBeGreaterThan(0);
});

it('groups modules by folder and draws one arrow per folder-level import', () => {
  expect(groupOf('src/aws/containment/iam-state.ts')).toBe('aws/containment');
  expect(groupOf('src/domain/detections/impact.ts')).toBe('domain');
  expect(groupOf('workflows/engine/run.ts')).toBe('workflows');
  expect(groupOf('src/config.ts')).toBe('shared (config, errors, logger, http)');
  expect(groupOf('test/unit/x.test.ts')).toBeUndefined();
  const edges = groupEdges([
    { source: 'src/wiring/core.ts', dependencies: [{ resolved: 'src/aws/access/index.ts', coreModule: false, couldNotResolve: false }, { resolved: 'src/wiring/clients.ts', coreModule: false, couldNotResolve: false }, { resolved: 'fs', coreModule: true, couldNotResolve: false }] },
    { source: 'src/wiring/clients.ts', dependencies: [{ resolved: 'src/aws/access/index.ts', coreModule: false, couldNotResolve: false }] },
  ]);
  expect(edges).toEqual(['wiring|aws/access']);
  expect(mermaid(edges)).toContain('n0["wiring"] --> n1["aws/access"]');
});
