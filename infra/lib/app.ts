/**
 * Builds both stacks from CDK context (`-c key=value` or cdk.json), so the entry point and
 * the tests construct exactly the same app.
 *
 *   botAccount           account id of the bot (needed for KeyguardResponder only)
 *   targetRoleName       responder role name (every IAM write goes through it), default keyguard-responder
 *   protectedPrincipals  user/NAME,role/NAME: break-glass principals the responder role may never destroy
 *   botRoleName          default keyguard-bot
 *   botRoleArn           overrides botAccount+botRoleName in the responder's trust policy
 *   image                container image to run; unset: built from the repository
 *   desiredCount         bot tasks, default 1 (0 until the Slack tokens are in the secret)
 *   tableName            table name; unset: generated
 *   slackSecretName      default keyguard/slack
 *   detachAnyUserPolicy  true: DetachUserPolicy for any managed policy (persistence removal)
 *   intake               true: the intake queue, its DLQ and the Health/GuardDuty rules (needs channelId)
 *   intakeOrgId          o-…: the bot account's event bus accepts events forwarded by the organization
 *   botRegion            with botAccount: also synthesize KeyguardIntakeForwarder (member accounts)
 *   channelId approvers responders regions dryRun quarantine approvalTtlMinutes logLevel autoContain
 *   trailBucket          the (organization) trail's bucket: adds KeyguardHistory (Athena), see
 *                        history-stack.ts; with trailOrgId trailAccounts trailRegions
 *                        trailFromDate trailKmsKeyArn athenaDatabase athenaTable athenaWorkgroup
 *                        athenaScanLimitGb lakeEventDataStoreArn
 *                        → IR_CHANNEL_ID IR_APPROVERS IR_RESPONDERS IR_REGIONS IR_DRY_RUN
 *                          IR_QUARANTINE IR_APPROVAL_TTL_MINUTES LOG_LEVEL IR_AUTO_CONTAIN
 */
import { BootstraplessSynthesizer, type App } from 'aws-cdk-lib';
import { KeyguardStack } from './keyguard-stack';
import { ResponderRoleStack } from './responder-role-stack';
import { IntakeForwarderStack } from './intake-forwarder-stack';
import { HistoryStack } from './history-stack';

/** Context → environment variable of the bot (validated by the bot's own src/config.ts at start-up). */
export const BOT_SETTINGS: Readonly<Record<string, string>> = {
  channelId: 'IR_CHANNEL_ID',
  responders: 'IR_RESPONDERS',
  approvers: 'IR_APPROVERS',
  regions: 'IR_REGIONS',
  dryRun: 'IR_DRY_RUN',
  quarantine: 'IR_QUARANTINE',
  approvalTtlMinutes: 'IR_APPROVAL_TTL_MINUTES',
  logLevel: 'LOG_LEVEL',
  autoContain: 'IR_AUTO_CONTAIN',
};

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ACCOUNT = /^\d{12}$/;

export interface KeyguardApp {
  bot: KeyguardStack;
  /** Only when botAccount (or botRoleArn) is given. */
  responder?: ResponderRoleStack;
  /** Only when botAccount and botRegion are given. */
  forwarder?: IntakeForwarderStack;
  /** Only when trailBucket is given. */
  history?: HistoryStack;
}

export function buildKeyguardApp(app: App): KeyguardApp {
  const ctx = (key: string): string | undefined => {
    const v: unknown = app.node.tryGetContext(key);
    if (v === undefined || v === null) return undefined;
    return String(v).trim();
  };
  const flag = (key: string): boolean => ['1', 'true', 'yes', 'on'].includes((ctx(key) ?? '').toLowerCase());

  const botRoleName = ctx('botRoleName') || 'keyguard-bot';
  // Every IAM write goes through this role, in the bot's account too: it always exists.
  const targetRoleName = ctx('targetRoleName') || 'keyguard-responder';
  const protectedPrincipals = list(ctx('protectedPrincipals'));
  const badProtected = protectedPrincipals.find((p) => !/^(user|role)\/[\w+=,.@-]{1,64}$/.test(p));
  if (badProtected) throw new Error(`context protectedPrincipals: "${badProtected}" is not user/NAME or role/NAME`);
  const protectedUsers = protectedPrincipals.filter((p) => p.startsWith('user/')).map((p) => p.slice(5));
  const protectedRoles = protectedPrincipals.filter((p) => p.startsWith('role/')).map((p) => p.slice(5));
  for (const [what, name] of [['botRoleName', botRoleName], ['targetRoleName', targetRoleName]] as const) {
    if (name !== undefined && !ROLE_NAME.test(name)) throw new Error(`context ${what}: "${name}" is not an IAM role name`);
  }
  const desiredCountCtx = ctx('desiredCount');
  const desiredCount = desiredCountCtx ? Number(desiredCountCtx) : 1;
  if (!Number.isInteger(desiredCount) || desiredCount < 0 || desiredCount > 10) {
    throw new Error(`context desiredCount: expected a whole number from 0 to 10, got "${desiredCountCtx}"`);
  }

  const botEnvironment: Record<string, string> = {};
  for (const [key, env] of Object.entries(BOT_SETTINGS)) {
    const v = ctx(key);
    if (v) botEnvironment[env] = v;
  }

  const intake = flag('intake');
  const intakeOrgId = ctx('intakeOrgId') || undefined;
  if (intake && !botEnvironment.IR_CHANNEL_ID) throw new Error('context intake=true needs channelId: incidents opened by intake are posted there');
  if (intakeOrgId && !/^o-[a-z0-9]{10,32}$/.test(intakeOrgId)) throw new Error(`context intakeOrgId: expected an organization id (o-…), got "${intakeOrgId}"`);
  if (intakeOrgId && !intake) throw new Error('context intakeOrgId only makes sense with intake=true');

  const bot = new KeyguardStack(app, 'Keyguard', {
    description: 'keyguard: Slack bot for leaked AWS access keys (table, bot role, Slack secret, Fargate service)',
    botRoleName,
    targetRoleName,
    tableName: ctx('tableName') || undefined,
    slackSecretName: ctx('slackSecretName') || undefined,
    image: ctx('image') || undefined,
    desiredCount,
    botEnvironment,
    detachAnyUserPolicy: flag('detachAnyUserPolicy'),
    protectedUsers,
    protectedRoles,
    intake,
    intakeOrgId,
  });

  const history = historyStack(app, ctx, botRoleName);

  const botAccount = ctx('botAccount');
  const botRoleArn = ctx('botRoleArn') || (botAccount ? `arn:${ctx('partition') || 'aws'}:iam::${botAccount}:role/${botRoleName}` : undefined);
  if (botAccount && !ACCOUNT.test(botAccount)) throw new Error(`context botAccount: expected a 12-digit account id, got "${botAccount}"`);
  const botRegion = ctx('botRegion');
  const forwarder = botAccount && botRegion
    ? new IntakeForwarderStack(app, 'KeyguardIntakeForwarder', {
        description: "keyguard: forwards AWS Health and GuardDuty events about leaked keys to the bot's account",
        synthesizer: new BootstraplessSynthesizer(),
        botAccount,
        botRegion,
      })
    : undefined;
  if (!botRoleArn) return { bot, forwarder, history };

  const responder = new ResponderRoleStack(app, 'KeyguardResponder', {
    description: 'keyguard: cross-account responder role assumed by the keyguard bot',
    // One IAM role, no assets: deployable without `cdk bootstrap` in every account, or as a StackSet.
    synthesizer: new BootstraplessSynthesizer(),
    botRoleArn,
    roleName: targetRoleName,
    detachAnyUserPolicy: flag('detachAnyUserPolicy'),
    protectedUsers,
    protectedRoles,
  });
  return { bot, responder, forwarder, history };
}

const list = (v: string | undefined) => (v ?? '').split(',').map((x) => x.trim()).filter(Boolean);

/** KeyguardHistory from the trail* / athena* context keys, or undefined without trailBucket. */
function historyStack(app: App, ctx: (key: string) => string | undefined, botRoleName: string): HistoryStack | undefined {
  const trailBucket = ctx('trailBucket');
  if (!trailBucket) return undefined;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(trailBucket)) throw new Error(`context trailBucket: "${trailBucket}" is not an S3 bucket name`);
  const orgId = ctx('trailOrgId') || undefined;
  if (orgId && !/^o-[a-z0-9]{10,32}$/.test(orgId)) throw new Error(`context trailOrgId: "${orgId}" is not an organization id (o-…)`);
  const accounts = list(ctx('trailAccounts'));
  const badAccount = accounts.find((a) => !ACCOUNT.test(a));
  if (badAccount) throw new Error(`context trailAccounts: "${badAccount}" is not a 12-digit account id`);
  const regions = list(ctx('trailRegions') || ctx('regions') || 'us-east-1');
  const badRegion = regions.find((r) => !/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(r));
  if (badRegion) throw new Error(`context trailRegions: "${badRegion}" is not a region name`);
  const fromDate = ctx('trailFromDate') || undefined;
  if (fromDate && !/^\d{4}\/\d{2}\/\d{2}$/.test(fromDate)) throw new Error(`context trailFromDate: expected yyyy/MM/dd, got "${fromDate}"`);
  const gb = ctx('athenaScanLimitGb');
  const limit = gb ? Number(gb) : 100;
  if (!Number.isFinite(limit) || limit < 0.01 || limit > 100_000) throw new Error(`context athenaScanLimitGb: expected a number of GB, got "${gb}"`);
  const glueName = (key: string, dflt: string) => {
    const v = ctx(key) || dflt;
    if (!/^[a-z0-9_]{1,255}$/.test(v)) throw new Error(`context ${key}: "${v}" must be lowercase letters, digits and underscores`);
    return v;
  };
  return new HistoryStack(app, 'KeyguardHistory', {
    description: 'keyguard: Athena over the CloudTrail trail (Glue table with partition projection, workgroup, bot grants)',
    trailBucket,
    orgId,
    accounts,
    regions,
    fromDate,
    trailKmsKeyArn: ctx('trailKmsKeyArn') || undefined,
    database: glueName('athenaDatabase', 'keyguard_trail'),
    table: glueName('athenaTable', 'cloudtrail'),
    workgroup: ctx('athenaWorkgroup') || 'keyguard',
    bytesScannedCutoff: Math.round(limit * 1000 ** 3),
    lakeEventDataStoreArn: ctx('lakeEventDataStoreArn') || undefined,
    botRoleName,
  });
}
