/**
 * Slack's documented Block Kit limits, as a check. Slack answers `invalid_blocks` to a
 * message that breaks any of them, which at 3 a.m. means a responder sees nothing; builders
 * run this in tests (and may run it before posting) so that the failure happens here.
 *
 * The check is structural (it accepts any objects, typed or not) and covers the block types
 * keyguard uses: section (text, fields, accessory), header, context, actions, divider,
 * image, input, and buttons wherever they appear. Lengths are counted in code points, as
 * `clip` in text.ts cuts them.
 */

export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  blocksPerModalOrHome: 100,
  sectionText: 3000,
  fieldsPerSection: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  url: 3000,
  imageAltText: 2000,
} as const;

export type SlackSurface = 'message' | 'modal' | 'home';

export interface SlackLimitViolation {
  /** Where, e.g. `blocks[3].fields[2].text`. */
  path: string;
  problem: string;
}

export class SlackLimitError extends Error {
  constructor(readonly violations: SlackLimitViolation[]) {
    super(`Block Kit limits exceeded: ${violations.map((v) => `${v.path}: ${v.problem}`).join('; ')}`);
    this.name = 'SlackLimitError';
  }
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const chars = (s: string) => [...s].length;

class Checker {
  readonly violations: SlackLimitViolation[] = [];

  report(path: string, problem: string): void {
    this.violations.push({ path, problem });
  }

  maxLength(path: string, value: unknown, limit: number): void {
    if (typeof value === 'string' && chars(value) > limit) this.report(path, `${chars(value)} characters, limit ${limit}`);
  }

  /** A text object: present, non-empty, within `limit`, and plain_text when `plainOnly`. */
  text(path: string, t: unknown, limit: number, plainOnly = false): void {
    if (!isObj(t) || typeof t.text !== 'string') {
      this.report(path, 'missing text object');
      return;
    }
    if (t.type !== 'plain_text' && (plainOnly || t.type !== 'mrkdwn')) {
      this.report(`${path}.type`, plainOnly ? 'must be plain_text' : 'must be plain_text or mrkdwn');
    }
    if (t.text.trim().length === 0) this.report(`${path}.text`, 'empty text');
    this.maxLength(`${path}.text`, t.text, limit);
  }

  element(path: string, el: unknown): void {
    if (!isObj(el)) {
      this.report(path, 'not an object');
      return;
    }
    this.maxLength(`${path}.action_id`, el.action_id, SLACK_LIMITS.actionId);
    if (el.type === 'button') {
      this.text(`${path}.text`, el.text, SLACK_LIMITS.buttonText, true);
      this.maxLength(`${path}.value`, el.value, SLACK_LIMITS.buttonValue);
      this.maxLength(`${path}.url`, el.url, SLACK_LIMITS.url);
    }
    if (el.type === 'image') this.maxLength(`${path}.alt_text`, el.alt_text, SLACK_LIMITS.imageAltText);
  }

  block(path: string, b: unknown, surface: SlackSurface): void {
    if (!isObj(b) || typeof b.type !== 'string') {
      this.report(path, 'not a block (no type)');
      return;
    }
    switch (b.type) {
      case 'section':
        this.section(path, b);
        break;
      case 'header':
        this.text(`${path}.text`, b.text, SLACK_LIMITS.headerText, true);
        break;
      case 'context': {
        const els = Array.isArray(b.elements) ? b.elements : [];
        if (els.length === 0) this.report(`${path}.elements`, 'a context block needs at least one element');
        if (els.length > SLACK_LIMITS.contextElements) this.report(`${path}.elements`, `${els.length} elements, limit ${SLACK_LIMITS.contextElements}`);
        els.forEach((el, i) => {
          if (isObj(el) && el.type === 'image') this.element(`${path}.elements[${i}]`, el);
          else this.text(`${path}.elements[${i}]`, el, SLACK_LIMITS.contextText);
        });
        break;
      }
      case 'actions': {
        const els = Array.isArray(b.elements) ? b.elements : [];
        if (els.length === 0) this.report(`${path}.elements`, 'an actions block needs at least one element');
        if (els.length > SLACK_LIMITS.actionsElements) this.report(`${path}.elements`, `${els.length} elements, limit ${SLACK_LIMITS.actionsElements}`);
        els.forEach((el, i) => this.element(`${path}.elements[${i}]`, el));
        break;
      }
      case 'input':
        if (surface === 'message') this.report(path, 'input blocks are only allowed in modals and the Home tab');
        break;
      case 'image':
        this.element(path, b);
        break;
      default:
        break;
    }
  }

  private section(path: string, b: Obj): void {
    const fields = b.fields;
    if (b.text === undefined && fields === undefined) this.report(path, 'a section needs text or fields');
    if (b.text !== undefined) this.text(`${path}.text`, b.text, SLACK_LIMITS.sectionText);
    if (fields !== undefined) {
      const list = Array.isArray(fields) ? fields : [];
      if (list.length === 0) this.report(`${path}.fields`, 'fields must be a non-empty list');
      if (list.length > SLACK_LIMITS.fieldsPerSection) this.report(`${path}.fields`, `${list.length} fields, limit ${SLACK_LIMITS.fieldsPerSection}`);
      list.forEach((f, i) => this.text(`${path}.fields[${i}]`, f, SLACK_LIMITS.fieldText));
    }
    if (b.accessory !== undefined) this.element(`${path}.accessory`, b.accessory);
  }
}

/** Every limit the blocks break; empty when Slack would accept them. */
export function slackLimitViolations(blocks: readonly unknown[], surface: SlackSurface = 'message'): SlackLimitViolation[] {
  const check = new Checker();
  const maxBlocks = surface === 'message' ? SLACK_LIMITS.blocksPerMessage : SLACK_LIMITS.blocksPerModalOrHome;
  if (blocks.length > maxBlocks) check.report('blocks', `${blocks.length} blocks, limit ${maxBlocks} in a ${surface}`);
  const blockIds = new Set<string>();
  blocks.forEach((b, i) => {
    const path = `blocks[${i}]`;
    const id = isObj(b) ? b.block_id : undefined;
    if (typeof id === 'string') {
      check.maxLength(`${path}.block_id`, id, SLACK_LIMITS.blockId);
      if (blockIds.has(id)) check.report(`${path}.block_id`, `duplicate block_id "${id}"`);
      blockIds.add(id);
    }
    check.block(path, b, surface);
  });
  return check.violations;
}

/** Throws a SlackLimitError listing every violation. */
export function assertWithinSlackLimits(blocks: readonly unknown[], surface: SlackSurface = 'message'): void {
  const violations = slackLimitViolations(blocks, surface);
  if (violations.length > 0) throw new SlackLimitError(violations);
}

/**
 * Joins lines up to `maxChars`, ending with "…and N more" when some do not fit. Lines are
 * kept whole, so a cut never leaves half a mrkdwn span open.
 */
export function fitLines(lines: readonly string[], maxChars: number, separator = '\n'): string {
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const remaining = lines.length - i - 1;
    const cost = chars(line) + (out.length > 0 ? chars(separator) : 0);
    // Leave room for the "…and N more" tail unless this is the last line.
    const tail = remaining > 0 ? chars(`${separator}…and ${lines.length} more`) : 0;
    if (used + cost + tail > maxChars) {
      const more = `…and ${lines.length - i} more`;
      return out.length > 0 ? `${out.join(separator)}${separator}${more}` : more;
    }
    out.push(line);
    used += cost;
  }
  return out.join(separator);
}
