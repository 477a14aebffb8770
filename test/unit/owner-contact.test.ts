/**
 * Telling the key's owner (Recover): the real Slack Web API client against the fake Slack.
 * A failed email lookup is no longer swallowed: it is logged with a reference, and the step's
 * summary tells the responder what failed and that the owner must be told by hand.
 */
import { LogLevel, WebClient } from '@slack/web-api';
import { startFakeSlack, FakeSlack } from '../../sandbox/fake-slack';
import { SlackOwnerContact, slackFailure } from '../../src/slack/owner-contact';
import type { LogPort, OwnerNotice } from '../../src/ports';

const TOKEN = 'xoxb-test-not-a-real-token';
const notice: OwnerNotice = { incidentId: 'IR-20261202-0001', keyId: 'AKIAOWNERCONTACTTEST', reason: 'pasted in a gist', done: 'deactivated' };

let slack: FakeSlack;
let logged: Array<{ level: string; obj: Record<string, unknown>; msg?: string }>;
let contact: SlackOwnerContact;

function recordingLogger(): LogPort {
  const at = (level: string) => (a: object | string, msg?: string) => void logged.push(typeof a === 'string' ? { level, obj: {}, msg: a } : { level, obj: a as Record<string, unknown>, msg });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function clientFor(apiUrl: string) {
  return new WebClient(TOKEN, { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR });
}

beforeEach(async () => {
  slack = await startFakeSlack({ token: TOKEN });
  logged = [];
  let n = 0;
  contact = new SlackOwnerContact(clientFor(slack.apiUrl), recordingLogger(), () => `ref0000${++n}`);
});
afterEach(() => slack.close());

const dms = () => slack.callsTo('chat.postMessage');

it('a lookup Slack refuses is logged with a reference and the responder is told what failed', async () => {
  slack.failNext('users.lookupByEmail', 'missing_scope');
  const r = await contact.notifyOwner({ incidentId: notice.incidentId, keyId: notice.keyId, tags: { owner: 'alice@example.com' }, notice });
  expect(r.reached).toBeUndefined();
  expect(r.summary).toBe(
    'the owner could not be found in Slack; could not look up alice@example.com in Slack: Slack answered missing_scope (the bot needs the users:read.email scope) (reference `ref00001`): tell the owner yourself',
  );
  expect(dms()).toHaveLength(0);
  const warn = logged.filter((l) => l.msg === 'owner email lookup failed');
  expect(warn).toHaveLength(1);
  expect(warn[0]).toMatchObject({ level: 'warn', obj: { correlationId: 'ref00001', incidentId: notice.incidentId, email: 'alice@example.com' } });
  expect(warn[0].obj.err).toBeInstanceOf(Error);
});

it('when one address fails and the next finds the owner, the DM is sent and the failure still reported', async () => {
  slack.users.set('U0ALICE', { id: 'U0ALICE', name: 'alice', email: 'alice@corp.example' });
  slack.failNext('users.lookupByEmail', 'internal_error');
  const r = await contact.notifyOwner({ incidentId: notice.incidentId, keyId: notice.keyId, tags: { email: 'alice@old.example', contact: 'alice@corp.example' }, notice });
  expect(r.reached).toBe('U0ALICE');
  expect(r.summary).toBe('told <@U0ALICE> by DM what happened and what to do next; could not look up alice@old.example in Slack: Slack answered internal_error (reference `ref00001`)');
  expect(dms()).toHaveLength(1);
  expect(dms()[0].args.text).toContain(notice.keyId);
  expect(logged.filter((l) => l.obj.correlationId === 'ref00001')).toHaveLength(1);
});

it('no Slack account with that email is not a failure: nothing logged, the owner is told by hand', async () => {
  const r = await contact.notifyOwner({ incidentId: notice.incidentId, keyId: notice.keyId, tags: { email: 'nobody@example.com' }, notice });
  expect(r).toEqual({ summary: "no Slack owner found in the user's tags (slack, email, owner, contact): tell the owner yourself" });
  expect(logged.filter((l) => l.level === 'warn' || l.level === 'error')).toHaveLength(0);
});

it('Slack out of reach is reported as such', async () => {
  const down = await startFakeSlack({ token: TOKEN });
  const url = down.apiUrl;
  await down.close();
  const offline = new SlackOwnerContact(clientFor(url), recordingLogger(), () => 'refdown1');
  const r = await offline.notifyOwner({ incidentId: notice.incidentId, keyId: notice.keyId, tags: { owner: 'bob@example.com' }, notice });
  expect(r.summary).toContain('could not look up bob@example.com in Slack: Slack could not be reached (reference `refdown1`)');
  expect(logged.some((l) => l.obj.correlationId === 'refdown1')).toBe(true);
});

describe('slackFailure', () => {
  it('names what Slack said, or why the call failed', () => {
    expect(slackFailure({ code: 'slack_webapi_platform_error', data: { ok: false, error: 'account_inactive' } })).toBe('Slack answered account_inactive');
    expect(slackFailure({ code: 'slack_webapi_rate_limited_error' })).toBe('Slack rate-limited the lookup');
    expect(slackFailure(new Error('socket hang up'))).toBe('socket hang up');
    expect(slackFailure(undefined)).toBe('the lookup failed');
  });
});
