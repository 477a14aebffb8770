/**
 * The playbook's Investigate step with IR_HISTORY_SOURCE=athena: after containment the
 * key's history comes from Athena (the emulator over the trail's log files), not from
 * LookupEvents, and the same findings and removable items follow.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHarness, Harness, blocksText } from '../support/harness';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../../sandbox/iam-seed';
import { resetMoto } from '../../sandbox/moto';
import { startCloudTrailEmulator, CloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import { attackerScenario } from '../../sandbox/cloudtrail-fixtures';
import { latestCard, buttonOn, click } from '../../sandbox/clicks';
import { incidentProbe } from '../../sandbox/incident-probe';
import { ACTION } from '../../src/slack/ids';
import { AthenaEmulator, startAthenaEmulator } from '../support/athena-emulator';
import { TrailRecord, writeTrailLogFiles } from '../support/trail-log-files';

const REQUESTER = 'U0REQUEST';
const APPROVERS = ['U0APPROVE1', 'U0APPROVE2'];
const CHANNEL = 'C0INCIDENT';

let h: Harness;
let lookup: CloudTrailEmulator;
let athena: AthenaEmulator;
let logRoot: string;

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  logRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'investigate-athena-'));
  lookup = await startCloudTrailEmulator({ requestsPerSecond: 100 });
  athena = await startAthenaEmulator({ logRoot, database: 'security', table: 'cloudtrail_org' });
});
afterEach(async () => {
  await h.close();
  await lookup.close();
  await athena.close();
  fs.rmSync(logRoot, { recursive: true, force: true });
});

const probe = incidentProbe(() => h.store);
const incident = async () => (await probe.current()) ?? { incident: undefined, steps: [], events: [] };

it('Investigate reads the key\'s history from Athena and finds what the attacker did', async () => {
  const iam = motoIam();
  const { keyIds: [keyId] } = await seedUser(iam, { userName: 'leaky' });
  await seedUser(iam, { userName: 'backup-svc', consolePassword: true, keys: 1 });
  const t0 = Date.now();
  const attack = attackerScenario({ seed: 5, principal: { accountId: '123456789012', userName: 'leaky', accessKeyId: keyId }, startMs: t0 + 1000 });
  writeTrailLogFiles(logRoot, attack.events.map((e) => JSON.parse(e.CloudTrailEvent) as TrailRecord));
  const shift = attack.endMs - t0 + 60_000;
  h = await startHarness(
    {
      IR_RESPONDERS: REQUESTER, IR_APPROVERS: APPROVERS.join(','), IR_CHANNEL_ID: CHANNEL, IR_REGIONS: 'us-east-1,eu-west-1,ap-southeast-3',
      IR_HISTORY_SOURCE: 'athena', IR_ATHENA_DATABASE: 'security', IR_ATHENA_TABLE: 'cloudtrail_org', IR_ATHENA_OUTPUT: 's3://keyguard-results/',
    },
    { cloudTrailUrl: lookup.url, athenaUrl: athena.endpoint, now: () => new Date(Date.now() + shift) },
  );
  await h.slash('/revoke-key', `${keyId} found on pastebin`, REQUESTER);
  await probe.until('contain awaiting approval', probe.stepIs('contain', 'awaiting_approval'));
  const card = await h.slack.waitFor(() => {
    const c = latestCard(h, CHANNEL);
    return c && blocksText(c).includes('Contain* needs') ? c : undefined;
  }, 'the contain card');
  await click(h, buttonOn(card, ACTION.approve), APPROVERS[0]);
  await probe.until('investigate done', probe.stepIs('investigate', 'succeeded'));

  const summary = await h.slack.waitFor(() => h.slack.callsTo('chat.update').find((c) => /CloudTrail for/.test(c.args.text ?? '') && c.args.blocks?.[0]?.type === 'header'), 'summary in thread');
  const text = blocksText(summary.args);
  expect(text).toContain('IAM user created');
  expect(text).toContain('CloudTrail logging stopped');
  // Athena answered, for the key and its owner, in the key's account: LookupEvents was not asked.
  const q = athena.queries.find((x) => x.parameters.includes(`'${keyId}'`));
  expect(q?.state).toBe('SUCCEEDED');
  expect(q?.parameters).toContain("'leaky'");
  expect(q?.parameters).toContain("'123456789012'");
  expect(lookup.stats().total.requests).toBe(0);
  const inv = (await incident()).steps.find((s) => s.name === 'investigate')!;
  expect(JSON.stringify(inv.result)).toContain('backup-svc');
  // The incident thread says which history answered, and why.
  const note = await h.slack.waitFor(() => h.slack.callsTo('chat.postMessage').find((c) => /\*Athena\* answered/.test(c.args.text ?? '')), 'the history note in the thread');
  expect(note.args.text).toMatch(/IR_HISTORY_SOURCE|athena/i);
  expect(note.args.text).toMatch(/Scanned .* at \$5\/TB/);
});
