/**
 * The break-glass CLI's face: the same core (playbook engine, store, AWS adapters, CloudTrail
 * service) as the bot, with the operator's own AWS credentials (the
 * SDK's default chain) and terminal adapters in place of Slack.
 */
import { WebClient } from '@slack/web-api';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { IncidentNotifier, IncidentStore, KeyOwnerPort, TrailPort } from '../ports';
import type { LookupProgress } from '../domain/trail-progress';
import type { PlaybookEngine } from '../../workflows/engine';
import { clickText } from '../slack/incident-messages';
import { SlackIncidentNotifier } from '../slack/incident-notifier';
import { BreakGlassAccess, OperatorTellsOwner, Say, TerminalInvestigation, TerminalNotifier } from '../cli/terminal-adapters';
import { buildCore } from './core';
import { productionClients, type Clients } from './clients';
import { openConfiguredStore } from './store';

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
  /** Default: the SDK chain (the operator's own credentials). */
  clients?: Clients;
}

export async function openBreakGlass(o: BreakGlassOptions): Promise<BreakGlass> {
  const { config, logger } = o;
  const clients = o.clients ?? productionClients(config);
  const opened = await openConfiguredStore(config, clients.dynamo, logger);
  // The same core as the bot: protection, least privilege and history read the same way.
  const core = buildCore({ config, logger, clients, store: opened.store, watches: opened.watches, now: o.now, instanceId: o.instanceId });
  const access = new BreakGlassAccess();
  const engineWith = (notifier: IncidentNotifier) =>
    core.engine({
      notifier,
      access,
      ownerContact: new OperatorTellsOwner(),
      investigation: new TerminalInvestigation(core.trail, o.say, o.progress),
      describe: clickText,
    });
  return {
    engine: engineWith(new TerminalNotifier(o.say)),
    store: opened.store,
    trail: core.trail,
    keyOwner: core.keyOwner,
    slackEngine: () => {
      const client = new WebClient(config.slack.botToken, { slackApiUrl: config.slack.apiUrl, retryConfig: { retries: 1 } });
      return engineWith(new SlackIncidentNotifier(client, logger, { approvers: config.approvers }));
    },
    close: () => opened.close(),
  };
}
