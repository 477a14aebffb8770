/** CloudTrail Lake statements kept within StartQuery's 10,000 characters. */
import { buildLakeQueries, buildLakeQuery, HistoryLookup, HistoryQueryError, LAKE_MAX_STATEMENT_CHARS } from '../../src/domain/history-query';

const EDS = 'arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/eds-0001';
const base: HistoryLookup = {
  accessKeyIds: ['AKIAEXAMPLEKEY234567'], userNames: [], roleArns: [], accounts: ['111122223333'], regions: ['us-east-1'],
  start: new Date('2026-10-01T00:00:00Z'), end: new Date('2026-10-02T00:00:00Z'),
};
const key = (i: number) => `ASIA${String(i).padStart(16, '0').replace(/\d/g, (d) => 'ABCDEFGHIJ'[Number(d)])}`;

it('one statement when it fits, the same as buildLakeQuery', () => {
  expect(buildLakeQueries(base, EDS)).toEqual([buildLakeQuery(base, EDS)]);
});

it('splits a large graph into statements that each fit, every principal in exactly one', () => {
  const keys = Array.from({ length: 900 }, (_, i) => key(i));
  const out = buildLakeQueries({ ...base, accessKeyIds: keys, userNames: ['ci'] }, EDS);
  expect(out.length).toBeGreaterThan(1);
  for (const sql of out) {
    expect(sql.length).toBeLessThanOrEqual(LAKE_MAX_STATEMENT_CHARS);
    expect(sql).toMatch(/^SELECT .* FROM eds-0001 WHERE eventTime >= '2026-10-01 00:00:00' AND eventTime <= '2026-10-02 00:00:00' AND recipientAccountId IN \('111122223333'\) AND awsRegion IN \('us-east-1'\) AND .* ORDER BY eventTime DESC$/);
  }
  for (const k of keys) expect(out.filter((sql) => sql.includes(`'${k}'`))).toHaveLength(1);
  expect(out.filter((sql) => sql.includes("'ci'"))).toHaveLength(1);
  // Packed: no statement could have taken the next principal.
  expect(out.slice(0, -1).every((sql) => sql.length > LAKE_MAX_STATEMENT_CHARS - 40)).toBe(true);
});

it('refuses, with a clear reason, when not even one principal fits', () => {
  const accounts = Array.from({ length: 700 }, (_, i) => String(100000000000 + i));
  expect(() => buildLakeQueries({ ...base, accounts }, EDS)).toThrow(HistoryQueryError);
  expect(() => buildLakeQueries({ ...base, accounts }, EDS)).toThrow(/exceed 10000 characters even for one principal/);
  expect(() => buildLakeQueries(base, EDS, 500)).toThrow(/exceed 500 characters/);
});
