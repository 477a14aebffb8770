/**
 * `POST /intake/github`: GitHub `secret_scanning_alert` deliveries. The signature
 * (`X-Hub-Signature-256`, HMAC-SHA256 with GITHUB_WEBHOOK_SECRET) is checked with
 * @octokit/webhooks-methods before anything is parsed; a forged or unsigned delivery gets
 * 401 and is logged. The alert itself is then fetched from the REST API to learn the key id.
 *
 * Replays: the delivery's `X-GitHub-Delivery` (one per event; a redelivery carries the
 * same one, and GitHub's `redelivery` flag is only in its delivery log, never in the
 * request) is claimed with a conditional write before the alert is read: a delivery seen
 * before opens nothing and contains nothing. The claim is given back when the delivery
 * fails before it is recorded, so GitHub's redelivery of a failed delivery still lands. A
 * delivery without the header is taken, but never contains by policy (IR_AUTO_CONTAIN).
 * The alert's state is read from the REST API: only an `open` alert opens an incident.
 *
 * Answers: 202 when recorded (or acknowledged and ignored, with why), 400 for a body that
 * is not a secret scanning alert, 401 for a bad signature, 502 when GitHub's API could not
 * be read (GitHub marks the delivery failed; it can be redelivered from the app's settings).
 */
import { verify } from '@octokit/webhooks-methods';
import type { Logger } from '../logger';
import { maskKeyId } from '../domain/key-id';
import { alertRefFromWebhook, fromSecretScanningAlert } from './github-secret-scanning';
import { describeGitHubError, SecretScanningApi } from './github-api';
import type { IntakeRecord } from './record';
import type { Received } from './intake-service';

export const GITHUB_INTAKE_PATH = '/intake/github';

export interface GitHubDelivery {
  event?: string;
  signature?: string;
  deliveryId?: string;
  remoteAddress?: string;
  rawBody: string;
}

/** The record of deliveries seen (REQ# claims in the table). */
export interface DeliveryLog {
  /** True the first time a delivery id is seen. */
  claim(deliveryId: string): Promise<boolean>;
  /** The delivery failed before anything was recorded: its redelivery must be taken. */
  release(deliveryId: string): Promise<void>;
}

/** How long a delivery id is remembered: longer than GitHub lets anyone redeliver (3 days, 7 on GHES). */
export const DELIVERY_MEMORY_SECONDS = 30 * 24 * 3600;

export interface GitHubWebhookDeps {
  secret: string;
  api: SecretScanningApi;
  deliveries: DeliveryLog;
  receive: (record: IntakeRecord) => Promise<Received>;
  logger: Logger;
  /** Runs the follow-up after the answer is sent (tracked for shutdown). */
  later: (work: () => Promise<void>) => void;
}

export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
}

export async function handleGitHubDelivery(d: GitHubWebhookDeps, delivery: GitHubDelivery): Promise<WebhookAnswer> {
  const log = { delivery: delivery.deliveryId, event: delivery.event };
  let valid = false;
  if (delivery.signature?.startsWith('sha256=')) {
    valid = await verify(d.secret, delivery.rawBody, delivery.signature).catch(() => false);
  }
  if (!valid) {
    d.logger.warn({ ...log, ip: delivery.remoteAddress, signed: Boolean(delivery.signature) }, 'refused a GitHub delivery with a missing or wrong X-Hub-Signature-256');
    return { status: 401, body: { error: 'invalid signature' } };
  }
  if (delivery.event === 'ping') return { status: 200, body: { ok: true, message: 'pong' } };
  if (delivery.event !== 'secret_scanning_alert') {
    d.logger.info(log, 'ignored a GitHub delivery that is not a secret scanning alert');
    return { status: 202, body: { ignored: `event ${delivery.event ?? '(none)'} is not secret_scanning_alert` } };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(delivery.rawBody);
  } catch {
    d.logger.warn(log, 'GitHub delivery body is not JSON');
    return { status: 400, body: { error: 'body is not JSON' } };
  }
  const ref = alertRefFromWebhook(payload);
  if (!ref.ok) {
    d.logger[ref.ignore ? 'info' : 'warn']({ ...log, reason: ref.reason }, ref.ignore ? 'ignored a secret scanning alert' : 'unreadable secret scanning alert');
    return ref.ignore ? { status: 202, body: { ignored: ref.reason } } : { status: 400, body: { error: ref.reason } };
  }
  const where = { ...log, repository: `${ref.ref.owner}/${ref.ref.repo}`, alert: ref.ref.number };
  const deliveryId = delivery.deliveryId?.trim() || undefined;
  if (deliveryId && !(await d.deliveries.claim(deliveryId))) {
    d.logger.warn(where, 'ignored a GitHub delivery already received (a redelivery or a replay): nothing opened, nothing contained');
    return { status: 202, body: { ignored: `delivery ${deliveryId} was already received` } };
  }
  if (!deliveryId) d.logger.warn(where, 'GitHub delivery without X-GitHub-Delivery: it cannot be told from a replay, so it never contains by policy');
  // Failed before anything was recorded: the delivery is not "seen", GitHub's redelivery lands.
  const giveBack = async () => {
    if (deliveryId) await d.deliveries.release(deliveryId).catch((e) => d.logger.error({ ...where, err: e }, 'could not give back the delivery claim; a redelivery will be ignored'));
  };
  let fetched;
  try {
    fetched = await d.api.fetchAlert(ref.ref);
  } catch (e) {
    const why = describeGitHubError(e);
    // Logged with where the alert is, so a person can act even if GitHub never redelivers.
    d.logger.error({ ...where, status: why.status, why: why.message }, 'could not read the secret scanning alert from the GitHub API');
    await giveBack();
    return { status: 502, body: { error: `could not read alert #${ref.ref.number} from the GitHub API: ${why.message}` } };
  }
  const parsed = fromSecretScanningAlert(ref.ref, fetched);
  if (!parsed.ok) {
    d.logger.warn({ ...where, reason: parsed.reason }, 'secret scanning alert ignored');
    return { status: 202, body: { ignored: parsed.reason } };
  }
  const records = deliveryId ? parsed.records : parsed.records.map((r) => ({ ...r, noAutoContain: 'the GitHub delivery had no X-GitHub-Delivery, so it cannot be told from a replay' }));
  const received: Received[] = [];
  try {
    for (const r of records) received.push(await d.receive(r));
  } catch (e) {
    d.logger.error({ ...where, err: e }, 'could not record the GitHub alert');
    if (received.length === 0) await giveBack();
    return { status: 503, body: { error: 'could not record the alert; redeliver it' } };
  }
  for (const r of received) d.later(r.followUp);
  d.logger.info({ ...where, keys: parsed.records.map((r) => maskKeyId(r.keyId)), incidents: received.map((r) => r.incidentId) }, 'GitHub alert recorded');
  return { status: 202, body: { incidents: received.map((r) => ({ id: r.incidentId, created: r.created })) } };
}
