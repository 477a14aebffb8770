/**
 * What Slack itself refuses with `invalid_blocks`, checked independently of the app's own
 * builders so that a builder bug cannot hide behind its own rules. Returns the problems.
 */
type Obj = Record<string, any>;

const textLen = (t: Obj | undefined): number => (t && typeof t.text === 'string' ? [...t.text].length : 0);

export function blockProblems(blocks: unknown, surface: 'message' | 'modal' | 'home' = 'message'): string[] {
  const problems: string[] = [];
  if (!Array.isArray(blocks)) return ['blocks is not an array'];
  const max = surface === 'message' ? 50 : 100;
  if (blocks.length > max) problems.push(`${blocks.length} blocks > ${max}`);
  const ids = new Set<string>();
  blocks.forEach((b: Obj, i) => {
    const at = `block ${i} (${b?.type})`;
    if (b.block_id !== undefined) {
      if (String(b.block_id).length > 255) problems.push(`${at}: block_id > 255`);
      if (ids.has(b.block_id)) problems.push(`${at}: duplicate block_id ${b.block_id}`);
      ids.add(b.block_id);
    }
    switch (b.type) {
      case 'section':
        if (!b.text && !b.fields) problems.push(`${at}: needs text or fields`);
        if (textLen(b.text) > 3000) problems.push(`${at}: text ${textLen(b.text)} > 3000`);
        if (b.text && textLen(b.text) === 0) problems.push(`${at}: empty text`);
        if (b.fields) {
          if (b.fields.length > 10) problems.push(`${at}: ${b.fields.length} fields > 10`);
          b.fields.forEach((f: Obj) => textLen(f) > 2000 && problems.push(`${at}: field > 2000`));
        }
        if (b.accessory?.type === 'button') problems.push(...buttonProblems(b.accessory, at));
        break;
      case 'header':
        if (b.text?.type !== 'plain_text') problems.push(`${at}: header text must be plain_text`);
        if (textLen(b.text) > 150) problems.push(`${at}: header ${textLen(b.text)} > 150`);
        break;
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10) problems.push(`${at}: context needs 1-10 elements`);
        break;
      case 'actions':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25) problems.push(`${at}: actions needs 1-25 elements`);
        (b.elements ?? []).forEach((e: Obj) => e.type === 'button' && problems.push(...buttonProblems(e, at)));
        break;
      case 'input':
        if (surface === 'message') problems.push(`${at}: input blocks only in modals and Home`);
        break;
      case 'divider':
      case 'rich_text':
      case 'image':
        break;
      default:
        problems.push(`${at}: unknown block type`);
    }
  });
  return problems;
}

function buttonProblems(btn: Obj, at: string): string[] {
  const p: string[] = [];
  if (btn.text?.type !== 'plain_text') p.push(`${at}: button text must be plain_text`);
  if (textLen(btn.text) > 75) p.push(`${at}: button text > 75`);
  if (btn.value !== undefined && String(btn.value).length > 2000) p.push(`${at}: button value > 2000`);
  if (btn.action_id !== undefined && String(btn.action_id).length > 255) p.push(`${at}: action_id > 255`);
  return p;
}

export function viewProblems(view: Obj): string[] {
  const p = blockProblems(view.blocks, view.type === 'home' ? 'home' : 'modal');
  for (const k of ['title', 'submit', 'close'] as const) {
    if (view[k] && textLen(view[k]) > 24) p.push(`view ${k} > 24`);
  }
  if (view.private_metadata && String(view.private_metadata).length > 3000) p.push('private_metadata > 3000');
  return p;
}
