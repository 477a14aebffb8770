/**
 * The intake adapters: real-shaped AWS Health, GuardDuty and GitHub events → the intake
 * record (key id, account, source, detected-at, severity, link, evidence), and the reasons
 * given for what cannot become one.
 */
import { parseQueueMessage } from '../../src/intake/eventbridge';
import { fromHealthEvent, HEALTH_KEY_EVENT_TYPES } from '../../src/intake/aws-health';
import { fromGuardDutyFinding, guardDutySeverity, GUARDDUTY_KEY_FINDING_TYPES } from '../../src/intake/guardduty';
import { alertRefFromWebhook, fromSecretScanningAlert } from '../../src/intake/github-secret-scanning';
import { healthEvent, guardDutyFinding, githubWebhook, githubRestAlert, githubLocations } from '../support/intake-events';

const KEY = 'AKIAQWERTYUIOPASDFGH';
const KEY2 = 'AKIAZXCVBNMASDFGHJKL';
const TEMP = 'ASIAQWERTYUIOPASDFGH';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';

describe('AWS Health', () => {
  it('AWS_RISK_CREDENTIALS_EXPOSED names the key, the account, the time and the console link', () => {
    const r = parseQueueMessage(JSON.stringify(healthEvent([KEY], { at: '2026-11-30T09:12:00Z', account: '210987654321' })));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.records).toHaveLength(1);
    const [rec] = r.records;
    expect(rec).toMatchObject({ keyId: KEY, keyKind: 'long-term', account: '210987654321', source: 'aws-health', detectedAt: '2026-11-30T09:12:00.000Z', severity: 'critical' });
    expect(rec.link).toMatch(/^https:\/\/health\.aws\.amazon\.com\/health\/home#\/account\/event-log\?eventID=arn%3Aaws%3Ahealth/);
    expect(rec.title).toBe('AWS Health AWS_RISK_CREDENTIALS_EXPOSED: access key exposed in public');
    expect(rec.evidence.description).toContain('publicly available');
  });

  it('one record per key in affectedEntities', () => {
    const r = fromHealthEvent(healthEvent([KEY, KEY2, KEY]));
    expect(r.ok && r.records.map((x) => x.keyId)).toEqual([KEY, KEY2]);
  });

  it.each(Object.keys(HEALTH_KEY_EVENT_TYPES))('%s is taken', (code) => {
    expect(fromHealthEvent(healthEvent([KEY], { code })).ok).toBe(true);
  });

  it('other Health events are unrecognised, with the code named', () => {
    const r = fromHealthEvent(healthEvent([KEY], { code: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED' }));
    expect(r).toEqual({ ok: false, unrecognised: true, reason: 'AWS Health event type AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED does not name a leaked access key' });
  });

  it('an event without a key id says so, and never echoes a secret-shaped entity', () => {
    const e = healthEvent([]);
    e.detail.affectedEntities = [{ entityValue: SECRET, lastUpdatedTime: '', status: '' }, { entityValue: 'not-a-key', lastUpdatedTime: '', status: '' }];
    const r = fromHealthEvent(e);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toContain('names no access key id');
    expect(r.reason).toContain('not-a-key');
    expect(r.reason).not.toContain(SECRET);
  });
});

describe('GuardDuty', () => {
  it('InstanceCredentialExfiltration: the temporary key, its role, first seen, severity band and the finding link', () => {
    const r = parseQueueMessage(JSON.stringify(guardDutyFinding(TEMP, { userName: 'web-instance-role', severity: 8 })));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [rec] = r.records;
    expect(rec).toMatchObject({
      keyId: TEMP, keyKind: 'temporary', account: '123456789012', source: 'guardduty', detectedAt: '2026-11-30T09:10:00.000Z', severity: 'high',
      principal: { type: 'role', name: 'web-instance-role', arn: 'arn:aws:iam::123456789012:role/web-instance-role' },
    });
    expect(rec.link).toMatch(/^https:\/\/us-east-1\.console\.aws\.amazon\.com\/guardduty\/home\?region=us-east-1#\/findings\?macros=current&fId=[0-9a-f]{32}$/);
    expect(rec.evidence).toMatchObject({ findingType: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', remoteIp: '198.51.100.23', api: 'ListBuckets' });
  });

  it.each(GUARDDUTY_KEY_FINDING_TYPES)('%s is taken', (type) => {
    expect(fromGuardDutyFinding(guardDutyFinding(KEY, { type })).ok).toBe(true);
  });

  it('an IAM user key names the user', () => {
    const r = fromGuardDutyFinding(guardDutyFinding(KEY, { type: 'CredentialAccess:IAMUser/AnomalousBehavior', userName: 'ci-deployer', severity: 5 }));
    expect(r.ok && r.records[0]).toMatchObject({ principal: { type: 'user', name: 'ci-deployer' }, severity: 'medium' });
  });

  it('findings about other things are unrecognised; a finding without a key id says which field is missing', () => {
    expect(fromGuardDutyFinding(guardDutyFinding(KEY, { type: 'Recon:EC2/PortProbeUnprotectedPort' }))).toMatchObject({ ok: false, unrecognised: true });
    const e = guardDutyFinding(KEY);
    (e.detail.resource.accessKeyDetails as Record<string, unknown>).accessKeyId = '';
    expect(fromGuardDutyFinding(e)).toEqual({ ok: false, reason: 'GuardDuty UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS has no resource.accessKeyDetails.accessKeyId' });
  });

  it('severity bands', () => {
    expect([9.5, 8, 7, 6.9, 4, 2, 'x'].map(guardDutySeverity)).toEqual(['critical', 'high', 'high', 'medium', 'medium', 'low', 'high']);
  });
});

describe('queue messages that cannot become incidents', () => {
  it.each([
    ['', 'empty message body'],
    ['{not json', 'message body is not JSON'],
    ['[1,2]', 'message body is not a JSON object'],
    [JSON.stringify({ source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification', detail: {} }), 'not an intake event: source aws.ec2, detail-type EC2 Instance State-change Notification'],
    [JSON.stringify({ source: 'aws.health', 'detail-type': 'AWS Health Event' }), 'AWS Health event without a detail object'],
  ])('%j → %s', (body, reason) => {
    const r = parseQueueMessage(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it('an event delivered through SNS is unwrapped', () => {
    const r = parseQueueMessage(JSON.stringify({ Type: 'Notification', MessageId: 'x', Message: JSON.stringify(healthEvent([KEY])) }));
    expect(r.ok && r.records[0].keyId).toBe(KEY);
  });
});

describe('GitHub secret scanning', () => {
  it('the key id comes from the REST alert; the record keeps repo, file, commit and alert URL, never the secret', () => {
    const ref = alertRefFromWebhook(githubWebhook(42));
    expect(ref.ok).toBe(true);
    if (!ref.ok) return;
    expect(ref.ref).toMatchObject({ owner: 'example-org', repo: 'payments', number: 42, secretType: 'aws_access_key_id' });
    const r = fromSecretScanningAlert(ref.ref, { alert: githubRestAlert(42, KEY), locations: githubLocations(), repositoryHtmlUrl: 'https://github.com/example-org/payments' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [rec] = r.records;
    expect(rec).toMatchObject({ keyId: KEY, source: 'github', detectedAt: '2026-11-30T09:05:00.000Z', severity: 'critical', link: 'https://github.com/example-org/payments/security/secret-scanning/42' });
    expect(rec.evidence).toMatchObject({
      repository: 'example-org/payments', file: 'config/deploy.env', commit: 'f1d2d2f924e986ac86fdf7b36c94bcdf32beec15',
      fileUrl: 'https://github.com/example-org/payments/blob/f1d2d2f924e986ac86fdf7b36c94bcdf32beec15/config/deploy.env#L3',
    });
  });

  it('a key pair alert yields the key id only: the secret part is nowhere in the record', () => {
    const ref = alertRefFromWebhook(githubWebhook(7, { secretType: 'aws_secret_access_key' }));
    if (!ref.ok) throw new Error(ref.reason);
    const r = fromSecretScanningAlert(ref.ref, { alert: githubRestAlert(7, `${KEY}:${SECRET}`, { secretType: 'aws_secret_access_key' }), locations: githubLocations() });
    expect(r.ok && r.records[0].keyId).toBe(KEY);
    expect(JSON.stringify(r)).not.toContain(SECRET);
    const only = fromSecretScanningAlert(ref.ref, { alert: githubRestAlert(7, SECRET, { secretType: 'aws_secret_access_key' }), locations: [] });
    expect(only.ok).toBe(false);
    expect(JSON.stringify(only)).not.toContain(SECRET);
  });

  it.each(['resolved', 'closed', undefined])('an alert whose state on GitHub is %p is not taken, whatever the delivery said', (state) => {
    const ref = alertRefFromWebhook(githubWebhook(42));
    if (!ref.ok) throw new Error('ref');
    const r = fromSecretScanningAlert(ref.ref, { alert: { ...githubRestAlert(42, KEY), state }, locations: githubLocations() });
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/not open: nothing to contain/) });
  });

  it('other actions and other secret types are acknowledged and ignored, with why', () => {
    expect(alertRefFromWebhook(githubWebhook(1, { action: 'resolved' }))).toEqual({ ok: false, ignore: true, reason: 'action resolved does not expose a secret' });
    expect(alertRefFromWebhook(githubWebhook(1, { secretType: 'slack_api_token' }))).toEqual({ ok: false, ignore: true, reason: 'secret type slack_api_token is not an AWS credential' });
    expect(alertRefFromWebhook({ action: 'created' })).toMatchObject({ ok: false, reason: expect.stringContaining('without action, alert.number or repository.full_name') });
  });
});
