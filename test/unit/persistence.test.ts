import { removableItems } from '../../src/domain/persistence';
import type { CreatedResource } from '../../src/domain/trail-summary';

const at = { eventId: 'e', time: '2026-11-28T03:00:00Z', region: 'us-east-1' };
const c = (r: Omit<CreatedResource, 'eventId' | 'time' | 'region'>): CreatedResource => ({ ...at, ...r });

it('offers created users and roles; their keys and passwords go with the user', () => {
  const { offered, followUps } = removableItems([
    c({ kind: 'iam-user', name: 'backup-svc' }),
    c({ kind: 'access-key', name: 'AKIAIOSFODNN7EXAMPLE', target: { type: 'user', name: 'backup-svc' } }),
    c({ kind: 'login-profile', name: 'backup-svc', target: { type: 'user', name: 'backup-svc' } }),
    c({ kind: 'role', name: 'exfil' }),
    c({ kind: 'access-key', name: 'AKIAI44QH8DHBEXAMPLE', target: { type: 'user', name: 'existing-dev' } }),
    c({ kind: 'trust-policy', name: 'OrganizationAccountAccessRole' }),
    c({ kind: 'ec2-instance', name: 'i-0abc', region: 'ap-southeast-3' } as never),
  ], 'leaky');
  expect(offered.map((o) => o.title)).toEqual([
    'Remove IAM user backup-svc',
    'Remove IAM role exfil',
    'Remove access key AKIAI44QH8DHBEXAMPLE of existing-dev',
  ]);
  expect(followUps.join('\n')).toContain('trust policy of role OrganizationAccountAccessRole');
  expect(followUps.join('\n')).toContain('EC2 instance i-0abc');
});

it('never offers the compromised user, and caps the list', () => {
  const many = Array.from({ length: 14 }, (_, i) => c({ kind: 'iam-user', name: `u${i}` }));
  const { offered, followUps } = removableItems([c({ kind: 'iam-user', name: 'leaky' }), ...many], 'leaky');
  expect(offered).toHaveLength(10);
  expect(offered.map((o) => o.title)).not.toContain('Remove IAM user leaky');
  expect(followUps[0]).toBe('4 more created principals: remove them by hand');
});
