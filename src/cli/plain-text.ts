/**
 * Block Kit and mrkdwn as plain terminal text: the break-glass CLI prints the same messages
 * the bot posts in Slack, and the demo's transcript shows the conversation with it.
 */
/** mrkdwn to plain text: links to their labels, bold/italic/code marks dropped. */
export function plainMrkdwn(s: string): string {
  return s
    .replace(/<([^|>]+)\|([^>]+)>/g, '$2')
    .replace(/<([^>]+)>/g, '$1')
    .replace(/(^|[\s(])[*_~]([^*_~\n]+)[*_~](?=[\s).,:;!?]|$)/gm, '$1$2')
    .replace(/`([^`\n]+)`/g, '$1')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&amp;/g, '&');
}

export const textOf = (t: any): string => (t && typeof t.text === 'string' ? plainMrkdwn(t.text) : '');

/** One Block Kit message or view as indented lines. */
export function renderBlocks(blocks: readonly any[]): string[] {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.type) {
      case 'header':
        out.push(`== ${textOf(b.text)} ==`);
        break;
      case 'section': {
        if (b.text) out.push(...textOf(b.text).split('\n'));
        if (Array.isArray(b.fields)) for (let i = 0; i < b.fields.length; i += 2) out.push(b.fields.slice(i, i + 2).map((f: any) => textOf(f).replace(/\n/g, ': ')).join('   '));
        if (b.accessory?.type === 'button') out.push(`[${textOf(b.accessory.text)}]`);
        break;
      }
      case 'context':
        out.push(`  ${(b.elements ?? []).map((e: any) => (e.type === 'image' ? '' : textOf(e))).filter(Boolean).join(' · ')}`);
        break;
      case 'actions':
        out.push((b.elements ?? []).map((e: any) => `[${textOf(e.text) || e.type}]`).join(' '));
        break;
      case 'divider':
        out.push('----');
        break;
      case 'image':
        out.push(`[image: ${b.alt_text ?? ''}]`);
        break;
      case 'input':
        out.push(`${textOf(b.label)}: ____`);
        break;
      default:
        break;
    }
  }
  return out;
}
