/**
 * The only module that reads process.env. Every variable is validated once at start-up and
 * every problem is reported together, so an operator fixes the whole file in one go.
 * Secret values never appear in an error message.
 */
import { z } from 'zod';
import { DEFAULT_RESPONDER_ROLE_NAME } from './domain/session-policy';

const SLACK_ID = /^[UWS][A-Z0-9]{2,}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
/** IR_PROTECTED_PRINCIPALS entries: user/NAME or role/NAME (IAM names). */
const PROTECTED_PRINCIPAL = /^(user|role)\/[\w+=,.@-]{1,64}$/;

const csv = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

const boolish = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return undefined;
    const t = v.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(t)) return true;
    if (['0', 'false', 'no', 'off'].includes(t)) return false;
    ctx.addIssue({ code: 'custom', message: `must be true or false, got "${v}"` });
    return z.NEVER;
  });

const slackIdList = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const ids = csv(v);
    // `*` opens a list to every member of the installed workspace (a trial); only where allowed.
    if (ids.length === 1 && ids[0] === '*') return ids;
    const bad = ids.filter((id) => !SLACK_ID.test(id));
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be comma-separated Slack user ids (U…/W…) or user-group ids (S…); not valid: ${bad.join(', ')}`,
      });
      return z.NEVER;
    }
    return ids;
  });

const positiveInt = (dflt: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return dflt;
      const n = Number(v.trim());
      if (!Number.isInteger(n) || n <= 0 || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from 1 to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

/** Secrets are checked for shape only; the message never echoes the value. */
const secret = (prefix: string | null, what: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      if (prefix && !v.trim().startsWith(prefix)) {
        ctx.addIssue({ code: 'custom', message: `does not look like ${what} (expected it to start with "${prefix}")` });
        return z.NEVER;
      }
      return v.trim();
    });

const regionList = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const regions = csv(v);
    const bad = regions.filter((r) => !REGION.test(r));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be comma-separated AWS region names; not valid: ${bad.join(', ')}` });
      return z.NEVER;
    }
    return [...new Set(regions)];
  });

const httpUrl = (what: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      try {
        const u = new URL(v.trim());
        if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('protocol');
      } catch {
        // Not echoed: a URL can carry credentials.
        ctx.addIssue({ code: 'custom', message: `must be an http(s) URL (${what})` });
        return z.NEVER;
      }
      return v.trim();
    });

/** Optional text that must match `re`; the message says what was expected. */
const pattern = (re: RegExp, what: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      if (!re.test(v.trim())) {
        ctx.addIssue({ code: 'custom', message: `must be ${what}, got "${v.slice(0, 200)}"` });
        return z.NEVER;
      }
      return v.trim();
    });

/** Intake sources whose events may run Contain without a click (IR_AUTO_CONTAIN). */
const AUTO_CONTAIN_SOURCES = ['aws-health', 'guardduty', 'github'] as const;
export type AutoContainSource = (typeof AUTO_CONTAIN_SOURCES)[number];

const schema = z
  .object({
    SLACK_BOT_TOKEN: secret('xox', 'a Slack bot token'),
    SLACK_APP_TOKEN: secret('xapp-', 'a Slack app-level token'),
    SLACK_SIGNING_SECRET: secret(null, 'a signing secret'),
    SLACK_API_URL: httpUrl('e.g. https://slack.com/api/').transform((v) => (v === undefined || v.endsWith('/') ? v : `${v}/`)),
    PORT: positiveInt(3000, 65535),
    IR_TABLE_NAME: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === '') return undefined;
        if (!/^[A-Za-z0-9_.-]{3,255}$/.test(v.trim())) {
          ctx.addIssue({ code: 'custom', message: 'must be 3-255 characters of A-Z a-z 0-9 _ . -' });
          return z.NEVER;
        }
        return v.trim();
      }),
    IR_CREATE_TABLE: boolish,
    IR_DATA_DIR: z.string().optional(),
    IR_CHANNEL_ID: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === '') return undefined;
        if (!CHANNEL_ID.test(v.trim())) {
          ctx.addIssue({ code: 'custom', message: `must be a Slack channel id (C…/G…), got "${v}"` });
          return z.NEVER;
        }
        return v.trim();
      }),
    IR_RESPONDERS: slackIdList,
    IR_APPROVERS: slackIdList,
    IR_REGIONS: regionList,
    IR_USUAL_REGIONS: regionList,
    IR_DRY_RUN: boolish,
    IR_APPROVAL_TTL_MINUTES: positiveInt(30, 24 * 60),
    IR_QUARANTINE: boolish,
    IR_WATCH_MINUTES: positiveInt(30, 24 * 60),
    IR_WATCH_INTERVAL_MINUTES: positiveInt(5, 60),
    IR_TARGET_ROLE_NAME: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === '') return undefined;
        if (!/^[\w+=,.@/-]{1,512}$/.test(v.trim())) {
          ctx.addIssue({ code: 'custom', message: `must be an IAM role name or path/name, got "${v}"` });
          return z.NEVER;
        }
        return v.trim();
      }),
    // Automatic intake
    IR_INTAKE_QUEUE_URL: httpUrl('the SQS queue URL, https://sqs.<region>.amazonaws.com/<account>/<name>'),
    GITHUB_WEBHOOK_SECRET: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === '') return undefined;
        if (v.trim().length < 16) {
          ctx.addIssue({ code: 'custom', message: 'must be at least 16 characters (use a long random value, e.g. openssl rand -hex 32)' });
          return z.NEVER;
        }
        return v.trim();
      }),
    GITHUB_TOKEN: secret(null, 'a GitHub token'),
    GITHUB_API_URL: httpUrl('https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server'),
    IR_AUTO_CONTAIN: z
      .string()
      .optional()
      .transform((v, ctx) => {
        const sources = csv(v);
        const bad = sources.filter((s) => !(AUTO_CONTAIN_SOURCES as readonly string[]).includes(s));
        if (bad.length > 0) {
          ctx.addIssue({ code: 'custom', message: `must be comma-separated intake sources (${AUTO_CONTAIN_SOURCES.join(', ')}); not valid: ${bad.join(', ')}` });
          return z.NEVER;
        }
        return [...new Set(sources)] as AutoContainSource[];
      }),
    IR_HISTORY_SOURCE: z
      .string()
      .optional()
      .transform((v, ctx) => {
        const t = v?.trim().toLowerCase() ?? '';
        if (t === '') return 'auto' as const;
        if (t === 'lookup' || t === 'athena' || t === 'lake' || t === 'auto') return t;
        ctx.addIssue({ code: 'custom', message: `must be lookup, athena, lake or auto, got "${v}"` });
        return z.NEVER;
      }),
    IR_ATHENA_DATABASE: pattern(/^[a-z0-9_]{1,255}$/, 'a Glue database name (lowercase letters, digits, underscores)'),
    IR_ATHENA_TABLE: pattern(/^[a-z0-9_]{1,255}$/, 'a Glue table name (lowercase letters, digits, underscores)'),
    IR_ATHENA_WORKGROUP: pattern(/^[a-zA-Z0-9._-]{1,128}$/, 'an Athena workgroup name'),
    IR_ATHENA_OUTPUT: pattern(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s]*)?$/, 'an s3:// location (s3://bucket/prefix/)'),
    IR_CLOUDTRAIL_LAKE_EDS: pattern(
      /^arn:aws[\w-]*:cloudtrail:[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d:\d{12}:eventdatastore\/[\w-]{1,128}$/,
      'a CloudTrail Lake event data store ARN (arn:aws:cloudtrail:<region>:<account>:eventdatastore/<id>)',
    ),
    // Least privilege: who writes IAM, and what it never writes to
    IR_DIRECT_WRITES: boolish,
    IR_PROTECTED_PRINCIPALS: z
      .string()
      .optional()
      .transform((v, ctx) => {
        const entries = csv(v);
        const bad = entries.filter((p) => !PROTECTED_PRINCIPAL.test(p));
        if (bad.length > 0) {
          ctx.addIssue({ code: 'custom', message: `must be comma-separated user/NAME or role/NAME entries (e.g. user/breakglass-admin); not valid: ${bad.map((b) => `"${b.slice(0, 80)}"`).join(', ')}` });
          return z.NEVER;
        }
        return {
          users: entries.filter((p) => p.startsWith('user/')).map((p) => p.slice(5)),
          roles: entries.filter((p) => p.startsWith('role/')).map((p) => p.slice(5)),
        };
      }),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    AWS_REGION: z.string().optional(),
  });

const isSet = (v: string | undefined) => v !== undefined && v.trim() !== '';

function crossFieldProblems(env: NodeJS.ProcessEnv): string[] {
  const p: string[] = [];
  if (!isSet(env.SLACK_BOT_TOKEN)) p.push('SLACK_BOT_TOKEN is required (the bot token, xoxb-…)');
  // Closed by default: nobody is a responder or an approver unless named.
  if (!isSet(env.IR_RESPONDERS)) {
    p.push('IR_RESPONDERS is required: the Slack users (U…) or user groups (S…) who may use the bot; set it to * only for a trial open to the whole workspace');
  }
  if (!isSet(env.IR_APPROVERS)) p.push('IR_APPROVERS is required: the Slack users (U…) or user groups (S…) who may approve changes in AWS');
  else if (csv(env.IR_APPROVERS).includes('*')) p.push('IR_APPROVERS cannot be *: approvers are named users or user groups');
  if (!isSet(env.SLACK_APP_TOKEN) && !isSet(env.SLACK_SIGNING_SECRET)) {
    p.push('SLACK_SIGNING_SECRET is required in HTTP mode (set SLACK_APP_TOKEN instead to use Socket Mode)');
  }
  if (/^(1|true|yes|on)$/i.test(env.IR_CREATE_TABLE?.trim() ?? '') && !isSet(env.IR_TABLE_NAME)) {
    p.push('IR_CREATE_TABLE only makes sense with IR_TABLE_NAME');
  }
  const webhook = isSet(env.GITHUB_WEBHOOK_SECRET);
  if (webhook && !isSet(env.GITHUB_TOKEN)) {
    p.push('GITHUB_TOKEN is required with GITHUB_WEBHOOK_SECRET (the webhook does not carry the key id: the alert is read with the token)');
  }
  if (!webhook && isSet(env.GITHUB_TOKEN)) p.push('GITHUB_TOKEN is only used with GITHUB_WEBHOOK_SECRET; set both or neither');
  if ((webhook || isSet(env.IR_INTAKE_QUEUE_URL)) && !isSet(env.IR_CHANNEL_ID)) {
    p.push('IR_CHANNEL_ID is required for automatic intake (IR_INTAKE_QUEUE_URL, GITHUB_WEBHOOK_SECRET): incidents nobody typed need a channel');
  }
  for (const s of csv(env.IR_AUTO_CONTAIN)) {
    if ((s === 'aws-health' || s === 'guardduty') && !isSet(env.IR_INTAKE_QUEUE_URL)) p.push(`IR_AUTO_CONTAIN names ${s}, but IR_INTAKE_QUEUE_URL is not set`);
    if (s === 'github' && !webhook) p.push('IR_AUTO_CONTAIN names github, but GITHUB_WEBHOOK_SECRET is not set');
  }
  const athenaSet = ['IR_ATHENA_DATABASE', 'IR_ATHENA_TABLE', 'IR_ATHENA_WORKGROUP', 'IR_ATHENA_OUTPUT'].filter((k) => isSet(env[k]));
  if (athenaSet.length > 0) {
    if (!isSet(env.IR_ATHENA_DATABASE) || !isSet(env.IR_ATHENA_TABLE)) p.push('Athena needs both IR_ATHENA_DATABASE and IR_ATHENA_TABLE');
    if (!isSet(env.IR_ATHENA_OUTPUT) && !isSet(env.IR_ATHENA_WORKGROUP)) {
      p.push('Athena needs IR_ATHENA_OUTPUT (s3://…) or IR_ATHENA_WORKGROUP (a workgroup that sets its own result location)');
    }
  }
  const source = env.IR_HISTORY_SOURCE?.trim().toLowerCase();
  if (source === 'athena' && !(isSet(env.IR_ATHENA_DATABASE) && isSet(env.IR_ATHENA_TABLE))) {
    p.push('IR_HISTORY_SOURCE=athena needs IR_ATHENA_DATABASE and IR_ATHENA_TABLE');
  }
  if (source === 'lake' && !isSet(env.IR_CLOUDTRAIL_LAKE_EDS)) p.push('IR_HISTORY_SOURCE=lake needs IR_CLOUDTRAIL_LAKE_EDS');
  return p;
}

export interface Config {
  slack: {
    botToken: string;
    /** Present: Socket Mode. Absent: HTTP receiver on `port`. */
    appToken?: string;
    signingSecret?: string;
    apiUrl?: string;
    port: number;
  };
  store:
    | { kind: 'dynamodb'; tableName: string; createTable: boolean }
    | { kind: 'embedded'; dataDir: string; tableName: string };
  channelId?: string;
  /** Named users/groups, or `['*']`: every member of the installed workspace (a trial). Never empty. */
  responders: string[];
  approvers: string[];
  regions: string[];
  /** IR_USUAL_REGIONS: where the account runs things; empty: learned from each pull's own history. */
  usualRegions: string[];
  dryRun: boolean;
  approvalTtlMinutes: number;
  quarantine: boolean;
  watchMinutes: number;
  watchIntervalMinutes: number;
  targetRoleName?: string;
  /** Automatic intake: the SQS queue (AWS Health, GuardDuty) and the GitHub webhook. */
  intake: {
    queueUrl?: string;
    github?: { webhookSecret: string; token: string; apiUrl: string };
    autoContain: AutoContainSource[];
  };
  history: {
    source: 'lookup' | 'athena' | 'lake' | 'auto';
    athena?: { database: string; table: string; workgroup?: string; outputLocation?: string };
    lake?: { eventDataStoreArn: string; region: string };
  };
  logLevel: string;
  awsRegion: string;
  /** Least privilege (README "Least privilege"). */
  privilege: {
    /**
     * The role every IAM write goes through, in the bot's own account too:
     * IR_TARGET_ROLE_NAME, default keyguard-responder.
     */
    responderRoleName: string;
    /** IR_DIRECT_WRITES=true (trial only): write with the bot's own credentials in its own account. */
    directWrites: boolean;
    /** IR_PROTECTED_PRINCIPALS: break-glass users and roles the bot never writes to. */
    protectedPrincipals: { users: string[]; roles: string[] };
  };
}


export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`keyguard cannot start: ${problems.length} configuration problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const EMBEDDED_TABLE_NAME = 'keyguard';

/** Validate the environment; throws ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  // Field checks and the checks across fields are both collected, so that one start-up
  // names every problem.
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${String(i.path[0] ?? 'config')} ${i.message}`)),
    ...crossFieldProblems(env),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  return {
    slack: {
      botToken: e.SLACK_BOT_TOKEN as string,
      appToken: e.SLACK_APP_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      apiUrl: e.SLACK_API_URL,
      port: e.PORT,
    },
    store: e.IR_TABLE_NAME
      ? { kind: 'dynamodb', tableName: e.IR_TABLE_NAME, createTable: e.IR_CREATE_TABLE ?? false }
      : { kind: 'embedded', dataDir: e.IR_DATA_DIR?.trim() || './.data', tableName: EMBEDDED_TABLE_NAME },
    channelId: e.IR_CHANNEL_ID,
    responders: e.IR_RESPONDERS,
    approvers: e.IR_APPROVERS,
    regions: e.IR_REGIONS,
    usualRegions: e.IR_USUAL_REGIONS,
    dryRun: e.IR_DRY_RUN ?? false,
    approvalTtlMinutes: e.IR_APPROVAL_TTL_MINUTES,
    quarantine: e.IR_QUARANTINE ?? true,
    watchMinutes: e.IR_WATCH_MINUTES,
    watchIntervalMinutes: e.IR_WATCH_INTERVAL_MINUTES,
    targetRoleName: e.IR_TARGET_ROLE_NAME,
    intake: {
      queueUrl: e.IR_INTAKE_QUEUE_URL,
      github: e.GITHUB_WEBHOOK_SECRET && e.GITHUB_TOKEN
        ? { webhookSecret: e.GITHUB_WEBHOOK_SECRET, token: e.GITHUB_TOKEN, apiUrl: e.GITHUB_API_URL ?? 'https://api.github.com' }
        : undefined,
      autoContain: e.IR_AUTO_CONTAIN,
    },
    history: {
      source: e.IR_HISTORY_SOURCE,
      athena: e.IR_ATHENA_DATABASE && e.IR_ATHENA_TABLE
        ? { database: e.IR_ATHENA_DATABASE, table: e.IR_ATHENA_TABLE, workgroup: e.IR_ATHENA_WORKGROUP, outputLocation: e.IR_ATHENA_OUTPUT }
        : undefined,
      lake: e.IR_CLOUDTRAIL_LAKE_EDS ? { eventDataStoreArn: e.IR_CLOUDTRAIL_LAKE_EDS, region: e.IR_CLOUDTRAIL_LAKE_EDS.split(':')[3] } : undefined,
    },
    privilege: {
      responderRoleName: e.IR_TARGET_ROLE_NAME ?? DEFAULT_RESPONDER_ROLE_NAME,
      directWrites: e.IR_DIRECT_WRITES ?? false,
      protectedPrincipals: e.IR_PROTECTED_PRINCIPALS ?? { users: [], roles: [] },
    },
    logLevel: e.LOG_LEVEL ?? 'info',
    awsRegion: e.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1',
  };
}

// ---- break-glass CLI -----------------------------------------------------------------------

/** Stands in for the Slack settings the CLI never uses to receive anything (never sent). */
const CLI_PLACEHOLDER = {
  SLACK_BOT_TOKEN: 'xoxb-break-glass-cli-not-used',
  SLACK_SIGNING_SECRET: 'break-glass-cli-not-used',
  IR_RESPONDERS: 'UBREAKGLASS',
  IR_APPROVERS: 'UBREAKGLASS',
} as const;

/**
 * The break-glass CLI's configuration: the same variables and checks as the bot (table,
 * regions, quarantine, target role, history…), with the Slack ones optional. `slackConfigured`
 * says whether a real bot token was given (then `keyguard incident card` can post the card).
 */
export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): Config & { slackConfigured: boolean } {
  const slackConfigured = isSet(env.SLACK_BOT_TOKEN);
  const filled: NodeJS.ProcessEnv = { ...env };
  for (const [k, v] of Object.entries(CLI_PLACEHOLDER)) if (!isSet(filled[k])) filled[k] = v;
  return { ...loadConfig(filled), slackConfigured };
}
