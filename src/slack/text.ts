/** Small pure helpers for Slack text: escaping and length limits. */

/** Escape the three characters Slack's mrkdwn treats as control characters. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escape text but keep user mentions (<@U123>) the bot itself wrote working. */
export function escKeepMentions(s: string): string {
  return s.split(/(<@[UW][A-Z0-9]+>)/).map((part) => (/^<@[UW][A-Z0-9]+>$/.test(part) ? part : esc(part))).join('');
}

/** Cut to at most `max` characters, ending with an ellipsis when cut. */
export function clip(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

export const mrkdwn = (text: string, max = 3000) => ({ type: 'mrkdwn' as const, text: clip(text, max) });
export const plain = (text: string, max = 150) => ({ type: 'plain_text' as const, text: clip(text, max), emoji: true });

/** List items, cut to what fits, with "…and N more". */
export function listWithin(items: string[], maxItems: number, sep = ', '): string {
  if (items.length <= maxItems) return items.join(sep);
  return `${items.slice(0, maxItems).join(sep)}${sep}…and ${items.length - maxItems} more`;
}
