/**
 * The App Home: `app_home_opened` publishes the viewer's tab; its Timeline button posts a
 * closed incident's review pack to the incident thread. Approve/Deny on the tab are the
 * card's own buttons (same action ids and values), answered by approval-actions.ts.
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { IncidentDeps } from './incident-deps';
import { postTimeline } from './incident';

export function appHomeOpenedHandler(deps: IncidentDeps) {
  return async ({ event }: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs): Promise<void> => {
    // The Messages tab opens this event too; only the Home tab is ours to draw.
    if (event.tab !== 'home' || !deps.home) return;
    await deps.home.opened(event.user);
  };
}

export function homeTimelineHandler(deps: IncidentDeps) {
  return async ({ ack, body, action, client }: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const user = body.user.id;
    // The App Messages tab is where a Home button gets its answer (there is no response_url).
    const tell = (text: string) => client.chat.postMessage({ channel: user, text });
    if (!(await deps.access.isResponder(user))) {
      await tell(':no_entry_sign: Only incident responders (IR_RESPONDERS) can post a timeline.');
      return;
    }
    const done = await postTimeline(deps, client, String(action.value ?? '').toUpperCase());
    if (!done) return void (await tell(`No incident ${action.value}.`));
    const inc = await deps.store.getIncident(done.id);
    const link = inc ? await deps.notifier.permalink(inc) : undefined;
    await tell(`The timeline of *${done.id}* is in the incident's thread${link ? `: <${link}|open it>` : ''}.`);
  };
}
