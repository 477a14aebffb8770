/**
 * `/trail` end to end over an intrusion beyond IAM (databases, storage, a public queue,
 * network, GuardDuty, a console session minted from the key, miners protected from
 * termination), interleaved with the owner's look-alike calls: signed slash commands into
 * the real Bolt app, the real CloudTrail client against the emulator, the fake Slack. The
 * summary names each attack and the resource it touched, and none of the look-alikes; a
 * quiet history says which families LookupEvents could not check.
 */
import { startHarness, Harness, blocksText } from '../support/harness';
import { startCloudTrailEmulator, CloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import { ATTACKER_ACCOUNT_ID, examplePrincipal, loadEvents, routineActivity, widerIntrusion } from '../../sandbox/cloudtrail-fixtures';
import { resetMoto } from '../../sandbox/moto';

const RESPONDER = 'U0RESPOND';
const principal = examplePrincipal(11, 'etl-runner');

let h: Harness;
let emu: CloudTrailEmulator;

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  emu = await startCloudTrailEmulator({ requestsPerSecond: 50 });
  h = await startHarness({ IR_RESPONDERS: RESPONDER, IR_REGIONS: 'us-east-1,eu-west-1', IR_CHANNEL_ID: 'C0SECOPS' }, { cloudTrailUrl: emu.url });
});
afterEach(async () => {
  await h.close();
  await emu.close();
});

function summaryMessage() {
  return h.slack.waitFor(
    () => h.slack.callsTo('chat.update').find((c) => c.args.channel === 'C0SECOPS' && Array.isArray(c.args.blocks) && c.args.blocks[0]?.type === 'header' && blocksText(c.args).includes('CloudTrail for')),
    'the summary',
  );
}

it('names the database, storage, exposure, network, defence, session and compute attacks, and none of their look-alikes', async () => {
  const now = Date.now();
  const intrusion = widerIntrusion({ seed: 21, principal, startMs: now - 86_400_000 });
  const routine = routineActivity({ seed: 22, principal, startMs: now - 5 * 86_400_000, endMs: now - 2 * 86_400_000, count: 120, regions: ['us-east-1', 'eu-west-1'] });
  loadEvents(emu, [...routine, ...intrusion.events]);

  await h.slash('/trail', `${principal.accessKeyId} 7d`, RESPONDER);
  const text = blocksText((await summaryMessage()).args);

  for (const title of [
    'Snapshot or image shared with another account',
    'Database made publicly accessible',
    'Bucket versioning suspended or replication removed',
    'S3 server access logging turned off',
    'Resource opened to everyone',
    'Security group opened to the internet',
    'Network ACL opened to all traffic',
    'Security findings archived or suppressed',
    'Console session minted from keys',
    'Instances protected from termination',
  ]) expect(text).toContain(title);
  // Each finding names what it touched, and whom a share went to.
  expect(text).toContain(`orders-final-snap → ${ATTACKER_ACCOUNT_ID}`);
  expect(text).toContain('SQS queue payment-events → everyone');
  expect(text).toContain('sg-0attack3389 ← 0.0.0.0/0');
  for (const name of intrusion.attackerResources) expect(text).toContain(name);
  // The owner's harmless twins of the same calls are not findings.
  for (const name of intrusion.lookAlikeResources) expect(text).not.toContain(name);
  expect(text).not.toContain('tag-production');
});

it('a quiet history from LookupEvents says no findings, and which families it could not check', async () => {
  const now = Date.now();
  loadEvents(emu, routineActivity({ seed: 23, principal, startMs: now - 3 * 86_400_000, endMs: now - 3_600_000, count: 80, regions: ['us-east-1'] }));
  await h.slash('/trail', `${principal.accessKeyId} 7d`, RESPONDER);
  const text = blocksText((await summaryMessage()).args);
  expect(text).toContain('No sensitive actions matched the detection rules.');
  expect(text).toContain('Not checked: LookupEvents returns management events only');
  expect(text).toContain('Objects re-encrypted with a key the owner lacks');
  expect(text).toContain('Lambda functions invoked');
  expect(text).toContain('Athena or CloudTrail Lake');
});
