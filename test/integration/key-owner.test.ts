/**
 * `/key-owner` end to end: signed slash commands into the real Bolt receiver, real IAM/STS
 * clients against moto, answers read back from the fake Slack.
 */
import { startHarness, Harness, responsesTo, blocksText, TEST_SIGNING_SECRET } from '../support/harness';
import { motoIam, MOTO_ACCOUNT } from '../support/aws-clients';
import { seedUser, seedUserInAccount } from '../../sandbox/iam-seed';
import { resetMoto } from '../../sandbox/moto';
import { signedPost, slashCommandBody } from '../../sandbox/slack-signer';
import { startFaultProxy, FaultProxy } from '../support/fault-proxy';

const RESPONDER = 'U0RESPOND';

let h: Harness;
beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  h = await startHarness({ IR_RESPONDERS: `${RESPONDER},S0SECTEAM` });
  h.slack.userGroups.set('S0SECTEAM', ['U0GROUPIE']);
});
afterEach(() => h.close());

async function ask(text: string, user = RESPONDER) {
  const res = await h.slash('/key-owner', text, user);
  expect(res.status).toBe(200);
  return res;
}

/** The final answer: the last response_url post, or the ack body when nothing followed. */
async function finalAnswer(res: { json?: any; responseUrl: string }): Promise<string> {
  const posted = await h.slack.waitFor(() => responsesTo(h, res.responseUrl)[0], 'the answer on response_url');
  return blocksText(posted.args);
}

it('answers with owner, status, last use, tags, groups, policies, password, MFA and quarantine', async () => {
  const iam = motoIam();
  const { keyIds } = await seedUser(iam, {
    userName: 'ci-deployer',
    tags: { owner: 'dana@example.com', team: 'platform', CostCenter: '42' },
    groups: ['deployers'],
    managedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess', 'arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3'],
    inlinePolicyNames: ['read-artifacts'],
    consolePassword: true,
    mfa: false,
    keys: 2,
  });
  const res = await ask(`\`${keyIds[0]}\``);
  expect(res.json.text).toContain('Looking up');
  const text = await finalAnswer(res);
  expect(text).toContain(`Key ${keyIds[0]} belongs to ci-deployer`);
  expect(text).toContain(MOTO_ACCOUNT);
  expect(text).toContain("this bot's account");
  expect(text).toMatch(/\*Status\*\nActive/);
  expect(text).toContain('active, never used');
  expect(text).toContain('admin policy attached (AdministratorAccess)');
  expect(text).toContain('console password and no MFA');
  expect(text).toContain('AWSCompromisedKeyQuarantineV3 is attached');
  expect(text).toContain('owner=dana@example.com');
  expect(text).toContain('team=platform');
  expect(text).not.toContain('CostCenter');
  expect(text).toContain('deployers');
  expect(text).toContain('read-artifacts');
  expect(text).toContain(`${keyIds[1]} (Active)`);
  expect(text).toContain('1 other active key(s)');
});

it('shows an inactive key with MFA as such', async () => {
  const { keyIds } = await seedUser(motoIam(), { userName: 'old-svc', mfa: true, keys: 1, inactiveKeys: 1 });
  const text = await finalAnswer(await ask(keyIds[0]));
  expect(text).toMatch(/\*Status\*\nInactive/);
  expect(text).toContain('already inactive');
  expect(text).toMatch(/\*MFA\*\n1 device/);
  expect(text).not.toContain('no MFA');
});

it('says plainly when a key does not exist in the account', async () => {
  const text = await finalAnswer(await ask('AKIAIOSFODNN7EXAMPLE'));
  expect(text).toContain('No access key `AKIAIOSFODNN7EXAMPLE` exists in account 123456789012');
});

it('answers a temporary key with its account and what it is', async () => {
  const text = await finalAnswer(await ask('ASIAIOSFODNN7EXAMPLE'));
  expect(text).toContain('Temporary key ASIAIOSFODNN7EXAMPLE');
  expect(text).toContain('Temporary credentials (STS)');
  expect(text).toContain(MOTO_ACCOUNT);
});

it('says when a key belongs to another account and what to configure', async () => {
  const key = await seedUserInAccount('111111111111', 'elsewhere');
  const text = await finalAnswer(await ask(key));
  expect(text).toContain("key belongs to account 111111111111, not the bot's account 123456789012");
  expect(text).toContain('IR_TARGET_ROLE_NAME');
});

describe('bad input', () => {
  it.each([
    ['short', 'AKIA123', 'found 3'],
    ['lowercase', 'akiaiosfodnn7example', 'upper case'],
    ['AKIA + 15', 'AKIAIOSFODNN7EXAMPL', 'found 15'],
    ['AKIA + 17', 'AKIAIOSFODNN7EXAMPLEE', 'found 17'],
    ['base32-invalid 0/1/8/9', 'AKIAIOSF0DNN1EXAMP89', 'never appear in a key id'],
    ['unknown command text', 'who owns the prod key?', 'starts with AKIA or ASIA'],
    ['nothing', '', 'Give me an access key id'],
  ])('%s gets a usage message and no AWS call', async (_label, text, detail) => {
    const res = await ask(text);
    expect(res.json.response_type).toBe('ephemeral');
    expect(blocksText(res.json)).toContain(detail);
    expect(blocksText(res.json)).toContain('Usage: `/key-owner <access-key-id>`');
    expect(responsesTo(h, res.responseUrl)).toHaveLength(0);
  });

  it.each([
    ['angle brackets', '<AKIAIOSFODNN7EXAMPLE>'],
    ['backticks', '`AKIAIOSFODNN7EXAMPLE`'],
  ])('an id wrapped in %s is accepted', async (_label, text) => {
    const answer = await finalAnswer(await ask(text));
    expect(answer).toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('a pasted secret key is refused with a warning, and neither echoed nor logged', async () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const res = await ask(secret);
    const text = blocksText(res.json);
    expect(text).toContain('looks like a secret access key');
    expect(text).toContain('delete your message');
    expect(text).not.toContain(secret);
    expect(h.logs.join('\n')).not.toContain(secret);
  });

  it('a user who is not a responder is refused politely', async () => {
    const res = await ask('AKIAIOSFODNN7EXAMPLE', 'U0STRANGER');
    expect(blocksText(res.json)).toContain('limited to the incident responders');
    expect(responsesTo(h, res.responseUrl)).toHaveLength(0);
  });

  it('a user group Slack cannot resolve gets a clear answer naming the group and the scope', async () => {
    h.slack.failNext('usergroups.users.list', 'missing_scope', 5);
    const res = await h.slash('/key-owner', 'AKIAIOSFODNN7EXAMPLE', 'U0SOMEONE');
    expect(res.status).toBe(200); // Slack still got its acknowledgement in time
    const answer = await h.slack.waitFor(() => responsesTo(h, res.responseUrl)[0], 'the answer');
    expect(answer.args.text).toContain('S0SECTEAM');
    expect(answer.args.text).toContain('usergroups:read');
  });

  it('a member of a responder user group is allowed', async () => {
    const answer = await finalAnswer(await ask('AKIAIOSFODNN7EXAMPLE', 'U0GROUPIE'));
    expect(answer).toContain('AKIAIOSFODNN7EXAMPLE');
    expect(h.slack.callsTo('usergroups.users.list')[0].args.usergroup).toBe('S0SECTEAM');
  });
});

describe('request signatures', () => {
  const body = () => slashCommandBody({ command: '/key-owner', text: 'AKIAIOSFODNN7EXAMPLE', user_id: RESPONDER, response_url: h.slack.responseUrl() });

  it('a forged signature is refused and does nothing', async () => {
    const res = await signedPost({ url: h.url, signingSecret: 'not-the-secret', body: body() });
    expect(res.status).toBe(401);
    expect(h.slack.responses).toHaveLength(0);
  });

  it('a timestamp older than 5 minutes is refused', async () => {
    const res = await signedPost({ url: h.url, signingSecret: TEST_SIGNING_SECRET, body: body(), timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(res.status).toBe(401);
  });

  it('a timestamp more than 5 minutes in the future is refused', async () => {
    const res = await signedPost({ url: h.url, signingSecret: TEST_SIGNING_SECRET, body: body(), timestamp: Math.floor(Date.now() / 1000) + 301 });
    expect(res.status).toBe(401);
  });

  it('a body changed after signing is refused', async () => {
    const b = body();
    const ts = Math.floor(Date.now() / 1000);
    const { sign } = await import('../../sandbox/slack-signer');
    const res = await signedPost({ url: h.url, signingSecret: TEST_SIGNING_SECRET, body: b.replace('AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLF'), timestamp: ts, signature: sign(TEST_SIGNING_SECRET, ts, b) });
    expect(res.status).toBe(401);
  });
});

describe('AWS faults', () => {
  let proxy: FaultProxy;
  beforeEach(async () => {
    proxy = await startFaultProxy(process.env.MOTO_URL!);
    await h.close();
    h = await startHarness({ IR_RESPONDERS: RESPONDER }, { readEndpoint: proxy.url });
  });
  afterEach(() => proxy.close());

  it('AccessDenied on the owner lookup names the IAM action to grant', async () => {
    const { keyIds } = await seedUser(motoIam(), { userName: 'svc' });
    proxy.failNext('GetAccessKeyLastUsed', 'access-denied', 5);
    const text = await finalAnswer(await ask(keyIds[0]));
    expect(text).toContain('AWS denied `iam:GetAccessKeyLastUsed`');
    expect(text).toContain('Grant it');
  });

  it('a denied secondary read is shown as a gap, and the rest of the answer still comes', async () => {
    const { keyIds } = await seedUser(motoIam(), { userName: 'svc', groups: ['ops'] });
    proxy.failNext('ListGroupsForUser', 'access-denied', 5);
    const text = await finalAnswer(await ask(keyIds[0]));
    expect(text).toContain('belongs to svc');
    expect(text).toContain('could not read: AWS denied iam:ListGroupsForUser to the bot');
  });

  it('throttling is retried and the answer still comes', async () => {
    const { keyIds } = await seedUser(motoIam(), { userName: 'svc' });
    proxy.failNext('GetAccessKeyLastUsed', 'throttling', 1);
    const text = await finalAnswer(await ask(keyIds[0]));
    expect(text).toContain('belongs to svc');
    expect(proxy.requests('GetAccessKeyLastUsed').map((r) => r.injected ?? 'ok')).toEqual(['throttling', 'ok']);
  });

  it('throttling that does not stop gets a clear try-again message', async () => {
    const { keyIds } = await seedUser(motoIam(), { userName: 'svc' });
    proxy.failNext('GetAccessKeyLastUsed', 'throttling', 50);
    const text = await finalAnswer(await ask(keyIds[0]));
    expect(text).toContain('AWS is throttling `iam:GetAccessKeyLastUsed`');
    expect(text).toContain('Try again in a minute');
  });
});

