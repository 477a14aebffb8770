import { chooseHistorySource, HistoryChoiceInput, lookupCanCover, scanCostUsd } from '../../src/domain/history-choice';
import { historyNote } from '../../src/slack/history-note';

const NOW = new Date('2026-12-01T12:00:00Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);

function input(over: Partial<HistoryChoiceInput> = {}): HistoryChoiceInput {
  return { setting: 'auto', athenaConfigured: true, lakeConfigured: false, start: daysAgo(7), now: NOW, dataEvents: false, accounts: 1, ...over };
}

describe('auto', () => {
  it.each<[string, Partial<HistoryChoiceInput>, string, RegExp]>([
    ['a week, one account, management events', {}, 'lookup', /LookupEvents answers directly/],
    ['beyond 90 days', { start: daysAgo(200) }, 'athena', /200 days back, beyond LookupEvents' 90/],
    ['data events wanted', { dataEvents: true }, 'athena', /data events/],
    ['several accounts', { accounts: 3 }, 'athena', /3 accounts/],
    ['only Lake configured, beyond 90 days', { athenaConfigured: false, lakeConfigured: true, start: daysAgo(120) }, 'lake', /beyond/],
    ['nothing configured, beyond 90 days', { athenaConfigured: false, start: daysAgo(120) }, 'lookup', /no Athena table or CloudTrail Lake/],
  ])('%s → %s', (_name, over, source, why) => {
    const c = chooseHistorySource(input(over));
    expect(c.source).toBe(source);
    expect(c.why).toMatch(why);
  });
});

it('a forced source wins when configured, and says so when it is not', () => {
  expect(chooseHistorySource(input({ forced: 'lookup', start: daysAgo(200) }))).toEqual({ source: 'lookup', why: 'asked for with `source:lookup`' });
  expect(chooseHistorySource(input({ forced: 'athena' })).source).toBe('athena');
  const lake = chooseHistorySource(input({ forced: 'lake' }));
  expect(lake.source).toBe('athena');
  expect(lake.why).toMatch(/`source:lake` was asked for, but CloudTrail Lake is not configured \(IR_CLOUDTRAIL_LAKE_EDS\); Athena answered instead/);
});

it('a pinned setting is used as is', () => {
  expect(chooseHistorySource(input({ setting: 'lookup', start: daysAgo(200), accounts: 4 })).source).toBe('lookup');
  expect(chooseHistorySource(input({ setting: 'athena' }))).toEqual({ source: 'athena', why: 'IR_HISTORY_SOURCE=athena' });
});

it('LookupEvents can stand in only within 90 days and one account', () => {
  expect(lookupCanCover({ start: daysAgo(89), now: NOW, accounts: 1 })).toBe(true);
  expect(lookupCanCover({ start: daysAgo(91), now: NOW, accounts: 1 })).toBe(false);
  expect(lookupCanCover({ start: daysAgo(1), now: NOW, accounts: 2 })).toBe(false);
});

it('cost: $5 per TB scanned, Athena billing at least 10 MB a query', () => {
  expect(scanCostUsd([2e12])).toBe(10);
  expect(scanCostUsd([1000, 1000], 10 * 1024 * 1024)).toBeCloseTo((2 * 10 * 1024 * 1024 / 1e12) * 5, 12);
});

it('the thread note names the source, the reason, Athena\'s failure and the query to rerun', () => {
  const text = historyNote({
    source: 'lookup',
    why: 'Athena could not answer, so LookupEvents did',
    fallback: { from: 'athena', kind: 'scan-limit', reason: 'Query cancelled! : Bytes scanned limit was exceeded', queryId: 'q-1' },
    window: { start: '2026-11-01T00:00:00.000Z', end: '2026-11-08T00:00:00.000Z' },
  });
  expect(text).toContain('*LookupEvents* answered: Athena could not answer, so LookupEvents did. Window 2026-11-01T00:00Z to 2026-11-08T00:00Z.');
  expect(text).toContain('Athena hit the workgroup scan limit (query `q-1`): Query cancelled! : Bytes scanned limit was exceeded');
  const cut = historyNote({
    source: 'athena', why: 'IR_HISTORY_SOURCE=athena',
    query: { source: 'athena', queryIds: ['q-2'], scannedBytes: 3_400_000_000, costUsd: 0.017, events: 2_000_000, pages: 2000, elapsedMs: 61_000, truncated: { at: 2_000_000, queryId: 'q-2' } },
    window: { start: '2026-06-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' },
  });
  expect(cut).toContain('Scanned 3.4 GB ($0.02 at $5/TB) in 61.0 s; 2000000 events; query `q-2`.');
  expect(cut).toContain('Cut at 2000000 events (the export limit): rerun query `q-2`');
});
