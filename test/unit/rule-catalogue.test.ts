import fs from 'node:fs';
import path from 'node:path';
import { DETECTION_RULES, TACTICS } from '../../src/domain/detection-rules';
import { CATALOGUE_END, CATALOGUE_START, ruleCatalogueMarkdown, withCatalogue } from '../../src/domain/detections/catalogue';

const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'detections.md'), 'utf8');

it('docs/detections.md lists the rules exactly as the code defines them (npm run docs:rules)', () => {
  const start = readme.indexOf(CATALOGUE_START);
  const end = readme.indexOf(CATALOGUE_END);
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  const inReadme = readme.slice(start + CATALOGUE_START.length, end).trim();
  expect(inReadme).toBe(ruleCatalogueMarkdown().trim());
});

it('the table has one row per rule naming its tactic, technique, events and severity', () => {
  const rows = ruleCatalogueMarkdown().trim().split('\n').slice(2);
  expect(rows).toHaveLength(DETECTION_RULES.length);
  DETECTION_RULES.forEach((r, i) => {
    expect(rows[i]).toContain(`\`${r.id}\``);
    expect(rows[i]).toContain(TACTICS[r.tactic].id);
    expect(rows[i]).toContain(r.technique.id);
    expect(rows[i]).toContain(`\`${r.events[0]}\``);
    expect(rows[i]).toContain(`| ${r.severity} |`);
  });
});

it('regenerating replaces only what is between the markers', () => {
  const doc = `# x\n\nbefore\n${CATALOGUE_START}\nstale\n${CATALOGUE_END}\nafter\n`;
  const out = withCatalogue(doc, '| t |\n');
  expect(out).toBe(`# x\n\nbefore\n${CATALOGUE_START}\n\n| t |\n\n${CATALOGUE_END}\nafter\n`);
  expect(withCatalogue(out, '| t |\n')).toBe(out);
  expect(() => withCatalogue('no markers')).toThrow(/markers/);
});
