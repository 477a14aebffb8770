/**
 * A secret access key pasted into any free text is refused with a clear message and never
 * echoed: through the real Bolt app (signed slash commands and modal submissions), the fake
 * Slack recording every Web API call and response_url post, and a table of our own scanned
 * item by item afterwards. Checked: `/trail` arguments, a deny reason, a close resolution,
 * other `/incident` words and the form's role ARN; the secret is in no Slack call, no table
 * item and no log line.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startHarness, Harness, responsesTo } from '../support/harness';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../../sandbox/iam-seed';
import { resetMoto } from '../../sandbox/moto';
import { buttonOn, click, latestCard, submitView } from '../../sandbox/clicks';
import { startEmbeddedDynamo, EmbeddedDynamo } from '../../src/store/embedded-dynamo';
import { ensureTable } from '../../src/store/table-setup';
import { DynamoIncidentStore } from '../../src/store/incident-store';
import { DynamoWatchStore } from '../../src/store/watch-store';
import { incidentProbe } from '../../sandbox/incident-probe';
import { ACTION, FIELD, VIEW } from '../../src/slack/ids';

const REQUESTER = 'U0REQUEST';
const APPROVER = 'U0APPROVE1';
const CHANNEL = 'C0INCIDENT';
const TABLE = 'secrets-test';
// Secret-shaped test values (never real): without / or +, with +, and with /.
const PLAIN = 'wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY1';
const PLUS = 'wJalrXUtnFEMI+K7MDENG+bPxRfiCYEXAMPLEKEY';
const SLASH = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SECRETS = [PLAIN, PLUS, SLASH];

let h: Harness;
let dynamo: EmbeddedDynamo;
let keyId: string;

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  ({ keyIds: [keyId] } = await seedUser(motoIam(), { userName: 'leaky' }));
  dynamo = await startEmbeddedDynamo();
  await ensureTable(dynamo.client, TABLE, true);
  const shared = { store: new DynamoIncidentStore(dynamo.client, TABLE), watches: new DynamoWatchStore(dynamo.client, TABLE) };
  h = await startHarness({ IR_RESPONDERS: REQUESTER, IR_APPROVERS: APPROVER, IR_CHANNEL_ID: CHANNEL }, { shared });
});
afterEach(async () => {
  await h?.close();
  await dynamo?.close();
});

/** Every item in the table, as stored. */
async function tableText(): Promise<string> {
  const r = await DynamoDBDocumentClient.from(dynamo.client).send(new ScanCommand({ TableName: TABLE }));
  return JSON.stringify(r.Items);
}

/** Nothing the bot sent or kept anywhere holds any part of a secret that could identify it. */
async function expectNowhere(extra: string[] = []) {
  const slack = JSON.stringify([h.slack.calls, h.slack.responses]);
  const table = await tableText();
  const logs = h.logs.join('\n');
  for (const where of [slack, table, logs, ...extra]) {
    for (const s of SECRETS) {
      expect(where).not.toContain(s);
      // Not even a recognisable part of it.
      expect(where).not.toContain(s.slice(0, 20));
    }
  }
}

it('a secret in /trail, a deny reason or a close resolution is refused with a clear message and kept nowhere', async () => {
  // /trail: a labelled secret has a user name's shape; it is never searched, posted or named in a file.
  const acks: string[] = [];
  for (const text of [`aws_secret_access_key=${PLAIN}`, `leaky 7d AWS_SECRET_ACCESS_KEY:${PLUS}`, SLASH]) {
    const r = await h.slash('/trail', text, REQUESTER);
    expect(r.status).toBe(200);
    expect(r.json.text).toMatch(/secret access key.*Delete your message and treat the key as leaked/);
    acks.push(JSON.stringify(r.json));
  }
  expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  expect(h.slack.callsTo('files.getUploadURLExternal')).toHaveLength(0);

  // An incident to deny and close.
  await h.slash('/revoke-key', `${keyId} found in a public gist`, REQUESTER, { channel_id: CHANNEL });
  const probe = incidentProbe(() => h.store);
  await probe.until('contain awaiting approval', probe.stepIs('contain', 'awaiting_approval'));
  const id = (await probe.current())!.incident.id;

  // A deny reason: the modal refuses it, the step is untouched.
  const card = await h.slack.waitFor(() => buttonOn(latestCard(h, CHANNEL), ACTION.deny) && latestCard(h, CHANNEL), 'the card');
  await click(h, buttonOn(card, ACTION.deny), APPROVER);
  const modal = await h.slack.waitFor(() => h.slack.callsTo('views.open')[0], 'the deny modal');
  const denied = await submitView(h, VIEW.denyReason, APPROVER, { [FIELD.denyReason.block]: { value: { type: 'plain_text_input', value: `rotated, the old one was aws_secret_access_key = ${PLAIN}` } } }, modal.args.view.private_metadata);
  expect(denied.json).toMatchObject({ response_action: 'errors', errors: { [FIELD.denyReason.block]: expect.stringMatching(/secret access key.*treat it as leaked/) } });
  acks.push(JSON.stringify(denied.json));

  // A close resolution, and any other /incident words: refused before anything is read.
  for (const text of [`close ${id} rotated; it was AWS_SECRET_ACCESS_KEY: ${SLASH}`, `show ${PLUS}`]) {
    const r = await h.slash('/incident', text, APPROVER);
    expect(r.json.text).toMatch(/secret access key.*Delete your message and treat the key as leaked/);
    acks.push(JSON.stringify(r.json));
  }
  // The form's role ARN is free text too.
  const form = await submitView(h, VIEW.revokeKey, REQUESTER, {
    [FIELD.keyId.block]: { value: { type: 'plain_text_input', value: keyId } },
    [FIELD.roleArn.block]: { value: { type: 'plain_text_input', value: `arn:aws:iam::123456789012:role/x ${PLAIN}` } },
  }, JSON.stringify({ channel: CHANNEL }));
  expect(form.json).toMatchObject({ response_action: 'errors', errors: { [FIELD.roleArn.block]: expect.stringMatching(/secret access key/) } });
  acks.push(JSON.stringify(form.json));

  const b = (await h.store.get(id))!;
  expect(b.incident.status).toBe('open');
  expect(b.steps.find((s) => s.name === 'contain')!.state).toBe('awaiting_approval');
  expect(await h.store.listOpenIncidents()).toHaveLength(1);

  // A clean close still works afterwards (by an approver: Eradicate is not done).
  const ok = await h.slash('/incident', `close ${id} false alarm, test key`, APPROVER);
  expect((await h.slack.waitFor(() => responsesTo(h, ok.responseUrl)[0], 'the close')).args.text).toBe(`Closed ${id}.`);
  await new Promise((r) => setTimeout(r, 300));
  await expectNowhere(acks);
});
