/**
 * The deployed IAM policies (infra/lib/permissions.ts, pure, no CDK) against the AWS calls
 * the code actually makes. The calls are read from the source: every command class and
 * paginator imported from an AWS SDK package in src/, commands/ and workflows/, mapped to
 * its IAM action (UpdateAccessKeyCommand from @aws-sdk/client-iam → iam:UpdateAccessKey).
 * Adding an SDK call without granting it fails here; so does granting what nothing calls.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  HISTORY_ACTIONS,
  NO_PERMISSION_NEEDED,
  OPT_IN_ACTIONS,
  PolicyStatement,
  allowedActions,
  botPolicyStatements,
  containmentWriteActions,
  quarantinePolicyArns,
  responderPolicyStatements,
  responderTrustPolicy,
} from '../../infra/lib/permissions';
import { QUARANTINE_POLICY_NAMES, quarantinePolicyArn } from '../../src/domain/aws-plan';

const ROOT = path.resolve(__dirname, '..', '..');
const SCANNED_DIRS = ['src', 'commands', 'workflows'];

/** SDK package → IAM service prefix. A package missing here fails the test: add it, and grant its calls. */
const SERVICE_OF_PACKAGE: Record<string, string> = {
  '@aws-sdk/client-iam': 'iam',
  '@aws-sdk/client-sts': 'sts',
  '@aws-sdk/client-cloudtrail': 'cloudtrail',
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-sqs': 'sqs',
  '@aws-sdk/client-athena': 'athena',
};

/** lib-dynamodb's document commands are named after the item operation they send. */
const LIB_DYNAMODB_ACTION: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Query: 'Query',
  Scan: 'Scan',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};

/** Granted though no command of that name is sent: they are conditions of another call. */
const GRANTED_WITHOUT_OWN_CALL: Record<string, string> = {
  'sts:SetSourceIdentity': 'AssumeRole passes SourceIdentity (the approving Slack user)',
};

/** Packages the code may import from without calling AWS (types, marshalling). */
const NON_CALLING_PACKAGES = new Set(['@aws-sdk/util-dynamodb', '@aws-sdk/types']);

function sourceFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  return fs.readdirSync(abs, { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(rel);
    return e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

interface UsedAction {
  action: string;
  file: string;
  via: string;
}

/** Every AWS action the code can call, with where it comes from. */
function actionsUsedByCode(): { used: UsedAction[]; problems: string[] } {
  const used: UsedAction[] = [];
  const problems: string[] = [];
  for (const file of SCANNED_DIRS.flatMap(sourceFiles)) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const fromSdk = new Map<string, { pkg: string; name: string }>();

    for (const m of text.matchAll(/import\s+\*\s+as\s+\w+\s+from\s+'(@aws-sdk\/[\w-]+)'/g)) {
      problems.push(`${file}: namespace import of ${m[1]}; use named imports so this test can see which commands are sent`);
    }
    for (const m of text.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/[\w-]+)'/g)) {
      const [, typeOnly, names, pkg] = m;
      if (typeOnly || NON_CALLING_PACKAGES.has(pkg)) continue;
      for (const raw of names.split(',').map((s) => s.trim()).filter(Boolean)) {
        if (raw.startsWith('type ')) continue;
        const [name, alias] = raw.split(/\s+as\s+/);
        fromSdk.set(alias ?? name, { pkg, name });
      }
    }

    const toAction = (pkg: string, op: string, via: string) => {
      const service = SERVICE_OF_PACKAGE[pkg];
      if (!service) {
        problems.push(`${file}: ${via} from ${pkg}, a package this test does not know: add it to SERVICE_OF_PACKAGE and grant its actions`);
        return;
      }
      let action = op;
      if (pkg === '@aws-sdk/lib-dynamodb') {
        const mapped = LIB_DYNAMODB_ACTION[op];
        if (!mapped) {
          problems.push(`${file}: ${via} from lib-dynamodb has no known DynamoDB action: add it to LIB_DYNAMODB_ACTION`);
          return;
        }
        action = mapped;
      }
      used.push({ action: `${service}:${action}`, file, via });
    };

    // Imported commands and paginators: importing one is how every call site starts, including
    // call-runner.ts, which sends commands looked up by action name.
    for (const { pkg, name } of fromSdk.values()) {
      const command = /^(\w+)Command$/.exec(name);
      const paginator = /^paginate(\w+)$/.exec(name);
      if (command && command[1]) toAction(pkg, command[1], name);
      else if (paginator) toAction(pkg, paginator[1], name);
    }
    // Credential providers that call STS themselves: fromTemporaryCredentials assumes a role.
    if (/import\s*\{[^}]*\bfromTemporaryCredentials\b[^}]*\}\s*from\s*'@aws-sdk\/credential-providers'/.test(text)) {
      used.push({ action: 'sts:AssumeRole', file, via: 'fromTemporaryCredentials' });
    }
    // And every `new XCommand(` in a file that talks to AWS must be one of those imports.
    if (fromSdk.size > 0) {
      for (const m of text.matchAll(/new\s+(\w+)Command\s*\(/g)) {
        const local = `${m[1]}Command`;
        if (!fromSdk.has(local)) problems.push(`${file}: new ${local}( is not a named import from an AWS SDK package`);
      }
    }
  }
  return { used, problems };
}

const ACCOUNT = '123456789012';
const BOT_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/keyguard-bot`;
const RESPONDER_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/keyguard-responder`;
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/keyguard`;

const botDefault = botPolicyStatements({ account: ACCOUNT, botRoleArn: BOT_ROLE_ARN, tableArn: TABLE_ARN, targetRoleName: 'keyguard-responder' });
const botAllOptions = botPolicyStatements({
  account: ACCOUNT,
  botRoleArn: BOT_ROLE_ARN,
  tableArn: TABLE_ARN,
  targetRoleName: 'keyguard-responder',
  allowCreateTable: true,
  intakeQueue: { queueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:keyguard-intake`, deadLetterQueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:keyguard-intake-dlq` },
});
const responder = responderPolicyStatements({ account: ACCOUNT, responderRoleArn: RESPONDER_ROLE_ARN });
const responderAllOptions = responderPolicyStatements({
  account: ACCOUNT,
  responderRoleArn: RESPONDER_ROLE_ARN,
  detachAnyUserPolicy: true,
  botRoleName: 'keyguard-bot',
  protectedUsers: ['breakglass-admin'],
  protectedRoles: ['prod-admin'],
});
/** The IAM writes: the responder role's alone. */
const WRITES = containmentWriteActions({ account: ACCOUNT });

describe('infra permissions against the SDK calls in the code', () => {
  const { used, problems } = actionsUsedByCode();
  const usedActions = [...new Set(used.map((u) => u.action))].sort();

  it('can read every AWS call site', () => {
    expect(problems).toEqual([]);
    // If the scan silently found nothing, every other check here would pass vacuously.
    for (const a of ['iam:UpdateAccessKey', 'iam:PutRolePolicy', 'iam:ListMFADevices', 'sts:AssumeRole', 'sts:GetAccessKeyInfo', 'cloudtrail:LookupEvents', 'ec2:DescribeRegions', 'dynamodb:PutItem', 'dynamodb:Query']) {
      expect(usedActions).toContain(a);
    }
  });

  it("grants the bot's role every action the code calls", () => {
    const granted = allowedActions(botDefault);
    // Athena and CloudTrail Lake are granted by the KeyguardHistory stack (history-stack.ts).
    const history: readonly string[] = [...HISTORY_ACTIONS.athena, ...HISTORY_ACTIONS.lake];
    // IAM writes go through the responder role (checked below), never the bot's own.
    const missing = usedActions.filter((a) => !granted.has(a) && !WRITES.includes(a) && !history.includes(a) && !NO_PERMISSION_NEEDED.includes(a) && !(a in OPT_IN_ACTIONS));
    const where = missing.map((a) => `${a} (${used.filter((u) => u.action === a).map((u) => `${u.file}: ${u.via}`).join('; ')})`);
    expect(where).toEqual([]);
  });

  it('grants the opt-in actions only with their option', () => {
    for (const [action, option] of Object.entries(OPT_IN_ACTIONS)) {
      expect(allowedActions(botDefault).has(action)).toBe(false);
      expect(allowedActions(botAllOptions).has(action)).toBe(true);
      expect(typeof option).toBe('string');
    }
  });

  it('grants the responder role every IAM action the code calls', () => {
    const granted = allowedActions(responder);
    expect(usedActions.filter((a) => a.startsWith('iam:') && !granted.has(a))).toEqual([]);
  });

  it("grants the bot's role no IAM write: every write the code sends is the responder role's", () => {
    const writesUsed = usedActions.filter((a) => WRITES.includes(a));
    // The scan sees the call runner's commands: the writes exist in the code...
    expect(writesUsed).toEqual(expect.arrayContaining(['iam:UpdateAccessKey', 'iam:PutUserPolicy', 'iam:PutRolePolicy', 'iam:DeleteUser']));
    // ...and only the responder role may send them.
    for (const bot of [botDefault, botAllOptions]) expect([...allowedActions(bot)].filter((a) => WRITES.includes(a) || /^iam:(Put|Attach|Detach|Delete|Update|Create|Remove|Deactivate|Add|Tag|Untag)/.test(a))).toEqual([]);
    expect(writesUsed.filter((a) => !allowedActions(responder).has(a))).toEqual([]);
  });

  it('grants no trust-policy rewriting (no flow uses it)', () => {
    expect(usedActions).not.toContain('iam:UpdateAssumeRolePolicy');
    for (const policy of [botAllOptions, responderAllOptions]) expect(allowedActions(policy).has('iam:UpdateAssumeRolePolicy')).toBe(false);
  });

  it('grants nothing the code never calls', () => {
    const callable = new Set([...usedActions, ...Object.keys(GRANTED_WITHOUT_OWN_CALL)]);
    expect([...allowedActions(botAllOptions)].filter((a) => !callable.has(a)).sort()).toEqual([]);
    expect([...allowedActions(responder)].filter((a) => !callable.has(a)).sort()).toEqual([]);
    expect([...allowedActions(responderAllOptions)].filter((a) => !callable.has(a)).sort()).toEqual([]);
  });
});

describe('infra permissions: shape', () => {
  const all: Array<[string, PolicyStatement[]]> = [
    ['bot', botDefault],
    ['bot (all options)', botAllOptions],
    ['responder', responder],
    ['responder (all options)', responderAllOptions],
  ];

  it.each(all)('%s: no wildcard action, valid Sids', (_name, statements) => {
    for (const s of statements) {
      expect(s.Sid).toMatch(/^[A-Za-z0-9]+$/);
      for (const a of s.Action) {
        expect(a).not.toContain('*');
        expect(a).toMatch(/^(iam|sts|dynamodb|cloudtrail|ec2|sqs):[A-Z][A-Za-z]+$/);
      }
    }
    expect(new Set(statements.map((s) => s.Sid)).size).toBe(statements.length);
  });

  it.each(all)('%s: IAM actions only on this account, no "*" resource', (_name, statements) => {
    for (const s of statements.filter((x) => x.Action.some((a) => a.startsWith('iam:')))) {
      for (const r of s.Resource) expect(r).toMatch(new RegExp(`^arn:aws:iam::${ACCOUNT}:(user|group|role|instance-profile)/`));
    }
  });

  it.each(all.filter(([n]) => n.startsWith('responder')))('%s: AttachUserPolicy only for the quarantine policies', (_name, statements) => {
    const attach = statements.filter((s) => s.Effect === 'Allow' && s.Action.includes('iam:AttachUserPolicy'));
    expect(attach).toHaveLength(1);
    expect(attach[0].Condition).toEqual({ ArnEquals: { 'iam:PolicyARN': quarantinePolicyArns('aws') } });
  });

  it('DetachUserPolicy is conditioned too unless detachAnyUserPolicy is set', () => {
    const detach = responder.filter((s) => s.Effect === 'Allow' && s.Action.includes('iam:DetachUserPolicy'));
    expect(detach).toHaveLength(1);
    expect(detach[0].Condition).toEqual({ ArnEquals: { 'iam:PolicyARN': quarantinePolicyArns('aws') } });
    const any = responderAllOptions.filter((s) => s.Effect === 'Allow' && s.Action.includes('iam:DetachUserPolicy'));
    expect(any).toHaveLength(1);
    expect(any[0].Condition).toBeUndefined();
  });

  it('quarantine ARNs match what the containment code attaches', () => {
    expect(quarantinePolicyArns('aws')).toContain(quarantinePolicyArn('aws'));
    expect(quarantinePolicyArns('aws-us-gov')).toContain(quarantinePolicyArn('aws-us-gov'));
    expect([...quarantinePolicyArns('aws')].sort()).toEqual(QUARANTINE_POLICY_NAMES.map((n) => `arn:aws:iam::aws:policy/${n}`).sort());
  });

  it.each([
    ['bot', botDefault, BOT_ROLE_ARN],
    ['responder', responder, RESPONDER_ROLE_ARN],
  ] as const)('%s: an explicit Deny stops the role from modifying itself', (_name, statements, ownArn) => {
    const deny = statements.filter((s) => s.Effect === 'Deny' && s.Sid === 'DenySelfModification');
    expect(deny).toHaveLength(1);
    expect(deny[0].Resource).toEqual([ownArn]);
    for (const a of ['iam:AttachRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:DetachRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:DeleteRole']) {
      expect(deny[0].Action).toContain(a);
    }
    expect(deny[0].Condition).toBeUndefined();
  });

  it('the bot assumes only the named responder role, and DynamoDB only on its table', () => {
    const assume = botDefault.filter((s) => s.Action.some((a) => a.startsWith('sts:Assume')));
    expect(assume).toHaveLength(1);
    expect(assume[0].Resource).toEqual(['arn:aws:iam::*:role/keyguard-responder']);
    // Unset: the default responder role name (writes go through it in the bot's account too).
    const noTarget = botPolicyStatements({ account: ACCOUNT, botRoleArn: BOT_ROLE_ARN, tableArn: TABLE_ARN });
    expect(noTarget.filter((s) => s.Action.includes('sts:AssumeRole')).map((s) => s.Resource)).toEqual([['arn:aws:iam::*:role/keyguard-responder']]);
    for (const s of botDefault.filter((x) => x.Action.some((a) => a.startsWith('dynamodb:')))) {
      expect(s.Resource).toEqual([TABLE_ARN, `${TABLE_ARN}/index/*`]);
    }
  });

  it('the responder trust policy admits only the bot, and only with a SourceIdentity', () => {
    const trust = responderTrustPolicy(BOT_ROLE_ARN);
    expect(trust.Statement).toHaveLength(1);
    const [s] = trust.Statement;
    expect(s.Effect).toBe('Allow');
    expect(s.Principal).toEqual({ AWS: BOT_ROLE_ARN });
    expect([...s.Action].sort()).toEqual(['sts:AssumeRole', 'sts:SetSourceIdentity']);
    expect(s.Condition).toEqual({ StringLike: { 'sts:SourceIdentity': '*' } });
  });
});
