/**
 * Containment of what the leaked key minted (pure parts): the roles of the credential graph
 * and the plan revoking their sessions, the guard rails, the step generated after
 * Investigate, and who a temporary key belongs to.
 */
import type { CredentialGraph, CredentialNode } from '../../src/domain/credential-graph';
import {
  isRoleSessionsParams,
  parseRoleArn,
  planRevokeRoleSessions,
  ROLE_SESSIONS_STEP,
  roleSessionsParams,
  roleSessionsRefusal,
  type RoleSessionsReach,
} from '../../src/domain/role-sessions';
import { roleRevokeSessionsPolicy, policyJson } from '../../src/domain/aws-plan';
import type { AsiaTrace } from '../../src/domain/asia-trace';
import type { Incident } from '../../src/domain/incident';
import { compromisedKeyPlaybook, containTargetOf, temporaryKeyPrincipal, withRoleSessionsStep } from '../../workflows/compromised-key';
import type { StepAction, StepRunContext } from '../../workflows/playbook';

const OWN = '123456789012';
const OTHER = '222233334444';
const LEAKED = 'AKIAEXAMPLELEAKED234';
const NOW = '2026-12-02T05:00:00.400Z';

function node(n: Partial<CredentialNode> & Pick<CredentialNode, 'id' | 'kind'>): CredentialNode {
  return { depth: n.parent ? 1 : 0, created: [], ...n };
}

/** The leaked key → ops-admin (twice) → chained to deploy in another account; a session token; a federation token. */
function graph(): CredentialGraph {
  return {
    root: LEAKED,
    nodes: [
      node({ id: LEAKED, kind: 'leaked-key', userName: 'alice' }),
      node({ id: 'ASIAOPSADMINSESSION1', kind: 'role-session', parent: LEAKED, roleArn: `arn:aws:iam::${OWN}:role/ops-admin`, sessionName: 's1' }),
      node({ id: 'ASIAOPSADMINSESSION2', kind: 'role-session', parent: LEAKED, roleArn: `arn:aws:iam::${OWN}:role/ops-admin`, sessionName: 's2' }),
      node({ id: 'ASIADEPLOYOTHERACCT1', kind: 'role-session', parent: 'ASIAOPSADMINSESSION1', depth: 2, roleArn: `arn:aws:iam::${OTHER}:role/team/deploy`, sessionName: 'x' }),
      node({ id: 'ASIASESSIONTOKENALI1', kind: 'session-token', parent: LEAKED, userName: 'alice' }),
      node({ id: 'ASIAFEDERATIONTOKEN1', kind: 'federation-token', parent: LEAKED, userName: 'alice', federatedUserArn: `arn:aws:sts::${OWN}:federated-user/mallory` }),
    ],
    caps: { maxDepth: 5, maxFanOut: 50, depthHits: 0, fanOutHits: 0 },
    incompleteRegions: [],
  };
}

const reach = (o: Partial<RoleSessionsReach> = {}): RoleSessionsReach => ({ botAccount: OWN, responderRoleNames: ['keyguard-responder'], ...o });

describe('parseRoleArn', () => {
  it('reads account, path and name; refuses what is not a role', () => {
    expect(parseRoleArn(`arn:aws:iam::${OWN}:role/ops-admin`)).toEqual({ partition: 'aws', account: OWN, path: '/', roleName: 'ops-admin' });
    expect(parseRoleArn(`arn:aws-us-gov:iam::${OWN}:role/team/a/deploy`)).toEqual({ partition: 'aws-us-gov', account: OWN, path: '/team/a/', roleName: 'deploy' });
    expect(parseRoleArn(`arn:aws:iam::${OWN}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`)?.path).toBe('/aws-service-role/ecs.amazonaws.com/');
    expect(parseRoleArn(`arn:aws:sts::${OWN}:federated-user/mallory`)).toBeUndefined();
    expect(parseRoleArn(`arn:aws:iam::${OWN}:user/alice`)).toBeUndefined();
  });
});

describe('roleSessionsParams', () => {
  it('one entry per role with every session and its path; session tokens of the contained user are covered', () => {
    const p = roleSessionsParams(graph(), 'alice');
    expect(p.roles.map((r) => [r.roleName, r.account, r.sessions.length])).toEqual([
      ['ops-admin', OWN, 2],
      ['deploy', OTHER, 1],
    ]);
    expect(p.roles[1].sessions[0].path).toEqual([LEAKED, 'ASIAOPSADMINSESSION1', 'ASIADEPLOYOTHERACCT1']);
    expect(p.userSessions).toEqual([
      expect.objectContaining({ keyId: 'ASIASESSIONTOKENALI1', kind: 'session-token', coveredByContain: true }),
      expect.objectContaining({ keyId: 'ASIAFEDERATIONTOKEN1', kind: 'federation-token', coveredByContain: true }),
    ]);
    expect(isRoleSessionsParams(JSON.parse(JSON.stringify(p)))).toBe(true);
  });

  it('a session token of another user is not covered; an unreadable role ARN is counted, never guessed', () => {
    const g = graph();
    g.nodes.push(node({ id: 'ASIABOBSESSIONTOKEN1', kind: 'session-token', parent: LEAKED, userName: 'bob' }));
    g.nodes.push(node({ id: 'ASIANOROLEARN0000001', kind: 'role-session', parent: LEAKED }));
    const p = roleSessionsParams(g, 'alice');
    expect(p.userSessions.find((s) => s.keyId === 'ASIABOBSESSIONTOKEN1')?.coveredByContain).toBe(false);
    expect(p.unreadable).toEqual(['ASIANOROLEARN0000001']);
    expect(p.roles).toHaveLength(2);
  });
});

describe('planRevokeRoleSessions', () => {
  it('one exact PutRolePolicy per role, in its account; the cut-off is the step time rounded up', () => {
    const plan = planRevokeRoleSessions(roleSessionsParams(graph(), 'alice'), reach({ targetRoleName: 'keyguard-responder' }), NOW);
    expect(plan.map((c) => [c.action, c.params.RoleName, c.account, c.notSent])).toEqual([
      ['PutRolePolicy', 'ops-admin', undefined, undefined],
      ['PutRolePolicy', 'deploy', OTHER, undefined],
    ]);
    expect(plan[0].params).toEqual({ RoleName: 'ops-admin', PolicyName: 'AWSRevokeOlderSessions', PolicyDocument: policyJson(roleRevokeSessionsPolicy(NOW)) });
    expect(plan[0].params.PolicyDocument).toContain('"aws:TokenIssueTime":"2026-12-02T05:00:01Z"');
    expect(plan[0].why).toContain(`${LEAKED} → ASIAOPSADMINSESSION1 (session s1)`);
    expect(plan[1].why).toContain(`in account ${OTHER} (through keyguard-responder)`);
    // The session tokens are said, not acted on: Contain's deny policy on alice covers them.
    expect(plan[1].why).toContain("2 GetSessionToken/GetFederationToken session(s) of alice (ASIASESSIONTOKENALI1, ASIAFEDERATIONTOKEN1) are covered by Contain's deny policy");
  });

  it('a role in an account the bot cannot reach is shown with what a person runs, never sent', () => {
    const plan = planRevokeRoleSessions(roleSessionsParams(graph(), 'alice'), reach(), NOW);
    const deploy = plan.find((c) => c.params.RoleName === 'deploy')!;
    expect(deploy.notSent).toContain(`account ${OTHER} has no role the bot can act through (IR_TARGET_ROLE_NAME is not set)`);
    expect(deploy.notSent).toContain('aws iam put-role-policy --role-name deploy --policy-name AWSRevokeOlderSessions --policy-document');
    expect(deploy.why).toMatch(/^NOT SENT by the bot: /);
    expect(plan.find((c) => c.params.RoleName === 'ops-admin')!.notSent).toBeUndefined();
  });

  it('guard rails: never the bot own role, never the responder role, never a service-linked role', () => {
    expect(roleSessionsRefusal({ account: OWN, roleName: 'keyguard-bot', path: '/' }, reach({ botRoleName: 'keyguard-bot' }))).toContain('the role the bot runs as');
    // The same name in another account is someone else's role.
    expect(roleSessionsRefusal({ account: OTHER, roleName: 'keyguard-bot', path: '/' }, reach({ botRoleName: 'keyguard-bot' }))).toBeUndefined();
    expect(roleSessionsRefusal({ account: OTHER, roleName: 'keyguard-responder', path: '/' }, reach())).toContain('responder role');
    // A role the defenders protect is no guard rail: its sessions are revoked, with two approvals (below).
    expect(roleSessionsRefusal({ account: OTHER, roleName: 'OrganizationAccountAccessRole', path: '/' }, reach({ protectedRoleNames: ['OrganizationAccountAccessRole'] }))).toBeUndefined();
    expect(roleSessionsRefusal({ account: OTHER, roleName: 'ops-admin', path: '/' }, reach({ protectedRoleNames: ['OrganizationAccountAccessRole'] }))).toBeUndefined();
    expect(roleSessionsRefusal({ account: OWN, roleName: 'AWSServiceRoleForECS', path: '/aws-service-role/ecs.amazonaws.com/' }, reach())).toContain('service-linked');
    expect(roleSessionsRefusal({ account: OWN, roleName: 'ops-admin', path: '/' }, reach())).toBeUndefined();

    const g = graph();
    g.nodes.push(node({ id: 'ASIASLR0000000000001', kind: 'role-session', parent: LEAKED, roleArn: `arn:aws:iam::${OWN}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS` }));
    const slr = planRevokeRoleSessions(roleSessionsParams(g, 'alice'), reach(), NOW).find((c) => c.params.RoleName === 'AWSServiceRoleForECS')!;
    expect(slr.notSent).toContain('service-linked');
  });

  it('a protected role the key reached is revoked all the same, with the warning (two approvals); a tag the graph wrote is reported', () => {
    const g = graph();
    g.nodes.push(node({ id: 'ASIAORGACCESS0000001', kind: 'role-session', parent: LEAKED, roleArn: `arn:aws:iam::${OWN}:role/OrganizationAccountAccessRole` }));
    const evidence = { writes: [{ type: 'role' as const, name: 'ops-admin', eventName: 'TagRole', time: '2026-12-02T04:00:00Z', byAccessKeyId: 'ASIAOPSADMINSESSION1' }] };
    const plan = planRevokeRoleSessions(roleSessionsParams(g, 'alice'), reach({ protectedRoleNames: ['OrganizationAccountAccessRole'], tagged: { [`arn:aws:iam::${OWN}:role/ops-admin`]: true }, evidence }), NOW);
    const org = plan.find((c) => c.params.RoleName === 'OrganizationAccountAccessRole')!;
    expect(org.notSent).toBeUndefined();
    expect(org.protectedBy).toMatch(/^PROTECTED PRINCIPAL: role OrganizationAccountAccessRole is AWS Organizations' administrator role.*TWO approvals/);
    const ops = plan.find((c) => c.params.RoleName === 'ops-admin')!;
    expect(ops.protectedBy).toBeUndefined();
    expect(ops.finding).toMatch(/ATTACKER ACTIVITY: the keyguard:protected tag on role ops-admin was written by the leaked key's credentials \(TagRole/);
  });
});

// ---------------------------------------------------------------------------------------

const incident = (o: Partial<Incident> = {}): Incident =>
  ({ id: 'IR-1', keyId: LEAKED, keyKind: 'long-term', requester: 'U1', channel: 'C1', reason: 'r', severity: 'high', status: 'open', dryRun: false, createdAt: NOW, version: 1, principal: { type: 'user', name: 'alice' }, ...o }) as Incident;

function ctx(i: Incident): StepRunContext {
  return { incident: i, step: { name: 'investigate' } as StepRunContext['step'], approvers: [], dryRun: false, now: new Date(NOW), steps: [] };
}

const investigateReturning = (detail: unknown, addSteps: Array<{ name: string; title: string; params: unknown; offerAfter: string }> = []): StepAction => ({
  plan: () => [],
  run: async () => ({ ok: true, summary: '12 events', detail, addSteps }),
});

describe('the Revoke role sessions step after Investigate', () => {
  it('is generated, before the Remove steps, when the graph holds role sessions', async () => {
    const remove = { name: 'remove-1', title: 'Remove IAM user evil', params: { kind: 'user', userName: 'evil' }, offerAfter: 'investigate' };
    const r = await withRoleSessionsStep(investigateReturning({ graph: graph() }, [remove])).run(ctx(incident()));
    expect(r.addSteps!.map((s) => s.name)).toEqual([ROLE_SESSIONS_STEP, 'remove-1']);
    expect(r.addSteps![0]).toMatchObject({ title: 'Revoke sessions of 2 role(s) the key reached', offerAfter: 'investigate' });
    expect(isRoleSessionsParams(r.addSteps![0].params)).toBe(true);
    expect(r.summary).toContain("ASIASESSIONTOKENALI1 (GetSessionToken of alice): covered by Contain's deny policy");
  });

  it('is not generated without role sessions, nor without a graph', async () => {
    const g = graph();
    g.nodes = g.nodes.filter((n) => n.kind !== 'role-session');
    const r = await withRoleSessionsStep(investigateReturning({ graph: g })).run(ctx(incident()));
    expect(r.addSteps).toEqual([]);
    expect(r.summary).toContain('ASIAFEDERATIONTOKEN1 (GetFederationToken of alice)');
    const none = await withRoleSessionsStep(investigateReturning({ eventCount: 3 })).run(ctx(incident()));
    expect(none).toEqual({ ok: true, summary: '12 events', detail: { eventCount: 3 }, addSteps: [] });
  });

  it('the playbook knows the generated step: 1 approval, offered after Investigate', () => {
    const pb = compromisedKeyPlaybook({ keyOwner: { lookup: async () => { throw new Error('unused'); } }, roleSessions: { planRevoke: async () => [], revoke: async () => ({ ok: true, summary: '' }) } });
    expect(pb.generated!(ROLE_SESSIONS_STEP)).toMatchObject({ approvals: 1, optional: true, offer: { after: 'investigate' } });
  });
});

// ---------------------------------------------------------------------------------------

const hop = (o: Partial<AsiaTrace['hops'][number]>): AsiaTrace['hops'][number] => ({
  accessKeyId: 'ASIALEAKEDTEMPKEY001', issuedBy: 'AssumeRole', eventId: 'e1', eventTime: '2026-12-02T04:00:00Z', caller: { type: 'IAMUser', userName: 'alice', accessKeyId: LEAKED }, ...o,
});
const fromAlice: AsiaTrace['origin'] = { kind: 'long-term-key', accessKeyId: LEAKED, userName: 'alice', userArn: `arn:aws:iam::${OWN}:user/alice` };

describe('who a temporary key belongs to', () => {
  const prod = `arn:aws:iam::${OWN}:role/prod-admin`;

  it('the issuer the trace found wins; a typed role that disagrees is refused with both shown', () => {
    const typed = { type: 'role' as const, name: 'readonly', arn: `arn:aws:iam::${OWN}:role/readonly` };
    const r = temporaryKeyPrincipal({ accessKeyId: 'ASIALEAKEDTEMPKEY001', hops: [hop({ roleArn: prod })], origin: fromAlice }, typed);
    expect(r.principal).toEqual({ type: 'role', name: 'prod-admin', arn: prod });
    expect(r.refusedRole).toBe(typed.arn);
    expect(r.said).toContain(`the role given (${typed.arn}) was refused: CloudTrail shows ASIALEAKEDTEMPKEY001 was issued by ${prod}`);
    expect(r.rootKey).toEqual({ accessKeyId: LEAKED, userName: 'alice' });
    // Agreeing is no refusal.
    expect(temporaryKeyPrincipal({ accessKeyId: 'x', hops: [hop({ roleArn: prod })], origin: fromAlice }, { type: 'role', name: 'prod-admin', arn: prod }).refusedRole).toBeUndefined();
  });

  it('a GetSessionToken key is the user\'s, contained through the user and its long-term key', () => {
    const r = temporaryKeyPrincipal({ accessKeyId: 'x', hops: [hop({ issuedBy: 'GetSessionToken' })], origin: fromAlice }, undefined);
    expect(r.principal).toEqual({ type: 'user', name: 'alice', arn: `arn:aws:iam::${OWN}:user/alice` });
    expect(r.said).toContain('a GetSessionToken session of alice from long-term key');
    const inc = incident({ keyId: 'ASIALEAKEDTEMPKEY001', keyKind: 'temporary', principal: r.principal, rootKey: r.rootKey });
    expect(containTargetOf(inc)).toMatchObject({ keyId: LEAKED, keyKind: 'long-term', userName: 'alice', roleName: undefined, rootKey: undefined });
    // Without the long-term key, Contain says what to do instead of failing after its plan.
    expect(() => containTargetOf({ ...inc, rootKey: undefined })).toThrow(/did not show the long-term key/);
  });

  it('a federated-user ARN is never taken for a role', () => {
    const fed = `arn:aws:sts::${OWN}:federated-user/mallory`;
    const typed = { type: 'role' as const, name: 'mallory', arn: `arn:aws:iam::${OWN}:role/mallory` };
    const r = temporaryKeyPrincipal({ accessKeyId: 'x', hops: [hop({ issuedBy: 'GetFederationToken', federatedUserArn: fed, roleArn: undefined })], origin: fromAlice }, typed);
    expect(r.principal).toMatchObject({ type: 'user', name: 'alice' });
    expect(r.said).toContain(`federated user ${fed}, not a role`);
    expect(r.refusedRole).toBe(typed.arn);
  });

  it('without a trace the typed role stands, and says so', () => {
    const typed = { type: 'role' as const, name: 'readonly', arn: `arn:aws:iam::${OWN}:role/readonly` };
    const r = temporaryKeyPrincipal({ accessKeyId: 'x', hops: [], origin: { kind: 'unknown', reason: 'issuing-event-not-found' } }, typed);
    expect(r.principal).toBe(typed);
    expect(r.said).toContain('as given; CloudTrail did not show the issuer');
  });
});
