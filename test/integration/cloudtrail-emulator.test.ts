/**
 * The emulator refuses and answers what CloudTrail does, as seen through the real SDK
 * client: other tests trust it, so its own behaviour is pinned here.
 */
import { CloudTrailClient, LookupEventsCommand, LookupEventsCommandInput } from '@aws-sdk/client-cloudtrail';
import { CloudTrailEmulator, startCloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import { examplePrincipal, routineActivity } from '../../sandbox/cloudtrail-fixtures';

const principal = examplePrincipal(1);
const START = Date.parse('2024-05-01T00:00:00Z');
const byKey = { LookupAttributes: [{ AttributeKey: 'AccessKeyId' as const, AttributeValue: principal.accessKeyId }] };

let emu: CloudTrailEmulator;
const clients: CloudTrailClient[] = [];

beforeEach(async () => {
  emu = await startCloudTrailEmulator({ requestsPerSecond: 100 });
  emu.setEvents('eu-west-1', routineActivity({ seed: 1, count: 75, principal, regions: ['eu-west-1'], startMs: START, endMs: START + 3600_000 }));
});

afterEach(async () => {
  clients.splice(0).forEach((c) => c.destroy());
  await emu.close();
});

function client(region: string): CloudTrailClient {
  const c = new CloudTrailClient({ region, endpoint: emu.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  clients.push(c);
  return c;
}

const lookup = (region: string, input: LookupEventsCommandInput) => client(region).send(new LookupEventsCommand(input));

describe('CloudTrail emulator', () => {
  it('serves each region its own events, reading the region from the SigV4 scope', async () => {
    const eu = await lookup('eu-west-1', byKey);
    const us = await lookup('us-east-1', byKey);
    expect(eu.Events).toHaveLength(50);
    expect(us.Events).toEqual([]);
    expect(Object.keys(emu.stats().byRegion).sort()).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('returns the API\'s fields, parsed by the SDK: dates, resources, the record', async () => {
    const { Events } = await lookup('eu-west-1', { ...byKey, MaxResults: 1 });
    const [e] = Events!;
    expect(e.EventTime).toBeInstanceOf(Date);
    expect(e.AccessKeyId).toBe(principal.accessKeyId);
    expect(e.Username).toBe(principal.userName);
    expect(JSON.parse(e.CloudTrailEvent!)).toMatchObject({ awsRegion: 'eu-west-1', eventID: e.EventId, userIdentity: { type: 'IAMUser' } });
  });

  it('honours MaxResults and pages with NextToken to the end', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await lookup('eu-west-1', { ...byKey, MaxResults: 20, NextToken: token });
      seen.push(...r.Events!.map((e) => e.EventId!));
      token = r.NextToken;
      pages++;
    } while (token);
    expect(pages).toBe(4);
    expect(new Set(seen).size).toBe(75);
  });

  it.each([
    ['two lookup attributes', { LookupAttributes: [...byKey.LookupAttributes, { AttributeKey: 'Username' as const, AttributeValue: 'x' }] }, 'InvalidLookupAttributesException'],
    ['MaxResults above 50', { ...byKey, MaxResults: 51 }, 'InvalidMaxResultsException'],
    ['a start after the end', { ...byKey, StartTime: new Date(START + 1000), EndTime: new Date(START) }, 'InvalidTimeRangeException'],
    ['a NextToken from another query', { LookupAttributes: [{ AttributeKey: 'Username' as const, AttributeValue: 'x' }], NextToken: 'eyJxIjoiW10iLCJ0IjoxLCJpZCI6IngifQ==' }, 'InvalidNextTokenException'],
  ])('refuses %s', async (_what, input, errorName) => {
    await expect(lookup('eu-west-1', input as LookupEventsCommandInput)).rejects.toMatchObject({ name: errorName, $metadata: { httpStatusCode: 400 } });
  });

  it('throttles past the rate limit with ThrottlingException, counted per region', async () => {
    emu.setRateLimit(2, 2);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => lookup('eu-west-1', { ...byKey, MaxResults: 1 })));
    const throttled = results.filter((r) => r.status === 'rejected');
    expect(throttled.length).toBe(3);
    expect((throttled[0] as PromiseRejectedResult).reason).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded' });
    expect(emu.stats().byRegion['eu-west-1']).toMatchObject({ requests: 5, throttled: 3, succeeded: 2 });
    // Another region has its own budget.
    await expect(lookup('us-west-2', byKey)).resolves.toBeDefined();
  });

  it('keeps a NextToken valid when newer events arrive mid-pull', async () => {
    const first = await lookup('eu-west-1', byKey);
    emu.appendEvents('eu-west-1', routineActivity({ seed: 2, count: 10, principal, regions: ['eu-west-1'], startMs: START + 7200_000, endMs: START + 7300_000 }));
    const second = await lookup('eu-west-1', { ...byKey, NextToken: first.NextToken });
    const ids = [...first.Events!, ...second.Events!].map((e) => e.EventId);
    expect(new Set(ids).size).toBe(75);
    expect(second.NextToken).toBeUndefined();
  });

  it('refuses an unsigned request', async () => {
    const res = await fetch(emu.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'CloudTrail_20131101.LookupEvents' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
  });
});
