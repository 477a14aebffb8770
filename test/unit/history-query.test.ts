import {
  buildAthenaQuery, buildLakeQuery, HistoryLookup, HistoryQueryError, recordFromAthenaRow, recordFromLakeRow, splitLookup,
} from '../../src/domain/history-query';
import { parseTrailEvent } from '../../src/domain/trail-event';

const TABLE = { database: 'security', table: 'cloudtrail_org' };

function lookup(over: Partial<HistoryLookup> = {}): HistoryLookup {
  return {
    accessKeyIds: ['AKIAIOSFODNN7EXAMPLE'],
    userNames: [],
    roleArns: [],
    start: new Date('2026-08-01T08:30:15.250Z'),
    end: new Date('2026-11-30T23:59:59.999Z'),
    accounts: ['111122223333'],
    regions: ['us-east-1', 'eu-west-1'],
    ...over,
  };
}

/** The WHERE clause's partition predicates, as a responder would check them in the query history. */
function partitionPredicates(sql: string): string[] {
  const where = sql.slice(sql.indexOf('WHERE'));
  return [/\baccount IN \((\?, )*\?\)/, /\bregion IN \((\?, )*\?\)/, /"timestamp" BETWEEN \? AND \?/].filter((re) => re.test(where)).map(String);
}

const VARIANTS: Array<[string, Partial<HistoryLookup>]> = [
  ['one key', {}],
  ['a credential graph of keys', { accessKeyIds: ['AKIAIOSFODNN7EXAMPLE', 'ASIAQWERTYUIOPASDFGH', 'ASIAZXCVBNMQWERTYUIO'] }],
  ['a user name only', { accessKeyIds: [], userNames: ['alice'] }],
  ['a role only', { accessKeyIds: [], roleArns: ['arn:aws:iam::111122223333:role/deploy'] }],
  ['several accounts and regions', { accounts: ['111122223333', '444455556666'], regions: ['us-east-1', 'us-west-2', 'eu-central-1'] }],
  ['a one-minute window', { start: new Date('2026-11-30T10:00:00Z'), end: new Date('2026-11-30T10:01:00Z') }],
];

test.each(VARIANTS)('every query names its partitions (%s)', (_name, over) => {
  const q = buildAthenaQuery(lookup(over), TABLE);
  expect(partitionPredicates(q.sql)).toHaveLength(3);
  expect(q.sql.match(/\?/g)).toHaveLength(q.parameters.length);
  expect(q.sql).toContain('FROM "security"."cloudtrail_org"');
});

test('a credential graph too large for one query is split, and every part keeps its partitions', () => {
  const keys = Array.from({ length: 450 }, (_, i) => `ASIA${String(i).padStart(16, '0')}`);
  const parts = splitLookup(lookup({ accessKeyIds: keys, userNames: ['alice'] }), 200);
  expect(parts).toHaveLength(3);
  expect(parts.flatMap((p) => [...p.accessKeyIds, ...p.userNames])).toEqual([...keys, 'alice']);
  for (const p of parts) expect(partitionPredicates(buildAthenaQuery(p, TABLE).sql)).toHaveLength(3);
});

test('the window becomes partition days and second-precision event times, both as parameters', () => {
  const q = buildAthenaQuery(lookup(), TABLE);
  expect(q.parameters).toEqual([
    "'111122223333'", "'us-east-1'", "'eu-west-1'",
    "'2026/08/01'", "'2026/11/30'",
    "'2026-08-01T08:30:15Z'", "'2026-11-30T23:59:59Z'",
    "'AKIAIOSFODNN7EXAMPLE'",
  ]);
});

test('a key, users and roles are searched together with OR, inside the partition predicates', () => {
  const q = buildAthenaQuery(lookup({ userNames: ['alice'], roleArns: ['arn:aws:iam::111122223333:role/deploy'] }), TABLE);
  expect(q.sql).toMatch(/AND \(useridentity\.accesskeyid IN \(\?\) OR useridentity\.username IN \(\?\) OR useridentity\.sessioncontext\.sessionissuer\.arn IN \(\?\)\)/);
});

test.each([
  ["a quote and OR", "alice' OR '1'='1"],
  ['a comment', "alice'--"],
  ['a statement', "x'; DROP TABLE cloudtrail; --"],
  ['a backslash', "x\\' OR 1=1"],
])('injection attempts stay parameters (%s)', (_name, hostile) => {
  const q = buildAthenaQuery(lookup({ accessKeyIds: [hostile], userNames: [hostile] }), TABLE);
  // The SQL text carries no quote at all: nothing a user typed can end a literal there.
  expect(q.sql).not.toContain("'");
  expect(q.sql).not.toContain(hostile);
  expect(q.parameters.filter((p) => p === `'${hostile.replace(/'/g, "''")}'`)).toHaveLength(2);
  // Each parameter is exactly one SQL string literal.
  for (const p of q.parameters) expect(p).toMatch(/^'(?:[^']|'')*'$/);
});

test('the table name is checked, and a lookup without accounts, regions or principals is refused', () => {
  expect(() => buildAthenaQuery(lookup(), { database: 'security', table: 'x"; DROP' })).toThrow(HistoryQueryError);
  expect(() => buildAthenaQuery(lookup({ accounts: [] }), TABLE)).toThrow(/account/);
  expect(() => buildAthenaQuery(lookup({ regions: [] }), TABLE)).toThrow(/region/);
  expect(() => buildAthenaQuery(lookup({ accessKeyIds: [] }), TABLE)).toThrow(/key, a user or a role/);
  expect(() => buildAthenaQuery(lookup({ start: new Date('2026-12-01'), end: new Date('2026-11-01') }), TABLE)).toThrow(/start before/);
});

test('an Athena row becomes the same TrailEvent a LookupEvents record gives', () => {
  const record = recordFromAthenaRow({
    eventid: 'e-1', eventtime: '2026-11-02T10:00:00Z', eventsource: 'iam.amazonaws.com', eventname: 'CreateUser',
    awsregion: 'us-east-1', sourceipaddress: '203.0.113.9', useragent: 'aws-cli/2', readonly: 'false',
    requestparameters: '{"userName":"backdoor"}', responseelements: '{"user":{"userName":"backdoor"}}',
    identity_type: 'AssumedRole', identity_arn: 'arn:aws:sts::111122223333:assumed-role/deploy/s1', identity_accountid: '111122223333',
    identity_accesskeyid: 'ASIAQWERTYUIOPASDFGH', issuer_arn: 'arn:aws:iam::111122223333:role/deploy', issuer_username: 'deploy',
  });
  const e = parseTrailEvent({ CloudTrailEvent: JSON.stringify(record) }, 'us-east-1');
  expect(e).toMatchObject({
    id: 'e-1', name: 'CreateUser', source: 'iam.amazonaws.com', time: '2026-11-02T10:00:00.000Z', readOnly: false,
    accessKeyId: 'ASIAQWERTYUIOPASDFGH', sourceIp: '203.0.113.9', userName: 'deploy',
    requestParameters: { userName: 'backdoor' },
    identity: { type: 'AssumedRole', sessionIssuerArn: 'arn:aws:iam::111122223333:role/deploy' },
  });
});

test('Lake: values are inlined only when they match AWS character sets; anything else is refused', () => {
  const sql = buildLakeQuery(lookup({ userNames: ['alice'] }), 'arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/eds-0123abcd');
  expect(sql).toMatch(/FROM eds-0123abcd WHERE eventTime >= '2026-08-01 08:30:15' AND eventTime <= '2026-11-30 23:59:59'/);
  expect(sql).toContain("recipientAccountId IN ('111122223333')");
  expect(sql).toContain("userIdentity.accessKeyId IN ('AKIAIOSFODNN7EXAMPLE')");
  expect(() => buildLakeQuery(lookup({ userNames: ["alice' OR '1'='1"] }), 'eds-1')).toThrow(HistoryQueryError);
  expect(() => buildLakeQuery(lookup({ accessKeyIds: ["AKIA' --"] }), 'eds-1')).toThrow(HistoryQueryError);
  expect(() => buildLakeQuery(lookup({ accounts: ['1 OR 1=1'] }), 'eds-1')).toThrow(HistoryQueryError);
});

test('a Lake row (timestamps and maps as Lake prints them) becomes a CloudTrail record', () => {
  const r = recordFromLakeRow({ eventid: 'l-1', eventtime: '2026-11-02 10:00:00.000', eventname: 'GetObject', requestparameters: '{bucketName=payroll, key=a.csv}' });
  expect(r).toMatchObject({ eventID: 'l-1', eventTime: '2026-11-02T10:00:00Z', requestParameters: { bucketName: 'payroll', key: 'a.csv' } });
});
