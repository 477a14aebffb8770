/**
 * Automatic intake end to end: real-shaped EventBridge events (AWS Health, GuardDuty) put
 * on an SQS queue in moto, signed GitHub webhook deliveries posted to the bot's HTTP
 * listener (alerts read from a fake GitHub REST API), the real Bolt app and engine, IAM in
 * moto, the fake Slack. Checked: the card, the record (source, detected-at), one incident
 * per key, poison messages in the DLQ, forged webhooks refused, auto-containment only for
 * the configured source.
 */
import { ListAccessKeysCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { sign } from '@octokit/webhooks-methods';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { startHarness, Harness, blocksText, HarnessOptions } from '../support/harness';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../../sandbox/iam-seed';
import { resetMoto } from '../../sandbox/moto';
import { latestCard, buttonOn, click } from '../../sandbox/clicks';
import { ACTION } from '../../src/slack/ids';
import { motoSqs, intakeQueues, deliver, queueDepth, peek } from '../support/sqs';
import { startFakeGitHub, FakeGitHub } from '../support/fake-github';
import { healthEvent, guardDutyFinding, githubWebhook, githubRestAlert, githubLocations } from '../support/intake-events';
import { POISON_REASON_ATTRIBUTE } from '../../src/intake/sqs-poller';
import { DynamoIncidentStore } from '../../src/store/incident-store';
import { DynamoWatchStore } from '../../src/store/watch-store';
import { startEmbeddedDynamo, EmbeddedDynamo } from '../../src/store/embedded-dynamo';
import { ensureTable } from '../../src/store/table-setup';
import type { Incident, StepRecord } from '../../src/domain/incident';
import { startIntake } from '../../src/wiring';
import { createLogger } from '../../src/logger';

const CHANNEL = 'C0INCIDENT';
const APPROVER = 'U0APPROVE1';
const APPROVER2 = 'U0APPROVE2';
const WEBHOOK_SECRET = 'test-webhook-secret-not-real-0123';
const GITHUB_TOKEN = 'ghs_test_token_not_real';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';

let h: Harness | undefined;
let github: FakeGitHub;
let sqs: SQSClient;
let queues: { queueUrl: string; dlqUrl: string };
let keyId: string;
let otherKey: string;

async function start(env: Record<string, string> = {}, opts: HarnessOptions = {}) {
  h = await startHarness(
    {
      IR_CHANNEL_ID: CHANNEL, IR_RESPONDERS: APPROVER, IR_APPROVERS: `${APPROVER},${APPROVER2},S0SECOPS`,
      IR_INTAKE_QUEUE_URL: queues.queueUrl, GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET, GITHUB_TOKEN, GITHUB_API_URL: github.url,
      ...env,
    },
    { ...opts, intake: { sqs, poll: { waitTimeSeconds: 1, retryDelaySeconds: 0, visibilityTimeoutSeconds: 30 } } },
  );
  return h;
}

const open = async (): Promise<Array<{ incident: Incident; steps: StepRecord[]; events: any[] }>> =>
  Promise.all((await h!.store.listOpenIncidents()).map(async (i) => (await h!.store.get(i.id))!));

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; open incidents: ${JSON.stringify((await open()).map((b) => [b.incident.keyId, b.steps.map((s) => `${s.name}:${s.state}`)]))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const incidentFor = (key: string) => open().then((all) => all.find((b) => b.incident.keyId === key));
const stepOf = (b: { steps: StepRecord[] } | undefined, name: string) => b?.steps.find((s) => s.name === name)?.state;
const waitStep = (key: string, name: string, state: string) =>
  until(`${name} of ${key} to be ${state}`, async () => {
    const b = await incidentFor(key);
    return stepOf(b, name) === state ? b : undefined;
  });

async function keyStatus(userName: string, id: string) {
  const r = await motoIam().send(new ListAccessKeysCommand({ UserName: userName }));
  return r.AccessKeyMetadata?.find((k) => k.AccessKeyId === id)?.Status;
}

function cardsPosted() {
  return h!.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === CHANNEL && !c.args.thread_ts && Array.isArray(c.args.blocks));
}

async function postGitHub(body: unknown, opts: { secret?: string; signature?: string | null; event?: string; url?: string; delivery?: string | null } = {}) {
  const raw = JSON.stringify(body);
  const signature = opts.signature === null ? undefined : opts.signature ?? (await sign(opts.secret ?? WEBHOOK_SECRET, raw));
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-github-event': opts.event ?? 'secret_scanning_alert' };
  if (opts.delivery !== null) headers['x-github-delivery'] = opts.delivery ?? `d-${Math.random()}`;
  if (signature) headers['x-hub-signature-256'] = signature;
  const url = opts.url ?? h!.url.replace('/slack/events', '/intake/github');
  const res = await fetch(url, { method: 'POST', headers, body: raw });
  return { status: res.status, json: (await res.json().catch(() => undefined)) as any };
}

beforeAll(async () => {
  github = await startFakeGitHub({ token: GITHUB_TOKEN });
});
afterAll(() => github.close());

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  sqs = motoSqs();
  queues = await intakeQueues(sqs, 2);
  ({ keyIds: [keyId] } = await seedUser(motoIam(), { userName: 'leaky', tags: { slack: 'U0OWNER' } }));
  ({ keyIds: [otherKey] } = await seedUser(motoIam(), { userName: 'other' }));
  github.alerts.clear();
  github.requests.length = 0;
  github.failNext(500, 0);
});
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('AWS Health through SQS', () => {
  it('opens the incident by itself: Identify done, Contain awaiting approval, card with the source, link and approvers; the message is deleted', async () => {
    await start();
    const event = healthEvent([keyId], { at: '2026-11-30T09:12:00Z' });
    await deliver(sqs, queues.queueUrl, event);
    const b = await waitStep(keyId, 'contain', 'awaiting_approval');

    // The record: as if typed by the source, detected when AWS detected it.
    expect(b.incident.requester).toBe('intake:aws-health');
    expect(b.incident.detectedAt).toBe('2026-11-30T09:12:00.000Z');
    expect(b.incident.source).toEqual({ kind: 'aws-health', link: expect.stringContaining('health.aws.amazon.com'), title: 'AWS Health AWS_RISK_CREDENTIALS_EXPOSED: access key exposed in public' });
    expect(b.incident.severity).toBe('critical');
    expect(b.incident.principal).toMatchObject({ type: 'user', name: 'leaky' });
    expect(stepOf(b, 'identify')).toBe('succeeded');
    const evidence = b.events.find((e) => e.type === 'intake_received');
    expect(evidence).toMatchObject({ actor: 'intake:aws-health', detail: { source: 'aws-health', sourceId: event.detail.eventArn, opened: true } });

    // The card: where it came from, the link, the approvers paged, Approve ready.
    const card = await h!.slack.waitFor(() => {
      const c = latestCard(h!, CHANNEL);
      return c && blocksText(c).includes('Contain* needs') ? c : undefined;
    }, 'the card with Contain awaiting approval');
    const text = blocksText(card);
    expect(text).toContain('Opened automatically from AWS Health');
    expect(text).toContain('detected 2026-11-30 09:12 UTC');
    expect(text).toContain(`<https://health.aws.amazon.com/health/home#/account/event-log?eventID=${encodeURIComponent(event.detail.eventArn)}|AWS Health AWS_RISK_CREDENTIALS_EXPOSED`);
    expect(text).toContain('Approvers: <@U0APPROVE1> <@U0APPROVE2> <!subteam^S0SECOPS>');
    expect(text).toContain('AWS Health (automatic)');
    expect(text).not.toContain('<@intake:');
    expect(buttonOn(card, ACTION.approve)?.text.text).toBe('Approve');
    // The first post (the one that notifies) already mentions the approvers.
    expect(blocksText(cardsPosted()[0].args)).toContain('<@U0APPROVE1>');
    expect(cardsPosted()).toHaveLength(1);

    await until('the message to be deleted', async () => {
      const d = await queueDepth(sqs, queues.queueUrl);
      return d.visible === 0 && d.inFlight === 0;
    });
    expect(await peek(sqs, queues.dlqUrl)).toHaveLength(0);

    // Any approver may approve: nobody is the requester.
    const ok = await click(h!, buttonOn(card, ACTION.approve), APPROVER);
    expect(ok.status).toBe(200);
    await waitStep(keyId, 'eradicate', 'awaiting_approval');
    expect(await keyStatus('leaky', keyId)).toBe('Inactive');
  });

  it('two sources for the same key at the same moment open one incident; the second is evidence on it', async () => {
    await start();
    await Promise.all([
      deliver(sqs, queues.queueUrl, healthEvent([keyId])),
      deliver(sqs, queues.queueUrl, guardDutyFinding(keyId, { type: 'CredentialAccess:IAMUser/AnomalousBehavior' })),
    ]);
    await waitStep(keyId, 'contain', 'awaiting_approval');
    const b = await until('both reports recorded', async () => {
      const x = await incidentFor(keyId);
      return x && x.events.filter((e) => e.type === 'intake_received').length === 2 ? x : undefined;
    });
    expect((await open()).filter((x) => x.incident.keyId === keyId)).toHaveLength(1);
    expect(b.events.filter((e) => e.type === 'intake_received').map((e) => e.detail.source).sort()).toEqual(['aws-health', 'guardduty']);
    expect(b.events.filter((e) => e.type === 'incident_opened')).toHaveLength(1);
    await until('the queue to be empty', async () => (await queueDepth(sqs, queues.queueUrl)).visible === 0);
    expect(cardsPosted()).toHaveLength(1);
    const note = await h!.slack.waitFor(() => h!.slack.callsTo('chat.postMessage').find((c) => /Also reported by/.test(c.args.text ?? '')), 'the also-reported note');
    expect(note.args.thread_ts).toBeTruthy();
  });

  it('the same event delivered twice (SQS is at-least-once) is recorded once', async () => {
    await start();
    const event = healthEvent([keyId]);
    await deliver(sqs, queues.queueUrl, event);
    await waitStep(keyId, 'contain', 'awaiting_approval');
    await deliver(sqs, queues.queueUrl, event);
    await until('the second delivery to be handled', async () => h!.logs.some((l) => l.includes('intake report already recorded (delivered again)')));
    const b = (await incidentFor(keyId))!;
    expect(b.events.filter((e) => e.type === 'intake_received')).toHaveLength(1);
    expect(h!.slack.callsTo('chat.postMessage').some((c) => /Also reported by/.test(c.args.text ?? ''))).toBe(false);
    await until('the queue to be empty', async () => {
      const d = await queueDepth(sqs, queues.queueUrl);
      return d.visible === 0 && d.inFlight === 0;
    });
  });

  it('a GuardDuty finding for a key with an incident opened by a person joins it', async () => {
    await start();
    await h!.slash('/revoke-key', `${keyId} spotted in a gist`, APPROVER);
    await waitStep(keyId, 'contain', 'awaiting_approval');
    await deliver(sqs, queues.queueUrl, guardDutyFinding(keyId));
    const b = await until('the finding recorded', async () => {
      const x = await incidentFor(keyId);
      return x?.events.some((e) => e.type === 'intake_received') ? x : undefined;
    });
    expect(b.incident.requester).toBe(APPROVER);
    expect(b.events.find((e) => e.type === 'intake_received')!.detail).toMatchObject({ source: 'guardduty', opened: false });
    expect((await open())).toHaveLength(1);
  });

  it('malformed and unrecognised messages go to the DLQ with the reason; the poller goes on', async () => {
    await start();
    await deliver(sqs, queues.queueUrl, '{"this is": not json');
    await deliver(sqs, queues.queueUrl, { version: '0', source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification', detail: { state: 'running' } });
    await deliver(sqs, queues.queueUrl, healthEvent([keyId], { code: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED' }));
    await deliver(sqs, queues.queueUrl, healthEvent([keyId]));
    await waitStep(keyId, 'contain', 'awaiting_approval');
    const dead = await until('three messages in the DLQ', async () => {
      const m = await peek(sqs, queues.dlqUrl);
      return m.length === 3 ? m : undefined;
    });
    const reasons = dead.map((m) => m.MessageAttributes?.[POISON_REASON_ATTRIBUTE]?.StringValue).sort();
    expect(reasons).toEqual([
      'AWS Health event type AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED does not name a leaked access key',
      expect.stringMatching(/^message body is not JSON/),
      'not an intake event: source aws.ec2, detail-type EC2 Instance State-change Notification',
    ]);
    expect(dead.map((m) => m.Body)).toContain('{"this is": not json');
    await until('the queue to be empty', async () => {
      const d = await queueDepth(sqs, queues.queueUrl);
      return d.visible === 0 && d.inFlight === 0;
    });
    expect(h!.logs.join('')).toContain('does not name a leaked access key');
    expect(h!.app.intake!.poller!.stats).toMatchObject({ poisoned: 3, deleted: 1 });
  });
});

describe('a record that cannot be written', () => {
  let dynamo: EmbeddedDynamo;
  afterEach(() => dynamo?.close());

  it('is retried, then moved to the DLQ by the queue after maxReceiveCount; nothing is lost', async () => {
    dynamo = await startEmbeddedDynamo();
    await ensureTable(dynamo.client, 'keyguard-test', true);
    class StoreDown extends DynamoIncidentStore {
      override async openIncident(): Promise<never> {
        throw Object.assign(new Error('connect ECONNREFUSED (DynamoDB unreachable)'), { name: 'NetworkingError' });
      }
    }
    await start({}, { shared: { store: new StoreDown(dynamo.client, 'keyguard-test'), watches: new DynamoWatchStore(dynamo.client, 'keyguard-test') } });
    const event = healthEvent([keyId]);
    await deliver(sqs, queues.queueUrl, event);
    const dead = await until('the message in the DLQ', async () => {
      const m = await peek(sqs, queues.dlqUrl);
      return m.length === 1 ? m : undefined;
    }, 30_000);
    expect(JSON.parse(dead[0].Body!).detail.eventArn).toBe(event.detail.eventArn);
    expect(h!.app.intake!.poller!.stats.failed).toBeGreaterThanOrEqual(2);
    expect(h!.logs.join('')).toContain('intake record not written; the message will be retried');
  });
});

describe('GitHub secret scanning webhook', () => {
  beforeEach(() => {
    github.alerts.set('example-org/payments#42', { alert: githubRestAlert(42, keyId), locations: githubLocations() });
    github.alerts.set('example-org/payments#43', { alert: githubRestAlert(43, `${keyId}:${SECRET}`, { secretType: 'aws_secret_access_key' }), locations: githubLocations() });
  });

  it('a signed delivery opens the incident with repo, file, commit and alert link; the secret is stored and shown nowhere', async () => {
    await start();
    const res = await postGitHub(githubWebhook(42));
    expect(res.status).toBe(202);
    expect(res.json.incidents).toEqual([{ id: expect.stringMatching(/^IR-/), created: true }]);
    expect(github.requests.map((r) => r.path)).toEqual([
      '/repos/example-org/payments/secret-scanning/alerts/42',
      '/repos/example-org/payments/secret-scanning/alerts/42/locations',
    ]);
    expect(github.requests[0].authorization).toBe(`Bearer ${GITHUB_TOKEN}`);
    const b = await waitStep(keyId, 'contain', 'awaiting_approval');
    expect(b.incident).toMatchObject({ requester: 'intake:github', detectedAt: '2026-11-30T09:05:00.000Z', source: { kind: 'github', link: 'https://github.com/example-org/payments/security/secret-scanning/42' } });
    const evidence = b.events.find((e) => e.type === 'intake_received')!.detail;
    expect(evidence.evidence).toMatchObject({ repository: 'example-org/payments', file: 'config/deploy.env', commit: 'f1d2d2f924e986ac86fdf7b36c94bcdf32beec15', alertUrl: 'https://github.com/example-org/payments/security/secret-scanning/42' });
    const card = await h!.slack.waitFor(() => {
      const c = latestCard(h!, CHANNEL);
      return c && blocksText(c).includes('Contain* needs') ? c : undefined;
    }, 'card');
    expect(blocksText(card)).toContain('Opened automatically from GitHub secret scanning');
    expect(blocksText(card)).toContain('aws_access_key_id in example-org/payments (config/deploy.env)');

    // A key pair alert: the same key joins the incident; its secret part is kept nowhere.
    const pair = await postGitHub(githubWebhook(43, { secretType: 'aws_secret_access_key' }));
    expect(pair.json.incidents).toEqual([{ id: b.incident.id, created: false }]);
    const all = JSON.stringify(await h!.store.get(b.incident.id));
    expect(all).not.toContain(SECRET);
    expect(JSON.stringify(h!.slack.calls)).not.toContain(SECRET);
    expect(h!.logs.join('')).not.toContain(SECRET);
  });

  it('a forged or unsigned delivery is refused with 401, and GitHub is not even asked', async () => {
    await start();
    expect((await postGitHub(githubWebhook(42), { secret: 'someone-else-s-secret-0123456' })).status).toBe(401);
    expect((await postGitHub(githubWebhook(42), { signature: null })).status).toBe(401);
    expect((await postGitHub(githubWebhook(42), { signature: 'sha1=0123' })).status).toBe(401);
    expect(github.requests).toHaveLength(0);
    expect(await open()).toHaveLength(0);
    expect(h!.logs.join('')).toContain('refused a GitHub delivery with a missing or wrong X-Hub-Signature-256');
  });

  it('answers pings, ignores other actions with why, and says 502 when GitHub cannot be read', async () => {
    await start();
    expect((await postGitHub({ zen: 'Keep it logically awesome.' }, { event: 'ping' })).status).toBe(200);
    const resolved = await postGitHub(githubWebhook(42, { action: 'resolved' }));
    expect(resolved).toEqual({ status: 202, json: { ignored: 'action resolved does not expose a secret' } });
    github.failNext(500, 10);
    const down = await postGitHub(githubWebhook(42));
    expect(down.status).toBe(502);
    const line = h!.logs.find((l) => l.includes('could not read the secret scanning alert from the GitHub API'));
    expect(line).toContain('"repository":"example-org/payments","alert":42');
    expect(await open()).toHaveLength(0);
  });

  it('a redelivery (same X-GitHub-Delivery) opens nothing and contains nothing, even with IR_AUTO_CONTAIN=github', async () => {
    await start({ IR_AUTO_CONTAIN: 'github' });
    const delivery = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
    const first = await postGitHub(githubWebhook(42), { delivery });
    expect(first.json.incidents).toEqual([{ id: expect.stringMatching(/^IR-/), created: true }]);
    const auto = await waitStep(keyId, 'eradicate', 'awaiting_approval');
    expect(auto.steps.find((s) => s.name === 'contain')!.approvals.map((a) => a.userId)).toEqual(['policy:IR_AUTO_CONTAIN']);
    expect(await keyStatus('leaky', keyId)).toBe('Inactive');
    // A person closes it (a false alarm) and the owner's key is put back in service.
    expect((await h!.app.engine.close(auto.incident.id, APPROVER, 'test key, false alarm')).ok).toBe(true);
    await motoIam().send(new UpdateAccessKeyCommand({ UserName: 'leaky', AccessKeyId: keyId, Status: 'Active' }));
    const asked = github.requests.length;

    // GitHub redelivers the same delivery (by hand, or a script redelivering "failed" ones).
    const again = await postGitHub(githubWebhook(42), { delivery });
    expect(again).toEqual({ status: 202, json: { ignored: `delivery ${delivery} was already received` } });
    expect(github.requests.length).toBe(asked);
    expect(await open()).toHaveLength(0);
    expect(await keyStatus('leaky', keyId)).toBe('Active');
    expect(h!.logs.join('')).toContain('ignored a GitHub delivery already received');

    // The same alert in a new delivery (still open on GitHub) opens an incident, but the report
    // already contained once: this time Contain waits for a person.
    const fresh = await postGitHub(githubWebhook(42), { delivery: 'a-new-delivery-id' });
    expect(fresh.json.incidents).toEqual([{ id: expect.stringMatching(/^IR-/), created: true }]);
    const waiting = await waitStep(keyId, 'contain', 'awaiting_approval');
    expect(waiting.steps.find((s) => s.name === 'contain')!.approvals).toEqual([]);
    await until('the auto-containment to be withheld', async () => h!.logs.some((l) => l.includes('this report already contained once')));
    expect(await keyStatus('leaky', keyId)).toBe('Active');

    // A delivery without X-GitHub-Delivery cannot be told from a replay: taken, never auto-contained.
    github.alerts.set('example-org/payments#44', { alert: githubRestAlert(44, otherKey), locations: githubLocations() });
    const unmarked = await postGitHub(githubWebhook(44), { delivery: null });
    expect(unmarked.json.incidents).toEqual([{ id: expect.stringMatching(/^IR-/), created: true }]);
    const held = await waitStep(otherKey, 'contain', 'awaiting_approval');
    await until('the withheld event', async () => ((await incidentFor(otherKey))?.events.some((e) => e.type === 'auto_contain_withheld') ? true : undefined));
    expect(held.steps.find((s) => s.name === 'contain')!.approvals).toEqual([]);
    expect(await keyStatus('other', otherKey)).toBe('Active');
  });

  it('an alert resolved on GitHub opens nothing, whatever the delivery says; a delivery that failed can be redelivered', async () => {
    await start({ IR_AUTO_CONTAIN: 'github' });
    github.alerts.set('example-org/payments#45', { alert: { ...githubRestAlert(45, keyId), state: 'resolved', resolution: 'revoked' }, locations: githubLocations() });
    const resolved = await postGitHub(githubWebhook(45), { delivery: 'delivery-of-45' });
    expect(resolved.status).toBe(202);
    expect(resolved.json.ignored).toMatch(/alert #45 in example-org\/payments is resolved on GitHub, not open/);
    // It was read again through the REST API, not taken from the delivery.
    expect(github.requests.map((r) => r.path)).toContain('/repos/example-org/payments/secret-scanning/alerts/45');
    expect(await open()).toHaveLength(0);
    expect(await keyStatus('leaky', keyId)).toBe('Active');

    // GitHub's API was down for a delivery: 502, and its redelivery (same id) is taken.
    github.failNext(500, 1);
    const down = await postGitHub(githubWebhook(42), { delivery: 'delivery-of-42' });
    expect(down.status).toBe(502);
    const redelivered = await postGitHub(githubWebhook(42), { delivery: 'delivery-of-42' });
    expect(redelivered.json.incidents).toEqual([{ id: expect.stringMatching(/^IR-/), created: true }]);
  });

  it('in Socket Mode the intake listener serves only /intake/github and /healthz', async () => {
    await start();
    const socketConfig = { ...h!.config, slack: { ...h!.config.slack, appToken: 'xapp-test', port: 0 }, intake: { ...h!.config.intake, queueUrl: undefined } };
    const intake = (await startIntake({ core: { config: socketConfig, logger: createLogger('silent'), store: h!.store, now: () => new Date() }, engine: h!.app.engine, notifier: { thread: async () => undefined }, host: '127.0.0.1' }))!;
    try {
      const base = `http://127.0.0.1:${intake.listener!.port}`;
      expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok');
      expect((await fetch(`${base}/slack/events`, { method: 'POST', body: '{}' })).status).toBe(404);
      const res = await postGitHub(githubWebhook(42), { url: `${base}/intake/github` });
      expect(res.status).toBe(202);
      expect(res.json.incidents[0].created).toBe(true);
    } finally {
      await intake.stop();
    }
  });
});

describe('IR_AUTO_CONTAIN', () => {
  it('contains without a click only for the configured source; Undo stays offered, Eradicate still needs two people', async () => {
    await start({ IR_AUTO_CONTAIN: 'aws-health' });
    await deliver(sqs, queues.queueUrl, healthEvent([keyId]));
    await deliver(sqs, queues.queueUrl, guardDutyFinding(otherKey, { userName: 'other', type: 'CredentialAccess:IAMUser/AnomalousBehavior' }));

    const auto = await waitStep(keyId, 'eradicate', 'awaiting_approval');
    expect(await keyStatus('leaky', keyId)).toBe('Inactive');
    const contain = auto.steps.find((s) => s.name === 'contain')!;
    expect(contain.state).toBe('succeeded');
    expect(contain.approvals.map((a) => a.userId)).toEqual(['policy:IR_AUTO_CONTAIN']);
    expect(auto.events.find((e) => e.type === 'approved' && e.step === 'contain')).toMatchObject({ actor: 'policy:IR_AUTO_CONTAIN', detail: { approvedBy: 'policy IR_AUTO_CONTAIN', source: 'aws-health' } });
    expect(auto.steps.find((s) => s.name === 'eradicate')!.approvalsRequired).toBe(2);
    // A policy never stands in for one of Eradicate's two people.
    const refused = await h!.app.engine.approveByPolicy(auto.incident.id, 'eradicate', 'IR_AUTO_CONTAIN');
    expect(refused).toEqual({ ok: false, message: '*Eradicate* needs 2 people; policy IR_AUTO_CONTAIN cannot approve it.' });
    expect(await waitStep(keyId, 'eradicate', 'awaiting_approval')).toBeTruthy();
    const card = await h!.slack.waitFor(() => {
      const c = latestCard(h!, CHANNEL);
      const t = c ? blocksText(c) : '';
      return t.includes(keyId) && t.includes('policy IR_AUTO_CONTAIN') ? c : undefined;
    }, 'the card naming the policy');
    expect(blocksText(card)).toMatch(/Contain\*: done \(1\/1 approvals: policy IR_AUTO_CONTAIN\)/);
    expect(h!.slack.callsTo('chat.postMessage').some((c) => /approved by policy IR_AUTO_CONTAIN/.test(c.args.text ?? ''))).toBe(true);

    // The GuardDuty incident waits for a person.
    const manual = await waitStep(otherKey, 'contain', 'awaiting_approval');
    expect(manual.steps.find((s) => s.name === 'contain')!.approvals).toEqual([]);
    expect(await keyStatus('other', otherKey)).toBe('Active');

    // Undo is offered on the auto-contained incident and a person may use it.
    const undoCard = await h!.slack.waitFor(() => {
      const calls = h!.slack.calls.filter((c) => (c.method === 'chat.postMessage' || c.method === 'chat.update') && Array.isArray(c.args.blocks) && blocksText(c.args).includes(keyId));
      const last = calls.at(-1);
      return last && buttonOn(last.args as { blocks: any[] }, ACTION.rerequest) ? (last.args as { blocks: any[] }) : undefined;
    }, 'the Undo button');
    expect(blocksText(undoCard)).toContain('Undo containment');
  });
});
