import { keyOwnerBlocks, badKeyIdBlocks } from '../../src/slack/key-owner-blocks';
import { riskFlags, KeyFacts } from '../../src/domain/key-facts';
import { blockProblems } from '../../sandbox/slack-limits-check';

const NOW = new Date('2026-11-28T03:00:00Z');
const base: KeyFacts = {
  keyId: 'AKIAIOSFODNN7EXAMPLE',
  kind: 'long-term',
  account: '123456789012',
  botAccount: '123456789012',
  sameAccount: true,
  status: 'Active',
  createdAt: '2026-01-01T00:00:00Z',
  lastUsed: { at: '2026-11-28T02:57:00Z', service: 'iam', region: 'us-east-1' },
  gaps: [],
  user: {
    userName: 'ci',
    tags: {},
    groups: [],
    attachedPolicies: [],
    inlinePolicies: [{ name: 'star', admin: true }],
    groupPolicies: [],
    consolePassword: false,
    mfaDevices: [],
    otherKeys: [],
  },
};

it('flags recent use, admin rights, missing MFA and an old key, most severe first', () => {
  const flags = riskFlags(base, NOW);
  expect(flags.map((f) => f.text)).toEqual([
    'active, used 3 min ago from us-east-1 (iam)',
    'admin policy attached (star)',
    'no MFA',
    'key is 331 days old (not rotated in 90 days)',
  ]);
  expect(flags[0].severity).toBe('critical');
});

it('names the IAM action behind each gap', () => {
  const flags = riskFlags({ ...base, gaps: ['could not read: AWS denied iam:ListGroupsForUser to the bot'] }, NOW);
  expect(flags.at(-1)!.text).toContain('iam:ListGroupsForUser');
});

it('stays within Slack limits with an enormous user', () => {
  const many = Array.from({ length: 500 }, (_, i) => ({ name: `policy-${'x'.repeat(100)}-${i}`, admin: i % 7 === 0 }));
  const facts: KeyFacts = {
    ...base,
    gaps: Array.from({ length: 40 }, (_, i) => `could not read thing ${i} ${'y'.repeat(200)}`),
    user: {
      ...base.user!,
      tags: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`owner${i}`, 'z'.repeat(250)])),
      groups: Array.from({ length: 300 }, (_, i) => `group-${'g'.repeat(120)}-${i}`),
      attachedPolicies: many,
      inlinePolicies: many,
      groupPolicies: many,
      otherKeys: Array.from({ length: 2 }, (_, i) => ({ accessKeyId: `AKIAIOSFODNN7EXAMPL${i}`, status: 'Active' })),
    },
  };
  const { blocks, text } = keyOwnerBlocks(facts, NOW);
  expect(blockProblems(blocks)).toEqual([]);
  expect(text.length).toBeLessThanOrEqual(3000);
});

it('a usage message for a malformed id shows what a valid id looks like', () => {
  const { blocks } = badKeyIdBlocks('/key-owner', { ok: false, problem: 'malformed', detail: 'expected 16 characters after AKIA, found 3' });
  expect(JSON.stringify(blocks)).toContain('AKIAIOSFODNN7EXAMPLE');
  expect(blockProblems(blocks)).toEqual([]);
});
