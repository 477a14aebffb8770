import { parseTrailEvent, TrailEvent } from '../../src/domain/trail-event';
import { TrailSummary, TrailSummaryBuilder, TrailSummaryOptions } from '../../src/domain/trail-summary';
import type { WireEvent } from '../../sandbox/cloudtrail-emulator';
import {
  attackerScenario, examplePrincipal, FixtureRandom, OFFICE_IP, regionOf, routineActivity,
} from '../../sandbox/cloudtrail-fixtures';

const principal = examplePrincipal(3);
const HOUR = 3600_000;
const ATTACK_START = Date.parse('2024-05-01T10:00:00Z');

function parse(events: readonly WireEvent[]): TrailEvent[] {
  return events.map((w) => parseTrailEvent(w, regionOf(w)));
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rng = new FixtureRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function summarise(events: readonly TrailEvent[], options: TrailSummaryOptions = {}): TrailSummary {
  const b = new TrailSummaryBuilder({ usualRegions: ['us-east-1', 'eu-west-1'], ...options });
  events.forEach((e) => b.add(e));
  return b.result();
}

const routine = routineActivity({
  seed: 11, count: 300, principal, regions: ['us-east-1', 'eu-west-1'], startMs: ATTACK_START - 48 * HOUR, endMs: ATTACK_START - HOUR,
});
const attack = attackerScenario({ seed: 12, principal, startMs: ATTACK_START });
const all = parse([...routine, ...attack.events]);

describe('TrailSummaryBuilder on an intrusion', () => {
  const s = summarise(shuffled(all, 5));

  it('counts events, the time span and events per region', () => {
    expect(s.eventCount).toBe(all.length);
    expect(s.firstTime).toBe(new Date(Math.min(...all.map((e) => e.timeMs))).toISOString());
    expect(s.lastTime).toBe(new Date(Math.max(...all.map((e) => e.timeMs))).toISOString());
    const byRegion = Object.fromEntries(s.regions.map((r) => [r.key, r.count]));
    expect(byRegion['ap-southeast-3']).toBe(3); // quota request + two GPU launches
    expect(Object.values(byRegion).reduce((a, b) => a + b, 0)).toBe(all.length);
  });

  it('groups findings by ATT&CK tactic, persistence first', () => {
    const byRule = Object.fromEntries(s.findings.map((f) => [f.ruleId, f]));
    expect(byRule['persistence.create-user'].count).toBe(1);
    expect(byRule['persistence.create-access-key'].count).toBe(1);
    expect(byRule['persistence.login-profile'].count).toBe(1);
    expect(byRule['persistence.trust-policy-change'].examples[0].detail).toBe('OrganizationAccountAccessRole');
    expect(byRule['privesc.admin-policy-attached'].examples[0].detail).toBe('AdministratorAccess → backup-svc');
    expect(byRule['evasion.cloudtrail-tampered'].count).toBe(2);
    expect(byRule['credentials.secret-read'].count).toBe(3);
    expect(byRule['impact.gpu-instances'].count).toBe(2);
    expect(byRule['impact.gpu-instances'].examples.map((e) => e.detail)).toEqual([
      'p3.16xlarge ×8 in ap-southeast-3',
      'g5.12xlarge ×4 in ap-southeast-3',
    ]);
    expect(byRule['evasion.unusual-region'].count).toBe(2);
    expect(byRule['discovery.access-denied-burst']).toMatchObject({ count: 25, severity: 'medium' });
    expect(byRule['discovery.access-denied-burst'].burst!.countInWindow).toBeGreaterThanOrEqual(10);
    expect(s.findings[0].tactic).toBe('persistence');
    expect(s.findings[s.findings.length - 1].tactic).toBe('discovery');
  });

  it('flags the attacker IPs as new and the office IP as known', () => {
    const ips = Object.fromEntries(s.sourceIps.top.map((ip) => [ip.ip, ip]));
    expect(ips[OFFICE_IP].newSinceFirstSuspicious).toBe(false);
    for (const ip of attack.attackerIps) expect(ips[ip]?.newSinceFirstSuspicious).toBe(true);
    expect(s.firstSuspiciousTime).toBe(new Date(Math.floor(ATTACK_START / 1000) * 1000).toISOString());
  });

  it('lists user agents and error codes with counts', () => {
    expect(s.userAgents.top.map((u) => u.key)).toContain('aws-cli/1.18.69 Python/3.8.10 Linux/5.15.0-kali3-amd64 botocore/1.17.1');
    const errors = Object.fromEntries(s.errorCodes.top.map((e) => [e.key, e.count]));
    expect(errors).toEqual({ AccessDenied: 10, AccessDeniedException: 10, 'Client.UnauthorizedOperation': 5 });
  });

  it('lists what the principal created, for the Eradicate step', () => {
    const items = s.createdResources.items;
    const find = (kind: string) => items.filter((r) => r.kind === kind);
    expect(find('iam-user').map((r) => r.name)).toEqual(['backup-svc']);
    expect(find('access-key')).toEqual([expect.objectContaining({ name: attack.createdAccessKeys[0], target: { type: 'user', name: 'backup-svc' } })]);
    expect(find('login-profile').map((r) => r.name)).toEqual(['backup-svc']);
    expect(find('attached-policy')).toEqual([
      expect.objectContaining({ name: 'arn:aws:iam::aws:policy/AdministratorAccess', target: { type: 'user', name: 'backup-svc' } }),
    ]);
    expect(find('trust-policy').map((r) => r.name)).toEqual(['OrganizationAccountAccessRole']);
    expect(find('ec2-instance').map((r) => r.name).sort()).toEqual([...attack.instanceIds].sort());
    expect(find('ec2-instance').every((r) => r.region === 'ap-southeast-3')).toBe(true);
  });

  it('gives the same summary whatever order the events arrive in', () => {
    const { eventIndex: _a, ...inOrder } = summarise([...all].sort((a, b) => a.timeMs - b.timeMs));
    const { eventIndex: _b, ...reversed } = summarise([...all].sort((a, b) => b.timeMs - a.timeMs));
    expect(reversed).toEqual(inOrder);
  });
});

describe('the event index', () => {
  it('keeps every event, oldest first, when under the cap', () => {
    const s = summarise(shuffled(all, 9));
    expect(s.eventIndex.entries).toHaveLength(all.length);
    expect(s.eventIndex.dropped).toBe(0);
    const times = s.eventIndex.entries.map((e) => e.time);
    expect([...times].sort()).toEqual(times);
    const stop = s.eventIndex.entries.find((e) => e.name === 'StopLogging')!;
    expect(stop).toMatchObject({ region: 'us-east-1', rule: 'evasion.cloudtrail-tampered' });
    expect(attack.attackerIps).toContain(stop.ip);
  });

  it('keeps flagged events first when capped', () => {
    const s = summarise(shuffled(all, 9), { maxIndexEntries: 20 });
    expect(s.eventIndex.entries).toHaveLength(20);
    expect(s.eventIndex.dropped).toBe(all.length - 20);
    const names = s.eventIndex.entries.map((e) => e.name);
    for (const name of ['CreateUser', 'CreateAccessKey', 'AttachUserPolicy', 'StopLogging', 'DeleteTrail', 'RunInstances']) {
      expect(names).toContain(name);
    }
    expect(names).not.toContain('DescribeVolumes');
  });
});

describe('bounds', () => {
  it('stays well under DynamoDB\'s 400 KB item limit for a huge intrusion', () => {
    const huge = attackerScenario({ seed: 99, principal, startMs: ATTACK_START, scale: 40 });
    const lots = routineActivity({ seed: 98, count: 20_000, principal, regions: ['us-east-1', 'eu-west-1', 'us-west-2'], startMs: ATTACK_START - 72 * HOUR, endMs: ATTACK_START });
    const s = summarise(parse([...lots, ...huge.events]));
    const bytes = Buffer.byteLength(JSON.stringify(s));
    expect(s.eventCount).toBe(lots.length + huge.events.length);
    expect(bytes).toBeLessThan(200_000);
    expect(s.eventIndex.entries.length).toBe(600);
    expect(s.findings.every((f) => f.examples.length <= 5)).toBe(true);
    // Capped per kind: 480 miners do not crowd the 40 back-door users out.
    const kinds = (k: string) => s.createdResources.items.filter((r) => r.kind === k).length;
    expect(kinds('ec2-instance')).toBe(50);
    expect(kinds('iam-user')).toBe(40);
    expect(s.createdResources.droppedByKind).toEqual({ 'ec2-instance': huge.instanceIds.length - 50 });
  });

  it('counts values past the distinct-value cap as overflow instead of growing', () => {
    const huge = attackerScenario({ seed: 99, principal, startMs: ATTACK_START, scale: 40 });
    const s = summarise(parse(huge.events), { maxDistinctValues: 10, topN: 3 });
    expect(s.userAgents.distinct).toBe(10);
    expect(s.userAgents.overflowEvents).toBeGreaterThan(0);
    expect(s.userAgents.top).toHaveLength(3);
  });

  it('flags nothing and no IP when nothing suspicious happened', () => {
    const s = summarise(parse(routine));
    expect(s.findings).toEqual([]);
    expect(s.firstSuspiciousTime).toBeUndefined();
    expect(s.sourceIps.top.every((ip) => !ip.newSinceFirstSuspicious)).toBe(true);
    expect(s.createdResources.items).toEqual([]);
  });

  it('summarises an empty pull', () => {
    const s = summarise([]);
    expect(s).toMatchObject({ eventCount: 0, regions: [], findings: [], eventIndex: { entries: [], dropped: 0 } });
    expect(s.firstTime).toBeUndefined();
  });
});
