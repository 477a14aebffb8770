/**
 * Protection is the defenders', not the target's, both ways: the code's one decision
 * (src/domain/protection.ts) and the responder role's policy (evaluated with
 * test/support/policy-evaluator.ts, an explicit Deny that also wins over any session policy).
 *  - guard rails (the bot's own principal, the responder role, service-linked roles): never written;
 *  - defender-protected (IR_PROTECTED_PRINCIPALS, OrganizationAccountAccessRole, a tag nothing
 *    in the credential graph wrote, read only after the investigation): contained with two
 *    approvals and a warning, never deleted;
 *  - a tag the graph wrote: a finding, never honoured.
 */
import { loadConfig } from '../../src/config';
import { parseCallerArn } from '../../src/aws/access/guard-rails';
import {
  hasProtectedTag,
  protectionOf,
  protectionTagWrite,
  protectionVerdict,
  requiredApprovals,
  tagEvidenceOf,
  type ProtectionSettings,
  type TagEvidence,
} from '../../src/domain/protection';
import { principalsOfPlan, protectedRefusal } from '../../src/aws/containment/protection-reader';
import { planContainRoleSessions, planContainUserKey, planRemovePersistence, noDependencies, planEradicateUserKey, planUndo } from '../../src/domain/aws-plan';
import { sessionPolicyFor } from '../../src/domain/session-policy';
import { containmentWriteActions, DESTRUCTIVE_ACTIONS, responderPolicyDocument } from '../../infra/lib/permissions';
import { evaluate, evaluateSession } from '../support/policy-evaluator';
import type { TrailEvent } from '../../src/domain/trail-event';

const ACCOUNT = '123456789012';
const NOW = '2026-12-02T05:00:00.000Z';
const settings: ProtectionSettings = { responderRoleNames: ['keyguard-responder'], users: ['breakglass-admin'], roles: ['prod-admin'] };
const botAsRole = parseCallerArn(`arn:aws:sts::${ACCOUNT}:assumed-role/keyguard-bot/task-1`, ACCOUNT);
const botAsUser = parseCallerArn(`arn:aws:iam::${ACCOUNT}:user/keyguard-svc`, ACCOUNT);
const investigated: TagEvidence = { writes: [] };

describe('guard rails: never written, whatever the step', () => {
  it.each([
    [{ type: 'role', name: 'keyguard-responder' } as const, botAsRole, /responder role every keyguard write goes through/],
    [{ type: 'role', name: 'keyguard-bot' } as const, botAsRole, /the role the bot runs as/],
    [{ type: 'user', name: 'keyguard-svc' } as const, botAsUser, /the bot's own user/],
    [{ type: 'role', name: 'AWSServiceRoleForECS', path: '/aws-service-role/ecs.amazonaws.com/' } as const, botAsRole, /service-linked/],
  ])('%j', (p, me, why) => {
    const prot = protectionOf(p, settings, me, investigated);
    expect(prot).toMatchObject({ kind: 'guard-rail', reason: expect.stringMatching(why) });
    for (const use of ['contain', 'undo', 'eradicate', 'remove-key', 'remove-principal'] as const) {
      expect(protectionVerdict(prot, use)).toMatchObject({ send: false, reason: expect.stringMatching(/^guard rail: /) });
    }
  });

  it('a responder role given as path/name is still the responder role', () => {
    expect(protectionOf({ type: 'role', name: 'responder' }, { ...settings, responderRoleNames: ['ops/responder'] }, {}, undefined).kind).toBe('guard-rail');
  });
});

describe('defender-protected: contained with two approvals and a warning, never deleted', () => {
  it.each([
    [{ type: 'role', name: 'OrganizationAccountAccessRole' } as const, /AWS Organizations' administrator role/],
    [{ type: 'role', name: 'prod-admin' } as const, /named in IR_PROTECTED_PRINCIPALS/],
    [{ type: 'user', name: 'breakglass-admin' } as const, /IR_PROTECTED_PRINCIPALS \(break-glass\)/],
  ])('%j', (p, why) => {
    // By name: before the investigation too.
    const prot = protectionOf(p, settings, botAsRole, undefined);
    expect(prot).toMatchObject({ kind: 'protected', reason: expect.stringMatching(why) });
    const contain = protectionVerdict(prot, 'contain');
    expect(contain).toMatchObject({ send: true, twoApprovals: true, keepConsoleAccess: true, warning: expect.stringMatching(/^PROTECTED PRINCIPAL: .*contained anyway .*TWO approvals/) });
    expect(protectionVerdict(prot, 'undo')).toMatchObject({ send: true, twoApprovals: true });
    expect(protectionVerdict(prot, 'eradicate')).toMatchObject({ send: true, twoApprovals: true, keepConsoleAccess: true });
    expect(protectionVerdict(prot, 'remove-key')).toMatchObject({ send: true, twoApprovals: true });
    expect(protectionVerdict(prot, 'remove-principal')).toMatchObject({ send: false, reason: expect.stringMatching(/never deletes it/) });
  });

  it('ordinary principals are ordinary (one approval, nothing said)', () => {
    for (const p of [{ type: 'user', name: 'alice' }, { type: 'role', name: 'deploy' }, { type: 'user', name: 'keyguard-responder' }, { type: 'role', name: 'breakglass-admin' }] as const) {
      const prot = protectionOf(p, settings, botAsRole, investigated);
      expect(prot).toEqual({ kind: 'ordinary' });
      expect(protectionVerdict(prot, 'contain')).toEqual({ send: true, twoApprovals: false, keepConsoleAccess: false });
      expect(protectionVerdict(prot, 'remove-principal')).toMatchObject({ send: true });
    }
  });
});

describe('the keyguard:protected tag is the target\'s word, not the defenders\'', () => {
  const tagged = { type: 'user', name: 'leaky', tagged: true } as const;

  it('before the investigation it decides nothing: containment is never blocked nor made harder', () => {
    expect(protectionOf(tagged, settings, botAsRole, undefined)).toEqual({ kind: 'ordinary' });
  });

  it('after the investigation, a tag nothing in the graph wrote counts: two approvals, never deleted', () => {
    const prot = protectionOf(tagged, settings, botAsRole, investigated);
    expect(prot).toMatchObject({ kind: 'protected', reason: 'user leaky is tagged keyguard:protected=true (no credential of the leaked key wrote it)' });
    expect(protectionVerdict(prot, 'remove-principal').send).toBe(false);
  });

  it('a tag the graph wrote is attacker activity: reported, not honoured (the back door stays removable)', () => {
    const evidence: TagEvidence = { writes: [{ type: 'user', name: 'backdoor', eventName: 'CreateUser', time: '2026-12-02T04:10:00Z', byAccessKeyId: 'ASIAATTACKER00000001' }] };
    const prot = protectionOf({ type: 'user', name: 'backdoor', tagged: true }, settings, botAsRole, evidence);
    expect(prot).toEqual({ kind: 'ordinary', finding: "ATTACKER ACTIVITY: the keyguard:protected tag on user backdoor was written by the leaked key's credentials (CreateUser at 2026-12-02T04:10:00Z by ASIAATTACKER00000001): not honoured." });
    expect(protectionVerdict(prot, 'remove-principal')).toMatchObject({ send: true, twoApprovals: false, finding: expect.stringContaining('not honoured') });
    // Another principal of the same name type is not touched by that evidence.
    expect(protectionOf({ type: 'role', name: 'backdoor', tagged: true }, settings, botAsRole, evidence).kind).toBe('protected');
  });

  it('reads the tag keyguard:protected=true (any case of the value), nothing else', () => {
    expect(hasProtectedTag([{ Key: 'team', Value: 'sec' }, { Key: 'keyguard:protected', Value: 'true' }])).toBe(true);
    expect(hasProtectedTag([{ Key: 'keyguard:protected', Value: 'TRUE' }])).toBe(true);
    expect(hasProtectedTag([{ Key: 'keyguard:protected', Value: 'false' }])).toBe(false);
    expect(hasProtectedTag([{ Key: 'keyguard:Protected', Value: 'true' }])).toBe(false);
    expect(hasProtectedTag(undefined)).toBe(false);
  });

  it('finds the tag written in CloudTrail: TagUser, TagRole, CreateUser/CreateRole with Tags (any key case)', () => {
    const e = (name: string, requestParameters: Record<string, unknown>) =>
      ({ source: 'iam.amazonaws.com', name, time: '2026-12-02T04:00:00.000Z', requestParameters, identity: { accessKeyId: 'AKIAEXAMPLE000000001', accountId: ACCOUNT } }) as unknown as TrailEvent;
    expect(protectionTagWrite(e('TagUser', { userName: 'leaky', tags: [{ key: 'keyguard:protected', value: 'true' }] }))).toEqual({ type: 'user', name: 'leaky', eventName: 'TagUser', time: '2026-12-02T04:00:00.000Z', byAccessKeyId: 'AKIAEXAMPLE000000001', account: ACCOUNT });
    expect(protectionTagWrite(e('CreateRole', { roleName: 'door', tags: [{ key: 'Keyguard:Protected', value: 'yes' }] }))).toMatchObject({ type: 'role', name: 'door' });
    expect(protectionTagWrite(e('TagUser', { userName: 'leaky', tags: [{ key: 'team', value: 'x' }] }))).toBeUndefined();
    expect(protectionTagWrite(e('CreateUser', { userName: 'plain' }))).toBeUndefined();
    expect(protectionTagWrite({ ...e('TagUser', { userName: 'x', tags: [{ key: 'keyguard:protected' }] }), source: 's3.amazonaws.com' } as TrailEvent)).toBeUndefined();
  });

  it('the evidence is the Investigate step\'s, and absent until it has succeeded', () => {
    const write = { type: 'user', name: 'backdoor', eventName: 'TagUser', time: 't' };
    expect(tagEvidenceOf([{ name: 'investigate', state: 'pending' }])).toBeUndefined();
    expect(tagEvidenceOf([{ name: 'investigate', state: 'succeeded', result: { protectionTagWrites: [write, { type: 'group', name: 'x' }] } }])).toEqual({ writes: [write] });
    expect(tagEvidenceOf([{ name: 'investigate', state: 'succeeded', result: {} }])).toEqual({ writes: [] });
  });
});

describe('plans', () => {
  it('a step needs two approvals when a call it sends writes to a protected principal', () => {
    expect(requiredApprovals(1, [{ protectedBy: 'x' }])).toBe(2);
    expect(requiredApprovals(2, [{ protectedBy: 'x' }])).toBe(2);
    expect(requiredApprovals(1, [{ protectedBy: 'x', notSent: 'guard rail' }, {}])).toBe(1);
    expect(requiredApprovals(1, undefined)).toBe(1);
  });

  it('finds every principal a plan writes to, for any plan kind, calls not sent left out', () => {
    const plan = [
      ...planContainRoleSessions('OrganizationAccountAccessRole', { now: NOW }),
      ...planContainUserKey({ userName: 'alice', accessKeyId: 'AKIAAAAAAAAAAAAAAAA1' }, { quarantine: true, now: NOW, partition: 'aws' }),
      { service: 'iam' as const, action: 'PutRolePolicy', params: { RoleName: 'keyguard-responder' }, why: '', notSent: 'guard rail' },
    ];
    expect(principalsOfPlan(plan)).toEqual([
      { type: 'role', name: 'OrganizationAccountAccessRole' },
      { type: 'user', name: 'alice' },
    ]);
  });

  it('Eradicate of a protected user leaves its console password and MFA to a person (shown, not sent)', () => {
    const calls = planEradicateUserKey({ userName: 'breakglass-admin', accessKeyId: 'AKIAAAAAAAAAAAAAAAA1' }, { keyStatus: 'Inactive', loginProfile: true, mfaSerials: ['arn:aws:iam::1:mfa/x'] }, { keepConsoleAccess: 'protected' });
    expect(calls.map((c) => [c.action, c.notSent])).toEqual([['DeleteAccessKey', undefined], ['DeleteLoginProfile', 'protected'], ['DeactivateMFADevice', 'protected']]);
  });

  it('says clearly what was refused', () => {
    expect(protectedRefusal(['guard rail: role keyguard-responder is the responder role'])).toBe('Refusing to plan or run this step: guard rail: role keyguard-responder is the responder role. Nothing was sent to AWS.');
  });
});

describe('IR_PROTECTED_PRINCIPALS', () => {
  const base = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', IR_RESPONDERS: 'U0123ABCD', IR_APPROVERS: 'U0123ABCD' };

  it('takes user/NAME and role/NAME entries', () => {
    const c = loadConfig({ ...base, IR_PROTECTED_PRINCIPALS: 'user/breakglass-admin, role/prod-admin,user/ops@example.com' });
    expect(c.privilege.protectedPrincipals).toEqual({ users: ['breakglass-admin', 'ops@example.com'], roles: ['prod-admin'] });
    expect(loadConfig(base).privilege).toEqual({ responderRoleName: 'keyguard-responder', directWrites: false, protectedPrincipals: { users: [], roles: [] } });
  });

  it('refuses anything else, naming it', () => {
    expect(() => loadConfig({ ...base, IR_PROTECTED_PRINCIPALS: 'user/ok,group/admins,alice' })).toThrow(/IR_PROTECTED_PRINCIPALS must be comma-separated user\/NAME or role\/NAME entries.*"group\/admins", "alice"/);
  });
});

describe('the responder role: containment of protected principals allowed, their destruction denied, never by tag', () => {
  const policy = responderPolicyDocument({
    account: ACCOUNT,
    responderRoleArn: `arn:aws:iam::${ACCOUNT}:role/keyguard-responder`,
    botRoleName: 'keyguard-bot',
    protectedUsers: ['breakglass-admin'],
    protectedRoles: ['prod-admin'],
    detachAnyUserPolicy: true,
  });
  const writes = containmentWriteActions({ account: ACCOUNT });
  const quarantine = { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3' };
  const named = [
    `arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole`,
    `arn:aws:iam::${ACCOUNT}:role/ops/prod-admin`,
    `arn:aws:iam::${ACCOUNT}:user/breakglass-admin`,
    `arn:aws:iam::${ACCOUNT}:user/emergency/breakglass-admin`,
  ];

  it.each([`arn:aws:iam::${ACCOUNT}:role/keyguard-responder`, `arn:aws:iam::${ACCOUNT}:role/keyguard-bot`, `arn:aws:iam::${ACCOUNT}:role/ops/keyguard-bot`])('guard rail %s: every write explicitly denied', (resource) => {
    expect(writes.length).toBeGreaterThan(10);
    for (const action of writes) expect([action, evaluate(policy, { action, resource, context: quarantine })]).toEqual([action, 'explicit-deny']);
  });

  it.each(named)('%s: every destructive write denied', (resource) => {
    for (const action of DESTRUCTIVE_ACTIONS) expect([action, evaluate(policy, { action, resource, context: quarantine })]).toEqual([action, 'explicit-deny']);
  });

  it.each(named)('%s: the containment calls are not refused (UpdateAccessKey, the revocation policies, quarantine attach, Undo)', (resource) => {
    const isRole = resource.includes(':role/');
    const calls = isRole ? ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'] : ['iam:UpdateAccessKey', 'iam:PutUserPolicy', 'iam:AttachUserPolicy', 'iam:DetachUserPolicy', 'iam:DeleteUserPolicy', 'iam:DeleteAccessKey'];
    for (const action of calls) expect([action, evaluate(policy, { action, resource, context: quarantine })]).toEqual([action, 'allow']);
  });

  it('a protected user keeps its managed policies: only the quarantine ones may be detached', () => {
    const resource = `arn:aws:iam::${ACCOUNT}:user/breakglass-admin`;
    expect(evaluate(policy, { action: 'iam:DetachUserPolicy', resource, context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' } })).toBe('explicit-deny');
    expect(evaluate(policy, { action: 'iam:DetachUserPolicy', resource, context: quarantine })).toBe('allow');
    expect(evaluate(policy, { action: 'iam:DetachUserPolicy', resource: `arn:aws:iam::${ACCOUNT}:user/backdoor`, context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' } })).toBe('allow');
  });

  it('a keyguard:protected tag buys nothing in the policy (the attacker can set it): no write is denied for it', () => {
    for (const resource of [`arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:role/deploy`]) {
      for (const action of writes) {
        const tagged = evaluate(policy, { action, resource, context: { ...quarantine, 'iam:ResourceTag/keyguard:protected': 'true' } });
        expect([action, resource, tagged]).not.toEqual([action, resource, 'explicit-deny']);
      }
    }
    expect(JSON.stringify(policy)).not.toContain('ResourceTag');
  });

  it('a session policy written to delete a protected principal (a tampered plan) still gets nothing', () => {
    const tampered = planRemovePersistence({ kind: 'user', userName: 'breakglass-admin' }, { ...noDependencies(), loginProfile: true });
    const session = sessionPolicyFor(tampered, { partition: 'aws', account: ACCOUNT });
    if (!session.ok) throw new Error(session.reason);
    for (const call of tampered) {
      expect(evaluate(session.json, { action: `iam:${call.action}`, resource: `arn:aws:iam::${ACCOUNT}:user/breakglass-admin` })).toBe('allow');
      expect(evaluateSession([policy, session.json], { action: `iam:${call.action}`, resource: `arn:aws:iam::${ACCOUNT}:user/breakglass-admin` })).toBe('explicit-deny');
    }
  });

  it('containing and undoing a protected user goes through the session as planned', () => {
    const contain = planContainUserKey({ userName: 'breakglass-admin', accessKeyId: 'AKIAAAAAAAAAAAAAAAA1' }, { quarantine: true, now: NOW, partition: 'aws' });
    const undo = planUndo([{ kind: 'user-inline-policy', userName: 'breakglass-admin', policyName: 'keyguard-revoke-older-sessions' }, { kind: 'user-managed-policy', userName: 'breakglass-admin', policyArn: quarantine['iam:PolicyARN'] }, { kind: 'key-deactivated', userName: 'breakglass-admin', accessKeyId: 'AKIAAAAAAAAAAAAAAAA1' }]);
    for (const plan of [contain, undo]) {
      const session = sessionPolicyFor(plan, { partition: 'aws', account: ACCOUNT });
      if (!session.ok) throw new Error(session.reason);
      for (const call of plan) {
        const context: Record<string, string> = call.params.PolicyArn ? { 'iam:PolicyARN': String(call.params.PolicyArn) } : {};
        expect([call.action, evaluateSession([policy, session.json], { action: `iam:${call.action}`, resource: `arn:aws:iam::${ACCOUNT}:user/breakglass-admin`, context })]).toEqual([call.action, 'allow']);
      }
    }
  });
});
