/**
 * Automatic intake, measured where the responder feels it: from an event landing in the
 * intake queue (SendMessage to moto's SQS has returned) to the incident card with
 * **Approve** posted in the fake Slack. Everything in between is the product's own path:
 * the SQS long poll, the adapter, the key lock and records in DynamoDB (embedded dynalite),
 * Identify against moto's IAM/STS, the approval request, and the card through the real
 * Slack Web API client.
 *
 * 1. Latency: 100 AWS Health events, one at a time (each waits for its card): p50/p99.
 * 2. Burst: 500 events (Health and GuardDuty, interleaved) for 50 keys sent at once in
 *    batches of 10: events/s until the 50th card, each key exactly one incident and one
 *    card, nothing left on the queue, nothing in the DLQ.
 */
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { startMoto } from '../sandbox/moto';
import { startHarness, Harness } from '../test/support/harness';
import { motoSqs, intakeQueues, queueDepth, peek } from '../test/support/sqs';
import { seedUser } from '../sandbox/iam-seed';
import { motoIam } from '../test/support/aws-clients';
import { healthEvent, guardDutyFinding } from '../test/support/intake-events';
import type { Bench } from './bench';
import { fixed, markdownTable } from './bench';

const CHANNEL = 'C0INCIDENT';
const LATENCY_EVENTS = 100;
const BURST_EVENTS = 500;
const BURST_KEYS = 50;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** When the card for `keyId` was first drawn with an Approve button (fake Slack's clock), or undefined. */
function approveCardAt(h: Harness, keyId: string): number | undefined {
  const call = h.slack.calls.find((c) =>
    (c.method === 'chat.postMessage' || c.method === 'chat.update') && c.args.channel === CHANNEL && !c.args.thread_ts &&
    Array.isArray(c.args.blocks) && String(c.args.text ?? '').includes(keyId) &&
    c.args.blocks.some((b: any) => b.type === 'actions' && (b.elements ?? []).some((e: any) => e.action_id === 'kg_approve')));
  return call?.at;
}

async function waitUntil(what: string, pred: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function seedKeys(n: number, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < n; i++) keys.push((await seedUser(motoIam(), { userName: `${prefix}-${i}` })).keyIds[0]);
  return keys;
}

async function run(): Promise<void> {
  const only = process.env.INTAKE_BENCH_PART; // 'latency' | 'burst': one part only (development)
  const moto = await startMoto();
  process.env.MOTO_URL = moto.url;
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_ENDPOINT_URL = moto.url;
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const sqs = motoSqs();
  const env = { IR_CHANNEL_ID: CHANNEL, IR_APPROVERS: 'U0APPROVE1,S0SECOPS', LOG_LEVEL: 'info' };
  let h: Harness | undefined;
  try {
    // --- 1. Latency, one event at a time.
    if (only !== 'burst') {
    const q1 = await intakeQueues(sqs, 5);
    const keys = await seedKeys(LATENCY_EVENTS, 'lat');
    h = await startHarness({ ...env, IR_INTAKE_QUEUE_URL: q1.queueUrl }, { intake: { sqs } });
    const latencies: number[] = [];
    for (const keyId of keys) {
      await sqs.send(new SendMessageCommand({ QueueUrl: q1.queueUrl, MessageBody: JSON.stringify(healthEvent([keyId])) }));
      const landed = Date.now();
      await waitUntil(`the card for ${keyId}`, () => approveCardAt(h!, keyId) !== undefined, 60_000);
      latencies.push(approveCardAt(h, keyId)! - landed);
    }
    await h.close();
    h = undefined;
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log('### Event in the queue → card with Approve (one at a time)\n');
    console.log(markdownTable(['events', 'p50 ms', 'p99 ms', 'min ms', 'max ms'], [[LATENCY_EVENTS, pct(sorted, 50), pct(sorted, 99), sorted[0], sorted.at(-1)!]]));
    }
    if (only === 'latency') return;

    // --- 2. Burst: 500 events for 50 keys at once.
    const q2 = await intakeQueues(sqs, 5);
    const burstKeys = await seedKeys(BURST_KEYS, 'burst');
    h = await startHarness({ ...env, IR_INTAKE_QUEUE_URL: q2.queueUrl }, { intake: { sqs } });
    const bodies = Array.from({ length: BURST_EVENTS }, (_, i) => {
      const keyId = burstKeys[i % BURST_KEYS];
      return JSON.stringify(i % 2 === 0 ? healthEvent([keyId]) : guardDutyFinding(keyId, { type: 'CredentialAccess:IAMUser/AnomalousBehavior', userName: `burst-${i % BURST_KEYS}` }));
    });
    const started = Date.now();
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < bodies.length; i += 10) {
      sends.push(sqs.send(new SendMessageBatchCommand({ QueueUrl: q2.queueUrl, Entries: bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: String(j), MessageBody })) })));
    }
    await Promise.all(sends);
    const landed = Date.now();
    await waitUntil('every key to have its card', () => burstKeys.every((k) => approveCardAt(h!, k) !== undefined), 300_000);
    const allCards = Math.max(...burstKeys.map((k) => approveCardAt(h!, k)!));
    // Every event recorded (on its key's one incident), the queue drained.
    let depth = { visible: -1, inFlight: -1 };
    await waitUntil('every event to be recorded and deleted', async () => {
      depth = await queueDepth(sqs, q2.queueUrl);
      // A message SQS delivered twice may still be in flight: it is recognised and dropped.
      return depth.visible === 0 && h!.app.intake!.poller!.stats.deleted >= BURST_EVENTS;
    }, 300_000).catch((e: Error) => {
      throw new Error(`${e.message}: queue ${JSON.stringify(depth)}, poller ${JSON.stringify(h!.app.intake!.poller!.stats)}`);
    });
    const drained = Date.now();
    // How long each message took from receipt to deletion (the work the visibility timeout covers).
    const recordMs = h.logs.filter((l) => l.includes('intake message recorded and deleted')).map((l) => JSON.parse(l).ms as number).sort((a, b) => a - b);
    const again = h.logs.filter((l) => l.includes('intake report already recorded (delivered again)')).length;
    const incidents = await h.store.listOpenIncidents();
    const perKey = new Map<string, number>();
    for (const i of incidents) perKey.set(i.keyId, (perKey.get(i.keyId) ?? 0) + 1);
    const cardsPosted = h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === CHANNEL && !c.args.thread_ts && Array.isArray(c.args.blocks)).length;
    let evidence = 0;
    for (const i of incidents) evidence += ((await h.store.get(i.id))?.events ?? []).filter((e) => e.type === 'intake_received').length;
    const dead = await peek(sqs, q2.dlqUrl);
    const firstCards = burstKeys.map((k) => approveCardAt(h!, k)! - landed).sort((a, b) => a - b);
    console.log('\n### Burst: 500 events for 50 keys\n');
    console.log(markdownTable(
      ['events', 'keys', 'incidents', 'cards posted', 'evidence events', 'delivered again', 'DLQ', 'send s', 'all cards s', 'all recorded s', 'events/s', 'card p50 ms', 'card p99 ms', 'record p50 ms', 'record max ms'],
      [[BURST_EVENTS, BURST_KEYS, incidents.length, cardsPosted, evidence, again, dead.length, fixed((landed - started) / 1000), fixed((allCards - landed) / 1000), fixed((drained - landed) / 1000), fixed(BURST_EVENTS / ((drained - landed) / 1000), 1), pct(firstCards, 50), pct(firstCards, 99), pct(recordMs, 50), recordMs.at(-1)!]],
    ));
    if (incidents.length !== BURST_KEYS || [...perKey.values()].some((n) => n !== 1) || cardsPosted !== BURST_KEYS || evidence !== BURST_EVENTS || dead.length > 0) {
      throw new Error(`burst lost the one-incident-per-key property: ${incidents.length} incidents, ${cardsPosted} cards, ${evidence} evidence events, ${dead.length} dead`);
    }
  } finally {
    await h?.close();
    await moto.stop();
  }
}

export const intakeBench: Bench = { name: 'intake', run };
