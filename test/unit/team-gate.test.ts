import { checkOrigin, requestOrigin } from '../../src/slack/team-gate';

const HOME = { teamId: 'T1' };

it('reads the origin of slash commands, interactions and events', () => {
  expect(requestOrigin({ team_id: 'T1', user_id: 'U1', command: '/trail' })).toEqual({ teamId: 'T1', enterpriseId: undefined, userTeamId: undefined });
  expect(requestOrigin({ type: 'block_actions', team: { id: 'T1' }, user: { id: 'U1', team_id: 'T9' }, enterprise: { id: 'E1' } })).toEqual({ teamId: 'T1', enterpriseId: 'E1', userTeamId: 'T9' });
  expect(requestOrigin({ type: 'event_callback', team_id: 'T1', event: { type: 'app_home_opened', user: 'U1', user_team: 'T9' } })).toMatchObject({ teamId: 'T1', userTeamId: 'T9' });
});

it.each([
  [{ teamId: 'T1' }, 'ok'],
  [{ teamId: 'T1', userTeamId: 'T1' }, 'ok'],
  [{ teamId: 'T2' }, 'other_team'],
  [{ teamId: 'T1', enterpriseId: 'E2' }, 'other_enterprise'],
  [{ teamId: 'T1', userTeamId: 'T2' }, 'external_user'],
  // Closed by default: a request that says nothing about its team is not served.
  [{}, 'unknown'],
] as const)('%j → %s', (origin, verdict) => {
  expect(checkOrigin(origin, HOME)).toBe(verdict);
});

it('an org-wide installation accepts its own enterprise only', () => {
  expect(checkOrigin({ teamId: 'T1', enterpriseId: 'E1' }, { teamId: 'T1', enterpriseId: 'E1' })).toBe('ok');
  expect(checkOrigin({ teamId: 'T1', enterpriseId: 'E2' }, { teamId: 'T1', enterpriseId: 'E1' })).toBe('other_enterprise');
});
