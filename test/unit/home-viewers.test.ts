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
