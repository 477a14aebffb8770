/**
 * Composition root: config → clients → adapters → Bolt app. The only module that imports
 * concrete adapters.
 */
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { ExtendedErrorHandlerArgs } from '@slack/bolt/dist/App';
import { registerCommands } from '../commands';
import type { Config } from './config';
import type { Logger } from './logger';
import type { ProductionClients } from './aws/clients';
import { KeyOwnerLookup } from './aws/key-owner';
import { CrossAccountKeyOwner } from './aws/cross-account-key-owner';
import { accessPolicy, SlackGroupResolver } from './slack/directory';
import { boltLogger } from './slack/bolt-logger';
import { errorReply } from './slack/error-reply';
import { httpFrontDoor, HttpFrontDoor } from './http-server';
import type { CommandDeps } from './ports';
import type { IncidentStore } from './store/incident-store';
import { randomUUID } from 'node:crypto';
import { sleep } from './sleep';
import { PlaybookEngine } from '../workflows/engine';
import { Watcher } from '../workflows/watch';
import type { WatchStore } from './store/watch-store';
import { compromisedKeyPlaybook, targetOf } from '../workflows/compromised-key';
import type { IncidentDeps } from '../commands/incident-deps';
import { HomeRefreshingNotifier, HomeTab } from './slack/home-publisher';
import { clickText } from './slack/incident-messages';
import { SlackOwnerContact } from './slack/owner-contact';
import { SlackInvestigation } from './slack/investigation';
import { AwsContainment } from './aws/containment-adapter';
import { AwsRoleSessions } from './aws/role-sessions';
import { createClientFactory, type AwsClientFactory } from './aws/iam-sts-clients';
import { AccountAccess } from './aws/account-access';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { createCloudTrailClientFactory, type CloudTrailClientFactory } from './aws/cloudtrail-lookup';
import { TrailService } from './aws/trail-service';
import type { TrailSummaryOptions } from './domain/trail-summary';
import { BackgroundQueue, DEFAULT_BACKGROUND, type BackgroundQueueOptions } from './background-queue';
import type { EC2Client } from '@aws-sdk/client-ec2';
// Automatic intake (SQS: AWS Health, GuardDuty; POST /intake/github)
import { startIntake, type IntakeParts, type RunningIntake } from './intake';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { AthenaHistory } from './aws/athena-history';
import { LakeHistory } from './aws/lake-history';
import { HistorySelector } from './aws/history-source';
import { AUTO_CONTAIN_POLICY } from './intake/intake-service';
import { checkOrigin, originRefusalText, requestOrigin, type Installation } from './slack/team-gate';

export interface AppParts {
  config: Config;
  logger: Logger;
  aws: Pick<ProductionClients, 'iam' | 'sts'> & Partial<ProductionClients>;
  store: IncidentStore;
  watches: WatchStore;
  now?: () => Date;
  /** EC2 client for region discovery when IR_REGIONS is empty. */
  ec2?: EC2Client;
  /** From auth.test at start-up (main.ts), so Bolt does not call it again. */
  botId?: string;
  botUserId?: string;
  /** Athena client (default: the SDK chain; AWS_ENDPOINT_URL_ATHENA reaches an emulator). */
  athena?: AthenaClient;
  /** CloudTrail client in the event data store's region, for CloudTrail Lake. */
  lake?: CloudTrailClient;
  /** Limits of the queue request work runs through after the ack; default DEFAULT_BACKGROUND. */
  background?: BackgroundQueueOptions;
  /** Intake: SQS client, GitHub API and poll timings (tests point these at local servers). */
  intake?: Pick<IntakeParts, 'sqs' | 'github' | 'poll'>;
  /** What only tests change: emulators, fast retries, crashes, replica names. */
  testHooks?: TestHooks;
  /** The workspace the bot is installed in (auth.test); absent: asked once with auth.test. */
  installation?: Installation;
}

export interface TestHooks {
  /** CloudTrail clients per region; default: the SDK chain, retries left to the engine. */
  cloudTrail?: CloudTrailClientFactory;
  /** CloudTrail clients with an assumed role's credentials (another account). */
  cloudTrailWithCredentials?: (credentials: AwsCredentialIdentityProvider) => CloudTrailClientFactory;
  /** A faster emulator. Default: just under CloudTrail's 2 requests/s per region. */
  cloudTrailRequestsPerSecond?: number;
  /** IAM/STS clients for containment (and assumed-role sessions); default: the SDK chain. */
  containmentFactory?: AwsClientFactory;
  /** Waits between IAM read-backs (eventual consistency). */
  readBackDelaysMs?: readonly number[];
  /** This replica's name; default: a random one. */
  instanceId?: string;
  /** Simulate the process dying between two writes. */
  crashPoint?: (label: string) => void;
}

export interface RunningApp {
  app: App;
  engine: PlaybookEngine;
  watcher: Watcher;
  /** Port in HTTP mode; undefined in Socket Mode. */
  port?: number;
  intake?: RunningIntake;
  stop(): Promise<void>;
}

/** Listeners still running; `drain` waits for them (graceful shutdown). */
export interface Inflight {
  count: number;
}

export async function drain(inflight: Inflight, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (inflight.count > 0 && Date.now() < deadline) await sleep(20);
}

/** Athena / CloudTrail Lake, as configured, and the rule choosing them over LookupEvents. */
function historySelector(parts: AppParts, now: () => Date): HistorySelector {
  const { history, awsRegion } = parts.config;
  return new HistorySelector({
    setting: history.source,
    athena: history.athena
      ? new AthenaHistory({
          client: parts.athena ?? new AthenaClient({ region: awsRegion }),
          table: { database: history.athena.database, table: history.athena.table },
          workgroup: history.athena.workgroup,
          outputLocation: history.athena.outputLocation,
        })
      : undefined,
    lake: history.lake
      ? new LakeHistory({ client: parts.lake ?? new CloudTrailClient({ region: history.lake.region }), eventDataStore: history.lake.eventDataStoreArn })
      : undefined,
    ownAccount: async () => (await parts.aws.sts.send(new GetCallerIdentityCommand({}))).Account!,
    now,
  });
}

export function buildApp(parts: AppParts): { app: App; frontDoor?: HttpFrontDoor; deps: CommandDeps; engine: PlaybookEngine; inflight: Inflight; watcher: Watcher; notifier: HomeRefreshingNotifier } {
  const inflight: Inflight = { count: 0 };
  const { config, logger } = parts;
  const socketMode = Boolean(config.slack.appToken);
  const receiver = socketMode
    ? undefined
    : new HTTPReceiver({
        signingSecret: config.slack.signingSecret!,
        logger: boltLogger(logger),
        // Slack retries unanswered requests after 3 s; answer every request at once and
        // do the work after ack().
        processBeforeResponse: false,
      });
  const app = new App({
    token: config.slack.botToken,
    receiver,
    socketMode,
    appToken: config.slack.appToken,
    botId: parts.botId,
    botUserId: parts.botUserId,
    logger: boltLogger(logger),
    logLevel: LogLevel.WARN,
    extendedErrorHandler: true,
    clientOptions: {
      slackApiUrl: config.slack.apiUrl,
      // Interactive paths must not wait minutes on rate limits: a short retry policy.
      retryConfig: { retries: 2, factor: 2, minTimeout: 250, maxTimeout: 2000 },
      rejectRateLimitedCalls: false,
    },
  });
  // One Slack team: a request from another workspace or Enterprise Grid org, or from a
  // Slack Connect user of another organisation, is refused before any listener sees it.
  let installed: Promise<Installation> | undefined = parts.installation ? Promise.resolve(parts.installation) : undefined;
  const installation = (): Promise<Installation> => {
    installed ??= app.client.auth.test().then((r) => ({ teamId: r.team_id as string, enterpriseId: (r.enterprise_id as string | undefined) || undefined }));
    const asked = installed;
    asked.catch(() => (installed = undefined));
    return asked;
  };
  app.use(async (args) => {
    const origin = requestOrigin(args.body);
    const verdict = checkOrigin(origin, await installation());
    if (verdict === 'ok') return args.next();
    logger.warn({ verdict, team: origin.teamId, enterprise: origin.enterpriseId, userTeam: origin.userTeamId }, 'request from outside the installed workspace refused');
    const ack = (args as { ack?: (r?: unknown) => Promise<void> }).ack;
    const isCommand = typeof (args.body as { command?: unknown }).command === 'string';
    if (ack) await ack(isCommand ? { response_type: 'ephemeral', text: originRefusalText(verdict) } : undefined);
  });
  // Count listeners still working after ack(), so a shutdown can let them finish.
  app.use(async ({ next }) => {
    inflight.count++;
    try {
      await next();
    } finally {
      inflight.count--;
    }
  });
  const groups = new SlackGroupResolver(app.client);
  const hooks = parts.testHooks ?? {};
  const now = parts.now ?? (() => new Date());
  // The one place that decides which account the bot acts in, with which clients.
  const withCredentials = hooks.cloudTrailWithCredentials ?? ((credentials: AwsCredentialIdentityProvider) => createCloudTrailClientFactory({ credentials }));
  const accounts = new AccountAccess({
    factory: hooks.containmentFactory ?? createClientFactory({ region: config.awsRegion }),
    cloudTrail: (credentials) => (credentials ? withCredentials(credentials) : hooks.cloudTrail ?? createCloudTrailClientFactory()),
    targetRoleName: config.targetRoleName,
    // Least privilege: every IAM write through the responder role (IR_DIRECT_WRITES: trial only).
    responderRoleName: config.privilege?.responderRoleName,
    directWrites: config.privilege?.directWrites,
    now,
    logger,
  });
  const trail = new TrailService({
    clientFor: hooks.cloudTrail ?? createCloudTrailClientFactory(),
    clientsForAccount: (account) => accounts.cloudTrailFor(account),
    regions: config.regions,
    ec2: parts.ec2,
    requestsPerSecond: hooks.cloudTrailRequestsPerSecond,
    summary: detectionSettings(config),
    history: historySelector(parts, now),
  });
  const deps: CommandDeps = {
    keyOwner: new CrossAccountKeyOwner(new KeyOwnerLookup({ iam: parts.aws.iam, sts: parts.aws.sts }), { access: accounts, targetRoleName: config.targetRoleName }),
    trail,
    access: accessPolicy(config.responders, config.approvers, groups),
    logger,
    now,
    // Read-only output (/trail) goes to the incident channel or a DM, never where it was typed.
    outputChannel: config.channelId,
  };
  const home = new HomeTab({ client: app.client, store: parts.store, access: deps.access, logger, now });
  // The card notifier also republishes the App Home of recent viewers when an incident changes.
  const notifier = new HomeRefreshingNotifier(app.client, logger, home, { approvers: config.approvers });
  const containment = new AwsContainment({
    access: accounts,
    quarantine: config.quarantine,
    protectedPrincipals: config.privilege?.protectedPrincipals,
    logger,
    now: deps.now,
    readBackDelaysMs: hooks.readBackDelaysMs,
  });
  const watcher = new Watcher({
    watches: parts.watches,
    store: parts.store,
    trail,
    notifier,
    logger,
    now: deps.now,
    durationMinutes: config.watchMinutes,
    intervalMinutes: config.watchIntervalMinutes,
    // Containment that holds: re-read at every interval; drift re-applied after one approval,
    // or at once when IR_AUTO_CONTAIN names the incident's intake source.
    drift: {
      observe: (incident, expectations) => containment.observe(targetOf(incident), expectations),
      iamEvents: (req) => trail.iamEvents(req),
      reapply: (incidentId, params, policy) => engine.requestGenerated(incidentId, 'reapply', params, { policy, advance: false, detail: { reason: 'containment drift' } }),
      advance: (incidentId) => engine.advance(incidentId),
      autoPolicy: (incident) => (incident.source && (config.intake.autoContain as readonly string[]).includes(incident.source.kind) ? AUTO_CONTAIN_POLICY : undefined),
    },
  });
  const engine: PlaybookEngine = new PlaybookEngine({
    store: parts.store,
    notifier,
    access: deps.access,
    playbook: compromisedKeyPlaybook({
      keyOwner: deps.keyOwner,
      containment,
      // Sessions of every role the leaked key reached (the credential graph), after Investigate.
      roleSessions: new AwsRoleSessions({ access: accounts, targetRoleName: config.targetRoleName, protectedRoleNames: config.privilege?.protectedPrincipals?.roles, logger, now: deps.now, readBackDelaysMs: hooks.readBackDelaysMs }),
      ownerContact: new SlackOwnerContact(app.client, logger),
      investigation: new SlackInvestigation(trail, app.client, logger),
      trace: (keyId, now, account) => trail.trace(keyId, now, account),
    }),
    logger,
    now: deps.now,
    describe: clickText,
    approvalTtlMinutes: config.approvalTtlMinutes,
    dryRun: config.dryRun,
    instanceId: hooks.instanceId ?? randomUUID().slice(0, 8),
    crashPoint: hooks.crashPoint,
    // A policy approval (IR_AUTO_CONTAIN) holds at run time only while the policy is configured.
    approvalPolicies: config.intake.autoContain.length > 0 ? [AUTO_CONTAIN_POLICY] : [],
    // Containment done: watch for the key, or a session it minted, being used anyway.
    onStepSucceeded: async (incident, step) => {
      if (step.name === 'contain' && !incident.dryRun) await watcher.schedule(incident, step.startedAt ?? step.updatedAt);
    },
  });
  // Work after the ack (lookups, steps, card updates, replies): a few at a time, bounded,
  // and started only once the requests waiting for their ack have had it.
  let frontDoor: HttpFrontDoor | undefined;
  const background = new BackgroundQueue({ ...DEFAULT_BACKGROUND, ...parts.background, yieldWhile: () => (frontDoor?.waiting ?? 0) > 0 });
  const incidents: IncidentDeps = { engine, store: parts.store, access: deps.access, notifier, logger, channelId: config.channelId, home, background };
  registerCommands(app, deps, background, incidents);

  // The one error path: known errors become a specific ephemeral message; anything else a
  // correlation id, logged with the error.
  app.error(async ({ error, body }: ExtendedErrorHandlerArgs) => {
    const reply = errorReply(error);
    const original = (error as { original?: unknown }).original ?? error;
    if (reply.correlationId) {
      logger.error({ correlationId: reply.correlationId, err: original }, 'unexpected error');
    } else {
      logger.warn({ code: (original as { code?: string }).code, msg: reply.text }, 'request refused');
    }
    const b = body as { response_url?: string; user?: { id?: string }; user_id?: string } | undefined;
    const text = `:warning: ${reply.text}`;
    if (b?.response_url) {
      await fetch(b.response_url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
      }).catch((e) => logger.error({ err: e }, 'could not deliver the error message'));
      return;
    }
    // Modal submissions carry no response_url: tell the person directly.
    const userId = b?.user?.id ?? b?.user_id;
    if (userId) {
      try {
        const dm = await app.client.conversations.open({ users: userId });
        await app.client.chat.postMessage({ channel: dm.channel!.id!, text });
      } catch (e) {
        logger.error({ err: e }, 'could not deliver the error message');
      }
    }
  });

  frontDoor = receiver ? httpFrontDoor({ receiver, signingSecret: config.slack.signingSecret!, logger }) : undefined;
  return { app, frontDoor, deps, engine, inflight, watcher, notifier };
}

/** Logged at start-up when IR_DIRECT_WRITES=true. */
export const DIRECT_WRITES_WARNING =
  "IR_DIRECT_WRITES=true: IAM writes use the bot's own credentials, without the responder role's session policy. " +
  'For a trial only: every step record and card says so. Deploy the keyguard-responder role and unset IR_DIRECT_WRITES.';

export async function startApp(parts: AppParts, host?: string): Promise<RunningApp> {
  const { app, frontDoor, engine, inflight, watcher, notifier, deps } = buildApp(parts);
  // Least privilege: writing with the bot's own credentials is a trial mode, said loudly.
  if (parts.config.privilege?.directWrites) parts.logger.warn({ directWrites: true }, DIRECT_WRITES_WARNING);
  // Finish what a previous process left running, then keep expiring stale approvals. Start-up
  // never depends on an old incident's health: a failure here is logged and the bot serves.
  try {
    const reconciled = await engine.reconcile();
    if (reconciled.resumed.length > 0) parts.logger.info({ resumed: reconciled.resumed }, 'reconciled steps left running');
    if (reconciled.failed.length > 0) parts.logger.error({ failed: reconciled.failed }, 'some incidents could not be reconciled at start-up; each is recorded, the sweep tries again every minute');
  } catch (e) {
    parts.logger.error({ err: e }, 'reconcile at start-up failed; the bot serves and the sweep tries again every minute');
  }
  // Every minute: expire approvals that ran out, and take over steps whose runner died
  // (its lease ran out) — a crashed replica's work is finished by the others.
  const sweep = setInterval(() => {
    engine.expireDue().catch((e) => parts.logger.error({ err: e }, 'approval expiry sweep failed'));
    engine.reconcile().catch((e) => parts.logger.error({ err: e }, 'reconcile sweep failed'));
  }, 60_000);
  sweep.unref();
  const watching = setInterval(() => {
    watcher.tick().catch((e) => parts.logger.error({ err: e }, 'watch tick failed'));
  }, 30_000);
  watching.unref();
  // Automatic intake: before the listener opens, so its route is there from the start.
  const intake = await startIntake({ config: parts.config, logger: parts.logger, engine, store: parts.store, notifier, now: deps.now, frontDoor, host, ...parts.intake });
  if (frontDoor) {
    const port = await frontDoor.listen(parts.config.slack.port, host);
    parts.logger.info({ port, path: '/slack/events' }, 'keyguard listening (HTTP mode)');
    return { app, engine, watcher, port, intake, stop: async () => {
        clearInterval(sweep);
        clearInterval(watching);
        await intake?.stop();
        await frontDoor.close();
        await drain(inflight);
      } };
  }
  await app.start();
  parts.logger.info('keyguard connected (Socket Mode)');
  return { app, engine, watcher, intake, stop: async () => {
      clearInterval(sweep);
      clearInterval(watching);
      await intake?.stop();
      await app.stop();
      await drain(inflight);
    } };
}

/**
 * What the detection rules take from configuration: the usual regions (IR_USUAL_REGIONS;
 * empty: learned per pull) and the role whose `keyguard-…` sessions are the bot's own
 * containment (IR_TARGET_ROLE_NAME, given as a name or path/name).
 */
export function detectionSettings(config: Pick<Config, 'usualRegions' | 'targetRoleName'>): TrailSummaryOptions {
  const role = config.targetRoleName?.split('/').pop();
  return { usualRegions: config.usualRegions, ownActivity: { roleNames: role ? [role] : [] } };
}
