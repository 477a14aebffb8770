/**
 * `/revoke-key <key-id> [reason…]` starts the compromised-key playbook at once;
 * `/revoke-key` alone opens a modal (key id, reason, severity, ticket, role ARN).
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { orAck } from './ack-first';
import { containsSecretKey, parseKeyId, maskKeyId } from '../src/domain/key-id';
import type { Severity } from '../src/domain/incident';
import { SEVERITIES } from '../src/domain/incident';
import { FIELD } from '../src/slack/ids';
import { revokeKeyModal } from '../src/slack/modals';
import { badKeyIdBlocks, notAllowedBlocks } from '../src/slack/key-owner-blocks';
import type { IncidentDeps } from './incident-deps';
import { BUSY_MESSAGE } from '../src/background-queue';

export const REVOKE_KEY_COMMAND = '/revoke-key';

const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

interface StartRequest {
  keyId: string;
  kind: 'long-term' | 'temporary';
  reason: string;
  severity: Severity;
  ticket?: string;
  roleArn?: string;
  detectedAt?: string;
  userId: string;
  invokedIn: string;
}

/** Open (or join) the incident and tell the requester; then let the playbook run. */
async function start(deps: IncidentDeps, r: StartRequest, tell: (text: string) => Promise<unknown>): Promise<void> {
  const channel = deps.channelId ?? r.invokedIn;
  const principal = r.roleArn ? { type: 'role' as const, name: r.roleArn.split('/').pop()!, arn: r.roleArn } : undefined;
  const result = await deps.engine.open({
    keyId: r.keyId, keyKind: r.kind, requester: r.userId, channel, reason: r.reason, severity: r.severity, ticket: r.ticket, principal, detectedAt: r.detectedAt,
  });
  if (!result.created) {
    const existing = await deps.store.getIncident(result.existingIncidentId);
    const link = existing ? await deps.notifier.permalink(existing) : undefined;
    await tell(`\`${r.keyId}\` already has an open incident: *${result.existingIncidentId}*${link ? ` (<${link}|open the card>)` : ''}. Your request was added to its record; no second incident was started.`);
    return;
  }
  const inc = await deps.store.getIncident(result.incident.id);
  const link = inc ? await deps.notifier.permalink(inc) : undefined;
  try {
    await tell(`Incident *${result.incident.id}* opened for \`${r.keyId}\`${link ? `: <${link}|open the card>` : ''}. An approver other than you must approve containment.`);
  } finally {
    // Telling the requester may fail (e.g. the bot is not in that channel); the playbook goes on.
    await deps.engine.advance(result.incident.id);
  }
}

export function revokeKeyHandler(deps: IncidentDeps) {
  return async ({ command, ack, respond, client, context }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    if (!(await orAck(ack, deps.access.isResponder(command.user_id)))) {
      await ack({ response_type: 'ephemeral', ...notAllowedBlocks(REVOKE_KEY_COMMAND) });
      return;
    }
    if (command.text.trim() === '') {
      await ack();
      // trigger_id lives 3 s: open the modal straight after ack.
      await client.views.open({ trigger_id: command.trigger_id, view: revokeKeyModal({ channel: command.channel_id }) });
      return;
    }
    const parsed = parseKeyId(command.text);
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', ...badKeyIdBlocks(REVOKE_KEY_COMMAND, parsed) });
      return;
    }
    if (deps.background.full) {
      await ack({ response_type: 'ephemeral', text: `:hourglass: ${BUSY_MESSAGE}` });
      return;
    }
    // Ack before touching the store. A Slack retry (x-slack-retry-num) gets an empty ack; the
    // REQ# claim below decides which delivery opens the incident, whichever arrives first.
    await ack(context.retryNum === undefined ? { response_type: 'ephemeral', text: `:rotating_light: Opening an incident for \`${parsed.keyId}\`…` } : undefined);
    await deps.background.run(async () => {
      // Slack retries a command it thinks timed out; the trigger id is the same each time.
      if (!(await deps.store.claimRequest(`cmd:${command.trigger_id}`))) {
        deps.logger.info({ trigger: command.trigger_id }, 'ignored a retried /revoke-key');
        return;
      }
      deps.logger.info({ user: command.user_id, key: maskKeyId(parsed.keyId) }, 'revoke-key requested');
      await start(
        deps,
        { keyId: parsed.keyId, kind: parsed.kind, reason: parsed.rest, severity: 'high', userId: command.user_id, invokedIn: command.channel_id },
        (text) => respond({ response_type: 'ephemeral', replace_original: true, text }),
      );
    });
  };
}

type Values = ViewSubmitAction['view']['state']['values'];
const valueOf = (v: Values, f: { block: string; action: string }): string | undefined => {
  const el = v[f.block]?.[f.action];
  return (el?.value ?? el?.selected_option?.value ?? undefined)?.trim() || undefined;
};

export function revokeKeySubmission(deps: IncidentDeps) {
  return async ({ ack, view, body, client }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const v = view.state.values;
    const parsed = parseKeyId(valueOf(v, FIELD.keyId) ?? '');
    const roleArn = valueOf(v, FIELD.roleArn);
    const severity = (valueOf(v, FIELD.severity) ?? 'high') as Severity;
    const errors: Record<string, string> = {};
    if (!parsed.ok) {
      errors[FIELD.keyId.block] = parsed.problem === 'secret-pasted'
        ? 'That is a secret access key. Never paste it: treat it as leaked, and enter the key id (AKIA…/ASIA…).'
        : `Not an access key id: ${parsed.detail}. It looks like AKIAIOSFODNN7EXAMPLE.`;
    }
    for (const f of [FIELD.reason, FIELD.ticket, FIELD.roleArn]) {
      if (containsSecretKey(valueOf(v, f) ?? '')) errors[f.block] = 'That contains something shaped like a secret access key. Never paste secrets: treat it as leaked.';
    }
    if (roleArn && !ROLE_ARN.test(roleArn) && !errors[FIELD.roleArn.block]) errors[FIELD.roleArn.block] = 'A role ARN looks like arn:aws:iam::123456789012:role/name';
    if (!SEVERITIES.includes(severity)) errors[FIELD.severity.block] = 'Pick a severity';
    const detectedSec = v[FIELD.detectedAt.block]?.[FIELD.detectedAt.action]?.selected_date_time ?? undefined;
    // A detection time in the future would make every review metric wrong; a minute of clock skew is fine.
    if (detectedSec != null && detectedSec * 1000 > Date.now() + 60_000) errors[FIELD.detectedAt.block] = 'That is in the future. Pick when the leak was detected, or leave it empty for now.';
    if (Object.keys(errors).length > 0 || !parsed.ok) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    const userId = body.user.id;
    if (!(await orAck(ack, deps.access.isResponder(userId)))) {
      await ack({ response_action: 'errors', errors: { [FIELD.keyId.block]: 'Only incident responders (IR_RESPONDERS) can start an incident.' } });
      return;
    }
    await ack();
    const meta = JSON.parse(view.private_metadata || '{}') as { channel?: string };
    const invokedIn = meta.channel ?? deps.channelId ?? '';
    await deps.background.run(async () => {
      // A resubmitted (retried) view lands once.
      if (!(await deps.store.claimRequest(`view:${view.id}:${view.hash}`))) return;
      await start(
        deps,
        { keyId: parsed.keyId, kind: parsed.kind, reason: valueOf(v, FIELD.reason) ?? '', severity, ticket: valueOf(v, FIELD.ticket), roleArn, userId, invokedIn,
          detectedAt: detectedSec != null ? new Date(detectedSec * 1000).toISOString() : undefined },
        (text) => client.chat.postEphemeral({ channel: invokedIn, user: userId, text }),
      );
    });
  };
}
