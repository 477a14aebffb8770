/** The engine's notifier on Slack: the card (post once, then chat.update) and its thread. */
import type { WebClient } from '@slack/web-api';
import type { Incident } from '../domain/incident';
import type { IncidentBundle, IncidentLinks, IncidentNotifier } from '../ports';
import type { Logger } from '../logger';
import { incidentCard } from './incident-card';
import type { IncidentNotice } from '../domain/incident-notice';
import { noticeText } from './incident-messages';

export class SlackIncidentNotifier implements IncidentNotifier, IncidentLinks {
  constructor(private readonly client: WebClient, private readonly logger: Logger, private readonly card: { approvers?: readonly string[] } = {}) {}

  async renderCard(b: IncidentBundle): Promise<string | undefined> {
    const card = incidentCard(b.incident, b.steps, this.card);
    try {
      if (b.incident.cardTs) {
        await this.client.chat.update({ channel: b.incident.channel, ts: b.incident.cardTs, ...card });
        return b.incident.cardTs;
      }
      const r = await this.client.chat.postMessage({ channel: b.incident.channel, ...card, unfurl_links: false });
      return r.ts;
    } catch (e) {
      // The record in DynamoDB is the truth; a card that failed to update is logged, and
      // the next change redraws it whole.
      this.logger.error({ err: e, incident: b.incident.id }, 'could not post or update the incident card');
      return undefined;
    }
  }

  async notify(incident: Incident, notice: IncidentNotice): Promise<void> {
    const text = noticeText(notice);
    if (text) await this.thread(incident, text);
  }

  async thread(incident: Incident, text: string): Promise<void> {
    if (!incident.cardTs) {
      const fresh = incident; // card not posted yet: post to the channel instead
      await this.client.chat.postMessage({ channel: fresh.channel, text }).catch((e) => this.logger.error({ err: e }, 'thread post failed'));
      return;
    }
    await this.client.chat
      .postMessage({ channel: incident.channel, thread_ts: incident.cardTs, text, unfurl_links: false })
      .catch((e) => this.logger.error({ err: e, incident: incident.id }, 'thread post failed'));
  }

  async permalink(incident: Incident): Promise<string | undefined> {
    if (!incident.cardTs) return undefined;
    const r = await this.client.chat.getPermalink({ channel: incident.channel, message_ts: incident.cardTs }).catch((e) => {
      this.logger.warn({ err: e, incident: incident.id }, 'could not get the card permalink');
      return undefined;
    });
    return r?.permalink;
  }
}
