/** The history-source variables: validated at start-up, every problem named at once. */
import { ConfigError, loadConfig } from '../../src/config';

const BASE = { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'secret', IR_RESPONDERS: 'U0RESPOND', IR_APPROVERS: 'U0APPROVE' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...BASE, ...env });
    return [];
  } catch (e) {
    return (e as ConfigError).problems;
  }
}

it('defaults to auto with no query engine configured', () => {
  expect(loadConfig(BASE).history).toEqual({ source: 'auto', athena: undefined, lake: undefined });
});

it('reads Athena and CloudTrail Lake settings', () => {
  const c = loadConfig({
    ...BASE,
    IR_HISTORY_SOURCE: 'Athena',
    IR_ATHENA_DATABASE: 'security',
    IR_ATHENA_TABLE: 'cloudtrail_org',
    IR_ATHENA_WORKGROUP: 'keyguard',
    IR_ATHENA_OUTPUT: 's3://keyguard-athena-results/queries/',
    IR_CLOUDTRAIL_LAKE_EDS: 'arn:aws:cloudtrail:eu-west-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE',
  });
  expect(c.history).toEqual({
    source: 'athena',
    athena: { database: 'security', table: 'cloudtrail_org', workgroup: 'keyguard', outputLocation: 's3://keyguard-athena-results/queries/' },
    lake: { eventDataStoreArn: 'arn:aws:cloudtrail:eu-west-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE', region: 'eu-west-1' },
  });
});

it('names every history problem at once', () => {
  const p = problems({
    IR_HISTORY_SOURCE: 'bigquery',
    IR_ATHENA_DATABASE: 'Security-DB',
    IR_ATHENA_OUTPUT: 'https://bucket/prefix',
    IR_CLOUDTRAIL_LAKE_EDS: 'eds-123',
  });
  expect(p).toEqual(expect.arrayContaining([
    expect.stringMatching(/^IR_HISTORY_SOURCE must be lookup, athena, lake or auto/),
    expect.stringMatching(/^IR_ATHENA_DATABASE must be a Glue database name/),
    expect.stringMatching(/^IR_ATHENA_OUTPUT must be an s3:\/\/ location/),
    expect.stringMatching(/^IR_CLOUDTRAIL_LAKE_EDS must be a CloudTrail Lake event data store ARN/),
    'Athena needs both IR_ATHENA_DATABASE and IR_ATHENA_TABLE',
  ]));
});

it('a forced source must be configured, and Athena needs a result location', () => {
  expect(problems({ IR_HISTORY_SOURCE: 'athena' })).toContain('IR_HISTORY_SOURCE=athena needs IR_ATHENA_DATABASE and IR_ATHENA_TABLE');
  expect(problems({ IR_HISTORY_SOURCE: 'lake' })).toContain('IR_HISTORY_SOURCE=lake needs IR_CLOUDTRAIL_LAKE_EDS');
  expect(problems({ IR_ATHENA_DATABASE: 'security', IR_ATHENA_TABLE: 'cloudtrail' })).toEqual([
    'Athena needs IR_ATHENA_OUTPUT (s3://…) or IR_ATHENA_WORKGROUP (a workgroup that sets its own result location)',
  ]);
  expect(problems({ IR_ATHENA_DATABASE: 'security', IR_ATHENA_TABLE: 'cloudtrail', IR_ATHENA_WORKGROUP: 'keyguard' })).toEqual([]);
});
