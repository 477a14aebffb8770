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

it('cuts unflagged and old index entries first: the flagged and the newest survive', () => {
  const entries = Array.from({ length: 600 }, (_, i) => ({
    id: String(i), time: `2026-11-28T03:${String(Math.floor(i / 10)).padStart(2, '0')}:00Z`, name: long(300), ip: long(300), rule: i % 100 === 0 ? 'persistence.create-user' : undefined,
  }));
  const followUps = Array.from({ length: 400 }, (_, i) => `follow-up ${i} ${long(200)}`);
  const d = fitItem({ eventIndex: { entries, dropped: 0 }, createdResources: [], followUps });
  const kept = d.eventIndex.entries.map((e) => Number(e.id));
  expect(kept).toEqual(expect.arrayContaining([0, 100, 200, 300, 400, 500, 599]));
  expect(Math.min(...kept.filter((k) => k % 100 !== 0))).toBeGreaterThan(100);
  expect(d.followUps).toHaveLength(51);
  expect(d.followUps!.at(-1)).toBe('…and 350 more');
  expect(Buffer.byteLength(JSON.stringify(d))).toBeLessThanOrEqual(MAX_INVESTIGATION_BYTES);
});

it('leaves a normal record alone', () => {
  const d = fitItem({ eventIndex: { entries: [{ id: 'a', time: '2026-11-28T03:00:00Z' }], dropped: 0 }, createdResources: [{ name: 'u' }] });
  expect(d).toEqual({ eventIndex: { entries: [{ id: 'a', time: '2026-11-28T03:00:00Z' }], dropped: 0 }, createdResources: [{ name: 'u' }] });
});
