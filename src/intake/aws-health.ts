/**
 * AWS Health events (as EventBridge delivers them) about exposed or compromised access
 * keys → intake records, one per key named in `affectedEntities`. Pure.
 *
 * AWS sends these when it finds a key in public (code, paste sites) and usually attaches
 * AWSCompromisedKeyQuarantineV2/V3 to the key's user at the same time.
 */
import { parseKeyId } from '../domain/key-id';
import type { Severity } from '../domain/incident';
import { IntakeParse, IntakeRecord, isObject, isoOrUndefined, str } from './record';

/** The AWS Health event type codes that name a leaked or abused access key. */
export const HEALTH_KEY_EVENT_TYPES: Readonly<Record<string, { severity: Severity; what: string }>> = {
  AWS_RISK_CREDENTIALS_EXPOSED: { severity: 'critical', what: 'access key exposed in public' },
  AWS_RISK_CREDENTIALS_EXPOSURE_SUSPECTED: { severity: 'high', what: 'access key exposure suspected' },
  AWS_RISK_CREDENTIALS_COMPROMISED: { severity: 'critical', what: 'access key compromised' },
  AWS_RISK_CREDENTIALS_COMPROMISE_SUSPECTED: { severity: 'high', what: 'access key compromise suspected' },
  AWS_RISK_IAM_QUARANTINE: { severity: 'critical', what: 'quarantine policy attached to a leaked key' },
};

export const HEALTH_SOURCE = 'aws.health';
export const HEALTH_DETAIL_TYPE = 'AWS Health Event';

/** The event in the AWS Health console (organization view when the event names another account). */
function healthConsoleLink(eventArn: string): string {
  return `https://health.aws.amazon.com/health/home#/account/event-log?eventID=${encodeURIComponent(eventArn)}`;
}

export function fromHealthEvent(event: Record<string, unknown>): IntakeParse {
  const detail = event.detail;
  if (!isObject(detail)) return { ok: false, reason: 'AWS Health event without a detail object' };
  const code = str(detail.eventTypeCode);
  if (!code) return { ok: false, reason: 'AWS Health event without detail.eventTypeCode' };
  const kind = HEALTH_KEY_EVENT_TYPES[code];
  if (!kind) return { ok: false, unrecognised: true, reason: `AWS Health event type ${code} does not name a leaked access key` };
  const eventArn = str(detail.eventArn) ?? str(event.id) ?? 'unknown';
  const entities = Array.isArray(detail.affectedEntities) ? detail.affectedEntities : [];
  const keys = new Set<string>();
  const rejected: string[] = [];
  for (const e of entities) {
    const value = isObject(e) ? str(e.entityValue) : undefined;
    if (!value) continue;
    const parsed = parseKeyId(value);
    // A secret-shaped entity is never echoed; anything else that is not a key id is named.
    if (parsed.ok) keys.add(parsed.keyId);
    else rejected.push(parsed.problem === 'secret-pasted' ? '[secret-shaped value]' : value.slice(0, 40));
  }
  if (keys.size === 0) {
    return { ok: false, reason: `AWS Health ${code} names no access key id in affectedEntities${rejected.length ? ` (found: ${rejected.join(', ')})` : ''}` };
  }
  const detectedAt = isoOrUndefined(detail.startTime) ?? isoOrUndefined(event.time);
  if (!detectedAt) return { ok: false, reason: `AWS Health ${code} has no readable startTime or time` };
  const account = str(detail.affectedAccount) ?? str(event.account);
  const description = Array.isArray(detail.eventDescription)
    ? str((detail.eventDescription.find((d) => isObject(d) && d.language === 'en_US') ?? detail.eventDescription[0])?.latestDescription)
    : undefined;
  const records: IntakeRecord[] = [...keys].map((keyId) => ({
    keyId,
    keyKind: keyId.startsWith('ASIA') ? 'temporary' : 'long-term',
    account,
    source: 'aws-health',
    detectedAt,
    severity: kind.severity,
    link: healthConsoleLink(eventArn),
    title: `AWS Health ${code}: ${kind.what}`,
    sourceId: eventArn,
    evidence: {
      eventTypeCode: code,
      eventArn,
      region: str(detail.eventRegion) ?? str(event.region),
      statusCode: str(detail.statusCode),
      description: description?.slice(0, 500),
    },
  }));
  return { ok: true, records };
}
