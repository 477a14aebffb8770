/** Registers every slash command, button and modal. Handlers live in their own modules. */
import type { App } from '@slack/bolt';
import type { CommandDeps } from '../src/ports';
import { ACTION, VIEW } from '../src/slack/ids';
import { KEY_OWNER_COMMAND, keyOwnerHandler } from './key-owner';
import { TRAIL_COMMAND, trailHandler } from './trail';
import { REVOKE_KEY_COMMAND, revokeKeyHandler, revokeKeySubmission } from './revoke-key';
import { INCIDENT_COMMAND, incidentHandler } from './incident';
import { approveHandler, denyHandler, denySubmission, rerequestHandler } from './approval-actions';
import type { IncidentDeps } from './incident-deps';
import { appHomeOpenedHandler, homeTimelineHandler } from './app-home';
import type { BackgroundQueue } from '../src/background-queue';
import { afterAckInQueue } from './after-ack-queue';

export function registerCommands(app: App, deps: CommandDeps, background: BackgroundQueue, incidents?: IncidentDeps): void {
  app.command(KEY_OWNER_COMMAND, keyOwnerHandler(deps, background));
  app.command(TRAIL_COMMAND, afterAckInQueue(background, deps.logger, trailHandler(deps)));
  if (!incidents) return;
  app.command(REVOKE_KEY_COMMAND, revokeKeyHandler(incidents));
  app.command(INCIDENT_COMMAND, afterAckInQueue(background, deps.logger, incidentHandler(incidents)));
  app.view(VIEW.revokeKey, revokeKeySubmission(incidents));
  app.view(VIEW.denyReason, denySubmission(incidents));
  app.action(ACTION.approve, approveHandler(incidents));
  app.action(ACTION.deny, denyHandler(incidents));
  app.action(ACTION.rerequest, rerequestHandler(incidents));
  app.event('app_home_opened', appHomeOpenedHandler(incidents));
  app.action(ACTION.homeTimeline, homeTimelineHandler(incidents));
}
