/**
 * Recall and false positives over the labelled corpus (test/support/detection-corpus.ts):
 * every event alone through the summary, the way `/trail` judges it. Attacker events
 * (completed or refused) must give a finding of any severity; benign and failed look-alikes
 * must not. The figures are printed and recorded in BENCHMARKS.md.
 */
import { FAMILIES, Family } from '../../src/domain/detection-rules';
import { CORPUS, CorpusCase } from '../support/detection-corpus';
import { events, summarise, USER } from '../support/detection-cases';

function flaggedBy(c: CorpusCase): string[] {
  return summarise(events([c.spec], c.as ?? USER)).findings.map((f) => `${f.ruleId}${f.outcome === 'attempted' ? ' (attempted)' : ''}`);
}

const results = CORPUS.map((c) => ({ c, rules: flaggedBy(c) }));
const attacks = results.filter((r) => r.c.label === 'attack');
const lookAlikes = results.filter((r) => r.c.label !== 'attack');
const recall = attacks.filter((r) => r.rules.length > 0).length / attacks.length;
const falsePositiveRate = lookAlikes.filter((r) => r.rules.length > 0).length / lookAlikes.length;
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

beforeAll(() => {
  const families = [...new Set(CORPUS.map((c) => c.family))] as Family[];
  const lines = families.map((family) => {
    const a = attacks.filter((r) => r.c.family === family);
    const l = lookAlikes.filter((r) => r.c.family === family);
    return `  ${FAMILIES[family].title.padEnd(36)} attacker ${a.filter((r) => r.rules.length > 0).length}/${a.length}   look-alikes flagged ${l.filter((r) => r.rules.length > 0).length}/${l.length}`;
  });
  const missed = attacks.filter((r) => r.rules.length === 0).map((r) => `  missed: ${r.c.family}/${r.c.id} (${r.c.source})`);
  const wrong = lookAlikes.filter((r) => r.rules.length > 0).map((r) => `  flagged look-alike: ${r.c.family}/${r.c.id} → ${r.rules.join(', ')}`);
  console.log([
    `Detection corpus: ${CORPUS.length} events (${attacks.length} attacker, ${lookAlikes.length} benign or failed look-alikes)`,
    `recall on attacker events: ${pct(recall)}; look-alikes flagged: ${pct(falsePositiveRate)}`,
    ...lines, ...missed, ...wrong,
  ].join('\n'));
});

describe('the labelled corpus', () => {
  it('holds at least 150 single events, attacker events of every family and their look-alikes', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(150);
    const families: Family[] = ['databases', 'storage-and-encryption', 'public-exposure', 'network', 'defences', 'credentials-and-sessions', 'compute-and-functions'];
    for (const f of families) {
      expect(attacks.filter((r) => r.c.family === f).length).toBeGreaterThanOrEqual(5);
      expect(lookAlikes.filter((r) => r.c.family === f).length).toBeGreaterThanOrEqual(3);
    }
    expect(new Set(CORPUS.map((c) => `${c.family}/${c.id}`)).size).toBe(CORPUS.length);
  });

  it('flags at least 90 % of the attacker events', () => {
    expect(recall).toBeGreaterThanOrEqual(0.9);
  });

  it('flags at most 5 % of the benign and failed look-alikes', () => {
    expect(falsePositiveRate).toBeLessThanOrEqual(0.05);
  });

  it('reports every refused attacker call as an attempt, never as done', () => {
    const refused = attacks.filter((r) => r.c.spec.errorCode && /AccessDenied|Unauthorized|DryRun/.test(r.c.spec.errorCode));
    expect(refused.length).toBeGreaterThanOrEqual(5);
    for (const r of refused) {
      const findings = summarise(events([r.c.spec], r.c.as ?? USER)).findings;
      expect(findings.length).toBeGreaterThan(0);
      for (const f of findings) expect(f).toMatchObject({ outcome: 'attempted', done: 0 });
    }
  });
});
