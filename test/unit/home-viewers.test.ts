import type { WebClient } from '@slack/web-api';
import { HomeTab, MAX_VIEWERS, VIEWER_TTL_MS } from '../../src/slack/home-publisher';
import { createLogger } from '../../src/logger';
import { Writable } from 'node:stream';
import { viewProblems } from '../../sandbox/slack-limits-check';

/** A Slack client that records views.publish and knows no user's zone. */
function fakeClient() {
  const published: Array<{ user_id: string; view: any }> = [];
  const client = {
    views: { publish: async (a: { user_id: string; view: any }) => void published.push(a) },
    users: { info: async () => ({ ok: true, user: {} }) },
  } as unknown as WebClient;
  return { client, published };
}

const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
const store = { listOpenIncidents: async () => [], get: async () => undefined, listRecentlyClosed: async () => [] };
const access = { isResponder: async () => true, isApprover: async () => false, approversConfigured: true };

it('remembers at most MAX_VIEWERS recent viewers, for VIEWER_TTL_MS, and republishes only for them', async () => {
  let now = Date.parse('2026-11-01T00:00:00Z');
  const { client, published } = fakeClient();
  const home = new HomeTab({ client, store, access, logger: quiet, now: () => new Date(now) });
  for (let i = 0; i < MAX_VIEWERS + 10; i++) await home.opened(`U${i}`);
  expect(published).toHaveLength(MAX_VIEWERS + 10);
  expect(published.every((p) => p.view.type === 'home' && viewProblems(p.view).length === 0)).toBe(true);
  const recent = home.recentViewers();
  expect(recent).toHaveLength(MAX_VIEWERS);
  // The oldest ten were dropped.
  expect(recent).not.toContain('U0');
  expect(recent).toContain(`U${MAX_VIEWERS + 9}`);

  published.length = 0;
  home.changed();
  home.changed(); // a burst of changes: published once per viewer
  await new Promise((r) => setTimeout(r, 600));
  expect(published.map((p) => p.user_id).sort()).toEqual([...recent].sort());

  now += VIEWER_TTL_MS + 1;
  expect(home.recentViewers()).toEqual([]);
});

describe('who sees incidents on the Home tab', () => {
  const incident = {
    id: 'IR-20261101-AAAA', keyId: 'AKIAIOSFODNN7EXAMPLE', keyKind: 'long-term' as const, requester: 'U0REQ', severity: 'high' as const, reason: 'leaked',
    status: 'open' as const, channel: 'C1', dryRun: false, createdAt: '2026-11-01T00:00:00.000Z', version: 1,
  };
  const steps = [{ incidentId: incident.id, seq: 2, name: 'contain', title: 'Contain', state: 'awaiting_approval' as const, version: 2, approvalsRequired: 1, approvals: [], updatedAt: incident.createdAt }];
  const withIncident = { listOpenIncidents: async () => [incident], get: async () => ({ incident, steps, events: [] }), listRecentlyClosed: async () => [{ ...incident, id: 'IR-20261031-BBBB', status: 'closed' as const, closedAt: '2026-11-01T00:00:00.000Z', resolution: 'rotated' }] };

  it.each<[string, { responders: string[]; approvers: string[]; open?: boolean }, string, boolean]>([
    ['an outsider', { responders: ['U0RESP'], approvers: ['U0APP'] }, 'U0OUT', false],
    ['a responder', { responders: ['U0RESP'], approvers: ['U0APP'] }, 'U0RESP', true],
    ['an approver who is not named a responder', { responders: ['U0RESP'], approvers: ['U0APP'] }, 'U0APP', true],
    ['anyone in a trial (IR_RESPONDERS=*)', { responders: ['*'], approvers: ['U0APP'], open: true }, 'U0OUT', true],
  ])('%s', async (_l, who, viewer, sees) => {
    const { client, published } = fakeClient();
    const policy = {
      isResponder: async (u: string) => who.responders.includes('*') || who.responders.includes(u) || who.approvers.includes(u),
      isApprover: async (u: string) => who.approvers.includes(u),
      approversConfigured: true,
      openToWorkspace: who.open,
    };
    const home = new HomeTab({ client, store: withIncident, access: policy, logger: quiet, now: () => new Date('2026-11-01T01:00:00Z') });
    await home.opened(viewer);
    const text = JSON.stringify(published.at(-1)!.view);
    expect(viewProblems(published.at(-1)!.view)).toEqual([]);
    if (sees) {
      expect(text).toContain('AKIAIOSFODNN7EXAMPLE');
      expect(text).toContain('IR-20261101-AAAA');
      expect(text.includes('every member of this workspace is a responder')).toBe(Boolean(who.open));
    } else {
      for (const hidden of ['AKIAIOSFODNN7EXAMPLE', 'IR-2026', 'Contain', 'awaiting', 'Open incidents', 'rotated', '(1)', '(0)']) expect(text).not.toContain(hidden);
      expect(text).toContain('IR_RESPONDERS');
    }
  });

  it('a failed membership check shows nothing (closed by default)', async () => {
    const { client, published } = fakeClient();
    const failing = { isResponder: async () => { throw new Error('usergroups.users.list failed'); }, isApprover: async () => { throw new Error('down'); }, approversConfigured: true };
    const home = new HomeTab({ client, store: withIncident, access: failing, logger: quiet, now: () => new Date() });
    await home.opened('U0ANY');
    expect(JSON.stringify(published[0].view)).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });
});
