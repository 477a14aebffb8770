/**
 * The card's buttons: Approve, Deny (asks for a reason in a modal), Request again / Retry.
 * Every click is acknowledged at once; the engine checks the rules on the server.
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { decodeStepRef } from '../src/slack/ids';
import { FIELD } from '../src/slack/ids';
import { denyReasonModal, refusalModal } from '../src/slack/modals';
import { containsSecretKey } from '../src/domain/key-id';
import { requesterOf } from '../src/domain/approval-rules';
import type { IncidentDeps } from './incident-deps';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

async function reply(args: ButtonArgs, text: string): Promise<void> {
  // A click on the App Home has no response_url: the answer goes to the app's Messages tab.
  if (!(args.body as { response_url?: string }).response_url) {
    await args.client.chat.postMessage({ channel: args.body.user.id, text });
    return;
  }
  // Ephemeral, to the person who clicked only; the card itself is updated by the engine.
  await args.respond({ response_type: 'ephemeral', replace_original: false, text });
}

/** Slack retries a click it thinks timed out; the same trigger id is seen once. */
async function firstTime(deps: IncidentDeps, body: BlockAction): Promise<boolean> {
  return deps.store.claimRequest(`act:${body.trigger_id}:${body.actions[0]?.action_ts ?? ''}`);
}

export function approveHandler(deps: IncidentDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const ref = decodeStepRef(args.action.value);
    if (!ref) return;
    await deps.background.run(async () => {
      if (!(await firstTime(deps, args.body))) return;
      const outcome = await deps.engine.approve(ref.i, ref.s, ref.v, args.body.user.id, { advance: false });
      await reply(args, outcome.ok ? `:white_check_mark: ${outcome.message}` : `:no_entry_sign: ${outcome.message}`);
      // The person has their answer; now run what the approval unlocked (it may take minutes).
      if (outcome.ok) await deps.engine.advance(ref.i);
    });
  };
}

export function denyHandler(deps: IncidentDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const ref = decodeStepRef(args.action.value);
    if (!ref) return reply(args, ':no_entry_sign: That button is not one of this bot\'s; nothing was changed.');
    // trigger_id lives 3 s: open the modal first, check who is asking afterwards.
    const opened = await args.client.views.open({
      trigger_id: args.body.trigger_id,
      view: denyReasonModal({ ref: JSON.stringify(ref), channel: args.body.channel?.id, stepTitle: ref.s }),
    });
    await deps.background.run(async () => {
      if (!(await firstTime(deps, args.body))) return;
      const user = args.body.user.id;
      const bundle = await deps.store.get(ref.i);
      const step = bundle?.steps.find((s) => s.name === ref.s);
      // Who asked for the step may withdraw it (the reason is asked all the same).
      const asker = bundle && step ? requesterOf(bundle.incident, step) : undefined;
      if (!(await deps.access.isApprover(user)) && user !== asker) {
        // The engine refuses and records it; the modal says so instead of asking for a reason.
        const outcome = await deps.engine.deny(ref.i, ref.s, ref.v, user, '(not an approver)');
        if (opened.view?.id) await args.client.views.update({ view_id: opened.view.id, view: refusalModal(outcome.message) }).catch((e) => deps.logger.warn({ err: e }, 'could not show the refusal modal'));
        await reply(args, `:no_entry_sign: ${outcome.message}`);
      }
    });
  };
}

export function denySubmission(deps: IncidentDeps) {
  return async ({ ack, view, body, client }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const reason = view.state.values[FIELD.denyReason.block]?.[FIELD.denyReason.action]?.value?.trim() ?? '';
    if (reason.length < 3) {
      await ack({ response_action: 'errors', errors: { [FIELD.denyReason.block]: 'Say why (at least a few words): it goes in the record.' } });
      return;
    }
    if (containsSecretKey(reason)) {
      await ack({ response_action: 'errors', errors: { [FIELD.denyReason.block]: 'That contains something shaped like a secret access key. Never paste secrets: treat it as leaked.' } });
      return;
    }
    await ack();
    const meta = JSON.parse(view.private_metadata) as { ref: string; channel?: string };
    const ref = decodeStepRef(meta.ref);
    if (!ref) return;
    await deps.background.run(async () => {
      if (!(await deps.store.claimRequest(`view:${view.id}:${view.hash}`))) return;
      const outcome = await deps.engine.deny(ref.i, ref.s, ref.v, body.user.id, reason);
      const text = `${outcome.ok ? ':no_entry:' : ':no_entry_sign:'} ${outcome.message}`;
      if (meta.channel) await client.chat.postEphemeral({ channel: meta.channel, user: body.user.id, text });
      // Denied from the App Home (no channel): answer in the app's Messages tab.
      else await client.chat.postMessage({ channel: body.user.id, text });
    });
  };
}

export function rerequestHandler(deps: IncidentDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const ref = decodeStepRef(args.action.value);
    if (!ref) return;
    await deps.background.run(async () => {
      if (!(await firstTime(deps, args.body))) return;
      const outcome = await deps.engine.rerequest(ref.i, ref.s, args.body.user.id);
      await reply(args, outcome.ok ? `:arrows_counterclockwise: ${outcome.message}` : `:no_entry_sign: ${outcome.message}`);
    });
  };
}
