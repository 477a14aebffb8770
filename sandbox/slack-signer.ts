/**
 * Sends correctly signed Slack requests (v0 HMAC-SHA256 over `v0:timestamp:body`) to the
 * real Bolt HTTP receiver, as Slack would.
 */
import { createHmac } from 'node:crypto';

export interface SignedPostOptions {
  url: string;
  signingSecret: string;
  body: string;
  contentType?: string;
  /** Seconds since epoch; default now. */
  timestamp?: number;
  /** Override the signature, e.g. to forge one. */
  signature?: string;
  retryNum?: number;
}

export function sign(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export async function signedPost(o: SignedPostOptions): Promise<{ status: number; body: string; json?: any }> {
  const ts = o.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': o.contentType ?? 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': o.signature ?? sign(o.signingSecret, ts, o.body),
  };
  if (o.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(o.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  const res = await fetch(o.url, { method: 'POST', headers, body: o.body });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, body: text, json };
}

export interface SlashCommand {
  command: string;
  text: string;
  user_id: string;
  user_name?: string;
  channel_id?: string;
  response_url: string;
  trigger_id?: string;
  team_id?: string;
}

export function slashCommandBody(c: SlashCommand): string {
  return new URLSearchParams({
    token: 'legacy-verification-token-unused',
    team_id: c.team_id ?? 'T1',
    team_domain: 'example',
    channel_id: c.channel_id ?? 'C0SECOPS',
    channel_name: 'secops',
    user_id: c.user_id,
    user_name: c.user_name ?? c.user_id.toLowerCase(),
    command: c.command,
    text: c.text,
    api_app_id: 'A1',
    response_url: c.response_url,
    trigger_id: c.trigger_id ?? `${Date.now()}.1.trigger`,
  }).toString();
}

/** Interaction payloads (block_actions, view_submission) are form-encoded `payload=<json>`. */
export function interactionBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
