/**
 * The watch follows every credential of the investigation's graph: with the in-memory stores
 * and a fake CloudTrail port (what it was asked, what it answers), the derived keys are learnt
 * from the Investigate step, recorded on the watch item, each looked up by its own
 * AccessKeyId in its own account, alerted on, and named in the closing line.
 */
import { InMemoryIncidentStore, InMemoryWatchStore } from '../../src/store/in-memory-store';
import { Watcher } from '../../workflows/watch';
import type { TrailPort, TrailPullRequest, TrailPullResult } from '../../src/ports';
import type { IncidentNotice } from '../../src/domain/incident-notice';
import type { Incident, StepRecord } from '../../src/domain/incident';
import type { TrailSummary } from '../../src/domain/trail-summary';
import type { CredentialGraph } from '../../src/domain/credential-graph';
import { noticeText } from '../../src/slack/incident-messages';

const LEAKED = 'AKIAEXAMPLELEAKED234';
const ROLE_KEY = 'ASIAOPSADMINSESSION1';
const OTHER_ACCOUNT_KEY = 'ASIADEPLOYOTHERACCT1';
const T0 = Date.parse('2026-12-02T05:00:00Z');

const summary = (eventCount: number): TrailSummary => ({
  eventCount, regions: [], findings: [], usualRegions: { source: 'default', regions: [] }, ignored: { awsService: 0, keyguard: 0 },
  eventNames: { top: [], distinct: 0, overflowEvents: 0 },
  sourceIps: { top: eventCount ? [{ ip: '198.51.100.7', count: eventCount, firstSeen: '', lastSeen: '', newSinceFirstSuspicious: true }] : [], distinct: 0, overflowEvents: 0 },
  userAgents: { top: [], distinct: 0, overflowEvents: 0 },
  errorCodes: { top: [], distinct: 0, overflowEvents: 0 },
  identities: { top: [], distinct: 0, overflowEvents: 0 },
  createdResources: { items: [], dropped: 0, droppedByKind: {} },
  eventIndex: { entries: [], dropped: 0 },
});

const graph: CredentialGraph = {
  root: LEAKED,
  nodes: [
    { id: LEAKED, kind: 'leaked-key', depth: 0, created: [], userName: 'alice' },
    { id: ROLE_KEY, kind: 'role-session', parent: LEAKED, depth: 1, created: [], roleArn: 'arn:aws:iam::123456789012:role/ops-admin' },
    { id: OTHER_ACCOUNT_KEY, kind: 'role-session', parent: ROLE_KEY, depth: 2, created: [], roleArn: 'arn:aws:iam::222233334444:role/deploy', account: '222233334444' },
    { id: 'login-profile:123456789012:evil', kind: 'login-profile', parent: ROLE_KEY, depth: 2, created: [] },
  ],
  caps: { maxDepth: 5, maxFanOut: 50, depthHits: 0, fanOutHits: 0 },
  incompleteRegions: [],
};

function rig() {
  let now = T0;
  const store = new InMemoryIncidentStore(() => new Date(now));
  const watches = new InMemoryWatchStore();
  const asked: TrailPullRequest[] = [];
  const events: Record<string, number> = {};
  const trail: TrailPort = {
    async pull(req): Promise<TrailPullResult> {
      asked.push(req);
      const id = req.subject.kind === 'key' ? req.subject.accessKeyId : '';
      return { summary: summary(events[id] ?? 0), progress: {} as TrailPullResult['progress'], regions: [], newest: [] };
    },
    trace: async () => { throw new Error('unused'); },
    regions: async () => ['us-east-1'],
  };
  const said: IncidentNotice[] = [];
  const watcher = new Watcher({
    watches, store, trail, notifier: { notify: async (_i, n) => void said.push(n) }, logger: { info() {}, warn() {}, error() {}, debug() {} } as never,
    now: () => new Date(now), durationMinutes: 30, intervalMinutes: 5,
  });
  return { store, watches, watcher, asked, events, said, at: (minutes: number) => (now = T0 + minutes * 60_000) };
}

const incident: Incident = {
  id: 'IR-20261202-0001', keyId: LEAKED, keyKind: 'long-term', requester: 'U1', channel: 'C1', reason: 'r', severity: 'high', status: 'open',
  dryRun: false, createdAt: new Date(T0).toISOString(), version: 1, account: '123456789012', principal: { type: 'user', name: 'alice' },
} as Incident;

const stepRecord = (name: string, seq: number, state: StepRecord['state'], result?: unknown): StepRecord => ({
  incidentId: incident.id, seq, name, title: name, state, version: 1, approvalsRequired: 0, approvals: [], updatedAt: new Date(T0).toISOString(), ...(result ? { result } : {}),
});

it('learns the graph from Investigate, looks each derived key up by AccessKeyId in its account, and says exactly what it watched', async () => {
  const r = rig();
  await r.store.openIncident(incident, [stepRecord('contain', 2, 'succeeded'), stepRecord('investigate', 3, 'running')]);
  await r.watcher.schedule(incident, new Date(T0).toISOString());

  // First check: Investigate has not stored its graph yet; only the key is followed, by id alone.
  r.at(6);
  expect(await r.watcher.tick()).toBe(1);
  expect(r.asked.map((q) => q.subject)).toEqual([{ kind: 'key', accessKeyId: LEAKED, temporary: false }]);
  expect(r.asked[0].alsoUserName).toBeUndefined();

  // Investigate stored its graph; the role session in the other account is used after containment.
  const inv = (await r.store.getStep(incident.id, 3, 'investigate'))!;
  await r.store.updateStep({ ...inv, state: 'succeeded', result: { eventCount: 9, graph } }, { from: ['running'], version: inv.version });
  r.events[OTHER_ACCOUNT_KEY] = 2;
  r.asked.length = 0;
  r.at(12);
  expect(await r.watcher.tick()).toBe(1);
  expect(r.asked.map((q) => [q.subject.kind === 'key' && q.subject.accessKeyId, q.account])).toEqual([
    [LEAKED, '123456789012'],
    [ROLE_KEY, '123456789012'],
    [OTHER_ACCOUNT_KEY, '222233334444'],
  ]);
  const [w] = await r.watches.due(new Date(T0 + 60 * 60_000).toISOString());
  expect(w.derived!.map((k) => k.keyId)).toEqual([ROLE_KEY, OTHER_ACCOUNT_KEY]);
  const alert = r.said.find((n) => n.kind === 'watch_alert')!;
  expect(alert).toMatchObject({ keyId: OTHER_ACCOUNT_KEY, finding: { newEvents: 2 } });
  expect((await r.store.get(incident.id))!.events.map((e) => e.type)).toEqual(expect.arrayContaining(['watch_following', 'watch_alert']));

  // Nothing new: no second alert. The last check closes with every credential named.
  r.at(18);
  await r.watcher.tick();
  expect(r.said.filter((n) => n.kind === 'watch_alert')).toHaveLength(1);
  r.at(31);
  await r.watcher.tick();
  const ended = r.said.find((n) => n.kind === 'watch_ended')!;
  const text = noticeText(ended)!;
  expect(text).toContain(`2 call(s) since containment. \`${LEAKED}\`: 0; watched \`${LEAKED}\` and the 2 credential(s) it minted:`);
  expect(text).toContain(`\`${ROLE_KEY}\` (session of role ops-admin) 0, \`${OTHER_ACCOUNT_KEY}\` (session of role deploy) 2`);
  expect(await r.watches.due(new Date(T0 + 60 * 60_000).toISOString())).toEqual([]);
});
