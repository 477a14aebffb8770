/**
 * The break-glass CLI's composition root: the same playbook engine, store, AWS adapters and
 * CloudTrail service as the bot (src/app.ts), with the operator's own AWS credentials (the
 * SDK's default chain) and terminal adapters in place of Slack.
 */
import { WebClient } from '@slack/web-api';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { awsClients } from '../aws/clients';
import { openStore } from '../store/open-store';
import type { IncidentStore } from '../store/incident-store';
import { KeyOwnerLookup } from '../aws/key-owner';
import { CrossAccountKeyOwner } from '../aws/cross-account-key-owner';
import { AccountAccess } from '../aws/account-access';
import { createClientFactory } from '../aws/iam-sts-clients';
import { createCloudTrailClientFactory } from '../aws/cloudtrail-lookup';
import { TrailService } from '../aws/trail-service';
import { AwsContainment } from '../aws/containment-adapter';
import { detectionSettings } from '../app';
import { PlaybookEngine } from '../../workflows/engine';
import { compromisedKeyPlaybook } from '../../workflows/compromised-key';
import { clickText } from '../slack/incident-messages';
import { SlackIncidentNotifier } from '../slack/incident-notifier';
import type { IncidentNotifier, KeyOwnerPort, TrailPort } from '../ports';
import type { LookupProgress } from '../domain/trail-progress';
import { BreakGlassAccess, OperatorTellsOwner, Say, TerminalInvestigation, TerminalNotifier } from './terminal-adapters';

export interface BreakGlass {
  engine: PlaybookEngine;
  store: IncidentStore;
  trail: TrailPort;
  keyOwner: KeyOwnerPort;
  /** The engine with the Slack card notifier: the card catches up from the record. */
  slackEngine(): PlaybookEngine;
  close(): Promise<void>;
}

export interface BreakGlassOptions {
  config: Config;
  logger: Logger;
  say: Say;
  progress: (label: string) => (p: LookupProgress) => void;
  now?: () => Date;
  instanceId: string;
}

export async function openBreakGlass(o: BreakGlassOptions): Promise<BreakGlass> {
  const { config, logger } = o;
  const now = o.now ?? (() => new Date());
  const aws = awsClients(config.awsRegion);
  const opened = await openStore(config.store, aws.dynamo, logger);
  const accounts = new AccountAccess({
    factory: createClientFactory({ region: config.awsRegion }),
    cloudTrail: (credentials) => createCloudTrailClientFactory(credentials ? { credentials } : {}),
    targetRoleName: config.targetRoleName,
    now,
    logger,
  });
  const trail = new TrailService({
    clientFor: createCloudTrailClientFactory(),
    clientsForAccount: (account) => accounts.cloudTrailFor(account),
    regions: config.regions,
    summary: detectionSettings(config),
  });
  const keyOwner = new CrossAccountKeyOwner(new KeyOwnerLookup({ iam: aws.iam, sts: aws.sts }), { access: accounts, targetRoleName: config.targetRoleName });
  const access = new BreakGlassAccess();
  const engineWith = (notifier: IncidentNotifier) =>
    new PlaybookEngine({
      store: opened.store,
      notifier,
      access,
      playbook: compromisedKeyPlaybook({
        keyOwner,
        // Protection is read as the bot reads it: IR_PROTECTED_PRINCIPALS as well as the tag.
        containment: new AwsContainment({ access: accounts, quarantine: config.quarantine, protectedPrincipals: config.privilege.protectedPrincipals, logger, now }),
        ownerContact: new OperatorTellsOwner(),
        investigation: new TerminalInvestigation(trail, o.say, o.progress),
        trace: (keyId, at, account) => trail.trace(keyId, at, account),
      }),
      logger,
      now,
      describe: clickText,
      approvalTtlMinutes: config.approvalTtlMinutes,
      dryRun: config.dryRun,
      instanceId: o.instanceId,
    });
  return {
    engine: engineWith(new TerminalNotifier(o.say)),
    store: opened.store,
    trail,
    keyOwner,
    slackEngine: () => {
      const client = new WebClient(config.slack.botToken, { slackApiUrl: config.slack.apiUrl, retryConfig: { retries: 1 } });
      return engineWith(new SlackIncidentNotifier(client, logger, { approvers: config.approvers }));
    },
    close: () => opened.close(),
  };
}
