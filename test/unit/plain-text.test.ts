/** Block Kit as terminal text: what the CLI prints and the demo's transcript shows. */
import { plainMrkdwn, renderBlocks } from '../../src/cli/plain-text';

describe('plainMrkdwn', () => {
  it('turns links into their labels and drops bold, italic and code marks', () => {
    expect(plainMrkdwn('*Contain* needs <https://x.example/a|the plan> for `AKIA…` &amp; _now_')).toBe('Contain needs the plan for AKIA… & now');
  });
  it('keeps a bare link and text without marks as they are', () => {
    expect(plainMrkdwn('see <https://x.example/a> 3 * 4')).toBe('see https://x.example/a 3 * 4');
  });
});

describe('renderBlocks', () => {
  it('renders each block kind a card uses, fields two a line as label: value', () => {
    const lines = renderBlocks([
      { type: 'header', text: { type: 'plain_text', text: 'IR-1 · leaked key' } },
      { type: 'section', text: { type: 'mrkdwn', text: '*Step* one\nline two' }, fields: [{ type: 'mrkdwn', text: '*Key*\nAKIA1' }, { type: 'mrkdwn', text: '*Owner*\nleaky' }, { type: 'mrkdwn', text: '*Account*\n1234' }] },
      { type: 'divider' },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Approve' } }, { type: 'button', text: { type: 'plain_text', text: 'Deny' } }] },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Opened 05:33' }, { type: 'image', image_url: 'x', alt_text: 'x' }, { type: 'mrkdwn', text: '/incident show IR-1' }] },
      { type: 'input', label: { type: 'plain_text', text: 'Access key id' } },
    ]);
    expect(lines).toEqual([
      '== IR-1 · leaked key ==',
      'Step one',
      'line two',
      'Key: AKIA1   Owner: leaky',
      'Account: 1234',
      '----',
      '[Approve] [Deny]',
      '  Opened 05:33 · /incident show IR-1',
      'Access key id: ____',
    ]);
  });
});
