import { fitItem, MAX_INVESTIGATION_BYTES } from '../../workflows/compromised-key';

const long = (n: number) => 'x'.repeat(n);

it('keeps the worst-case investigation record well under DynamoDB\'s 400 KB item limit, counting what it cut', () => {
  // Worst case: every kept field at its 256-character cap, the summary's own caps reached.
  const entries = Array.from({ length: 600 }, (_, i) => ({ id: `${i}-${long(60)}`, time: '2026-11-28T03:00:00.000Z', name: long(256), region: 'ap-southeast-3', ip: long(256), error: long(256), rule: long(64) }));
  const createdResources = Array.from({ length: 450 }, (_, i) => ({ kind: 'iam-user', name: `${i}${long(256)}`, arn: long(256), detail: long(256), eventId: long(64), time: '2026-11-28T03:00:00Z', region: 'us-east-1' }));
  const d = fitItem({ eventCount: 1_000_000, findings: [], followUps: [], eventIndex: { entries, dropped: 10 }, createdResources });
  const bytes = Buffer.byteLength(JSON.stringify(d));
  expect(bytes).toBeLessThanOrEqual(MAX_INVESTIGATION_BYTES);
  expect(d.trimmed!.index).toBeGreaterThan(0);
  expect(d.eventIndex.dropped).toBe(10 + d.trimmed!.index);
  expect(d.eventIndex.entries.length + d.trimmed!.index).toBe(600);
});

it('leaves a normal record alone', () => {
  const d = fitItem({ eventIndex: { entries: [{ id: 'a' }], dropped: 0 }, createdResources: [{ name: 'u' }] });
  expect(d).toEqual({ eventIndex: { entries: [{ id: 'a' }], dropped: 0 }, createdResources: [{ name: 'u' }] });
});
