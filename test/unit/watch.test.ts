import { assessWatch } from '../../src/domain/watch';
import { watchAlertText } from '../../src/slack/incident-messages';
import type { TrailSummary } from '../../src/domain/trail-summary';

const summary = (o: Partial<TrailSummary>): TrailSummary => ({
  eventCount: 0, regions: [], findings: [], usualRegions: { source: 'default', regions: [] }, ignored: { awsService: 0, keyguard: 0 },
  eventNames: { top: [], distinct: 0, overflowEvents: 0 },
  sourceIps: { top: [], distinct: 0, overflowEvents: 0 },
  userAgents: { top: [], distinct: 0, overflowEvents: 0 },
  errorCodes: { top: [], distinct: 0, overflowEvents: 0 },
  identities: { top: [], distinct: 0, overflowEvents: 0 },
  createdResources: { items: [], dropped: 0, droppedByKind: {} },
  eventIndex: { entries: [], dropped: 0 },
  ...o,
});

it('says nothing when nothing new happened', () => {
  const f = assessWatch({ reportedEvents: 4, reportedCreated: ['iam-user x'] }, summary({ eventCount: 4 }));
  expect(watchAlertText(f, 'AKIAIOSFODNN7EXAMPLE')).toBeUndefined();
});

it('reports only what is new, and flags calls that still succeed', () => {
  const s = summary({
    eventCount: 5,
    errorCodes: { top: [{ key: 'AccessDenied', count: 3 }], distinct: 1, overflowEvents: 0 },
    sourceIps: { top: [{ ip: '198.51.100.7', count: 5, firstSeen: '', lastSeen: '', newSinceFirstSuspicious: true }], distinct: 1, overflowEvents: 0 },
    createdResources: { items: [{ kind: 'iam-user', name: 'x', eventId: 'a', time: '', region: '' }, { kind: 'role', name: 'r', eventId: 'b', time: '', region: '' }], dropped: 0, droppedByKind: {} },
  });
  const f = assessWatch({ reportedEvents: 2, reportedCreated: ['iam-user x'] }, s);
  expect(f).toMatchObject({ newEvents: 3, denied: 3, succeeded: 2, created: ['role r'] });
  const text = watchAlertText(f, 'AKIAIOSFODNN7EXAMPLE')!;
  expect(text).toContain('3 new call(s)');
  expect(text).toContain('still *succeeding*');
  expect(text).toContain('role r');
  expect(text).not.toContain('iam-user x');
});

// ---------------------------------------------------------------------------------------
// Following the credential graph

import { followGraph, MAX_WATCHED_KEYS } from '../../src/domain/watch';
import { watchEndedText } from '../../src/slack/incident-messages';
import type { CredentialGraph } from '../../src/domain/credential-graph';

const LEAKED = 'AKIAEXAMPLELEAKED234';
function graphWith(n: number): CredentialGraph {
  return {
    root: LEAKED,
    nodes: [
      { id: LEAKED, kind: 'leaked-key', depth: 0, created: [] },
      { id: 'login-profile:123456789012:evil', kind: 'login-profile', depth: 1, parent: LEAKED, created: [] },
      ...Array.from({ length: n }, (_, i) => ({
        id: `ASIAROLESESSION${String(i).padStart(5, '0')}`, kind: 'role-session' as const, depth: 1, parent: LEAKED, created: [],
        roleArn: 'arn:aws:iam::222233334444:role/ops-admin', account: '222233334444',
      })),
    ],
    caps: { maxDepth: 5, maxFanOut: 50, depthHits: 0, fanOutHits: 0 },
    incompleteRegions: [],
  };
}

describe('the watch follows the credential graph', () => {
  it('every derived key id but the leaked key and console access, with its role and account; nothing before the graph exists', () => {
    expect(followGraph({ keyId: LEAKED }, undefined)).toEqual({ derived: [], notFollowed: 0 });
    const f = followGraph({ keyId: LEAKED }, graphWith(2));
    expect(f.derived).toEqual([
      { keyId: 'ASIAROLESESSION00000', kind: 'role-session', of: 'ops-admin', account: '222233334444' },
      { keyId: 'ASIAROLESESSION00001', kind: 'role-session', of: 'ops-admin', account: '222233334444' },
    ]);
    // Learnt again on the next check: nothing is added twice.
    expect(followGraph({ keyId: LEAKED, derived: f.derived }, graphWith(2)).derived).toHaveLength(2);
  });

  it('caps the keys followed and counts the rest', () => {
    const f = followGraph({ keyId: LEAKED }, graphWith(MAX_WATCHED_KEYS + 7));
    expect(f.derived).toHaveLength(MAX_WATCHED_KEYS);
    expect(f.notFollowed).toBe(7);
  });

  it('the closing line says exactly what was watched', () => {
    const keys = [
      { keyId: LEAKED, kind: 'leaked-key' as const, of: 'alice', events: 0 },
      { keyId: 'ASIAROLESESSION00000', kind: 'role-session' as const, of: 'ops-admin', events: 0 },
    ];
    const quiet = watchEndedText({ keyId: LEAKED, minutes: 30, checks: 6, keys, notFollowed: 0, unsearched: [], total: 0 });
    expect(quiet).toBe(`:white_check_mark: Watch ended after 30 min (6 check(s)), by AccessKeyId: no use since containment of \`${LEAKED}\` and the 1 credential(s) it minted: \`ASIAROLESESSION00000\` (session of role ops-admin).`);
    const busy = watchEndedText({ keyId: LEAKED, minutes: 30, checks: 6, keys: [keys[0], { ...keys[1], events: 4 }], notFollowed: 3, unsearched: ['ASIAROLESESSION00000'], total: 4 });
    expect(busy).toContain(`4 call(s) since containment. \`${LEAKED}\`: 0; watched \`${LEAKED}\` and the 1 credential(s) it minted: \`ASIAROLESESSION00000\` (session of role ops-admin) 4.`);
    expect(busy).toContain('3 more minted credential(s) were not followed');
    expect(busy).toContain('Not searched in the last check (lookup failed): `ASIAROLESESSION00000`');
    expect(watchEndedText({ keyId: LEAKED, minutes: 30, checks: 6, keys: [keys[0]], notFollowed: 0, unsearched: [], total: 0 })).toContain('(the investigation found no credential it minted)');
  });
});
