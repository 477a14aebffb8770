/**
 * Synthesizes the app exactly as `cdk synth` does (context from cdk.json plus -c values)
 * and checks what matters for safety: the table matches the code's schema, the bot's role
 * is least-privilege, quarantine attach is conditioned, and the responder role can only be
 * assumed by the bot with a SourceIdentity. Offline: no AWS account, no Docker needed.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildKeyguardApp } from '../lib/app';
import { tableDefinition } from '../../src/store/table-schema';
import { botPolicyDocument, quarantinePolicyArns } from '../lib/permissions';

const CDK_JSON = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
const outdirs: string[] = [];
after(() => outdirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function synth(context: Record<string, string>) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyguard-cdk-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...CDK_JSON.context, ...context } });
  const stacks = buildKeyguardApp(app);
  const assembly = app.synth();
  return {
    outdir,
    assembly,
    bot: Template.fromStack(stacks.bot),
    responder: stacks.responder ? Template.fromStack(stacks.responder) : undefined,
  };
}

/** CloudFormation value → readable string: Fn::Join flattened, Ref → ${Name}, GetAtt → ${Name.Attr}. */
function flat(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(flat).join(',');
  const o = v as Record<string, unknown>;
  if ('Ref' in o) return `\${${String(o.Ref)}}`;
  if ('Fn::GetAtt' in o) return `\${${(o['Fn::GetAtt'] as string[]).join('.')}}`;
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(flat).join(sep);
  }
  return JSON.stringify(v);
}

interface Stmt {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  Principal?: { AWS?: unknown };
  Condition?: Record<string, Record<string, unknown>>;
}
const actionsOf = (s: Stmt) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Stmt) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map(flat);

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

function resourcesOfType(t: Template, type: string): Resources {
  return t.findResources(type) as Resources;
}

/** Every statement that applies to the role with this name: inline Policies and AWS::IAM::Policy attached to it. */
function roleStatements(t: Template, roleName: string): Stmt[] {
  const roles = resourcesOfType(t, 'AWS::IAM::Role');
  const [logicalId, role] = Object.entries(roles).find(([, r]) => r.Properties.RoleName === roleName) ?? [];
  assert.ok(logicalId && role, `role ${roleName} not found`);
  const inline = (role.Properties.Policies ?? []).flatMap((p: { PolicyDocument: { Statement: Stmt[] } }) => p.PolicyDocument.Statement);
  const attached = Object.values(resourcesOfType(t, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles ?? []).some((r: unknown) => flat(r) === `\${${logicalId}}`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Stmt[]);
  const managed = resourcesOfType(t, 'AWS::IAM::ManagedPolicy');
  assert.deepEqual(role.Properties.ManagedPolicyArns ?? [], [], `${roleName} has no managed policies`);
  assert.ok(
    Object.values(managed).every((p) => !(p.Properties.Roles ?? []).some((r: unknown) => flat(r) === `\${${logicalId}}`)),
    `${roleName} has no customer managed policies`,
  );
  return [...inline, ...attached];
}

const QUARANTINE = ['AWSCompromisedKeyQuarantineV3', 'AWSCompromisedKeyQuarantineV2'];

function assertQuarantineOnly(statements: Stmt[], action: string) {
  const granting = statements.filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action));
  assert.ok(granting.length > 0, `${action} is granted`);
  for (const s of granting) {
    const arns = s.Condition?.ArnEquals?.['iam:PolicyARN'];
    assert.ok(arns, `${action} (${s.Sid}) carries an ArnEquals iam:PolicyARN condition`);
    const flatArns = (arns as unknown[]).map(flat).sort();
    assert.deepEqual(flatArns, QUARANTINE.map((n) => `arn:\${AWS::Partition}:iam::aws:policy/${n}`).sort());
  }
}

describe('Keyguard stack', () => {
  const { bot, outdir } = synth({ approvers: 'U0123ABCD', channelId: 'C0123ABCD' });

  it('builds the table from src/store/table-schema.ts', () => {
    const def = tableDefinition('x');
    const tables = Object.values(resourcesOfType(bot, 'AWS::DynamoDB::Table'));
    assert.equal(tables.length, 1);
    const p = tables[0].Properties;
    assert.deepEqual(p.KeySchema, def.KeySchema);
    const byName = (a: { AttributeName?: string }, b: { AttributeName?: string }) => String(a.AttributeName).localeCompare(String(b.AttributeName));
    assert.deepEqual([...p.AttributeDefinitions].sort(byName), [...(def.AttributeDefinitions ?? [])].sort(byName));
    assert.deepEqual(p.GlobalSecondaryIndexes, def.GlobalSecondaryIndexes);
    assert.equal(p.BillingMode, def.BillingMode);
    assert.deepEqual(p.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
    assert.deepEqual(p.TimeToLiveSpecification, { AttributeName: 'ttl', Enabled: true });
    assert.equal(p.DeletionProtectionEnabled, true);
    bot.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it("gives the bot's role no wildcard action", () => {
    const statements = roleStatements(bot, 'keyguard-bot');
    assert.ok(statements.length > 5);
    for (const s of statements.filter((x) => x.Effect === 'Allow')) {
      for (const a of actionsOf(s)) {
        assert.ok(!a.includes('*'), `${s.Sid}: wildcard action ${a}`);
        assert.match(a, /^(iam|sts|dynamodb|cloudtrail|ec2):[A-Z][A-Za-z]+$/, `${s.Sid}: ${a}`);
      }
    }
    // Writes are confined to this account's IAM; "*" only where no resource-level control exists.
    for (const s of statements.filter((x) => x.Effect === 'Allow')) {
      if (resourcesOf(s).includes('*')) {
        assert.deepEqual(actionsOf(s).filter((a) => !['sts:GetAccessKeyInfo', 'cloudtrail:LookupEvents', 'ec2:DescribeRegions'].includes(a)), [], s.Sid);
      }
    }
  });

  it("writes no IAM with the bot's role: the responder role in its account writes, quarantine attach/detach only", () => {
    const botWrites = roleStatements(bot, 'keyguard-bot')
      .filter((s) => s.Effect === 'Allow')
      .flatMap(actionsOf)
      .filter((a) => /^iam:(Put|Attach|Detach|Delete|Update|Create|Remove|Deactivate|Add|Tag|Untag)/.test(a));
    assert.deepEqual(botWrites, []);
    const statements = roleStatements(bot, 'keyguard-responder');
    assertQuarantineOnly(statements, 'iam:AttachUserPolicy');
    assertQuarantineOnly(statements, 'iam:DetachUserPolicy');
    assert.ok(!statements.filter((s) => s.Effect === 'Allow').flatMap(actionsOf).includes('iam:UpdateAssumeRolePolicy'));
  });

  it("the responder role in the bot's account trusts only the bot's role and denies protected principals", () => {
    const roles = resourcesOfType(bot, 'AWS::IAM::Role');
    const responder = Object.values(roles).find((r) => r.Properties.RoleName === 'keyguard-responder');
    assert.ok(responder);
    const [trust] = responder.Properties.AssumeRolePolicyDocument.Statement as Stmt[];
    assert.equal(flat(trust.Principal?.AWS), 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/keyguard-bot');
    const statements = roleStatements(bot, 'keyguard-responder');
    const byName = statements.find((s) => s.Sid === 'DenyProtectedPrincipals');
    assert.ok(byName && byName.Effect === 'Deny');
    for (const r of ['keyguard-responder', 'keyguard-bot', 'OrganizationAccountAccessRole']) {
      assert.ok(resourcesOf(byName).includes(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${r}`), r);
      assert.ok(resourcesOf(byName).includes(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/*/${r}`), r);
    }
    // Never by tag: whoever holds a leaked admin key can set keyguard:protected.
    assert.equal(statements.find((s) => s.Sid === 'DenyProtectedTag'), undefined);
    const guardRails = statements.find((s) => s.Sid === 'DenyGuardRailRoles');
    assert.ok(guardRails && guardRails.Effect === 'Deny');
    assert.ok(actionsOf(guardRails).includes('iam:PutRolePolicy'));
    assert.ok(!actionsOf(byName).includes('iam:UpdateAccessKey'), 'containment of a protected principal is not denied');
  });

  it('denies the bot any change to its own role', () => {
    const statements = roleStatements(bot, 'keyguard-bot');
    const deny = statements.find((s) => s.Sid === 'DenySelfModification');
    assert.ok(deny && deny.Effect === 'Deny');
    assert.deepEqual(resourcesOf(deny), ['arn:${AWS::Partition}:iam::${AWS::AccountId}:role/keyguard-bot']);
    for (const a of ['iam:AttachRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:DetachRolePolicy']) {
      assert.ok(actionsOf(deny).includes(a), a);
    }
  });

  it('scopes DynamoDB to the table and its indexes, and AssumeRole to the responder role name', () => {
    const statements = roleStatements(bot, 'keyguard-bot');
    const table = statements.find((s) => s.Sid === 'IncidentTable');
    assert.ok(table);
    const tableId = Object.keys(resourcesOfType(bot, 'AWS::DynamoDB::Table'))[0];
    assert.deepEqual(resourcesOf(table), [`\${${tableId}.Arn}`, `\${${tableId}.Arn}/index/*`]);
    assert.ok(!actionsOf(table).includes('dynamodb:CreateTable'));
    const assume = statements.find((s) => actionsOf(s).includes('sts:AssumeRole'));
    assert.ok(assume);
    assert.deepEqual(resourcesOf(assume), ['arn:${AWS::Partition}:iam::*:role/keyguard-responder']);
  });

  it('runs the bot on Fargate with the table, the role and the Slack tokens from Secrets Manager', () => {
    const [task] = Object.values(resourcesOfType(bot, 'AWS::ECS::TaskDefinition'));
    const roleId = Object.entries(resourcesOfType(bot, 'AWS::IAM::Role')).find(([, r]) => r.Properties.RoleName === 'keyguard-bot')![0];
    assert.equal(flat(task.Properties.TaskRoleArn), `\${${roleId}.Arn}`);
    const [container] = task.Properties.ContainerDefinitions;
    const env = Object.fromEntries(container.Environment.map((e: { Name: string; Value: unknown }) => [e.Name, flat(e.Value)]));
    const tableId = Object.keys(resourcesOfType(bot, 'AWS::DynamoDB::Table'))[0];
    assert.equal(env.IR_TABLE_NAME, `\${${tableId}}`);
    assert.equal(env.IR_TARGET_ROLE_NAME, 'keyguard-responder');
    assert.equal(env.IR_APPROVERS, 'U0123ABCD');
    assert.equal(env.IR_CHANNEL_ID, 'C0123ABCD');
    assert.ok(!Object.keys(env).some((k) => k.startsWith('SLACK_')), 'no Slack token in plain environment');
    const secretId = Object.keys(resourcesOfType(bot, 'AWS::SecretsManager::Secret'))[0];
    assert.deepEqual(
      container.Secrets.map((s: { Name: string; ValueFrom: unknown }) => [s.Name, flat(s.ValueFrom)]),
      [
        ['SLACK_BOT_TOKEN', `\${${secretId}}:SLACK_BOT_TOKEN::`],
        ['SLACK_APP_TOKEN', `\${${secretId}}:SLACK_APP_TOKEN::`],
      ],
    );
    const secret = resourcesOfType(bot, 'AWS::SecretsManager::Secret')[secretId].Properties;
    assert.equal(secret.SecretString, undefined, 'the template carries no token');
    bot.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 1, LaunchType: 'FARGATE' });
    bot.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    const [sg] = Object.values(resourcesOfType(bot, 'AWS::EC2::SecurityGroup'));
    assert.equal(sg.Properties.SecurityGroupIngress, undefined, 'no inbound rule');
  });

  it('builds the image from infra/docker/Dockerfile without node_modules or .env in the context', () => {
    const assetDirs = fs.readdirSync(outdir).filter((d) => d.startsWith('asset.'));
    assert.equal(assetDirs.length, 1);
    const ctx = path.join(outdir, assetDirs[0]);
    for (const needed of ['infra/docker/Dockerfile', 'package.json', 'package-lock.json', 'tsconfig.build.json', 'src/main.ts']) {
      assert.ok(fs.existsSync(path.join(ctx, needed)), needed);
    }
    for (const excluded of ['node_modules', '.env', 'infra/node_modules', 'infra/cdk.out', 'infra/lib', '.git']) {
      assert.ok(!fs.existsSync(path.join(ctx, excluded)), excluded);
    }
  });

  it('fits the inline policy size limit (10,240 characters per role)', () => {
    const doc = botPolicyDocument({
      account: '123456789012',
      partition: 'aws-us-gov',
      botRoleArn: 'arn:aws-us-gov:iam::123456789012:role/keyguard-bot',
      tableArn: 'arn:aws-us-gov:dynamodb:us-gov-west-1:123456789012:table/keyguard-IncidentTable8CE1664B-ABCDEFGHIJKL',
      targetRoleName: 'keyguard-responder',
      allowCreateTable: true,
    });
    assert.ok(JSON.stringify(doc).length < 10_240);
  });
});

describe('Keyguard stack options', () => {
  it('runs a given image; protected principals named at deploy reach the responder role and the bot', () => {
    const { bot, outdir } = synth({ image: 'public.ecr.aws/example/keyguard:1.0', desiredCount: '0', protectedPrincipals: 'user/breakglass-admin,role/prod-admin' });
    const [task] = Object.values(resourcesOfType(bot, 'AWS::ECS::TaskDefinition'));
    assert.equal(task.Properties.ContainerDefinitions[0].Image, 'public.ecr.aws/example/keyguard:1.0');
    assert.deepEqual(fs.readdirSync(outdir).filter((d) => d.startsWith('asset.')), []);
    const env = Object.fromEntries(task.Properties.ContainerDefinitions[0].Environment.map((e: { Name: string; Value: unknown }) => [e.Name, flat(e.Value)]));
    assert.equal(env.IR_PROTECTED_PRINCIPALS, 'user/breakglass-admin,role/prod-admin');
    const deny = roleStatements(bot, 'keyguard-responder').find((s) => s.Sid === 'DenyProtectedPrincipals');
    assert.ok(deny);
    assert.ok(resourcesOf(deny).includes('arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*/breakglass-admin'));
    assert.ok(resourcesOf(deny).includes('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/prod-admin'));
    bot.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 0 });
  });

  it('detachAnyUserPolicy=true lifts the condition on DetachUserPolicy only', () => {
    const { bot } = synth({ image: 'example/keyguard:1', detachAnyUserPolicy: 'true' });
    const statements = roleStatements(bot, 'keyguard-responder');
    assertQuarantineOnly(statements, 'iam:AttachUserPolicy');
    const detach = statements.filter((s) => s.Effect === 'Allow' && actionsOf(s).includes('iam:DetachUserPolicy'));
    assert.equal(detach.length, 1);
    assert.equal(detach[0].Condition, undefined);
  });

  it('refuses bad context', () => {
    assert.throws(() => synth({ image: 'x', desiredCount: 'two' }), /desiredCount/);
    assert.throws(() => synth({ image: 'x', botAccount: '1234' }), /botAccount/);
    assert.throws(() => synth({ image: 'x', protectedPrincipals: 'group/admins' }), /protectedPrincipals/);
    assert.throws(() => synth({ image: 'x', targetRoleName: 'no spaces' }), /targetRoleName/);
  });
});

describe('KeyguardResponder stack', () => {
  const { responder } = synth({ image: 'example/keyguard:1', botAccount: '111111111111' });

  it('is only synthesized with a bot account, and needs no bootstrap', () => {
    assert.ok(responder);
    assert.deepEqual(Object.keys(responder.toJSON().Parameters ?? {}), []);
    assert.equal(responder.toJSON().Rules, undefined);
    assert.equal(synth({ image: 'example/keyguard:1' }).responder, undefined);
  });

  it('trusts only the bot role, and only with a SourceIdentity', () => {
    const roles = resourcesOfType(responder!, 'AWS::IAM::Role');
    assert.equal(Object.keys(roles).length, 1);
    const [role] = Object.values(roles);
    assert.equal(role.Properties.RoleName, 'keyguard-responder');
    const trust = role.Properties.AssumeRolePolicyDocument.Statement as Stmt[];
    assert.equal(trust.length, 1);
    const [s] = trust;
    assert.equal(s.Effect, 'Allow');
    assert.equal(flat(s.Principal?.AWS), 'arn:aws:iam::111111111111:role/keyguard-bot');
    assert.deepEqual([...actionsOf(s)].sort(), ['sts:AssumeRole', 'sts:SetSourceIdentity']);
    assert.deepEqual(s.Condition, { StringLike: { 'sts:SourceIdentity': '*' } });
  });

  it('grants containment and CloudTrail lookups in its own account only, with no table or AssumeRole', () => {
    const statements = roleStatements(responder!, 'keyguard-responder');
    const allowed = statements.filter((s) => s.Effect === 'Allow').flatMap(actionsOf);
    for (const a of allowed) {
      assert.match(a, /^(iam:[A-Z]\w+|cloudtrail:LookupEvents|sts:GetAccessKeyInfo)$/, a);
    }
    assert.ok(allowed.includes('cloudtrail:LookupEvents'));
    for (const a of ['iam:UpdateAccessKey', 'iam:PutUserPolicy', 'iam:PutRolePolicy', 'iam:DeleteAccessKey', 'iam:GetAccessKeyLastUsed']) {
      assert.ok(allowed.includes(a), a);
    }
    assertQuarantineOnly(statements, 'iam:AttachUserPolicy');
    // IAM actions are scoped to this account's principals; LookupEvents and GetAccessKeyInfo
    // have no resource-level control.
    for (const s of statements.filter((x) => x.Effect === 'Allow' && actionsOf(x).every((a) => a.startsWith('iam:')))) {
      for (const r of resourcesOf(s)) assert.match(r, /^arn:\$\{AWS::Partition\}:iam::\$\{AWS::AccountId\}:/, `${s.Sid}: ${r}`);
    }
    const deny = statements.find((s) => s.Sid === 'DenySelfModification');
    assert.ok(deny && deny.Effect === 'Deny');
    assert.deepEqual(resourcesOf(deny), ['arn:${AWS::Partition}:iam::${AWS::AccountId}:role/keyguard-responder']);
  });

  it('uses the same quarantine ARNs as permissions.ts', () => {
    assert.deepEqual(quarantinePolicyArns('aws'), QUARANTINE.map((n) => `arn:aws:iam::aws:policy/${n}`));
  });
});
