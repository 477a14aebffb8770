/**
 * `npm run demo`: a whole incident, played against the real bot in the sandbox. Starts moto
 * (a seeded account), the CloudTrail emulator (an attacker in several regions), the
 * simulated Slack workspace and the bot on its HTTP receiver; then people type and click as
 * they would in Slack, every request signed. Prints the conversation and writes it, with
 * the review pack the bot uploaded (timeline Markdown/CSV/JSON, the chart) and the
 * CloudTrail export, into a folder it names.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GetUserCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { startMoto, MotoServer } from '../moto';
import { startCloudTrailEmulator, CloudTrailEmulator } from '../cloudtrail-emulator';
import { startFakeSlack, FakeSlack } from '../fake-slack';
import { blocksText, buttonOn, click, latestCard, submitView } from '../clicks';
import { incidentProbe } from '../incident-probe';
import { SANDBOX_AWS_CREDENTIALS, SANDBOX_BOT_TOKEN, startSandboxBot, SandboxBot } from '../bot';
import { createTranscript, Transcript } from './transcript';
import { INCIDENT_CHANNEL, LEAKY_USER, PEOPLE, REGIONS, seedWorld } from './scenario';
import { ACTION, FIELD, VIEW } from '../../src/slack/ids';

export interface DemoOptions {
  /** Where the files go; created if missing. */
  outDir: string;
  /** Each transcript line as it is written (the terminal); default: nothing. */
  echo?: (line: string) => void;
  /** Progress of the sandbox itself (starting servers), not part of the transcript. */
  status?: (line: string) => void;
}

export interface DemoResult {
  incidentId: string;
  outDir: string;
  files: string[];
  wallMs: number;
  transcript: string;
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const began = Date.now();
  const status = o.status ?? (() => undefined);
  let moto: MotoServer | undefined;
  let trail: CloudTrailEmulator | undefined;
  let slack: FakeSlack | undefined;
  let bot: SandboxBot | undefined;
  try {
    status('starting moto_server (IAM, STS) …');
    moto = await startMoto();
    trail = await startCloudTrailEmulator({ requestsPerSecond: 50 });
    slack = await startFakeSlack({ token: SANDBOX_BOT_TOKEN });
    for (const p of Object.values(PEOPLE)) slack.users.set(p.id, { id: p.id, name: p.name, real_name: p.name, tz: p.tz, email: `${p.name}@example.com` });

    // The attack happened just before now as the bot sees it: the bot's clock runs ahead by
    // the attack's length (CloudTrail events cannot predate the key the attacker used).
    const attackStart = Date.now() + 1_000;
    status('seeding the account and the attacker\'s CloudTrail history …');
    const world = await seedWorld(moto.url, trail, attackStart);
    // The leak is reported five minutes after the attacker's last call.
    const shift = world.attack.endMs + 5 * 60_000 - Date.now();
    const now = () => new Date(Date.now() + shift);

    status('starting the bot …');
    bot = await startSandboxBot({
      slack,
      motoUrl: moto.url,
      cloudTrailUrl: trail.url,
      now,
      env: {
        IR_RESPONDERS: PEOPLE.responder.id,
        IR_APPROVERS: [PEOPLE.responder.id, PEOPLE.approver1.id, PEOPLE.approver2.id].join(','),
        IR_CHANNEL_ID: INCIDENT_CHANNEL.id,
        IR_REGIONS: REGIONS.join(','),
      },
    });
    const b = bot;
    const s = slack;
    const names = Object.fromEntries(Object.values(PEOPLE).map((p) => [p.id, p.name]));
    const t: Transcript = createTranscript({ slack: s, names, channels: { [INCIDENT_CHANNEL.id]: INCIDENT_CHANNEL.name, C0SECOPS: 'secops' }, echo: o.echo, start: began });
    const probe = incidentProbe(() => b.store);
    const until = (what: string, pred: () => Promise<boolean>) => probe.until(what, pred, 60_000);
    const stepState = async (name: string) => (await probe.current())?.steps.find((x) => x.name === name)?.state;
    const stepIs = (name: string, state: string) => async () => (await stepState(name)) === state;
    const reply = (responseUrl: string, what: string) => s.waitFor(() => s.responses.find((r) => r.method === new URL(responseUrl).pathname), what, 30_000);
    const card = () => latestCard({ slack: s, interact: b.interact }, INCIDENT_CHANNEL.id);
    const driver = { slack: s, interact: b.interact };
    const approveButton = (stepName: string) => {
      const block = card()?.blocks.find((x: any) => x.block_id === `kg_actions_${stepName}`);
      const el = block?.elements?.find((e: any) => e.action_id === ACTION.approve);
      return el ? { ...el, block_id: block.block_id } : undefined;
    };
    const waitApprove = (stepName: string, label: string) => s.waitFor(() => approveButton(stepName), `the Approve button of ${label}`, 30_000);
    const iam = new IAMClient({ region: 'us-east-1', endpoint: moto.url, credentials: SANDBOX_AWS_CREDENTIALS, maxAttempts: 2 });
    const responder = PEOPLE.responder;
    const [bob, carol] = [PEOPLE.approver1, PEOPLE.approver2];

    // 1. Detected.
    t.note(`A secret scanner finds access key ${world.leakedKeyId} (IAM user ${LEAKY_USER}) in a public repository.`);
    // 2. Who owns it?
    t.person(responder.name, `/key-owner ${world.leakedKeyId}`);
    const owner = await b.slash('/key-owner', world.leakedKeyId, responder.id, { channel_id: INCIDENT_CHANNEL.id });
    await reply(owner.responseUrl, 'the /key-owner answer');
    t.flush();

    // 3. /revoke-key opens the form; the responder fills it in.
    t.person(responder.name, '/revoke-key');
    const trigger = `demo-${Date.now()}.trigger`;
    await b.slash('/revoke-key', '', responder.id, { channel_id: INCIDENT_CHANNEL.id, trigger_id: trigger });
    await s.waitFor(() => s.callsTo('views.open')[0], 'the /revoke-key form');
    t.flush();
    t.person(responder.name, `submits the form: key ${world.leakedKeyId}, reason "found in a public GitHub repository", severity critical, detected now`);
    const submitted = await submitView(driver, VIEW.revokeKey, responder.id, {
      [FIELD.keyId.block]: { value: { type: 'plain_text_input', value: world.leakedKeyId } },
      [FIELD.reason.block]: { value: { type: 'plain_text_input', value: 'found in a public GitHub repository' } },
      [FIELD.severity.block]: { value: { type: 'static_select', selected_option: { value: 'critical' } } },
    }, JSON.stringify({ channel: INCIDENT_CHANNEL.id }));
    if (submitted.json?.response_action === 'errors') throw new Error(`the form was refused: ${JSON.stringify(submitted.json.errors)}`);
    await until('Contain to await approval', stepIs('contain', 'awaiting_approval'));
    await waitApprove('contain', 'Contain');
    t.flush();
    const incidentId = (await probe.current())!.incident.id;

    // 4. The requester tries to approve their own request: refused.
    t.person(responder.name, 'clicks Approve on Contain');
    const self = await click(driver, approveButton('contain'), responder.id, { channel: INCIDENT_CHANNEL.id });
    await reply(self.responseUrl, 'the self-approval refusal');
    t.flush();
    if ((await stepState('contain')) !== 'awaiting_approval') throw new Error('the requester\'s own approval was not refused');

    // 5. An approver approves: contained and verified, then CloudTrail is pulled.
    t.person(bob.name, 'clicks Approve on Contain');
    await click(driver, approveButton('contain'), bob.id, { channel: INCIDENT_CHANNEL.id });
    await until('Contain to succeed', stepIs('contain', 'succeeded'));
    t.flush();
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: LEAKY_USER }));
    const keyStatus = keys.AccessKeyMetadata?.find((k) => k.AccessKeyId === world.leakedKeyId)?.Status;
    t.note(`Checked in IAM (moto): key ${world.leakedKeyId} is ${keyStatus}.`);
    if (keyStatus !== 'Inactive') throw new Error(`the leaked key is ${keyStatus} after containment`);
    await until('Investigate to finish', stepIs('investigate', 'succeeded'));
    await s.waitFor(() => s.callsTo('files.completeUploadExternal')[0], 'the CloudTrail export', 30_000);
    t.flush();

    // 6. Remove the back-door user the leaked key created: two approvals.
    const removeLabel = `Remove IAM user ${world.attack.createdUsers[0]}`;
    const asks = await s.waitFor(() => {
      const block = card()?.blocks.find((x: any) => x.block_id === 'kg_asks') as any;
      const el = block?.elements.find((e: any) => e.text?.text === removeLabel);
      return el ? { ...el, block_id: 'kg_asks' } : undefined;
    }, `the "${removeLabel}" button`, 30_000);
    t.person(responder.name, `clicks ${removeLabel}`);
    await click(driver, asks, responder.id, { channel: INCIDENT_CHANNEL.id });
    const removal = async () => (await probe.current())!.steps.find((x) => x.title === removeLabel);
    await until('the removal to await approval', async () => (await removal())?.state === 'awaiting_approval');
    const removeStep = (await removal())!.name;
    await waitApprove(removeStep, removeLabel);
    t.flush();
    t.person(bob.name, `clicks Approve on ${removeLabel}`);
    await click(driver, approveButton(removeStep), bob.id, { channel: INCIDENT_CHANNEL.id });
    await until('one approval of the removal', async () => (await removal())!.approvals.length === 1);
    await s.waitFor(() => blocksText(card() ?? {}).includes(`${removeLabel}* needs 1 more`) && approveButton(removeStep), 'the card asking for one more approval', 30_000);
    t.flush();
    t.person(carol.name, `clicks Approve on ${removeLabel}`);
    await click(driver, approveButton(removeStep), carol.id, { channel: INCIDENT_CHANNEL.id });
    await until('the removal to succeed', async () => (await removal())?.state === 'succeeded');
    t.flush();
    const gone = await iam.send(new GetUserCommand({ UserName: world.attack.createdUsers[0] })).then(() => false, (e) => e.name === 'NoSuchEntityException');
    t.note(`Checked in IAM (moto): user ${world.attack.createdUsers[0]} ${gone ? 'no longer exists' : 'STILL EXISTS'}.`);
    if (!gone) throw new Error('the back-door user was not removed');

    // 7. Eradicate (two approvals), then Recover tells the owner.
    await waitApprove('eradicate', 'Eradicate');
    t.person(bob.name, 'clicks Approve on Eradicate');
    await click(driver, approveButton('eradicate'), bob.id, { channel: INCIDENT_CHANNEL.id });
    await until('one approval of Eradicate', async () => (await probe.current())!.steps.find((x) => x.name === 'eradicate')!.approvals.length === 1);
    await s.waitFor(() => blocksText(card() ?? {}).includes('Eradicate* needs 1 more') && approveButton('eradicate'), 'the card asking for one more approval', 30_000);
    t.flush();
    t.person(carol.name, 'clicks Approve on Eradicate');
    await click(driver, approveButton('eradicate'), carol.id, { channel: INCIDENT_CHANNEL.id });
    await until('Recover to finish', async () => ['succeeded', 'failed', 'skipped'].includes((await stepState('recover')) ?? ''));
    t.flush();

    // 8. Closed, with the review pack; 9. the timeline asked for again.
    t.person(bob.name, `/incident close ${incidentId} key deleted, back-door user removed, owner rotated the CI secret`);
    const closed = await b.slash('/incident', `close ${incidentId} key deleted, back-door user removed, owner rotated the CI secret`, bob.id, { channel_id: INCIDENT_CHANNEL.id });
    await reply(closed.responseUrl, 'the close answer');
    const packs = () => s.callsTo('files.completeUploadExternal').filter((c) => String(c.args.initial_comment ?? '').startsWith('Review pack'));
    await s.waitFor(() => packs()[0], 'the review pack', 60_000);
    t.flush();
    t.person(responder.name, `/incident timeline ${incidentId}`);
    const tl = await b.slash('/incident', `timeline ${incidentId}`, responder.id, { channel_id: INCIDENT_CHANNEL.id });
    await reply(tl.responseUrl, 'the timeline answer');
    await s.waitFor(() => packs().length >= 2, 'the second review pack', 60_000);
    t.flush();

    // The files: transcript, the last review pack, the CloudTrail export.
    fs.mkdirSync(o.outDir, { recursive: true });
    const files: string[] = [];
    const write = (name: string, content: string | Buffer) => {
      fs.writeFileSync(path.join(o.outDir, name), content);
      files.push(name);
    };
    const lastPack = packs().at(-1)!;
    const packIds = new Set((lastPack.args.files as Array<{ id: string }>).map((f) => f.id));
    for (const c of s.callsTo('files.completeUploadExternal')) {
      if (String(c.args.initial_comment ?? '').startsWith('Review pack') && c !== lastPack) continue;
      for (const f of c.args.files as Array<{ id: string }>) {
        const up = s.uploads.get(f.id);
        if (up?.filename && (packIds.has(f.id) || !files.includes(up.filename))) write(path.basename(up.filename), up.content);
      }
    }
    const wallMs = Date.now() - began;
    t.note(`Done in ${(wallMs / 1000).toFixed(1)} s. Files in ${o.outDir}: ${files.join(', ')}, transcript.txt`);
    write('transcript.txt', t.text());
    return { incidentId, outDir: o.outDir, files, wallMs, transcript: t.text() };
  } catch (e) {
    if (bot && process.env.KEYGUARD_DEMO_DEBUG) process.stderr.write(bot.logs.join(''));
    throw e;
  } finally {
    await bot?.close().catch(() => undefined);
    await slack?.close().catch(() => undefined);
    await trail?.close().catch(() => undefined);
    await moto?.stop().catch(() => undefined);
  }
}
