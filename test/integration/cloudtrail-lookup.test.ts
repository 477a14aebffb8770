/**
 * The CloudTrail engine against the emulator, through the real @aws-sdk/client-cloudtrail
 * client (JSON 1.1 over HTTP, SigV4 with dummy credentials). Most tests run the emulator
 * faster than AWS to stay quick; one runs at the real 2 requests/s.
 */
import {
  CloudTrailLookup, CloudTrailLookupOptions, createCloudTrailClientFactory, LookedUpEvent, lookupOneAttribute, principalLookupAttributes,
} from '../../src/aws/history/cloudtrail-lookup';
import { traceTemporaryKey } from '../../src/domain/asia-trace';
import { CloudTrailEmulator, CloudTrailEmulatorOptions, startCloudTrailEmulator, WireEvent } from '../../sandbox/cloudtrail-emulator';
import {
  assumeRoleChain, buildEvent, examplePrincipal, FixtureRandom, generateVolume, iamUserIdentity, loadEvents, routineActivity, UserPrincipal,
} from '../../sandbox/cloudtrail-fixtures';

const DAY = 86_400_000;
const NOW = Date.parse('2024-05-08T00:00:00Z');
const WEEK = { start: new Date(NOW - 7 * DAY), end: new Date(NOW) };
const principal = examplePrincipal(1);

const emulators: CloudTrailEmulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((e) => e.close()));
});

async function emulator(options: CloudTrailEmulatorOptions = { requestsPerSecond: 50 }): Promise<CloudTrailEmulator> {
  const emu = await startCloudTrailEmulator(options);
  emulators.push(emu);
  return emu;
}

function lookup(emu: CloudTrailEmulator, options: Partial<CloudTrailLookupOptions> & Pick<CloudTrailLookupOptions, 'regions'>): CloudTrailLookup {
  return new CloudTrailLookup({
    clientFor: createCloudTrailClientFactory({ endpoint: emu.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }),
    attributes: principalLookupAttributes({ accessKeyId: principal.accessKeyId }),
    window: WEEK,
    requestsPerSecond: 40,
    retry: { throttleBaseDelayMs: 20 },
    ...options,
  });
}

async function collect(l: CloudTrailLookup, stopAfter = Number.POSITIVE_INFINITY): Promise<LookedUpEvent[]> {
  const out: LookedUpEvent[] = [];
  for await (const e of l.events()) {
    out.push(e);
    if (out.length >= stopAfter) break;
  }
  return out;
}

const ids = (events: ReadonlyArray<{ EventId?: string } | { event: { EventId?: string } }>) =>
  events.map((e) => ('event' in e ? e.event.EventId : e.EventId)!);

function volume(perRegion: number, regions: string[], seed = 5): Map<string, WireEvent[]> {
  return generateVolume({ seed, perRegion, regions, principal, startMs: WEEK.start.getTime() + 1000, endMs: WEEK.end.getTime() - 1000 });
}

function load(emu: CloudTrailEmulator, byRegion: Map<string, WireEvent[]>): void {
  for (const [region, events] of byRegion) emu.setEvents(region, events);
}

describe('paging', () => {
  it('pages through more than 50 events, newest first, 50 a page', async () => {
    const emu = await emulator();
    const data = volume(137, ['eu-west-1']);
    load(emu, data);
    const l = lookup(emu, { regions: ['eu-west-1'] });
    const got = await collect(l);
    expect(got).toHaveLength(137);
    expect(new Set(ids(got))).toEqual(new Set(ids(data.get('eu-west-1')!)));
    const times = got.map((e) => e.event.EventTime!.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(got.every((e) => e.region === 'eu-west-1')).toBe(true);
    expect(emu.stats().total).toMatchObject({ succeeded: 3, throttled: 0, failed: 0 });
    expect(l.progress()).toMatchObject({ pages: 3, events: 137, regionsDone: 1, regionsTotal: 1, finished: true, regionsFailed: [] });
  });

  it('returns nothing, without failing, for a principal with no events', async () => {
    const emu = await emulator();
    const l = lookup(emu, { regions: ['us-east-1', 'eu-west-1'] });
    expect(await collect(l)).toEqual([]);
    expect(l.progress()).toMatchObject({ regionsDone: 2, regionsFailed: [], pages: 2 });
  });
});

describe('throttling', () => {
  it('retries every ThrottlingException and delivers every event when the engine runs faster than the limit', async () => {
    const emu = await emulator({ requestsPerSecond: 2, burst: 1 });
    const data = volume(300, ['us-east-1', 'ap-south-1']);
    load(emu, data);
    // 40 requests/s against a 2/s limit with no burst: a second request within 500 ms of the
    // first is throttled, so throttles are certain even on a loaded machine.
    const l = lookup(emu, { regions: ['us-east-1', 'ap-south-1'], requestsPerSecond: 40 });
    const got = await collect(l);
    expect(got).toHaveLength(600);
    const stats = emu.stats();
    expect(stats.total.throttled).toBeGreaterThan(0);
    expect(stats.total.failed).toBe(0);
    expect(stats.total.succeeded).toBe(12);
    expect(l.progress()).toMatchObject({ throttled: stats.total.throttled, regionsFailed: [], regionsDone: 2 });
  });

  it('stays under the real limit of 2 requests/s per region without being throttled', async () => {
    const emu = await emulator({ requestsPerSecond: 2, burst: 2 });
    load(emu, volume(200, ['eu-central-1']));
    // Default pacing (1.9/s): what production uses.
    const l = lookup(emu, { regions: ['eu-central-1'], requestsPerSecond: undefined, retry: undefined });
    const got = await collect(l);
    expect(got).toHaveLength(200);
    // The emulator's bucket holds 2: four requests sent back to back would be throttled.
    // Zero throttles is the proof of pacing (durations are left to the benchmark).
    expect(emu.stats().total).toMatchObject({ requests: 4, throttled: 0 });
  });
});

describe('multi-region', () => {
  it('fetches regions in parallel, each under its own limiter', async () => {
    const regions = ['us-east-1', 'eu-west-1', 'ap-northeast-1', 'sa-east-1'];
    // A burst of 2 absorbs the jitter of a cold start, as AWS's own bucket does.
    const emu = await emulator({ requestsPerSecond: 5, burst: 2 });
    const data = volume(150, regions);
    load(emu, data);
    const l = lookup(emu, { regions, requestsPerSecond: 4.5 });
    const got = await collect(l);
    expect(got).toHaveLength(600);
    for (const region of regions) {
      expect(new Set(ids(got.filter((e) => e.region === region)))).toEqual(new Set(ids(data.get(region)!)));
    }
    // In parallel, not one region after another (which would start the fourth region at the
    // tenth request, after three pages of each of the others): every region starts before
    // any region has fetched its third page.
    const log = emu.requestLog();
    const firstOf = (region: string) => log.findIndex((r) => r.region === region);
    const thirdPages = regions.map((region) => log.map((r, i) => [r, i] as const).filter(([r]) => r.region === region)[2][1]);
    expect(Math.max(...regions.map(firstOf))).toBeLessThan(Math.min(...thirdPages));
    expect(emu.stats().total).toMatchObject({ throttled: 0, succeeded: 12 });
  });

  it('reports a region that refuses as failed and still delivers the others', async () => {
    const emu = await emulator();
    load(emu, volume(60, ['us-east-1', 'me-south-1']));
    emu.injectFault('me-south-1', { status: 400, type: 'AccessDeniedException', message: 'region not enabled' }, 1);
    const progress: number[] = [];
    const l = lookup(emu, { regions: ['us-east-1', 'me-south-1'], onProgress: (p) => progress.push(p.regionsDone + p.regionsFailed.length) });
    const got = await collect(l);
    expect(got.every((e) => e.region === 'us-east-1')).toBe(true);
    expect(got).toHaveLength(60);
    expect(l.progress().regionsFailed).toEqual([{ region: 'me-south-1', errorName: 'AccessDeniedException', message: 'region not enabled' }]);
    expect(l.cursor().regions['me-south-1'].state).toBe('failed');
    expect(progress[progress.length - 1]).toBe(2);
  });

  it('retries a server error and carries on', async () => {
    const emu = await emulator();
    load(emu, volume(80, ['us-west-2']));
    emu.injectFault('us-west-2', { status: 500, type: 'InternalFailure' }, 2);
    const l = lookup(emu, { regions: ['us-west-2'] });
    expect(await collect(l)).toHaveLength(80);
    expect(l.progress().regionsFailed).toEqual([]);
  });
});

describe('dedup between the AccessKeyId and Username lookups', () => {
  it('delivers each event once, including events in the same second', async () => {
    const emu = await emulator();
    const start = WEEK.start.getTime() + DAY;
    // Made with the key: found by both lookups. 120 events in 30 s, so many share a second.
    const withKey = routineActivity({ seed: 1, count: 120, principal, regions: ['us-east-1'], startMs: start, endMs: start + 30_000 });
    // The same user's other key: found only by Username.
    const otherKey: UserPrincipal = { ...principal, accessKeyId: new FixtureRandom(77).awsId('AKIA') };
    const withOtherKey = routineActivity({ seed: 2, count: 40, principal: otherKey, regions: ['us-east-1'], startMs: start, endMs: start + 30_000 });
    // Console sign-in: Username, no access key.
    const rng = new FixtureRandom(3);
    const { accessKeyId: _k, ...consoleIdentity } = iamUserIdentity(principal);
    const consoleLogin = buildEvent({ service: 'signin', name: 'ConsoleLogin', timeMs: start + 10_000, region: 'us-east-1', identity: { ...consoleIdentity, type: 'IAMUser' }, sourceIp: '192.0.2.50', userAgent: 'Mozilla/5.0' }, rng);
    const all = [...withKey, ...withOtherKey, consoleLogin];
    emu.setEvents('us-east-1', all);

    const l = lookup(emu, { regions: ['us-east-1'], attributes: principalLookupAttributes({ accessKeyId: principal.accessKeyId, userName: principal.userName }) });
    const got = await collect(l);
    expect(ids(got).sort()).toEqual(ids(all).sort());
    expect(l.progress().duplicatesDropped).toBe(withKey.length);
    const times = got.map((e) => e.event.EventTime!.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });
});

describe('time windows', () => {
  it('returns only events inside the window, both ends included', async () => {
    const emu = await emulator();
    const rng = new FixtureRandom(9);
    const at = (ms: number) =>
      buildEvent({ service: 'ec2', name: 'DescribeInstances', timeMs: ms, region: 'us-east-1', identity: iamUserIdentity(principal), sourceIp: '192.0.2.1', userAgent: 'x' }, rng);
    const from = NOW - 3 * DAY;
    const to = NOW - 1 * DAY;
    const inside = [at(from), at(from + 1000), at(to - 1000), at(to)];
    const outside = [at(from - 1000), at(to + 1000), at(NOW - 6 * DAY)];
    emu.setEvents('us-east-1', [...inside, ...outside]);
    const l = lookup(emu, { regions: ['us-east-1'], window: { start: new Date(from), end: new Date(to) } });
    expect(ids(await collect(l)).sort()).toEqual(ids(inside).sort());
  });
});

describe('resume', () => {
  const regions = ['us-east-1', 'eu-west-1'];
  const attributes = principalLookupAttributes({ accessKeyId: principal.accessKeyId, userName: principal.userName });

  it('picks up from a stored cursor, delivering every event exactly once overall', async () => {
    const emu = await emulator();
    const data = volume(260, regions);
    load(emu, data);
    const first = lookup(emu, { regions, attributes, bufferSize: 20 });
    const part1 = await collect(first, 170);
    const stored = JSON.parse(JSON.stringify(first.cursor()));
    const requestsBefore = emu.stats().total.succeeded;

    const second = lookup(emu, { regions, attributes, resumeFrom: stored });
    const part2 = await collect(second);
    const all = [...ids(part1), ...ids(part2)];
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(520);
    // Resuming re-fetches at most the page each stream was on, not the whole history.
    const resumedRequests = emu.stats().total.succeeded - requestsBefore;
    expect(resumedRequests).toBeLessThanOrEqual(2 * (Math.ceil(260 / 50) + 1) * 2 - Math.floor(170 / 50) * 2);
  });

  it('starts a stream over when its NextToken has expired, still without duplicates', async () => {
    const emu = await emulator();
    load(emu, volume(200, ['us-east-1']));
    const first = lookup(emu, { regions: ['us-east-1'], bufferSize: 5 });
    const part1 = await collect(first, 120);
    const stored = first.cursor();
    expect(stored.regions['us-east-1'].streams[0].nextToken).toBeDefined();
    emu.injectFault('us-east-1', { status: 400, type: 'InvalidNextTokenException', message: 'expired' }, 1);
    const second = lookup(emu, { regions: ['us-east-1'], resumeFrom: stored });
    const part2 = await collect(second);
    const all = [...ids(part1), ...ids(part2)];
    expect(all.length).toBe(200);
    expect(new Set(all).size).toBe(200);
    expect(second.progress().duplicatesDropped).toBeGreaterThan(0);
  });

  it('refuses a cursor from a different lookup', async () => {
    const emu = await emulator();
    const first = lookup(emu, { regions });
    await collect(first);
    expect(() => lookup(emu, { regions, resumeFrom: first.cursor(), window: { start: new Date(NOW - DAY), end: new Date(NOW) } })).toThrow(/different lookup/);
  });

  it('skips regions the cursor marks done', async () => {
    const emu = await emulator();
    load(emu, volume(30, regions));
    const first = lookup(emu, { regions });
    await collect(first);
    emu.resetStats();
    const again = lookup(emu, { regions, resumeFrom: first.cursor() });
    expect(await collect(again)).toEqual([]);
    expect(emu.stats().total.requests).toBe(0);
    expect(again.progress()).toMatchObject({ regionsDone: 2, regionsTotal: 2 });
  });
});

describe('streaming', () => {
  it('stops fetching while the consumer is busy (back-pressure) and stops for good when it breaks out', async () => {
    const emu = await emulator();
    load(emu, volume(1000, ['us-east-1']));
    const l = lookup(emu, { regions: ['us-east-1'], bufferSize: 10 });
    let seen = 0;
    for await (const _e of l.events()) {
      if (++seen === 5) {
        await new Promise((r) => setTimeout(r, 400));
        // At 40/s, 400 ms would be 16 pages if nothing held the producer back.
        expect(emu.stats().total.requests).toBeLessThanOrEqual(2);
        break;
      }
    }
    const afterBreak = emu.stats().total.requests;
    await new Promise((r) => setTimeout(r, 200));
    expect(emu.stats().total.requests).toBe(afterBreak);
    expect(l.progress().finished).toBe(true);
  });

  it('reports progress as it goes and once at the end', async () => {
    const emu = await emulator();
    load(emu, volume(200, ['us-east-1', 'eu-west-1']));
    const seen: Array<{ events: number; regionsDone: number; finished: boolean }> = [];
    const l = lookup(emu, { regions: ['us-east-1', 'eu-west-1'], progressIntervalMs: 0, onProgress: (p) => seen.push(p) });
    await collect(l);
    expect(seen.length).toBeGreaterThan(400);
    const events = seen.map((p) => p.events);
    expect(events).toEqual([...events].sort((a, b) => a - b));
    expect(seen[seen.length - 1]).toMatchObject({ events: 400, regionsDone: 2, finished: true });
  });

  it('reports no more often than asked, except when a region ends and at the end', async () => {
    const emu = await emulator();
    load(emu, volume(200, ['us-east-1', 'eu-west-1']));
    const seen: Array<{ regionsDone: number; finished: boolean }> = [];
    const l = lookup(emu, { regions: ['us-east-1', 'eu-west-1'], progressIntervalMs: 60_000, onProgress: (p) => seen.push(p) });
    await collect(l);
    // The first event (the interval starts then), two regions done, the end.
    expect(seen.map((p) => [p.regionsDone, p.finished])).toEqual([[0, false], [1, false], [2, false], [2, true]]);
  });

  it('can be cancelled with an AbortSignal', async () => {
    const emu = await emulator({ requestsPerSecond: 5 });
    load(emu, volume(500, ['us-east-1']));
    const controller = new AbortController();
    const l = lookup(emu, { regions: ['us-east-1'], requestsPerSecond: 4, signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    await expect(collect(l)).rejects.toMatchObject({ name: 'AbortError' });
    expect(l.progress().events).toBeLessThan(500);
  });
});

describe('ASIA trace', () => {
  const traceLookup = (emu: CloudTrailEmulator) =>
    lookupOneAttribute({
      clientFor: createCloudTrailClientFactory({ endpoint: emu.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }),
      region: 'us-east-1',
      window: WEEK,
      requestsPerSecond: 40,
    });

  it('walks two AssumeRole hops back to the long-term key', async () => {
    const emu = await emulator();
    const chain = assumeRoleChain({
      seed: 4, origin: { kind: 'iam-user', principal }, startMs: NOW - 2 * DAY,
      hops: [{ roleName: 'deploy', sessionName: 'ci-run-42', sourceIdentity: 'ci-deployer' }, { roleName: 'admin-breakglass', sessionName: 'hop2' }],
      sourceIp: '198.51.100.9',
    });
    loadEvents(emu, chain.events);
    // Noise: the user's routine work, so the lookups have to pick the right events.
    loadEvents(emu, routineActivity({ seed: 5, count: 120, principal, regions: ['us-east-1'], startMs: NOW - 3 * DAY, endMs: NOW - DAY }));

    const trace = await traceTemporaryKey(chain.issuedKeys[1], traceLookup(emu));
    expect(trace.hops.map((h) => h.accessKeyId)).toEqual([chain.issuedKeys[1], chain.issuedKeys[0]]);
    expect(trace.hops[0]).toMatchObject({
      issuedBy: 'AssumeRole', roleArn: chain.roleArns[1], sessionName: 'hop2', sourceIp: '198.51.100.9',
      caller: { type: 'AssumedRole', accessKeyId: chain.issuedKeys[0], arn: 'arn:aws:sts::123456789012:assumed-role/deploy/ci-run-42' },
    });
    expect(trace.hops[1]).toMatchObject({ roleArn: chain.roleArns[0], sessionName: 'ci-run-42', sourceIdentity: 'ci-deployer', caller: { accessKeyId: principal.accessKeyId } });
    expect(trace.hops[1].expiration).toBeDefined();
    expect(trace.origin).toEqual({ kind: 'long-term-key', accessKeyId: principal.accessKeyId, userName: principal.userName, userArn: `arn:aws:iam::123456789012:user/${principal.userName}` });
  });

  it('stops at a federated sign-in', async () => {
    const emu = await emulator();
    const chain = assumeRoleChain({ seed: 6, origin: { kind: 'saml', userName: 'alice@example.com', provider: 'Okta' }, startMs: NOW - DAY, hops: [{ roleName: 'sso-admin', sessionName: 'alice@example.com' }] });
    loadEvents(emu, chain.events);
    const trace = await traceTemporaryKey(chain.issuedKeys[0], traceLookup(emu));
    expect(trace.hops).toHaveLength(1);
    expect(trace.origin).toMatchObject({ kind: 'federated', via: 'AssumeRoleWithSAML', subject: 'alice@example.com', identityProvider: 'arn:aws:iam::123456789012:saml-provider/Okta' });
  });

  it('says so when the issuing event is not in the window', async () => {
    const emu = await emulator();
    const trace = await traceTemporaryKey('ASIAZZZZZZZZZZZZZZZZ', traceLookup(emu));
    expect(trace).toEqual({ accessKeyId: 'ASIAZZZZZZZZZZZZZZZZ', hops: [], origin: { kind: 'unknown', reason: 'issuing-event-not-found', accessKeyId: 'ASIAZZZZZZZZZZZZZZZZ' } });
  });
});
