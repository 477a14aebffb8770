/**
 * One Slack team: every request (slash command, click, modal, event) must come from the
 * workspace (and Enterprise Grid org) the bot is installed in, from a member of it. A
 * request from another team, another org, or a Slack Connect user of another organisation
 * in a shared channel is refused before any listener sees it. Pure.
 */

/** The workspace the bot token belongs to (auth.test). */
export interface Installation {
  teamId: string;
  enterpriseId?: string;
}

/** Where a request says it comes from. */
export interface RequestOrigin {
  /** The team the request was sent for. */
  teamId?: string;
  enterpriseId?: string;
  /** The team of the person who acted (differs for a Slack Connect user). */
  userTeamId?: string;
}

export type OriginVerdict = 'ok' | 'other_team' | 'other_enterprise' | 'external_user' | 'unknown';

type Body = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const obj = (v: unknown): Body | undefined => (v && typeof v === 'object' ? (v as Body) : undefined);

/** Reads the origin of a slash command, interaction (block_actions, view_*) or Events API body. */
export function requestOrigin(body: unknown): RequestOrigin {
  const b = obj(body) ?? {};
  const team = obj(b.team);
  const user = obj(b.user);
  const event = obj(b.event);
  const enterprise = obj(b.enterprise);
  return {
    teamId: str(b.team_id) ?? str(team?.id) ?? str(obj(b.view)?.team_id),
    enterpriseId: str(b.enterprise_id) ?? str(enterprise?.id),
    // Interactions: user.team_id; slash commands: user_team (shared channels); events: event.user_team.
    userTeamId: str(user?.team_id) ?? str(b.user_team) ?? str(event?.user_team),
  };
}

export function checkOrigin(o: RequestOrigin, home: Installation): OriginVerdict {
  if (!o.teamId) return 'unknown';
  if (o.enterpriseId !== undefined && o.enterpriseId !== home.enterpriseId) return 'other_enterprise';
  if (o.teamId !== home.teamId) return 'other_team';
  if (o.userTeamId !== undefined && o.userTeamId !== home.teamId) return 'external_user';
  return 'ok';
}

/** What the person is told when their request is refused (nothing else happens). */
export function originRefusalText(v: Exclude<OriginVerdict, 'ok'>): string {
  return v === 'external_user'
    ? ':no_entry_sign: This bot only serves members of the workspace it is installed in; Slack Connect users from other organisations cannot use it. Nothing was done.'
    : ':no_entry_sign: This bot only serves the Slack workspace it is installed in. Nothing was done.';
}
