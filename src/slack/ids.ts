/** Every Slack action id, callback id and block id the bot uses, in one place. */
export const ACTION = {
  approve: 'kg_approve',
  deny: 'kg_deny',
  rerequest: 'kg_rerequest',
  /** App Home: post a closed incident's review pack to its thread. */
  homeTimeline: 'kg_home_timeline',
} as const;

export const VIEW = {
  revokeKey: 'kg_revoke_key_modal',
  denyReason: 'kg_deny_reason_modal',
} as const;

export const FIELD = {
  keyId: { block: 'kg_key_id', action: 'value' },
  reason: { block: 'kg_reason', action: 'value' },
  severity: { block: 'kg_severity', action: 'value' },
  ticket: { block: 'kg_ticket', action: 'value' },
  roleArn: { block: 'kg_role_arn', action: 'value' },
  detectedAt: { block: 'kg_detected_at', action: 'value' },
  denyReason: { block: 'kg_deny_reason', action: 'value' },
} as const;

/** What a button carries: which step of which incident, at which version the card showed. */
export interface StepRef {
  i: string;
  s: string;
  v: number;
}

export function encodeStepRef(r: StepRef): string {
  return JSON.stringify(r);
}

export function decodeStepRef(value: string | undefined): StepRef | undefined {
  try {
    const r = JSON.parse(value ?? '');
    if (typeof r?.i === 'string' && typeof r?.s === 'string' && Number.isInteger(r?.v)) return r as StepRef;
  } catch {
    /* not ours */
  }
  return undefined;
}
