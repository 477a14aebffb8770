/**
 * The trail service's query plan for a key, against the CloudTrail emulator: the key by
 * AccessKeyId, then each key it minted, then (when asked) the owner's name, never fetching
 * an event into the summary twice; a flood of minted sessions capped and counted; a region
 * that fails marks the graph incomplete while the rest is still found.
 */
import { startCloudTrailEmulator, CloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import { ACCOUNT_ID, iamUserIdentity, loadEvents } from '../../sandbox/cloudtrail-fixtures';
import { graphScenario, sessionFlood } from '../support/graph-scenario';
import { TrailService } from '../../src/aws/history/trail-service';
import { createCloudTrailClientFactory } from '../../src/aws/history/cloudtrail-lookup';

let emu: CloudTrailEmulator;
beforeEach(async () => {
  emu = await startCloudTrailEmulator({ requestsPerSecond: 100 });
});
afterEach(() => emu.close());

const T0 = Date.now() - 3_600_000;
const window = { start: new Date(T0 - 60_000), end: new Date() };

function service(caps = {}) {
  return new TrailService({
    clientFor: createCloudTrailClientFactory({ endpoint: emu.url, credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'test' } }),
    regions: ['us-east-1', 'eu-west-1'],
    requestsPerSecond: 50,
    graphCaps: caps,
  });
}

it('follows the minted keys, then the owner\'s name, and keeps the owner\'s other activity apart', async () => {
  const s = graphScenario({ startMs: T0 });
  loadEvents(emu, s.events);
  const r = await service().pull({ subject: { kind: 'key', accessKeyId: s.leakedKey, temporary: false }, alsoUserName: 'owner', ownerActivity: true, account: ACCOUNT_ID, ...window });

  const attrs = emu.requestLog().map((x) => x.attribute);
  expect(attrs.slice(0, 2)).toEqual(['AccessKeyId', 'AccessKeyId']);
  expect(attrs.slice(-2)).toEqual(['Username', 'Username']);
  // The attacker's events: the leaked key's and every derived key's, each once.
  const ownerEvents = s.events.filter((e) => e.AccessKeyId === s.ownerOtherKey || e.EventName === 'ConsoleLogin').length;
  expect(r.summary.eventCount).toBe(s.events.length - ownerEvents);
  expect(r.ownerActivity).toMatchObject({ userName: 'owner', eventCount: ownerEvents, createdResources: [expect.objectContaining({ name: 'ci-release', attribution: { by: 'owner-other' } })] });
  expect(r.ownerActivity!.callers.map((c) => c.key)).toEqual(expect.arrayContaining([s.ownerOtherKey, 'console / no key']));
  // The Username pass found the leaked key's (and the session token's) events again, and skipped them.
  expect(r.ownerPassSkipped).toBeGreaterThan(0);
  expect(r.summary.createdResources.items.map((c) => c.name)).not.toContain('ci-release');
  expect(r.graph!.nodes).toHaveLength(8);
});

it('without the owner pass, asks by AccessKeyId only', async () => {
  const s = graphScenario({ startMs: T0 });
  loadEvents(emu, s.events);
  const r = await service().pull({ subject: { kind: 'key', accessKeyId: s.leakedKey, temporary: false }, alsoUserName: 'owner', ...window });
  expect(new Set(emu.requestLog().map((x) => x.attribute))).toEqual(new Set(['AccessKeyId']));
  expect(r.ownerActivity).toBeUndefined();
});

it('an attacker minting 10,000 sessions does not stall the pull: the caps bound the lookups, and every session is counted', async () => {
  const root = 'AKIAFLOODROOT0000000';
  const flood = sessionFlood({ caller: iamUserIdentity({ accountId: ACCOUNT_ID, userName: 'owner', accessKeyId: root }), count: 10_000, startMs: T0 - 3 * 3_600_000 });
  loadEvents(emu, flood.events);
  const r = await service({ maxFanOut: 10, maxNodes: 100 }).pull({ subject: { kind: 'key', accessKeyId: root, temporary: false }, start: new Date(T0 - 4 * 3_600_000), end: new Date() });
  expect(r.summary.eventCount).toBe(10_000);
  expect(r.graph!.caps.fanOutHits).toBe(9_990);
  expect(r.graph!.nodes).toHaveLength(100);
  // 200 pages for the key in us-east-1, 1 in eu-west-1; then one wave of 10 keys × 2 regions.
  expect(emu.stats().total.succeeded).toBe(201 + 20);
}, 120_000);

it('a region whose lookups fail marks the graph incomplete; the rest of the graph is still found', async () => {
  const s = graphScenario({ startMs: T0 });
  loadEvents(emu, s.events);
  emu.injectFault('eu-west-1', { status: 400, type: 'AccessDeniedException', message: 'not allowed' }, 100);
  const r = await service().pull({ subject: { kind: 'key', accessKeyId: s.leakedKey, temporary: false }, ...window });
  expect(r.graph!.incompleteRegions).toEqual(['eu-west-1']);
  expect(r.progress.regionsFailed.map((f) => f.region)).toEqual(['eu-west-1']);
  expect(r.graph!.nodes.map((n) => n.id)).toEqual(expect.arrayContaining([s.keys.s1, s.keys.s2, s.keys.s3]));
});
