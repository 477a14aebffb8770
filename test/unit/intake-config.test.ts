/** The intake variables: parsed, defaulted, and every mistake named at start-up. */
import { loadConfig, ConfigError } from '../../src/config';

const OK = { SLACK_BOT_TOKEN: 'xoxb-test-not-real', SLACK_SIGNING_SECRET: 'test-secret-not-real', IR_RESPONDERS: 'U0RESPOND', IR_APPROVERS: 'U0APPROVE' };
const SECRET = 'github-webhook-secret-not-real-0123';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

it('is off by default', () => {
  expect(loadConfig(OK).intake).toEqual({ queueUrl: undefined, github: undefined, autoContain: [] });
});

it('parses the queue, the webhook, the API URL and the auto-contain sources', () => {
  const c = loadConfig({
    ...OK, IR_CHANNEL_ID: 'C0SECOPS',
    IR_INTAKE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/keyguard-intake',
    GITHUB_WEBHOOK_SECRET: SECRET, GITHUB_TOKEN: 'ghs_not_real', GITHUB_API_URL: 'https://ghe.example.com/api/v3',
    IR_AUTO_CONTAIN: 'aws-health, github,aws-health',
  });
  expect(c.intake).toEqual({
    queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/keyguard-intake',
    github: { webhookSecret: SECRET, token: 'ghs_not_real', apiUrl: 'https://ghe.example.com/api/v3' },
    autoContain: ['aws-health', 'github'],
  });
  expect(loadConfig({ ...OK, IR_CHANNEL_ID: 'C0SECOPS', GITHUB_WEBHOOK_SECRET: SECRET, GITHUB_TOKEN: 'x' }).intake.github?.apiUrl).toBe('https://api.github.com');
});

it('names every intake mistake at once, never echoing a secret', () => {
  const p = problems({ ...OK, IR_INTAKE_QUEUE_URL: 'not a url', GITHUB_WEBHOOK_SECRET: 'short-s3cret', IR_AUTO_CONTAIN: 'aws-health,pagerduty', GITHUB_API_URL: 'ftp://x' });
  expect(p).toEqual(expect.arrayContaining([
    expect.stringMatching(/^IR_INTAKE_QUEUE_URL must be an http\(s\) URL/),
    'GITHUB_WEBHOOK_SECRET must be at least 16 characters (use a long random value, e.g. openssl rand -hex 32)',
    expect.stringMatching(/^GITHUB_API_URL must be an http\(s\) URL/),
    'IR_AUTO_CONTAIN must be comma-separated intake sources (aws-health, guardduty, github); not valid: pagerduty',
    'GITHUB_TOKEN is required with GITHUB_WEBHOOK_SECRET (the webhook does not carry the key id: the alert is read with the token)',
    'IR_CHANNEL_ID is required for automatic intake (IR_INTAKE_QUEUE_URL, GITHUB_WEBHOOK_SECRET): incidents nobody typed need a channel',
  ]));
  expect(p.join('\n')).not.toContain('short-s3cret');
});

it('refuses an auto-contain source that is not wired, and a token without the webhook', () => {
  expect(problems({ ...OK, IR_CHANNEL_ID: 'C0SECOPS', IR_AUTO_CONTAIN: 'guardduty,github', GITHUB_TOKEN: 'ghs_x' })).toEqual([
    'GITHUB_TOKEN is only used with GITHUB_WEBHOOK_SECRET; set both or neither',
    'IR_AUTO_CONTAIN names guardduty, but IR_INTAKE_QUEUE_URL is not set',
    'IR_AUTO_CONTAIN names github, but GITHUB_WEBHOOK_SECRET is not set',
  ]);
});
