/**
 * CloudTrail records of the STS calls that mint user sessions, as AWS writes them:
 * GetSessionToken (the session acts as the IAM user, with an ASIA key) and GetFederationToken
 * (a federated user `arn:aws:sts::<account>:federated-user/<name>`, never a role), each
 * followed by a few calls signed with the issued key.
 */
import type { WireEvent } from '../../sandbox/cloudtrail-emulator';
import { buildEvent, federatedUserIdentity, FixtureRandom, iamUserIdentity, type UserPrincipal } from '../../sandbox/cloudtrail-fixtures';

export interface MintedSession {
  events: WireEvent[];
  issuedKey: string;
  federatedUserArn?: string;
}

export function userSessionMinted(o: { seed: number; principal: UserPrincipal; via: 'GetSessionToken' | 'GetFederationToken'; federatedName?: string; startMs: number; usageEvents?: number }): MintedSession {
  const rng = new FixtureRandom(o.seed);
  const issuedKey = rng.awsId('ASIA');
  const p = o.principal;
  const sourceIp = rng.ip();
  const agent = 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22';
  const name = o.federatedName ?? 'mallory';
  const federatedUserArn = o.via === 'GetFederationToken' ? `arn:aws:sts::${p.accountId}:federated-user/${name}` : undefined;
  const credentials = { accessKeyId: issuedKey, expiration: new Date(o.startMs + 12 * 3600_000).toUTCString(), sessionToken: `FAKE-SESSION-TOKEN-${rng.hex(16)}` };
  const issuing = buildEvent(
    {
      service: 'sts', name: o.via, region: 'us-east-1', timeMs: o.startMs, identity: iamUserIdentity(p), sourceIp, userAgent: agent, readOnly: true,
      requestParameters: o.via === 'GetFederationToken' ? { name, durationSeconds: 43200 } : { durationSeconds: 43200 },
      responseElements: federatedUserArn ? { credentials, federatedUser: { federatedUserId: `${p.accountId}:${name}`, arn: federatedUserArn }, packedPolicySize: 6 } : { credentials },
      resources: [{ ResourceType: 'AWS::IAM::AccessKey', ResourceName: issuedKey }],
    },
    rng,
  );
  const identity = o.via === 'GetFederationToken'
    ? federatedUserIdentity({ accountId: p.accountId, userName: p.userName, federatedName: name, accessKeyId: issuedKey })
    : { ...iamUserIdentity(p, issuedKey), sessionContext: { attributes: { creationDate: new Date(o.startMs).toISOString(), mfaAuthenticated: 'false' } } };
  const usage = Array.from({ length: o.usageEvents ?? 2 }, (_, i) =>
    buildEvent({ service: 's3', name: 'ListBuckets', region: 'us-east-1', timeMs: o.startMs + (i + 1) * 30_000, identity, sourceIp, userAgent: agent }, rng),
  );
  return { events: [issuing, ...usage], issuedKey, federatedUserArn };
}
