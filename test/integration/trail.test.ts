/**
 * `/trail` and the ASIA trace in `/key-owner`, end to end: signed slash commands into the
 * real Bolt app, the real CloudTrail client against the project's emulator (several regions
 * on one endpoint), the fake Slack recording the progress message, the summary and the
 * uploaded exports.
 */
import { startHarness, Harness, responsesTo, blocksText } from '../support/harness';
import { startCloudTrailEmulator, CloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import {
  ACCOUNT_ID, assumedRoleIdentity, attackerScenario, assumeRoleChain, buildEvent, examplePrincipal, FixtureRandom, generateVolume, iamUserIdentity,
  loadEvents, routineActivity,
} from '../../sandbox/cloudtrail-fixtures';
import { resetMoto } from '../../sandbox/moto';

const RESPONDER = 'U0RESPOND';
const REGIONS = 'us-east-1,eu-west-1,ap-southeast-3';
const principal = examplePrincipal(7, 'ci-deployer');

let h: Harness;
let emu: CloudTrailEmulator;

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  emu = await startCloudTrailEmulator({ requestsPerSecond: 50 });
  h = await startHarness({ IR_RESPONDERS: RESPONDER, IR_REGIONS: REGIONS, IR_CHANNEL_ID: 'C0SECOPS' }, { cloudTrailUrl: emu.url });
});
afterEach(async () => {
  await h.close();
  await emu.close();
});

function summaryMessage(channel = 'C0SECOPS') {
  return h.slack.waitFor(
    () => h.slack.callsTo('chat.update').find((c) => c.args.channel === channel && blocksText(c.args).includes('CloudTrail for') && Array.isArray(c.args.blocks) && c.args.blocks[0]?.type === 'header'),
    'the summary',
  );
}

it('pulls every region, shows progress then the summary, and uploads CSV and NDJSON to the thread', async () => {
  const now = Date.now();
  const attack = attackerScenario({ seed: 3, principal, startMs: now - 2 * 86_400_000 });
  const routine = routineActivity({ seed: 4, principal, startMs: now - 6 * 86_400_000, endMs: now - 3 * 86_400_000, count: 150, regions: ['us-east-1', 'eu-west-1'] });
  loadEvents(emu, [...attack.events, ...routine]);
  const total = attack.events.length + routine.length;

  const res = await h.slash('/trail', `${principal.accessKeyId} 7d`, RESPONDER);
  expect(res.json.text).toContain('Searching CloudTrail for');
  const first = await h.slack.waitFor(() => h.slack.callsTo('chat.postMessage').find((c) => c.args.channel === 'C0SECOPS' && /Pulling CloudTrail/.test(c.args.text)), 'the progress message');
  const summary = await summaryMessage();
  // The progress message itself became the summary.
  const progressTs = h.slack.callsTo('chat.update').find((c) => c.args.ts === summary.args.ts);
  expect(progressTs).toBeDefined();
  expect(first.args.channel).toBe(summary.args.channel);
  const text = blocksText(summary.args);
  expect(text).toContain(`CloudTrail for ${principal.accessKeyId}`);
  expect(text).toContain('*Persistence*');
  expect(text).toContain('IAM user created');
  expect(text).toContain('`backup-svc`');
  expect(text).toContain('CloudTrail logging stopped');
  expect(text).toContain('Secrets read');
  expect(text).toContain('GPU instances launched');
  expect(text).toContain('in ap-southeast-3');

  // Every region was asked, and us-east-1 (IAM, STS, sign-in) among them.
  expect(Object.keys(emu.stats().byRegion).sort()).toEqual(['ap-southeast-3', 'eu-west-1', 'us-east-1']);

  // Exports: two files in the summary's thread, each holding every event.
  const done = await h.slack.waitFor(() => h.slack.callsTo('files.completeUploadExternal')[0], 'the upload');
  expect(done.args.thread_ts).toBe(summary.args.ts);
  expect(done.args.files).toHaveLength(2);
  const files = [...h.slack.uploads.values()];
  const csv = files.find((f) => f.filename!.endsWith('.csv'))!.content.toString();
  const ndjson = files.find((f) => f.filename!.endsWith('.ndjson'))!.content.toString();
  expect(csv.trim().split('\r\n')).toHaveLength(total + 1);
  expect(ndjson.trim().split('\n')).toHaveLength(total);
  expect(JSON.parse(ndjson.split('\n')[0]).eventName).toBeDefined();
});

describe('where the output goes', () => {
  const seed = () => loadEvents(emu, attackerScenario({ seed: 5, principal, startMs: Date.now() - 86_400_000 }).events);
  const postedTo = (channel: string) => [...h.slack.callsTo('chat.postMessage'), ...h.slack.callsTo('chat.update')].filter((c) => c.args.channel === channel);

  it('typed in a public channel, the history goes to the incident channel (IR_CHANNEL_ID), never there', async () => {
    seed();
    await h.slash('/trail', `${principal.accessKeyId} 7d`, RESPONDER, { channel_id: 'C0PUBLIC' });
    await summaryMessage('C0SECOPS');
    expect(postedTo('C0PUBLIC')).toEqual([]);
  });

  it('without an incident channel, the person who asked gets it in a DM', async () => {
    await h.close();
    h = await startHarness({ IR_RESPONDERS: RESPONDER, IR_REGIONS: REGIONS }, { cloudTrailUrl: emu.url });
    seed();
    await h.slash('/trail', `${principal.accessKeyId} 7d`, RESPONDER, { channel_id: 'C0PUBLIC' });
    await summaryMessage(`D${RESPONDER}`);
    expect(postedTo('C0PUBLIC')).toEqual([]);
  });
});

it('pages through many events and keeps everything in one message', async () => {
  const now = Date.now();
  const byRegion = generateVolume({ seed: 9, perRegion: 400, regions: ['us-east-1', 'eu-west-1'], principal, startMs: now - 5 * 86_400_000, endMs: now - 1000 });
  for (const [region, events] of byRegion) emu.setEvents(region, events);
  await h.slash('/trail', principal.accessKeyId, RESPONDER);
  const summary = await summaryMessage();
  expect(blocksText(summary.args)).toMatch(/\*Events\*\n800 /);
  // 400 events a region at 50 a page: 8 pages each, all followed through NextToken.
  expect(emu.stats().byRegion['us-east-1'].succeeded).toBeGreaterThanOrEqual(8);
  const posted = h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0SECOPS' && !c.args.thread_ts);
  expect(posted).toHaveLength(1);
  expect(new Set(h.slack.callsTo('chat.update').filter((c) => c.args.channel === 'C0SECOPS').map((c) => c.args.ts))).toEqual(new Set([summary.args.ts]));
});

describe('bad input', () => {
  it.each([
    ['nothing', '', 'Tell me what to look up'],
    ['a malformed key id', 'AKIA123', 'not an access key id, IAM user name or role ARN'],
    ['since after until', 'alice 1d 2d', '`since` must be before `until`'],
    ['an unknown time', 'alice yesterday', 'is not a time'],
    ['a pasted secret', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'secret access key'],
  ])('%s gets a clear answer and no CloudTrail call', async (_l, text, answer) => {
    const res = await h.slash('/trail', text, RESPONDER);
    expect(res.json.text).toContain(answer);
    expect(emu.stats().total.requests).toBe(0);
  });

  it('a user who is not a responder is refused', async () => {
    const res = await h.slash('/trail', 'alice', 'U0STRANGER');
    expect(blocksText(res.json)).toContain('limited to the incident responders');
  });

  it('asking for more than 90 days says CloudTrail keeps 90', async () => {
    await h.slash('/trail', 'alice 200d', RESPONDER);
    await summaryMessage();
    const note = await h.slack.waitFor(() => h.slack.callsTo('chat.postMessage').find((c) => /keeps 90 days/.test(c.args.text ?? '')), 'the note');
    expect(note.args.thread_ts).toBeDefined();
  });
});

it('/key-owner traces a temporary key back through two roles to the original long-term key', async () => {
  const chain = assumeRoleChain({
    seed: 11,
    origin: { kind: 'iam-user', principal },
    hops: [{ roleName: 'deploy', sessionName: 'ci-run-42' }, { roleName: 'prod-admin', sessionName: 'hop2', sourceIdentity: 'dana' }],
    startMs: Date.now() - 3_600_000,
  });
  loadEvents(emu, chain.events);
  const leaked = chain.issuedKeys.at(-1)!;
  const res = await h.slash('/key-owner', leaked, RESPONDER);
  const answer = await h.slack.waitFor(() => responsesTo(h, res.responseUrl)[0], 'the answer');
  const text = blocksText(answer.args);
  expect(text).toContain('Temporary credentials');
  expect(text).toContain('prod-admin');
  expect(text).toContain('deploy');
  expect(text).toContain('ci-run-42');
  expect(text).toContain(principal.accessKeyId);
});

it('finds an issuing AssumeRole logged outside us-east-1 (regional STS endpoint)', async () => {
  const chain = assumeRoleChain({ seed: 12, origin: { kind: 'iam-user', principal }, hops: [{ roleName: 'eu-deployer', sessionName: 'eu-run' }], startMs: Date.now() - 3_600_000 });
  emu.setEvents('eu-west-1', chain.events);
  const res = await h.slash('/key-owner', chain.issuedKeys[0], RESPONDER);
  const text = blocksText((await h.slack.waitFor(() => responsesTo(h, res.responseUrl)[0], 'the answer')).args);
  expect(text).toContain('eu-deployer');
  expect(text).toContain(principal.accessKeyId);
});

it('for a user\'s key, fetches each page once: the owner\'s other activity is left to `/trail <user>`', async () => {
  const { seedUser } = await import('../../sandbox/iam-seed');
  const { motoIam } = await import('../support/aws-clients');
  const { keyIds: [keyId] } = await seedUser(motoIam(), { userName: 'console-user' });
  const owner = { accountId: '123456789012', userName: 'console-user', accessKeyId: keyId };
  const now = Date.now();
  // A console sign-in has no access key id: it is the owner's, not the key's.
  const signIn = routineActivity({ seed: 8, principal: owner, regions: ['us-east-1'], startMs: now - 3_600_000, endMs: now - 60_000, count: 5 })
    .map((e) => ({ ...e, AccessKeyId: undefined }));
  loadEvents(emu, signIn);
  await h.slash('/trail', keyId, RESPONDER);
  const summary = await summaryMessage();
  expect(blocksText(summary.args)).toMatch(/\*Events\*\n0/);
  expect(blocksText(summary.args)).toContain('`/trail console-user`');
  expect(emu.requestLog().map((r) => r.attribute)).not.toContain('Username');
});

it('never passes on the session tokens CloudTrail recorded (summary, CSV and NDJSON)', async () => {
  const chain = assumeRoleChain({ seed: 13, origin: { kind: 'iam-user', principal }, hops: [{ roleName: 'ops', sessionName: 's1' }], startMs: Date.now() - 3_600_000 });
  expect(JSON.stringify(chain.events)).toContain('FAKE-SESSION-TOKEN-');
  loadEvents(emu, chain.events);
  await h.slash('/trail', principal.accessKeyId, RESPONDER);
  await summaryMessage();
  await h.slack.waitFor(() => h.slack.callsTo('files.completeUploadExternal')[0], 'the upload');
  const files = [...h.slack.uploads.values()].map((f) => f.content.toString());
  expect(files.join('\n')).toContain('AssumeRole');
  expect(files.join('\n')).toContain('[redacted]');
  const everything = [...files, ...h.slack.calls.map((c) => JSON.stringify(c.args))].join('\n');
  expect(everything).not.toContain('FAKE-SESSION-TOKEN-');
});


describe('with IR_USUAL_REGIONS and IR_TARGET_ROLE_NAME', () => {
  beforeEach(async () => {
    await h.close();
    h = await startHarness(
      { IR_RESPONDERS: RESPONDER, IR_REGIONS: REGIONS, IR_USUAL_REGIONS: 'us-east-1', IR_TARGET_ROLE_NAME: 'keyguard-responder', IR_CHANNEL_ID: 'C0SECOPS' },
      { cloudTrailUrl: emu.url },
    );
  });

  it('a role\'s history: keyguard\'s own revoke-sessions policy is not flagged, the attacker\'s trust change is', async () => {
    const rng = new FixtureRandom(77);
    const role = `arn:aws:iam::${ACCOUNT_ID}:role/deploy`;
    const now = Date.now();
    const common = { service: 'iam', region: 'us-east-1', userAgent: 'aws-sdk-js/3.600.0', resources: [{ ResourceType: 'AWS::IAM::Role', ResourceName: role }] };
    const keyguard = assumedRoleIdentity({ accountId: ACCOUNT_ID, roleName: 'keyguard-responder', sessionName: 'keyguard-U0APPROVE-INC7', accessKeyId: 'ASIAQQQQQQQQQQQQQQQ7' });
    loadEvents(emu, [
      buildEvent({ ...common, name: 'UpdateAssumeRolePolicy', timeMs: now - 3_600_000, identity: iamUserIdentity(principal), sourceIp: '198.51.100.23', requestParameters: { roleName: 'deploy', policyDocument: '{}' } }, rng),
      buildEvent({ ...common, name: 'PutRolePolicy', timeMs: now - 1_800_000, identity: keyguard, sourceIp: '192.0.2.50', requestParameters: { roleName: 'deploy', policyName: 'AWSRevokeOlderSessions', policyDocument: '{}' } }, rng),
    ]);
    await h.slash('/trail', role, RESPONDER);
    const text = blocksText((await summaryMessage()).args);
    expect(text).toContain('*Persistence* TA0003');
    expect(text).toContain('Role trust policy changed');
    expect(text).not.toContain('Role or group permissions changed');
    expect(text).toContain('Not judged by the rules: 1 keyguard containment calls');
    expect(text).toContain('Usual regions (IR_USUAL_REGIONS): us-east-1');
  });
});
