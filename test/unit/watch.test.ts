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
