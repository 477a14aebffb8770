/**
 * `/incident list | show <id> | timeline <id> | close <id> <resolution>`. Closing also posts
 * the review pack (timeline as Markdown, CSV, JSON, and the activity chart) to the thread.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { postReviewPack } from '../src/slack/review-pack-upload';
import { reviewPackReply } from '../src/slack/review-blocks';
import { ViewerZones } from '../src/slack/viewer-zone';
import type { ReviewMetrics } from '../src/timeline/review-metrics';
import { orAck } from './ack-first';
import { notAllowedBlocks } from '../src/slack/key-owner-blocks';
import { incidentCard } from '../src/slack/incident-card';
import { listWithin } from '../src/slack/text';
import type { IncidentDeps } from './incident-deps';
import { containsSecretKey, decodeSlackText } from '../src/domain/key-id';

export const INCIDENT_COMMAND = '/incident';
const SECRET_REFUSED = ':rotating_light: That contains something shaped like a secret access key, so nothing was done or recorded. Delete your message and treat the key as leaked.';
const USAGE = 'Usage: `/incident list`, `/incident show IR-…`, `/incident timeline IR-…`, `/incident close IR-… <resolution>`';

/** Post the incident's review pack (timeline files and chart) to its thread. */
export async function postTimeline(deps: IncidentDeps, client: WebClient, id: string, tz?: string): Promise<{ id: string; metrics: ReviewMetrics } | undefined> {
  const b = await deps.store.get(id);
  if (!b) return undefined;
  const pack = await postReviewPack(client, b, { tz, logger: deps.logger });
  return { id: b.incident.id, metrics: pack.metrics };
}

export function incidentHandler(deps: IncidentDeps) {
  let zones: ViewerZones | undefined;
  return async ({ command, ack, respond, client }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    zones ??= new ViewerZones(client);
    if (!(await orAck(ack, deps.access.isResponder(command.user_id)))) {
      await ack({ response_type: 'ephemeral', ...notAllowedBlocks(INCIDENT_COMMAND) });
      return;
    }
    // Every word of it may end up in a reply, the record or the review pack: a secret is
    // refused before anything is read from it.
    if (containsSecretKey(decodeSlackText(command.text))) {
      await ack({ response_type: 'ephemeral', text: SECRET_REFUSED });
      return;
    }
    const [verb = '', id = '', ...rest] = command.text.trim().split(/\s+/);
    const say = (text: string) => respond({ response_type: 'ephemeral', text });
    switch (verb.toLowerCase()) {
      case 'list': {
        await ack();
        const open = await deps.store.listOpenIncidents();
        await say(open.length === 0 ? 'No open incidents.' : `Open incidents: ${listWithin(open.map((i) => `*${i.id}* \`${i.keyId}\` (${i.severity})`), 40)}`);
        return;
      }
      case 'show': {
        await ack();
        const b = await deps.store.get(id.toUpperCase());
        if (!b) return void (await say(`No incident ${id}. ${USAGE}`));
        await respond({ response_type: 'ephemeral', ...incidentCard(b.incident, b.steps) });
        return;
      }
      case 'timeline': {
        await ack();
        const tz = await zones.of(command.user_id);
        const done = await postTimeline(deps, client, id.toUpperCase(), tz);
        if (!done) return void (await say(`No incident ${id}. ${USAGE}`));
        await respond({ response_type: 'ephemeral', ...reviewPackReply(done.id, done.metrics, tz) });
        return;
      }
      case 'close': {
        const resolution = rest.join(' ').trim();
        if (!id || resolution.length < 3) return void (await ack({ response_type: 'ephemeral', text: `Say how it was resolved. ${USAGE}` }));
        await ack();
        const r = await deps.engine.close(id.toUpperCase(), command.user_id, resolution);
        await say(r.message);
        // Closing writes the review pack into the thread.
        if (r.ok) await postTimeline(deps, client, id.toUpperCase(), await zones.of(command.user_id));
        return;
      }
      default:
        await ack({ response_type: 'ephemeral', text: USAGE });
    }
  };
}
