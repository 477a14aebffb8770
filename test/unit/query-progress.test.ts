/** The progress line while Athena or CloudTrail Lake answers a /trail or Investigate pull. */
import { queryProgressLine } from '../../src/slack/history-note';
import { trailProgressBlocks } from '../../src/slack/trail-blocks';
import type { HistoryQueryStats } from '../../src/domain/history-choice';

const base: HistoryQueryStats = { source: 'athena', queryIds: ['q-1'], scannedBytes: 0, costUsd: 0, events: 0, pages: 0, elapsedMs: 0 };

describe('queryProgressLine', () => {
  it('says the state, the time so far, the bytes scanned so far and their cost while the query runs', () => {
    expect(queryProgressLine({ ...base, state: 'RUNNING', scannedBytes: 1_234_000_000, costUsd: 0.00617, elapsedMs: 12_340 }))
      .toBe('Athena query RUNNING · 12.3 s · 1.2 GB scanned so far ($0.0062) · 0 events');
    expect(queryProgressLine({ ...base, state: 'QUEUED', elapsedMs: 400 })).toBe('Athena query QUEUED · 0.4 s · 0 B scanned so far ($0.0000) · 0 events');
  });

  it('once the query succeeded, says the results are being read and how many events so far', () => {
    expect(queryProgressLine({ ...base, state: 'SUCCEEDED', scannedBytes: 52_000_000, costUsd: 0.00026, events: 12_000, elapsedMs: 31_000 }))
      .toBe('Athena query SUCCEEDED, reading results · 31.0 s · 52.0 MB scanned ($0.0003) · 12,000 events read');
    expect(queryProgressLine({ ...base, source: 'lake', state: 'FINISHED', events: 5, elapsedMs: 2_000 }))
      .toBe('CloudTrail Lake query FINISHED, reading results · 2.0 s · 0 B scanned ($0.0000) · 5 events read');
  });

  it('before the first poll, and for a graph split over several queries', () => {
    expect(queryProgressLine(base)).toBe('Athena query starting · 0.0 s · 0 B scanned so far ($0.0000) · 0 events');
    expect(queryProgressLine({ ...base, queryIds: ['a', 'b'], state: 'RUNNING' })).toContain('Athena query RUNNING · query 2 ·');
  });

  it('an engine state is shown as plain text, never as mrkdwn', () => {
    expect(queryProgressLine({ ...base, state: '*<!here>*' })).toContain('query   !here   ·');
  });
});

describe('trailProgressBlocks with a query engine', () => {
  it('shows the query line instead of the per-region bar', () => {
    const view = trailProgressBlocks('AKIAEXAMPLEKEY234567', { regionsDone: 0, regionsTotal: 4, events: 0, elapsedMs: 5000, query: { ...base, state: 'RUNNING', scannedBytes: 2048, elapsedMs: 5000 } });
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('Athena query RUNNING · 5.0 s · 2.0 KB scanned so far');
    expect(text).not.toContain('regions');
    const lookup = trailProgressBlocks('AKIAEXAMPLEKEY234567', { regionsDone: 1, regionsTotal: 4, events: 10, elapsedMs: 5000 });
    expect(JSON.stringify(lookup.blocks)).toContain('1/4 regions');
  });
});
