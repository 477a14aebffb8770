import { traceTemporaryKey, TraceLookupAttribute, TraceLookupFn } from '../../src/domain/asia-trace';
import type { RawLookupEvent } from '../../src/domain/trail-event';
import type { WireEvent } from '../../sandbox/cloudtrail-emulator';
import { assumedRoleIdentity, buildEvent, examplePrincipal, FixtureRandom, iamUserIdentity, Identity } from '../../sandbox/cloudtrail-fixtures';

const principal = examplePrincipal(2);
const T0 = Date.parse('2024-05-01T10:00:00Z');
const rng = new FixtureRandom(10);

/** A fake lookup over a fixed list, answering like LookupEvents (ResourceName, AccessKeyId), and recording calls. */
function fakeLookup(events: WireEvent[]): TraceLookupFn & { calls: TraceLookupAttribute[] } {
  const calls: TraceLookupAttribute[] = [];
  const fn = (attr: TraceLookupAttribute): AsyncIterable<RawLookupEvent> => {
    calls.push(attr);
    const matches = events.filter((e) =>
      attr.key === 'AccessKeyId' ? e.AccessKeyId === attr.value : (e.Resources ?? []).some((r) => r.ResourceName === attr.value),
    );
    return (async function* () {
      yield* matches;
    })();
  };
  return Object.assign(fn, { calls });
}

function issuing(name: string, caller: Identity, issuedKey: string, extra: { roleName?: string; resources?: boolean } = {}): WireEvent {
  return buildEvent(
    {
      service: 'sts', name, timeMs: T0, region: 'us-east-1', identity: caller, sourceIp: '192.0.2.3', userAgent: 'x',
      requestParameters: extra.roleName ? { roleArn: `arn:aws:iam::123456789012:role/${extra.roleName}`, roleSessionName: 's' } : { durationSeconds: 3600 },
      responseElements: { credentials: { accessKeyId: issuedKey, expiration: 'May 1, 2024, 11:00:00 AM' } },
      resources: extra.resources === false ? [] : [{ ResourceType: 'AWS::IAM::AccessKey', ResourceName: issuedKey }],
    },
    rng,
  );
}

const role = (name: string, key: string) => assumedRoleIdentity({ accountId: '123456789012', roleName: name, sessionName: 's', accessKeyId: key });

describe('traceTemporaryKey', () => {
  it('ends at the user for a GetSessionToken key', async () => {
    const key = rng.awsId('ASIA');
    const trace = await traceTemporaryKey(key, fakeLookup([issuing('GetSessionToken', iamUserIdentity(principal), key)]));
    expect(trace.hops).toEqual([expect.objectContaining({ issuedBy: 'GetSessionToken', accessKeyId: key })]);
    expect(trace.origin).toMatchObject({ kind: 'long-term-key', accessKeyId: principal.accessKeyId });
  });

  it('a GetFederationToken key names its federated user, never as a role', async () => {
    const key = rng.awsId('ASIA');
    const fed = buildEvent(
      {
        service: 'sts', name: 'GetFederationToken', timeMs: T0, region: 'us-east-1', identity: iamUserIdentity(principal), sourceIp: '192.0.2.3', userAgent: 'x',
        requestParameters: { name: 'mallory', durationSeconds: 3600 },
        responseElements: {
          credentials: { accessKeyId: key, expiration: 'May 1, 2024, 11:00:00 AM' },
          federatedUser: { arn: 'arn:aws:sts::123456789012:federated-user/mallory', federatedUserId: '123456789012:mallory' },
        },
        resources: [{ ResourceType: 'AWS::IAM::AccessKey', ResourceName: key }],
      },
      rng,
    );
    const trace = await traceTemporaryKey(key, fakeLookup([fed]));
    expect(trace.hops[0]).toMatchObject({ issuedBy: 'GetFederationToken', federatedUserArn: 'arn:aws:sts::123456789012:federated-user/mallory', sessionName: 'mallory' });
    expect(trace.hops[0].roleArn).toBeUndefined();
    expect(trace.origin).toMatchObject({ kind: 'long-term-key', accessKeyId: principal.accessKeyId, userName: principal.userName });
  });

  it('falls back to the AccessKeyId lookup when the event lists no resources', async () => {
    const key = rng.awsId('ASIA');
    const event = issuing('AssumeRole', iamUserIdentity(principal), key, { roleName: 'r', resources: false });
    // Some histories index the issuing event under the new key's AccessKeyId.
    event.AccessKeyId = key;
    const lookup = fakeLookup([event]);
    const trace = await traceTemporaryKey(key, lookup);
    expect(trace.origin.kind).toBe('long-term-key');
    expect(lookup.calls.map((c) => c.key)).toEqual(['ResourceName', 'AccessKeyId']);
  });

  it('ignores events that mention the key but did not issue it', async () => {
    const key = rng.awsId('ASIA');
    const denied = { ...issuing('AssumeRole', iamUserIdentity(principal), key, { roleName: 'r' }) };
    const record = JSON.parse(denied.CloudTrailEvent);
    denied.CloudTrailEvent = JSON.stringify({ ...record, errorCode: 'AccessDenied' });
    const trace = await traceTemporaryKey(key, fakeLookup([denied]));
    expect(trace.origin).toEqual({ kind: 'unknown', reason: 'issuing-event-not-found', accessKeyId: key });
  });

  it('stops at an AWS service (instance role credentials)', async () => {
    const key = rng.awsId('ASIA');
    const service: Identity = { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' };
    const trace = await traceTemporaryKey(key, fakeLookup([issuing('AssumeRole', service, key, { roleName: 'web' })]));
    expect(trace.origin).toEqual({ kind: 'aws-service', service: 'ec2.amazonaws.com' });
  });

  it('detects a cycle instead of looping', async () => {
    const a = rng.awsId('ASIA');
    const b = rng.awsId('ASIA');
    const events = [issuing('AssumeRole', role('x', b), a, { roleName: 'y' }), issuing('AssumeRole', role('y', a), b, { roleName: 'x' })];
    const trace = await traceTemporaryKey(a, fakeLookup(events));
    expect(trace.hops).toHaveLength(2);
    expect(trace.origin).toEqual({ kind: 'unknown', reason: 'cycle', accessKeyId: a });
  });

  it('stops at the hop limit', async () => {
    const keys = Array.from({ length: 6 }, () => rng.awsId('ASIA'));
    const events = keys.slice(0, 5).map((k, i) => issuing('AssumeRole', role(`r${i + 1}`, keys[i + 1]), k, { roleName: `r${i}` }));
    const trace = await traceTemporaryKey(keys[0], fakeLookup(events), { maxHops: 3 });
    expect(trace.hops).toHaveLength(3);
    expect(trace.origin).toEqual({ kind: 'unknown', reason: 'hop-limit', accessKeyId: keys[3] });
  });
});
