/**
 * One line for the /trail thread (and the Investigate step): which CloudTrail history
 * answered, why, what the query scanned and cost, and, when a query engine failed or its
 * results were cut, its own reason and the query id to rerun. Pure.
 */
import type { HistoryAnswer, HistoryQueryStats } from '../domain/history-choice';
import { historySourceLabel } from '../domain/history-choice';

function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

function formatUsd(usd: number): string {
  return usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** Attacker-controlled or engine text is cut and stripped of mrkdwn control characters. */
function plain(text: string, max = 400): string {
  return text.replace(/[`*_~<>]/g, ' ').slice(0, max);
}

export function historyNote(a: HistoryAnswer): string {
  const lines = [`:card_index_dividers: *${historySourceLabel(a.source)}* answered: ${a.why}. Window ${a.window.start.slice(0, 16)}Z to ${a.window.end.slice(0, 16)}Z.`];
  if (a.fallback) {
    lines.push(`:warning: ${historySourceLabel(a.fallback.from)} ${a.fallback.kind === 'scan-limit' ? 'hit the workgroup scan limit' : a.fallback.kind === 'timeout' ? 'timed out' : 'failed'}${a.fallback.queryId ? ` (query \`${a.fallback.queryId}\`)` : ''}: ${plain(a.fallback.reason)}`);
  }
  if (a.query) {
    const q = a.query;
    lines.push(`Scanned ${formatBytes(q.scannedBytes)} (${formatUsd(q.costUsd)} at $5/TB) in ${(q.elapsedMs / 1000).toFixed(1)} s; ${q.events} events; query ${q.queryIds.map((id) => `\`${id}\``).join(', ')}.`);
    if (q.truncated) {
      lines.push(`:scissors: Cut at ${q.truncated.at} events (the export limit): rerun query \`${q.truncated.queryId}\` in the Athena console or CloudTrail Lake for the rest.`);
    }
  }
  return lines.join('\n');
}

/**
 * The progress line while Athena or CloudTrail Lake answers: the query's state as the engine
 * says it, the time so far, the bytes scanned so far (and their cost), the events read.
 */
export function queryProgressLine(q: HistoryQueryStats): string {
  const engine = historySourceLabel(q.source);
  const state = q.state ? plain(q.state, 20) : 'starting';
  const reading = q.state === 'SUCCEEDED' || q.state === 'FINISHED';
  const scanned = `${formatBytes(q.scannedBytes)} scanned${reading ? '' : ' so far'} (${formatUsd(q.costUsd)})`;
  const events = `${q.events.toLocaleString('en-US')} events${reading ? ' read' : ''}`;
  const parts = q.queryIds.length > 1 ? ` · query ${q.queryIds.length}` : '';
  return `${engine} query ${state}${reading ? ', reading results' : ''}${parts} · ${(q.elapsedMs / 1000).toFixed(1)} s · ${scanned} · ${events}`;
}
