/** Modals: starting an incident, and the reason for a denial. Pure. */
import { SEVERITIES } from '../domain/incident';
import { FIELD, VIEW } from './ids';
import { clip, mrkdwn, plain } from './text';

export function revokeKeyModal(meta: { channel: string }) {
  const input = (block: string, label: string, placeholder: string, optional = false, multiline = false) => ({
    type: 'input',
    block_id: block,
    optional,
    label: plain(label),
    element: { type: 'plain_text_input', action_id: 'value', multiline, placeholder: plain(placeholder) },
  });
  return {
    type: 'modal' as const,
    callback_id: VIEW.revokeKey,
    private_metadata: JSON.stringify(meta),
    title: plain('Revoke a leaked key', 24),
    submit: plain('Start incident', 24),
    close: plain('Cancel', 24),
    blocks: [
      { type: 'section', text: mrkdwn('Starts the compromised-key playbook. Nothing changes in AWS until an approver clicks *Approve*.') },
      input(FIELD.keyId.block, 'Access key id', 'AKIA… (the id, never the secret)'),
      input(FIELD.reason.block, 'What happened', 'e.g. found in a public GitHub repo', false, true),
      {
        type: 'input',
        block_id: FIELD.severity.block,
        label: plain('Severity'),
        element: {
          type: 'static_select',
          action_id: 'value',
          initial_option: { text: plain('high', 75), value: 'high' },
          options: SEVERITIES.map((s) => ({ text: plain(s, 75), value: s })),
        },
      },
      input(FIELD.ticket.block, 'Ticket link', 'https://…', true),
      input(FIELD.roleArn.block, 'Role ARN (temporary ASIA keys)', 'arn:aws:iam::123456789012:role/…', true),
      // When the leak was detected, if earlier than now: the review's "time to detect" ends here.
      {
        type: 'input',
        block_id: FIELD.detectedAt.block,
        optional: true,
        label: plain('Detected at (if earlier than now)'),
        hint: plain('Shown in your time zone. Leave empty if it was detected just now.'),
        element: { type: 'datetimepicker', action_id: FIELD.detectedAt.action },
      },
    ],
  };
}

export function denyReasonModal(meta: { ref: string; channel?: string; stepTitle: string }) {
  return {
    type: 'modal' as const,
    callback_id: VIEW.denyReason,
    private_metadata: clip(JSON.stringify(meta), 3000),
    title: plain('Deny this step', 24),
    submit: plain('Deny', 24),
    close: plain('Cancel', 24),
    blocks: [
      {
        type: 'section',
        text: mrkdwn(`You are denying *${meta.stepTitle}*: an approver's Deny is final. If you asked for it and nobody has approved it yet, this withdraws your request instead, and it can be asked again. Nothing will change in AWS. Say why; it goes in the record.`),
      },
      {
        type: 'input',
        block_id: FIELD.denyReason.block,
        label: plain('Reason'),
        element: { type: 'plain_text_input', action_id: 'value', multiline: true, min_length: 3, max_length: 1000 },
      },
    ],
  };
}

/** Shown in place of a modal the person may not use, with why. */
export function refusalModal(message: string) {
  return {
    type: 'modal' as const,
    title: plain('Not allowed', 24),
    close: plain('Close', 24),
    blocks: [{ type: 'section', text: mrkdwn(`:no_entry_sign: ${message}`) }],
  };
}

