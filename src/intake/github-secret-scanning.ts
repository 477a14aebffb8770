/**
 * A GitHub `secret_scanning_alert` webhook, with the alert and its locations fetched from
 * the secret-scanning REST API → one intake record. Pure.
 *
 * The webhook body carries no secret; the REST alert does (`secret`). Only the access key
 * id is taken from it: the secret part is never kept, logged or shown. The record keeps
 * the key id, the repository, the file, the commit and the alert's URL.
 */
import { parseKeyId } from '../domain/key-id';
import { IntakeParse, isObject, isoOrUndefined, str } from './record';

/** Webhook actions that mean "a secret is (again) exposed". Others are acknowledged and ignored. */
const GITHUB_ALERT_ACTIONS: readonly string[] = ['created', 'reopened', 'publicly_leaked'];

const KEY_ID_IN_TEXT = /(?<![A-Z0-9])(AKIA|ASIA)[A-Z2-7]{16}(?![A-Z0-9])/;

export interface WebhookAlertRef {
  action: string;
  number: number;
  owner: string;
  repo: string;
  secretType: string;
  htmlUrl?: string;
}

/** What the webhook body says: enough to fetch the alert. */
export function alertRefFromWebhook(payload: unknown): { ok: true; ref: WebhookAlertRef } | { ok: false; reason: string; ignore?: boolean } {
  if (!isObject(payload)) return { ok: false, reason: 'webhook body is not a JSON object' };
  const action = str(payload.action);
  const alert = isObject(payload.alert) ? payload.alert : undefined;
  const repository = isObject(payload.repository) ? payload.repository : undefined;
  const fullName = str(repository?.full_name);
  const number = typeof alert?.number === 'number' ? alert.number : Number(alert?.number);
  if (!action || !alert || !fullName || !Number.isInteger(number) || number <= 0 || !fullName.includes('/')) {
    return { ok: false, reason: 'secret_scanning_alert webhook without action, alert.number or repository.full_name' };
  }
  const secretType = str(alert.secret_type) ?? '';
  if (!GITHUB_ALERT_ACTIONS.includes(action)) return { ok: false, ignore: true, reason: `action ${action} does not expose a secret` };
  if (!/^aws_/.test(secretType)) return { ok: false, ignore: true, reason: `secret type ${secretType || '(none)'} is not an AWS credential` };
  const [owner, repo] = fullName.split('/', 2);
  return { ok: true, ref: { action, number, owner, repo, secretType, htmlUrl: str(alert.html_url) } };
}

export interface FetchedAlert {
  /** The REST alert (holds `secret`: read here, never kept). */
  alert: Record<string, unknown>;
  locations: unknown[];
  repositoryHtmlUrl?: string;
}

export function fromSecretScanningAlert(ref: WebhookAlertRef, fetched: FetchedAlert): IntakeParse {
  const { alert } = fetched;
  // The alert as GitHub has it now, not as the delivery said: a redelivered `created` of an
  // alert resolved since (revoked, false positive, used in tests) opens nothing.
  const state = str(alert.state);
  if (state !== 'open') {
    return { ok: false, reason: `GitHub alert #${ref.number} in ${ref.owner}/${ref.repo} is ${state ?? 'of unknown state'} on GitHub, not open: nothing to contain` };
  }
  const secret = typeof alert.secret === 'string' ? alert.secret : '';
  const match = KEY_ID_IN_TEXT.exec(secret);
  const parsed = match ? parseKeyId(match[0]) : undefined;
  if (!parsed?.ok) {
    return {
      ok: false,
      reason: `GitHub alert #${ref.number} in ${ref.owner}/${ref.repo} (${ref.secretType}) does not contain an access key id; the key id comes with the matching aws_access_key_id alert`,
    };
  }
  const detectedAt = isoOrUndefined(alert.created_at) ?? isoOrUndefined(alert.updated_at);
  if (!detectedAt) return { ok: false, reason: `GitHub alert #${ref.number} has no readable created_at` };
  const commit = fetched.locations
    .map((l) => (isObject(l) && l.type === 'commit' && isObject(l.details) ? l.details : undefined))
    .find((d) => d !== undefined);
  const path = str(commit?.path);
  const sha = str(commit?.commit_sha);
  const line = typeof commit?.start_line === 'number' ? commit.start_line : undefined;
  const repoUrl = fetched.repositoryHtmlUrl ?? `https://github.com/${ref.owner}/${ref.repo}`;
  const alertUrl = str(alert.html_url) ?? ref.htmlUrl ?? `${repoUrl}/security/secret-scanning/${ref.number}`;
  const validity = str(alert.validity);
  return {
    ok: true,
    records: [{
      keyId: parsed.keyId,
      keyKind: parsed.kind,
      source: 'github',
      detectedAt,
      severity: validity === 'inactive' ? 'high' : 'critical',
      link: alertUrl,
      title: `GitHub secret scanning: ${ref.secretType} in ${ref.owner}/${ref.repo}${path ? ` (${path})` : ''}`,
      sourceId: alertUrl,
      evidence: {
        repository: `${ref.owner}/${ref.repo}`,
        file: path,
        line,
        commit: sha,
        commitUrl: sha ? `${repoUrl}/commit/${sha}` : undefined,
        fileUrl: sha && path ? `${repoUrl}/blob/${sha}/${path}${line ? `#L${line}` : ''}` : undefined,
        alertUrl,
        alertNumber: ref.number,
        secretType: ref.secretType,
        validity,
        action: ref.action,
        locations: fetched.locations.length,
      },
    }],
  };
}
