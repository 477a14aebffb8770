/**
 * GuardDuty findings about IAM credentials (as EventBridge delivers them) → one intake
 * record for the access key in `resource.accessKeyDetails.accessKeyId`. Pure.
 */
import { parseKeyId } from '../domain/key-id';
import type { Severity } from '../domain/incident';
import { IntakeParse, IntakeRecord, isObject, isoOrUndefined, str } from './record';

/** Finding types that mean an access key was stolen or is being used by someone else. */
export const GUARDDUTY_KEY_FINDING_TYPES: readonly string[] = [
  'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
  'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS',
  'CredentialAccess:IAMUser/AnomalousBehavior',
  'Persistence:IAMUser/AnomalousBehavior',
  'InitialAccess:IAMUser/AnomalousBehavior',
  'Policy:IAMUser/RootCredentialUsage',
];

export const GUARDDUTY_SOURCE = 'aws.guardduty';
export const GUARDDUTY_DETAIL_TYPE = 'GuardDuty Finding';

/** GuardDuty's own bands: 9+ critical, 7–8.9 high, 4–6.9 medium, below 4 low. */
export function guardDutySeverity(n: unknown): Severity {
  const v = typeof n === 'number' ? n : Number(n);
  if (!Number.isFinite(v)) return 'high';
  if (v >= 9) return 'critical';
  if (v >= 7) return 'high';
  if (v >= 4) return 'medium';
  return 'low';
}

function guardDutyConsoleLink(region: string, findingId: string): string {
  return `https://${region}.console.aws.amazon.com/guardduty/home?region=${region}#/findings?macros=current&fId=${encodeURIComponent(findingId)}`;
}

export function fromGuardDutyFinding(event: Record<string, unknown>): IntakeParse {
  const d = event.detail;
  if (!isObject(d)) return { ok: false, reason: 'GuardDuty event without a detail object' };
  const type = str(d.type);
  if (!type) return { ok: false, reason: 'GuardDuty finding without a type' };
  if (!GUARDDUTY_KEY_FINDING_TYPES.includes(type)) return { ok: false, unrecognised: true, reason: `GuardDuty finding type ${type} is not about IAM credentials` };
  const resource = isObject(d.resource) ? d.resource : undefined;
  const ak = resource && isObject(resource.accessKeyDetails) ? resource.accessKeyDetails : undefined;
  const raw = str(ak?.accessKeyId);
  if (!raw) return { ok: false, reason: `GuardDuty ${type} has no resource.accessKeyDetails.accessKeyId` };
  const parsed = parseKeyId(raw);
  if (!parsed.ok) return { ok: false, reason: `GuardDuty ${type}: accessKeyId is not an access key id (${parsed.detail})` };
  const service = isObject(d.service) ? d.service : {};
  const detectedAt = isoOrUndefined(service.eventFirstSeen) ?? isoOrUndefined(d.createdAt) ?? isoOrUndefined(event.time);
  if (!detectedAt) return { ok: false, reason: `GuardDuty ${type} has no readable eventFirstSeen, createdAt or time` };
  const findingId = str(d.id) ?? str(event.id) ?? 'unknown';
  const region = str(d.region) ?? str(event.region) ?? 'us-east-1';
  const account = str(d.accountId) ?? str(event.account);
  const userType = str(ak?.userType);
  const userName = str(ak?.userName);
  const partition = str(d.partition) ?? 'aws';
  const principal: IntakeRecord['principal'] = userName && userType === 'AssumedRole'
    ? { type: 'role', name: userName, ...(account ? { arn: `arn:${partition}:iam::${account}:role/${userName}` } : {}) }
    : userName && userType === 'IAMUser' ? { type: 'user', name: userName } : undefined;
  const action = isObject(service.action) ? service.action : {};
  const api = isObject(action.awsApiCallAction) ? action.awsApiCallAction : undefined;
  const remote = api && isObject(api.remoteIpDetails) ? api.remoteIpDetails : undefined;
  const record: IntakeRecord = {
    keyId: parsed.keyId,
    keyKind: parsed.kind,
    account,
    source: 'guardduty',
    detectedAt,
    severity: guardDutySeverity(d.severity),
    link: guardDutyConsoleLink(region, findingId),
    title: `GuardDuty ${type}${str(d.title) ? `: ${str(d.title)!.slice(0, 200)}` : ''}`,
    sourceId: findingId,
    principal,
    evidence: {
      findingType: type,
      findingId,
      region,
      severity: d.severity,
      userType,
      userName,
      api: str(api?.api),
      apiService: str(api?.serviceName),
      remoteIp: str(remote?.ipAddressV4) ?? str(remote?.ipAddressV6),
      count: service.count,
      lastSeen: isoOrUndefined(service.eventLastSeen),
    },
  };
  return { ok: true, records: [record] };
}
