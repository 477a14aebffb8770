import { assertWithinSlackLimits, fitLines, SlackLimitError, slackLimitViolations } from '../../src/slack/limits';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'button', text: { type: 'plain_text', text }, action_id: 'a', ...extra });

function problems(blocks: unknown[], surface: 'message' | 'modal' = 'message'): string[] {
  return slackLimitViolations(blocks, surface).map((v) => `${v.path}: ${v.problem}`);
}

describe('assertWithinSlackLimits', () => {
  it('accepts blocks at every limit exactly', () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(150) } },
      section('s'.repeat(3000)),
      { type: 'section', fields: Array.from({ length: 10 }, () => ({ type: 'mrkdwn', text: 'f'.repeat(2000) })) },
      { type: 'context', elements: Array.from({ length: 10 }, () => ({ type: 'mrkdwn', text: 'c' })) },
      { type: 'actions', elements: Array.from({ length: 25 }, (_, i) => button('b'.repeat(75), { action_id: `a${i}`, value: 'v'.repeat(2000) })) },
      { type: 'divider' },
      ...Array.from({ length: 44 }, () => ({ type: 'divider' })),
    ];
    expect(blocks).toHaveLength(50);
    expect(() => assertWithinSlackLimits(blocks)).not.toThrow();
  });

  it.each([
    ['51 blocks', Array.from({ length: 51 }, () => ({ type: 'divider' })), 'blocks: 51 blocks, limit 50 in a message'],
    ['section text of 3001', [section('x'.repeat(3001))], 'blocks[0].text.text: 3001 characters, limit 3000'],
    ['empty section text', [section('  ')], 'blocks[0].text.text: empty text'],
    ['11 fields', [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }], 'blocks[0].fields: 11 fields, limit 10'],
    ['a field of 2001', [{ type: 'section', fields: [{ type: 'mrkdwn', text: 'f'.repeat(2001) }] }], 'blocks[0].fields[0].text: 2001 characters, limit 2000'],
    ['header of 151', [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }], 'blocks[0].text.text: 151 characters, limit 150'],
    ['mrkdwn header', [{ type: 'header', text: { type: 'mrkdwn', text: 'h' } }], 'blocks[0].text.type: must be plain_text'],
    ['11 context elements', [{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) }], 'blocks[0].elements: 11 elements, limit 10'],
    ['26 actions', [{ type: 'actions', elements: Array.from({ length: 26 }, () => button('b')) }], 'blocks[0].elements: 26 elements, limit 25'],
    ['button text of 76', [{ type: 'actions', elements: [button('b'.repeat(76))] }], 'blocks[0].elements[0].text.text: 76 characters, limit 75'],
    ['button value of 2001', [{ type: 'section', text: { type: 'mrkdwn', text: 'x' }, accessory: button('ok', { value: 'v'.repeat(2001) }) }], 'blocks[0].accessory.value: 2001 characters, limit 2000'],
    ['action_id of 256', [{ type: 'actions', elements: [button('b', { action_id: 'a'.repeat(256) })] }], 'blocks[0].elements[0].action_id: 256 characters, limit 255'],
    ['duplicate block ids', [{ type: 'divider', block_id: 'x' }, { type: 'divider', block_id: 'x' }], 'blocks[1].block_id: duplicate block_id "x"'],
    ['input in a message', [{ type: 'input', element: {}, label: { type: 'plain_text', text: 'l' } }], 'blocks[0]: input blocks are only allowed in modals and the Home tab'],
  ])('refuses %s', (_name, blocks, expected) => {
    expect(problems(blocks as unknown[])).toContain(expected);
    expect(() => assertWithinSlackLimits(blocks as unknown[])).toThrow(SlackLimitError);
  });

  it('allows 100 blocks and input blocks in a modal', () => {
    const blocks = [...Array.from({ length: 99 }, () => ({ type: 'divider' })), { type: 'input', element: {}, label: { type: 'plain_text', text: 'l' } }];
    expect(problems(blocks, 'modal')).toEqual([]);
  });

  it('lists every violation in the error', () => {
    try {
      assertWithinSlackLimits([section('x'.repeat(3001)), { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(200) } }]);
      throw new Error('expected a SlackLimitError');
    } catch (e) {
      expect(e).toBeInstanceOf(SlackLimitError);
      expect((e as SlackLimitError).violations).toHaveLength(2);
    }
  });
});

describe('fitLines', () => {
  it('keeps everything that fits', () => {
    expect(fitLines(['a', 'b', 'c'], 100)).toBe('a\nb\nc');
  });

  it('cuts whole lines and says how many more there were', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line number ${i}`);
    const text = fitLines(lines, 200);
    expect(text.length).toBeLessThanOrEqual(200);
    const kept = text.split('\n').slice(0, -1);
    expect(kept.every((l, i) => l === `line number ${i}`)).toBe(true);
    expect(text.endsWith(`…and ${100 - kept.length} more`)).toBe(true);
  });
});
