/**
 * `/incident list | show <id> | close <id> <resolution>`.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { orAck } from './ack-first';
import { notAllowedBlocks } from '../src/slack/key-owner-blocks';
import { incidentCard } from '../src/slack/incident-card';
import { listWithin } from '../src/slack/text';
import type { IncidentDeps } from './incident-deps';

export const INCIDENT_COMMAND = '/incident';
const USAGE = 'Usage: `/incident list`, `/incident show IR-…`, `/incident close IR-… <resolution>`';

export function incidentHandler(deps: IncidentDeps) {
  return async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
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
      case 'close': {
        const resolution = rest.join(' ').trim();
        if (!id || resolution.length < 3) return void (await ack({ response_type: 'ephemeral', text: `Say how it was resolved. ${USAGE}` }));
        await ack();
        const r = await deps.engine.close(id.toUpperCase(), command.user_id, resolution);
        await say(r.message);
        return;
      }
      default:
        await ack({ response_type: 'ephemeral', text: USAGE });
    }
  };
}
