/**
 * Protected principals, both ways: the code refuses a plan that writes to one (by name or
 * by the tag keyguard:protected=true), and the responder role's policy denies the same
 * writes if the code were wrong (evaluated with test/support/policy-evaluator.ts, an
 * explicit Deny that also wins over any session policy).
 */
import { loadConfig } from '../../src/config';
import { hasProtectedTag, principalsOfPlan, protectedByName, protectedRefusal, parseCallerArn } from '../../src/aws/access/guard-rails';
import { planContainRoleSessions, planContainUserKey, planRemovePersistence, noDependencies } from '../../src/domain/aws-plan';
import { sessionPolicyFor } from '../../src/domain/session-policy';
import { containmentWriteActions, responderPolicyDocument } from '../../infra/lib/permissions';
import { evaluate, evaluateSession } from '../support/policy-evaluator';

const ACCOUNT = '123456789012';
const NOW = '2026-12-02T05:00:00.000Z';
const settings = { responderRoleName: 'keyguard-responder', users: ['breakglass-admin'], roles: ['prod-admin'] };
const botAsRole = parseCallerArn(`arn:aws:sts::${ACCOUNT}:assumed-role/keyguard-bot/task-1`, ACCOUNT);
const botAsUser = parseCallerArn(`arn:aws:iam::${ACCOUNT}:user/keyguard-svc`, ACCOUNT);

describe('the code refuses protected principals', () => {
  it.each([
    [{ type: 'role', name: 'keyguard-responder' } as const, /responder role/],
    [{ type: 'role', name: 'keyguard-bot' } as const, /bot's own role/],
    [{ type: 'role', name: 'OrganizationAccountAccessRole' } as const, /Organizations/],
    [{ type: 'role', name: 'prod-admin' } as const, /IR_PROTECTED_PRINCIPALS/],
    [{ type: 'user', name: 'breakglass-admin' } as const, /IR_PROTECTED_PRINCIPALS \(break-glass\)/],
  ])('%j', (p, why) => {
    expect(protectedByName(p, settings, botAsRole)).toMatch(why);
  });

  it("refuses the bot's own user, and a responder role given as path/name", () => {
    expect(protectedByName({ type: 'user', name: 'keyguard-svc' }, settings, botAsUser)).toMatch(/bot's own user/);
    expect(protectedByName({ type: 'role', name: 'responder' }, { ...settings, responderRoleName: 'ops/responder' })).toMatch(/responder role/);
  });

  it('lets ordinary principals through', () => {
    for (const p of [{ type: 'user', name: 'alice' }, { type: 'role', name: 'deploy' }, { type: 'user', name: 'keyguard-responder' }, { type: 'role', name: 'breakglass-admin' }] as const) {
      expect(protectedByName(p, settings, botAsRole)).toBeUndefined();
    }
  });

  it('reads the tag keyguard:protected=true (any case of the value), nothing else', () => {
    expect(hasProtectedTag([{ Key: 'team', Value: 'sec' }, { Key: 'keyguard:protected', Value: 'true' }])).toBe(true);
    expect(hasProtectedTag([{ Key: 'keyguard:protected', Value: 'TRUE' }])).toBe(true);
    expect(hasProtectedTag([{ Key: 'keyguard:protected', Value: 'false' }])).toBe(false);
    expect(hasProtectedTag([{ Key: 'keyguard:Protected', Value: 'true' }])).toBe(false);
    expect(hasProtectedTag(undefined)).toBe(false);
  });

  it('finds every principal a plan writes to, for any plan kind', () => {
    const plan = [
      ...planContainRoleSessions('OrganizationAccountAccessRole', { now: NOW }),
      ...planContainUserKey({ userName: 'alice', accessKeyId: 'AKIAAAAAAAAAAAAAAAA1' }, { quarantine: true, now: NOW, partition: 'aws' }),
    ];
    expect(principalsOfPlan(plan)).toEqual([
      { type: 'role', name: 'OrganizationAccountAccessRole' },
      { type: 'user', name: 'alice' },
    ]);
  });

  it('says clearly what was refused and what to do', () => {
    const text = protectedRefusal(['role OrganizationAccountAccessRole is AWS Organizations\' administrator role']);
    expect(text).toMatch(/^Refusing to plan or run this step: keyguard never writes to protected principals, and role OrganizationAccountAccessRole/);
    expect(text).toMatch(/by hand/);
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

describe('the responder role denies writes to protected principals (if the code were wrong)', () => {
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

  it.each([
    `arn:aws:iam::${ACCOUNT}:role/keyguard-responder`,
    `arn:aws:iam::${ACCOUNT}:role/keyguard-bot`,
    `arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole`,
    `arn:aws:iam::${ACCOUNT}:role/ops/prod-admin`,
    `arn:aws:iam::${ACCOUNT}:user/breakglass-admin`,
    `arn:aws:iam::${ACCOUNT}:user/emergency/breakglass-admin`,
  ])('every write on %s is explicitly denied', (resource) => {
    expect(writes.length).toBeGreaterThan(10);
    for (const action of writes) expect([action, evaluate(policy, { action, resource, context: quarantine })]).toEqual([action, 'explicit-deny']);
  });

  it('every write on a principal tagged keyguard:protected=true is explicitly denied', () => {
    for (const resource of [`arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:role/deploy`]) {
      for (const action of writes) {
        const tagged = evaluate(policy, { action, resource, context: { ...quarantine, 'iam:ResourceTag/keyguard:protected': 'true' } });
        expect([action, resource, tagged]).toEqual([action, resource, 'explicit-deny']);
      }
    }
  });

  it('the same writes on an ordinary principal are allowed (the Deny is not a blanket one)', () => {
    expect(evaluate(policy, { action: 'iam:UpdateAccessKey', resource: `arn:aws:iam::${ACCOUNT}:user/alice` })).toBe('allow');
    expect(evaluate(policy, { action: 'iam:PutRolePolicy', resource: `arn:aws:iam::${ACCOUNT}:role/deploy` })).toBe('allow');
    expect(evaluate(policy, { action: 'iam:DeleteUser', resource: `arn:aws:iam::${ACCOUNT}:user/breakglass-admin2` })).toBe('allow');
  });

  it('a session policy written for a protected principal (a tampered plan) still gets nothing', () => {
    const tampered = planRemovePersistence({ kind: 'user', userName: 'breakglass-admin' }, { ...noDependencies(), accessKeys: [{ accessKeyId: 'AKIAAAAAAAAAAAAAAAA9', status: 'Active' }] });
    const session = sessionPolicyFor(tampered, { partition: 'aws', account: ACCOUNT });
    if (!session.ok) throw new Error(session.reason);
    for (const call of tampered) {
      expect(evaluate(session.json, { action: `iam:${call.action}`, resource: `arn:aws:iam::${ACCOUNT}:user/breakglass-admin` })).toBe('allow');
      expect(evaluateSession([policy, session.json], { action: `iam:${call.action}`, resource: `arn:aws:iam::${ACCOUNT}:user/breakglass-admin` })).toBe('explicit-deny');
    }
  });
});
