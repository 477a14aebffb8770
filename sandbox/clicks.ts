/** Reading the incident card from the fake Slack and clicking its buttons as a person would. */
import type { FakeSlack } from './fake-slack';

/** What clicking needs: the simulated workspace and a way to send a signed interaction. */
export interface SlackDriver {
  slack: FakeSlack;
  interact(payload: Record<string, unknown>, extra?: { retryNum?: number }): Promise<{ status: number; json?: any; body: string }>;
}

let seq = 0;

/** The card as last drawn (postMessage, then every chat.update), in a channel. */
export function latestCard(h: SlackDriver, channel: string): { ts: string; text: string; blocks: any[] } | undefined {
  const calls = h.slack.calls.filter((c) => (c.method === 'chat.postMessage' || c.method === 'chat.update') && c.args.channel === channel && !c.args.thread_ts && Array.isArray(c.args.blocks));
  const last = calls.at(-1);
  if (!last) return undefined;
  const first = h.slack.callsTo('chat.postMessage').find((c) => c.args.channel === channel && Array.isArray(c.args.blocks));
  return { ts: last.args.ts ?? '', text: last.args.text, blocks: last.args.blocks, ...(first ? {} : {}) };
}

export function buttonOn(card: { blocks: any[] } | undefined, actionId: string): any | undefined {
  for (const b of card?.blocks ?? []) {
    for (const e of b.elements ?? []) if (e.action_id === actionId) return { ...e, block_id: b.block_id };
  }
  return undefined;
}

/** Send a signed block_actions payload for a button, as Slack does when someone clicks it. */
export async function click(h: SlackDriver, button: any, userId: string, opts: { channel?: string; triggerId?: string; retryNum?: number; actionTs?: string } = {}) {
  const responseUrl = h.slack.responseUrl();
  const triggerId = opts.triggerId ?? `trig-${Date.now()}-${++seq}`;
  const channel = opts.channel ?? 'C0INCIDENT';
  const res = await h.interact(
    {
      type: 'block_actions',
      user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T1' },
      api_app_id: 'A1',
      token: 'unused',
      team: { id: 'T1', domain: 'example' },
      container: { type: 'message', message_ts: '1', channel_id: channel, is_ephemeral: false },
      channel: { id: channel, name: 'incidents' },
      message: { ts: '1', text: 'card', blocks: [] },
      trigger_id: triggerId,
      response_url: responseUrl,
      actions: [{ type: 'button', action_id: button.action_id, block_id: button.block_id, value: button.value, text: button.text, action_ts: opts.actionTs ?? `${Date.now() / 1000}` }],
    },
    { retryNum: opts.retryNum },
  );
  return { ...res, responseUrl, triggerId };
}

/** Submit a modal (view_submission) with the given input values. */
export async function submitView(h: SlackDriver, callbackId: string, userId: string, values: Record<string, Record<string, any>>, privateMetadata = '') {
  return h.interact({
    type: 'view_submission',
    team: { id: 'T1', domain: 'example' },
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T1' },
    api_app_id: 'A1',
    token: 'unused',
    trigger_id: `trig-view-${++seq}`,
    view: {
      id: `V${++seq}`,
      hash: `h${seq}`,
      type: 'modal',
      callback_id: callbackId,
      private_metadata: privateMetadata,
      state: { values },
      blocks: [],
      title: { type: 'plain_text', text: 'x' },
      team_id: 'T1',
      app_id: 'A1',
      bot_id: 'BBOT',
    },
  });
}

/** All text of a Block Kit message, for assertions a person would make by reading it. */
export function blocksText(msg: { text?: string; blocks?: any[] }): string {
  const parts: string[] = [msg.text ?? ''];
  const walk = (o: any) => {
    if (!o || typeof o !== 'object') return;
    if (typeof o.text === 'string') parts.push(o.text);
    for (const v of Object.values(o)) if (typeof v === 'object') walk(v);
  };
  (msg.blocks ?? []).forEach(walk);
  return parts.join('\n');
}

/** Wait until the incident card in `channel` shows `text`; the card as drawn then. */
export function cardWith(h: SlackDriver, channel: string, text: string, timeoutMs?: number) {
  return h.slack.waitFor(() => {
    const c = latestCard(h, channel);
    return c && blocksText(c).includes(text) ? c : undefined;
  }, `card showing ${text}`, timeoutMs);
}

/** The buttons of the card's "asks" row (Remove …, Revoke sessions …, Eradicate), once one starts with `prefix`. */
export function asksOnCard(h: SlackDriver, channel: string, prefix: string): Promise<any[]> {
  return h.slack.waitFor(() => {
    const block = latestCard(h, channel)?.blocks.find((b: any) => b.block_id === 'kg_asks') as any;
    return block?.elements.some((e: any) => e.text.text.startsWith(prefix)) ? block.elements : undefined;
  }, `the ${prefix} button`);
}

/** Click the asks-row button whose label starts with `label`, as `userId`. */
export async function ask(h: SlackDriver, channel: string, label: string, userId: string) {
  const button = (await asksOnCard(h, channel, label)).find((e: any) => e.text.text.startsWith(label));
  return click(h, { ...button, block_id: 'kg_asks' }, userId, { channel });
}

/**
 * Approve a step from its card as each approver in turn: waits for "<title>* needs N more",
 * clicks the step's Approve, and so on until none are needed.
 */
export async function approveOnCard(h: SlackDriver, channel: string, step: { title: string; name: string }, approvers: readonly string[]) {
  const card = blocksText(await cardWith(h, channel, `${step.title}* needs`));
  // The count of this step's line (the card lists every step waiting for approval).
  const needs = Number(card.slice(card.indexOf(`${step.title}* needs`)).match(/needs (\d+) more/)![1]);
  if (needs > approvers.length) throw new Error(`${step.title} needs ${needs} approvals; ${approvers.length} approver(s) given`);
  for (let i = 0; i < needs; i++) {
    const card = await cardWith(h, channel, `${step.title}* needs ${needs - i} more`);
    const approve = (card.blocks.find((b: any) => b.block_id === `kg_actions_${step.name}`) as any).elements[0];
    await click(h, { ...approve, block_id: `kg_actions_${step.name}` }, approvers[i], { channel });
  }
}
