import { isServiceLinkedRole, parseCallerArn, refuseRoleTarget, refuseUserTarget } from '../../src/aws/access/guard-rails';
import {
  missingTargetRoleMessage,
  principalArnForTrust,
  roleSessionName,
  sanitiseStsName,
  sourceIdentity,
} from '../../src/aws/access/target-account';

const ACCOUNT = '123456789012';

describe('parseCallerArn', () => {
  it('finds the user name, path or not', () => {
    expect(parseCallerArn('arn:aws:iam::123456789012:user/keyguard', ACCOUNT)).toMatchObject({ userName: 'keyguard', partition: 'aws' });
    expect(parseCallerArn('arn:aws:iam::123456789012:user/bots/keyguard', ACCOUNT).userName).toBe('keyguard');
  });

  it('finds the role name of an assumed-role session, not the session name', () => {
    const id = parseCallerArn('arn:aws-us-gov:sts::123456789012:assumed-role/keyguard-bot/i-0abc', ACCOUNT);
    expect(id).toMatchObject({ roleName: 'keyguard-bot', partition: 'aws-us-gov' });
    expect(id.userName).toBeUndefined();
  });

  it('names nothing for root', () => {
    const id = parseCallerArn('arn:aws:iam::123456789012:root', ACCOUNT);
    expect(id.userName).toBeUndefined();
    expect(id.roleName).toBeUndefined();
  });
});

describe('refusals', () => {
  const asUser = parseCallerArn('arn:aws:iam::123456789012:user/keyguard', ACCOUNT);
  const asRole = parseCallerArn('arn:aws:sts::123456789012:assumed-role/keyguard-bot/s', ACCOUNT);

  it("refuses the bot's own user and says why quarantine would hurt", () => {
    expect(refuseUserTarget(asUser, 'keyguard')).toMatch(/bot's own user.*cloudtrail:LookupEvents/);
    expect(refuseUserTarget(asUser, 'alice')).toBeUndefined();
    expect(refuseUserTarget(asRole, 'keyguard-bot')).toBeUndefined();
  });

  it("refuses the role the bot runs as", () => {
    expect(refuseRoleTarget(asRole, { roleName: 'keyguard-bot', path: '/' })).toMatch(/running as that role/);
    expect(refuseRoleTarget(asRole, { roleName: 'deploy', path: '/' })).toBeUndefined();
  });

  it('refuses service-linked roles by path or by name', () => {
    expect(isServiceLinkedRole({ roleName: 'x', path: '/aws-service-role/ecs.amazonaws.com/' })).toBe(true);
    expect(isServiceLinkedRole({ roleName: 'AWSServiceRoleForECS' })).toBe(true);
    expect(isServiceLinkedRole({ roleName: 'deploy', path: '/service-role/' })).toBe(false);
    expect(refuseRoleTarget(asUser, { roleName: 'AWSServiceRoleForECS' })).toMatch(/service-linked/);
  });
});

describe('STS names', () => {
  it('builds a readable session name from the approver and incident', () => {
    expect(roleSessionName({ slackUserId: 'U123ABC' }, 'INC42')).toBe('keyguard-U123ABC-INC42');
  });

  it('keeps only what STS accepts, within 2..64 characters', () => {
    expect(sourceIdentity({ slackUserId: 'U123ABC', slackUserName: 'Jane Doe (SRE) ✓' })).toBe('U123ABC-Jane-Doe-SRE');
    expect(sourceIdentity({ slackUserId: 'U123ABC', slackUserName: 'jane.doe@example.com' })).toBe('U123ABC-jane.doe@example.com');
    const long = sourceIdentity({ slackUserId: 'U123ABC', slackUserName: 'x'.repeat(100) });
    expect(long).toHaveLength(64);
    expect(long.startsWith('U123ABC-')).toBe(true);
    expect(sanitiseStsName('!', 'fallback')).toBe('fallback');
    expect(sanitiseStsName('aws:thing')).toMatch(/^u-aws/);
    for (const s of [long, roleSessionName({ slackUserId: 'W9' }, 'INC#7 / x')]) expect(s).toMatch(/^[\w+=,.@-]{2,64}$/);
  });
});

describe('missing IR_TARGET_ROLE_NAME', () => {
  it('says exactly what to configure, with the trust policy naming the bot role', () => {
    const msg = missingTargetRoleMessage('222222222222', ACCOUNT, 'arn:aws:sts::123456789012:assumed-role/keyguard-bot/s1');
    expect(msg).toContain('IR_TARGET_ROLE_NAME');
    expect(msg).toContain('222222222222');
    expect(msg).toContain('"AWS":"arn:aws:iam::123456789012:role/keyguard-bot"');
    expect(msg).toContain('sts:SetSourceIdentity');
    expect(principalArnForTrust('arn:aws:iam::123456789012:user/keyguard')).toBe('arn:aws:iam::123456789012:user/keyguard');
  });
});
