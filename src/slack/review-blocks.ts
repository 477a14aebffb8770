/**
 * The review metrics as a person reads them in Slack: durations, and the instants they run
 * between in the viewer's own time zone. Pure.
 */
import type { ReviewMetrics } from '../timeline/review-metrics';
import { formatDuration, compactMetrics } from '../timeline/review-metrics';
import { slackTime } from '../timeline/zoned-time';
import { mrkdwn } from './text';
import type { Block } from './key-owner-blocks';

export function metricsText(m: ReviewMetrics, tz: string): string {
  const lines = [
    `*Detected* ${slackTime(m.detectedAt, tz)}${m.detectedFrom === 'recorded' ? '' : ' (incident opened)'}`,
    ...(m.firstAttackerEvent ? [`*First attacker call* ${slackTime(m.firstAttackerEvent, tz)}`] : []),
    ...m.metrics.map((x) => `*${x.label}* ${x.ms !== undefined ? `${formatDuration(x.ms)}${x.key !== 'detect' && x.to ? ` (${slackTime(x.to, tz)})` : ''}` : `— ${x.note ?? ''}`}`),
  ];
  return lines.join('\n');
}

export function reviewPackReply(incidentId: string, m: ReviewMetrics, tz: string): { text: string; blocks: Block[] } {
  return {
    text: `The timeline of ${incidentId} is in the incident's thread${compactMetrics(m) ? `. Time to ${compactMetrics(m)}` : ''}.`,
    blocks: [
      { type: 'section', text: mrkdwn(`The timeline of *${incidentId}* is in the incident's thread (Markdown, CSV, JSON and a chart).`) },
      { type: 'section', text: mrkdwn(metricsText(m, tz)) },
      { type: 'context', elements: [mrkdwn(`Times in your time zone (${tz}); the files are in UTC.`)] },
    ],
  };
}
