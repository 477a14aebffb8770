import { loadConfig, ConfigError } from '../../src/config';

const OK = { SLACK_BOT_TOKEN: 'xoxb-test-not-real', SLACK_SIGNING_SECRET: 'test-secret-not-real', IR_RESPONDERS: 'U0RESPOND', IR_APPROVERS: 'U0APPROVE' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

it('applies the documented defaults', () => {
  const c = loadConfig(OK);
  expect(c.slack.port).toBe(3000);
  expect(c.slack.appToken).toBeUndefined();
  expect(c.store).toEqual({ kind: 'embedded', dataDir: './.data', tableName: 'keyguard' });
  expect(c.approvalTtlMinutes).toBe(30);
  expect(c.dryRun).toBe(false);
  expect(c.quarantine).toBe(true);
  expect(c.responders).toEqual(['U0RESPOND']);
  // Unset: learned from each pull's own history.
  expect(c.usualRegions).toEqual([]);
});

it('parses every variable', () => {
  const c = loadConfig({
    ...OK,
    SLACK_APP_TOKEN: 'xapp-1-test',
    SLACK_API_URL: 'http://127.0.0.1:9/api',
    PORT: '8080',
    IR_TABLE_NAME: 'ir-prod',
    IR_CREATE_TABLE: 'true',
    IR_CHANNEL_ID: 'C0SECOPS',
    IR_RESPONDERS: 'U1AAA, W2BBB,S3CCC',
    IR_APPROVERS: 'S9APPROVERS',
    IR_REGIONS: 'us-east-1,eu-west-1',
    IR_USUAL_REGIONS: 'eu-west-1, us-east-1,eu-west-1',
    IR_DRY_RUN: 'yes',
    IR_APPROVAL_TTL_MINUTES: '15',
    IR_QUARANTINE: 'false',
    IR_TARGET_ROLE_NAME: 'keyguard-responder',
  });
  expect(c.slack.appToken).toBe('xapp-1-test');
  expect(c.slack.apiUrl).toBe('http://127.0.0.1:9/api/');
  expect(c.store).toEqual({ kind: 'dynamodb', tableName: 'ir-prod', createTable: true });
  expect(c.responders).toEqual(['U1AAA', 'W2BBB', 'S3CCC']);
  expect(c.regions).toEqual(['us-east-1', 'eu-west-1']);
  expect(c.usualRegions).toEqual(['eu-west-1', 'us-east-1']);
  expect(c.dryRun).toBe(true);
  expect(c.quarantine).toBe(false);
  expect(c.approvalTtlMinutes).toBe(15);
});

it('reports every problem at once', () => {
  const p = problems({
    PORT: 'eighty',
    IR_RESPONDERS: 'alice,U1OK',
    IR_REGIONS: 'us-east-1,mars-1',
    IR_USUAL_REGIONS: 'eu-west-1,europe',
    IR_DRY_RUN: 'maybe',
    IR_CHANNEL_ID: '#secops',
    IR_APPROVAL_TTL_MINUTES: '0',
  });
  expect(p).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^SLACK_BOT_TOKEN is required/),
      expect.stringMatching(/^SLACK_SIGNING_SECRET is required in HTTP mode/),
      expect.stringMatching(/^PORT must be a whole number/),
      expect.stringMatching(/^IR_RESPONDERS .*not valid: alice$/),
      expect.stringMatching(/^IR_REGIONS .*not valid: mars-1$/),
      expect.stringMatching(/^IR_USUAL_REGIONS .*not valid: europe$/),
      expect.stringMatching(/^IR_DRY_RUN must be true or false/),
      expect.stringMatching(/^IR_CHANNEL_ID must be a Slack channel id/),
      expect.stringMatching(/^IR_APPROVAL_TTL_MINUTES must be a whole number/),
      expect.stringMatching(/^IR_APPROVERS is required/),
    ]),
  );
  expect(p).toHaveLength(10);
});

it('Socket Mode needs no signing secret', () => {
  expect(problems({ SLACK_BOT_TOKEN: 'xoxb-test', SLACK_APP_TOKEN: 'xapp-test', IR_RESPONDERS: 'U0R', IR_APPROVERS: 'U0A' })).toEqual([]);
});

it('never prints a secret value, even a malformed one', () => {
  const secretish = 'supersecretvalue-123';
  const p = problems({ SLACK_BOT_TOKEN: secretish, SLACK_APP_TOKEN: `also-${secretish}` });
  expect(p.join('\n')).toMatch(/SLACK_BOT_TOKEN does not look like a Slack bot token/);
  expect(p.join('\n')).toMatch(/SLACK_APP_TOKEN does not look like a Slack app-level token/);
  expect(p.join('\n')).not.toContain(secretish);
});

it('IR_CREATE_TABLE needs IR_TABLE_NAME', () => {
  expect(problems({ ...OK, IR_CREATE_TABLE: 'true' })).toEqual([expect.stringMatching(/IR_CREATE_TABLE only makes sense with IR_TABLE_NAME/)]);
});

it('refuses to start open: responders and approvers must both be named, with one clear message each', () => {
  const { IR_RESPONDERS: _r, IR_APPROVERS: _a, ...open } = OK;
  expect(problems(open)).toEqual([
    'IR_RESPONDERS is required: the Slack users (U…) or user groups (S…) who may use the bot; set it to * only for a trial open to the whole workspace',
    'IR_APPROVERS is required: the Slack users (U…) or user groups (S…) who may approve changes in AWS',
  ]);
  // A blank value is as open as none.
  expect(problems({ ...OK, IR_RESPONDERS: ' ', IR_APPROVERS: '' })).toHaveLength(2);
});

it('an explicit * opens the responders for a trial, never the approvers', () => {
  expect(loadConfig({ ...OK, IR_RESPONDERS: '*' }).responders).toEqual(['*']);
  expect(problems({ ...OK, IR_APPROVERS: '*' })).toEqual(['IR_APPROVERS cannot be *: approvers are named users or user groups']);
  expect(problems({ ...OK, IR_RESPONDERS: '*,U0ALSO' })).toEqual([expect.stringMatching(/^IR_RESPONDERS .*not valid: \*$/)]);
});
