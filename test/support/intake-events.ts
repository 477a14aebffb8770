/**
 * Real-shaped intake events: AWS Health and GuardDuty events exactly as EventBridge puts
 * them on an SQS queue, and GitHub secret scanning webhook bodies and REST alerts. Field
 * names and nesting follow the services' published event schemas and samples.
 */
import { randomUUID } from 'node:crypto';

const ACCOUNT = '123456789012';

export function healthEvent(keyIds: string[], opts: { code?: string; at?: string; account?: string; arnSuffix?: string } = {}) {
  const code = opts.code ?? 'AWS_RISK_CREDENTIALS_EXPOSED';
  const at = opts.at ?? '2026-11-30T09:12:00Z';
  const eventArn = `arn:aws:health:global::event/RISK/${code}/${code}_${opts.arnSuffix ?? randomUUID().slice(0, 8).toUpperCase()}`;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS Health Event',
    source: 'aws.health',
    account: opts.account ?? ACCOUNT,
    time: at,
    region: 'us-east-1',
    resources: keyIds,
    detail: {
      eventArn,
      service: 'RISK',
      eventScopeCode: 'ACCOUNT_SPECIFIC',
      communicationId: randomUUID(),
      lastUpdatedTime: new Date(Date.parse(at) + 60_000).toUTCString(),
      statusCode: 'open',
      eventRegion: 'global',
      eventTypeCode: code,
      eventTypeCategory: 'issue',
      startTime: new Date(Date.parse(at)).toUTCString(),
      eventDescription: [{
        language: 'en_US',
        latestDescription: 'We have become aware that the AWS Access Key below, along with the corresponding Secret Key, is publicly available online. To protect your account, we have applied the AWSCompromisedKeyQuarantineV3 policy to the IAM user.',
      }],
      affectedEntities: keyIds.map((k) => ({ entityValue: k, lastUpdatedTime: new Date(Date.parse(at)).toUTCString(), status: 'IMPAIRED' })),
      affectedAccount: opts.account ?? ACCOUNT,
      page: '1',
      totalPages: '1',
    },
  };
}

export function guardDutyFinding(keyId: string, opts: { type?: string; userName?: string; userType?: string; severity?: number; firstSeen?: string; account?: string } = {}) {
  const type = opts.type ?? 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS';
  const id = randomUUID().replace(/-/g, '');
  const firstSeen = opts.firstSeen ?? '2026-11-30T09:10:00.000Z';
  const account = opts.account ?? ACCOUNT;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account,
    time: '2026-11-30T09:15:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      schemaVersion: '2.0',
      accountId: account,
      region: 'us-east-1',
      partition: 'aws',
      id,
      arn: `arn:aws:guardduty:us-east-1:${account}:detector/12abc34d567e8fa901bc2d34e56789f0/finding/${id}`,
      type,
      resource: {
        resourceType: 'AccessKey',
        accessKeyDetails: {
          accessKeyId: keyId,
          principalId: `AROA${'EXAMPLE2345ABCDE'}:i-0123456789abcdef0`,
          userType: opts.userType ?? (keyId.startsWith('ASIA') ? 'AssumedRole' : 'IAMUser'),
          userName: opts.userName ?? 'leaky',
        },
      },
      service: {
        serviceName: 'guardduty',
        detectorId: '12abc34d567e8fa901bc2d34e56789f0',
        action: {
          actionType: 'AWS_API_CALL',
          awsApiCallAction: {
            api: 'ListBuckets',
            serviceName: 's3.amazonaws.com',
            callerType: 'Remote IP',
            remoteIpDetails: { ipAddressV4: '198.51.100.23', organization: { asn: '64500', asnOrg: 'Example Hosting' }, country: { countryName: 'Nowhere' } },
          },
        },
        resourceRole: 'TARGET',
        additionalInfo: { value: '{}', type: 'default' },
        eventFirstSeen: firstSeen,
        eventLastSeen: '2026-11-30T09:14:00.000Z',
        archived: false,
        count: 4,
      },
      severity: opts.severity ?? 8,
      createdAt: '2026-11-30T09:14:30.000Z',
      updatedAt: '2026-11-30T09:14:30.000Z',
      title: `Credentials for instance role ${opts.userName ?? 'leaky'} used from external IP address.`,
      description: `Credentials created exclusively for an EC2 instance using instance role ${opts.userName ?? 'leaky'} have been used from external IP address 198.51.100.23.`,
    },
  };
}

/** A GitHub `secret_scanning_alert` webhook body: no secret in it, as GitHub sends it. */
export function githubWebhook(number: number, opts: { action?: string; repo?: string; secretType?: string } = {}) {
  const repo = opts.repo ?? 'example-org/payments';
  return {
    action: opts.action ?? 'created',
    alert: {
      number,
      created_at: '2026-11-30T09:05:00Z',
      updated_at: '2026-11-30T09:05:00Z',
      url: `https://api.github.com/repos/${repo}/secret-scanning/alerts/${number}`,
      html_url: `https://github.com/${repo}/security/secret-scanning/${number}`,
      locations_url: `https://api.github.com/repos/${repo}/secret-scanning/alerts/${number}/locations`,
      resolution: null,
      resolved_at: null,
      resolved_by: null,
      secret_type: opts.secretType ?? 'aws_access_key_id',
      secret_type_display_name: 'Amazon AWS Access Key ID',
      validity: 'active',
      push_protection_bypassed: false,
    },
    repository: { id: 1, name: repo.split('/')[1], full_name: repo, private: true, html_url: `https://github.com/${repo}` },
    organization: { login: repo.split('/')[0] },
    sender: { login: 'github', type: 'Bot' },
  };
}

/** The REST alert (GET …/secret-scanning/alerts/{n}): this one carries the secret. */
export function githubRestAlert(number: number, secret: string, opts: { repo?: string; secretType?: string } = {}) {
  const hook = githubWebhook(number, opts);
  return {
    ...hook.alert,
    state: 'open',
    secret,
    repository: hook.repository,
  };
}

export function githubLocations(opts: { path?: string; sha?: string; line?: number } = {}) {
  const sha = opts.sha ?? 'f1d2d2f924e986ac86fdf7b36c94bcdf32beec15';
  return [{
    type: 'commit',
    details: {
      path: opts.path ?? 'config/deploy.env',
      start_line: opts.line ?? 3, end_line: opts.line ?? 3, start_column: 19, end_column: 39,
      blob_sha: 'af5626b4a114abcb82d63db7c8082c3c4756e51b',
      blob_url: 'https://api.github.com/repos/example-org/payments/git/blobs/af5626b4a114abcb82d63db7c8082c3c4756e51b',
      commit_sha: sha,
      commit_url: `https://api.github.com/repos/example-org/payments/git/commits/${sha}`,
    },
  }];
}
