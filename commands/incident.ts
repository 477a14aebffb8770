/**
 * `/incident list | show <id> | timeline <id> | close <id> <resolution>`. Closing also posts
 * the post-incident timeline to the incident thread.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { incidentTimeline } from '../src/timeline/incident-timeline';
import { uploadFiles } from '../src/slack/file-upload';
import { orAck } from './ack-first';
import { notAllowedBlocks } from '../src/slack/key-owner-blocks';
import { incidentCard } from '../src/slack/incident-card';
import { listWithin } from '../src/slack/text';
import type { IncidentDeps } from './incident-deps';

export const INCIDENT_COMMAND = '/incident';
const USAGE = 'Usage: `/incident list`, `/incident show IR-…`, `/incident timeline IR-…`, `/incident close IR-… <resolution>`';

/** Write the incident's timeline and upload it to the incident's thread. */
async function postTimeline(deps: IncidentDeps, client: WebClient, id: string): Promise<string | undefined> {
  const b = await deps.store.get(id);
  if (!b) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyguard-timeline-'));
  const file = path.join(dir, `${b.incident.id}-timeline.md`);
  try {
    fs.writeFileSync(file, incidentTimeline(b.incident, b.steps, b.events));
    await uploadFiles(client, [{ path: file, filename: `${b.incident.id}-timeline.md`, title: `${b.incident.id} timeline` }], {
      channel: b.incident.channel,
      threadTs: b.incident.cardTs,
      comment: `Timeline of ${b.incident.id} (${b.events.length} recorded events)`,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return b.incident.id;
}

export function incidentHandler(deps: IncidentDeps) {
  return async ({ command, ack, respond, client }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    if (!(await orAck(ack, deps.access.isResponder(command.user_id)))) {
      await ack({ response_type: 'ephemeral', ...notAllowedBlocks(INCIDENT_COMMAND) });
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
        const done = await postTimeline(deps, client, id.toUpperCase());
        await say(done ? `The timeline of ${done} is in the incident's thread.` : `No incident ${id}. ${USAGE}`);
        return;
      }
      case 'close': {
        const resolution = rest.join(' ').trim();
        if (!id || resolution.length < 3) return void (await ack({ response_type: 'ephemeral', text: `Say how it was resolved. ${USAGE}` }));
        await ack();
        const r = await deps.engine.close(id.toUpperCase(), command.user_id, resolution);
        await say(r.message);
        // Closing writes the post-incident timeline into the thread.
        if (r.ok) await postTimeline(deps, client, id.toUpperCase());
        return;
      }
      default:
        await ack({ response_type: 'ephemeral', text: USAGE });
    }
  };
}
