/**
 * The credential graph built from real CloudTrail event shapes, walked as the trail service
 * walks it (by AccessKeyId, wave by wave), and who each event is attributed to.
 */
import { CredentialGraphBuilder, callingKey, mintedCredential } from '../../src/domain/credential-graph-builder';
import { assumedRoleArns, attackerKeyIds } from '../../src/domain/credential-graph';
import { parseTrailEvent, TrailEvent } from '../../src/domain/trail-event';
import { createdResources, TrailSummaryBuilder } from '../../src/domain/trail-summary';
import { removableItems } from '../../src/domain/persistence';
import { graphScenario, OTHER_ACCOUNT_ID, sessionFlood } from '../support/graph-scenario';
import { ACCOUNT_ID, iamUserIdentity } from '../support/cloudtrail-fixtures';
import type { WireEvent } from '../support/cloudtrail-emulator';
import { credentialGraphBlocks, trailSummaryBlocks } from '../../src/slack/trail-blocks';
import { assertWithinSlackLimits } from '../../src/slack/limits';
import { blockProblems } from '../support/slack-limits-check';
import { describePath } from '../../src/domain/credential-graph-view';

const T0 = Date.parse('2026-11-20T10:00:00Z');
const parse = (e: WireEvent) => parseTrailEvent(e, 'us-east-1');

/** Walks like the trail service: the root's events, then each wave of minted keys; returns every event observed. */
function walk(events: WireEvent[], root: string, caps = {}, ownerPass?: string) {
  const parsed = events.map(parse);
  const b = new CredentialGraphBuilder({ accessKeyId: root, userName: 'owner', account: ACCOUNT_ID }, caps);
  const lookups: string[][] = [];
  const attributed: Array<{ e: TrailEvent; by: string; path?: string[] }> = [];
  let wave = [root];
  while (wave.length > 0) {
    lookups.push(wave);
    for (const e of parsed.filter((x) => wave.includes(callingKey(x) ?? ''))) {
      const a = b.observe(e, createdResources(e).map((c) => `${c.kind} ${c.name}`));
      attributed.push({ e, by: a.by, ...(a.by === 'derived' ? { path: a.path } : {}) });
    }
    wave = b.toFollow().map((n) => n.id);
  }
  if (ownerPass) {
    for (const e of parsed.filter((x) => x.userName === ownerPass && !b.isFollowed(callingKey(x)))) {
      const a = b.observe(e);
      attributed.push({ e, by: a.by });
    }
  }
  return { builder: b, graph: b.graph(['us-east-1', 'eu-west-1']), lookups, attributed };
}

describe('minted credentials', () => {
  const s = graphScenario({ startMs: T0 });
  const byName = (name: string, nth = 0) => s.events.map(parse).filter((e) => e.name === name)[nth];

  it('reads the issued key of AssumeRole from responseElements.credentials, with role, session and account', () => {
    expect(mintedCredential(byName('AssumeRole'))).toMatchObject({
      id: s.keys.s1, kind: 'role-session', roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/ops-admin`, sessionName: 's1', account: ACCOUNT_ID,
      issuedBy: { eventName: 'AssumeRole', region: 'us-east-1' },
    });
  });

  it('takes the account of a cross-account role from its ARN', () => {
    expect(mintedCredential(byName('AssumeRole', 2))).toMatchObject({ id: s.keys.s3, account: OTHER_ACCOUNT_ID, roleArn: `arn:aws:iam::${OTHER_ACCOUNT_ID}:role/xacct` });
  });

  it('falls back to the AWS::IAM::AccessKey resource when responseElements lack the key', () => {
    const e = byName('GetSessionToken');
    const withoutCreds = { ...e, responseElements: {} };
    expect(mintedCredential(withoutCreds)).toMatchObject({ id: s.keys.sessionToken, kind: 'session-token', userName: 'owner' });
  });

  it('keeps a federation token\'s federated-user ARN apart from roles', () => {
    const m = mintedCredential(byName('GetFederationToken'))!;
    expect(m).toMatchObject({ id: s.keys.federation, kind: 'federation-token', federatedUserArn: `arn:aws:sts::${ACCOUNT_ID}:federated-user/fed`, userName: 'owner' });
    expect(m.roleArn).toBeUndefined();
  });

  it('makes CreateAccessKey for another user and CreateLoginProfile nodes', () => {
    expect(mintedCredential(byName('CreateAccessKey'))).toMatchObject({ id: s.keys.backdoorKey, kind: 'access-key', userName: 'backdoor' });
    expect(mintedCredential(byName('CreateLoginProfile'))).toMatchObject({ id: `login-profile:${ACCOUNT_ID}:backdoor`, kind: 'login-profile', userName: 'backdoor' });
  });

  it('mints nothing from a refused call', () => {
    const e = byName('AssumeRole');
    expect(mintedCredential({ ...e, errorCode: 'AccessDenied' })).toBeUndefined();
  });
});

describe('the graph walk', () => {
  const s = graphScenario({ startMs: T0 });

  it('follows every minted key by AccessKeyId, wave by wave, and chains roles', () => {
    const { graph, lookups } = walk(s.events, s.leakedKey);
    expect(lookups[0]).toEqual([s.leakedKey]);
    expect(new Set(lookups[1])).toEqual(new Set([s.keys.s1, s.keys.sessionToken, s.keys.federation]));
    expect(new Set(lookups[2])).toEqual(new Set([s.keys.backdoorKey, s.keys.s2]));
    expect(lookups[3]).toEqual([s.keys.s3]);
    const node = (id: string) => graph.nodes.find((n) => n.id === id)!;
    expect(node(s.keys.s2)).toMatchObject({ kind: 'role-session', parent: s.keys.s1, depth: 2, sessionName: 's2' });
    expect(node(s.keys.s3)).toMatchObject({ parent: s.keys.s2, depth: 3, account: OTHER_ACCOUNT_ID });
    expect(assumedRoleArns(graph).sort()).toEqual([
      `arn:aws:iam::${ACCOUNT_ID}:role/deep-role`, `arn:aws:iam::${ACCOUNT_ID}:role/ops-admin`, `arn:aws:iam::${OTHER_ACCOUNT_ID}:role/xacct`,
    ]);
    expect(attackerKeyIds(graph)).not.toContain(s.ownerOtherKey);
    expect(attackerKeyIds(graph)).toEqual(expect.arrayContaining([s.leakedKey, s.keys.s1, s.keys.s2, s.keys.s3, s.keys.backdoorKey]));
  });

  it('records each node\'s use: first and last use, source IPs, regions and what it created', () => {
    const { graph } = walk(s.events, s.leakedKey);
    const s1 = graph.nodes.find((n) => n.id === s.keys.s1)!;
    expect(s1.use).toMatchObject({ eventCount: 5, sourceIps: ['198.51.100.66'], regions: ['eu-west-1', 'us-east-1'] });
    expect(s1.use!.firstUse! < s1.use!.lastUse!).toBe(true);
    expect(s1.created).toEqual(expect.arrayContaining(['iam-user backdoor', s.keys.backdoorKey, `login-profile:${ACCOUNT_ID}:backdoor`, 'ec2-instance i-0a1b2c3d4e5f60718', s.keys.s2]));
    expect(graph.searchedRegions).toEqual(['us-east-1', 'eu-west-1']);
  });

  it('attributes events to the leaked key, to a derived credential with its path, or to the owner\'s other activity', () => {
    const { attributed } = walk(s.events, s.leakedKey, {}, 'owner');
    const of = (pred: (e: TrailEvent) => boolean) => attributed.filter((a) => pred(a.e)).map((a) => a.by);
    expect(of((e) => e.name === 'CreateUser' && e.requestParameters?.userName === 'backdoor')).toEqual(['derived']);
    expect(attributed.find((a) => a.e.name === 'ListBuckets')!.path).toEqual([s.leakedKey, s.keys.s1, s.keys.s2]);
    expect(of((e) => e.name === 'CreateUser' && e.requestParameters?.userName === 'ci-release')).toEqual(['owner-other']);
    expect(of((e) => e.name === 'ConsoleLogin')).toEqual(['owner-other']);
    expect(of((e) => e.name === 'GetSessionToken')).toEqual(['leaked-key']);
    // The Username pass never brings back an event a key lookup already fetched.
    const ids = attributed.map((a) => a.e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('offers only what the attacker\'s credentials created: never the user the owner\'s other key made', () => {
    const { attributed } = walk(s.events, s.leakedKey, {}, 'owner');
    const summary = new TrailSummaryBuilder();
    for (const a of attributed) summary.add(a.e, a.by === 'derived' ? { by: 'derived', nodeId: callingKey(a.e)!, path: a.path! } : { by: a.by as 'leaked-key' | 'owner-other' });
    const created = summary.result().createdResources.items;
    expect(created.find((c) => c.name === 'ci-release')).toMatchObject({ attribution: { by: 'owner-other' }, byAccessKeyId: s.ownerOtherKey });
    expect(created.find((c) => c.name === 'backdoor' && c.kind === 'iam-user')).toMatchObject({ attribution: { by: 'derived', nodeId: s.keys.s1 }, byAccessKeyId: s.keys.s1, account: ACCOUNT_ID });
    const { offered } = removableItems(created, 'owner', { leakedKeyId: s.leakedKey, account: ACCOUNT_ID });
    expect(offered.map((o) => o.title)).toEqual(['Remove IAM user backdoor']);
  });

  it('without a graph, offers nothing recorded as made by another key', () => {
    const e = s.events.map(parse).find((x) => x.name === 'CreateUser' && x.requestParameters?.userName === 'ci-release')!;
    const created = createdResources(e);
    expect(removableItems(created, 'owner', { leakedKeyId: s.leakedKey }).offered).toEqual([]);
    expect(removableItems(created, 'owner', { leakedKeyId: s.ownerOtherKey }).offered).toHaveLength(1);
  });

  it('names what was created in another account instead of offering it', () => {
    const e = { ...s.events.map(parse).find((x) => x.name === 'CreateUser' && x.requestParameters?.userName === 'backdoor')! };
    const created = createdResources({ ...e, identity: { ...e.identity, accountId: OTHER_ACCOUNT_ID } }).map((c) => ({ ...c, attribution: { by: 'derived' as const, nodeId: s.keys.s3, path: [s.leakedKey, s.keys.s1, s.keys.s2, s.keys.s3] } }));
    const r = removableItems(created, 'owner', { leakedKeyId: s.leakedKey, account: ACCOUNT_ID });
    expect(r.offered).toEqual([]);
    expect(r.followUps[0]).toMatch(new RegExp(`iam user backdoor was created in account ${OTHER_ACCOUNT_ID} through ${s.leakedKey} → `));
  });
});

describe('caps', () => {
  it('follows at most maxFanOut sessions per node, counts the rest, and still attributes them to the attacker', () => {
    const flood = sessionFlood({ caller: iamUserIdentity({ accountId: ACCOUNT_ID, userName: 'owner', accessKeyId: 'AKIAFLOODROOT0000000' }), count: 10_000, startMs: T0 });
    const { graph, lookups, builder } = walk(flood.events, 'AKIAFLOODROOT0000000', { maxFanOut: 10, maxNodes: 50 });
    expect(lookups[1]).toHaveLength(10);
    expect(graph.caps.fanOutHits).toBe(9_990);
    expect(graph.nodes).toHaveLength(50);
    expect(graph.nodes.filter((n) => n.notFollowed === 'fan-out-cap')).toHaveLength(39);
    // A session past every cap is still the attacker's, never the owner's.
    expect(builder.attributeKey(flood.keys[9_999])).toEqual({ by: 'derived', nodeId: flood.keys[9_999], path: ['AKIAFLOODROOT0000000', flood.keys[9_999]] });
  });

  it('stops at maxDepth, counting and marking what it did not follow', () => {
    const s = graphScenario({ startMs: T0 });
    const { graph, lookups } = walk(s.events, s.leakedKey, { maxDepth: 1 });
    expect(lookups).toHaveLength(2);
    expect(graph.caps.depthHits).toBe(2);
    expect(graph.nodes.find((n) => n.id === s.keys.s2)).toMatchObject({ notFollowed: 'depth-cap', depth: 2 });
    expect(graph.nodes.find((n) => n.id === s.keys.s3)).toBeUndefined();
  });
});

describe('the graph on Slack', () => {
  it('names each node with its issuer, use and what it created, and the path of the deepest one', () => {
    const s = graphScenario({ startMs: T0 });
    const { graph } = walk(s.events, s.leakedKey);
    expect(describePath(graph, s.keys.s3)).toBe(
      `${s.leakedKey} → AssumeRole ops-admin/s1 → ${s.keys.s1} → AssumeRole deep-role/s2 → ${s.keys.s2} → AssumeRole xacct/s3 (account ${OTHER_ACCOUNT_ID}) → ${s.keys.s3}`,
    );
    const text = JSON.stringify(credentialGraphBlocks(graph));
    expect(text).toContain('role session `ops-admin`/`s1`');
    expect(text).toContain('(AssumeRole 2026-11-20');
    expect(text).toContain('`198.51.100.66`');
    expect(text).toContain('created `iam-user backdoor`');
    expect(text).toContain(`federation token \`fed\``);
    expect(text).toContain(`in account ${OTHER_ACCOUNT_ID}`);
    expect(text).toContain('Minted keys searched in 2 region(s): us-east-1, eu-west-1; their use in other regions is unsearched.');
  });

  it('stays within Slack\'s limits for a flood of sessions, and names the caps and the regions that failed', () => {
    const root = 'AKIAFLOODROOT0000000';
    const flood = sessionFlood({ caller: iamUserIdentity({ accountId: ACCOUNT_ID, userName: 'owner', accessKeyId: root }), count: 2_000, startMs: T0 });
    const { builder } = walk(flood.events, root, { maxFanOut: 10, maxNodes: 100 });
    builder.markIncomplete('eu-west-1');
    const graph = builder.graph(['us-east-1', 'eu-west-1']);
    const summary = new TrailSummaryBuilder().result();
    const { blocks } = trailSummaryBlocks(summary, { subject: root, window: { start: '2026-11-19T00:00:00Z', end: '2026-11-21T00:00:00Z' }, regionsQueried: 2, graph });
    expect(() => assertWithinSlackLimits(blocks)).not.toThrow();
    expect(blockProblems(blocks)).toEqual([]);
    const text = JSON.stringify(blocks);
    expect(text).toContain('1,990 credential(s) past the fan-out cap (10 a node)');
    expect(text).toContain('Graph incomplete: lookups failed in eu-west-1');
  });
});
