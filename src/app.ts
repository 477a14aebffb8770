/**
 * Composition root: config → clients → adapters → Bolt app. The only module that imports
 * concrete adapters.
 */
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { ExtendedErrorHandlerArgs } from '@slack/bolt/dist/App';
import { registerCommands } from '../commands';
import type { Config } from './config';
import type { Logger } from './logger';
import type { AwsClients } from './aws/clients';
import { KeyOwnerLookup } from './aws/key-owner';
import { accessPolicy, SlackGroupResolver } from './slack/directory';
import { boltLogger } from './slack/bolt-logger';
import { errorReply } from './slack/error-reply';
import { httpFrontDoor, HttpFrontDoor } from './http-server';
import type { CommandDeps } from './ports';
import type { IncidentStore } from './store/incident-store';

export interface AppParts {
  config: Config;
  logger: Logger;
  aws: Pick<AwsClients, 'iam' | 'sts'> & Partial<AwsClients>;
  store: IncidentStore;
  now?: () => Date;
  /** Tests pass these so Bolt skips auth.test. */
  botId?: string;
  botUserId?: string;
}

export interface RunningApp {
  app: App;
  /** Port in HTTP mode; undefined in Socket Mode. */
  port?: number;
  stop(): Promise<void>;
}

export function buildApp(parts: AppParts): { app: App; frontDoor?: HttpFrontDoor; deps: CommandDeps } {
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
  const groups = new SlackGroupResolver(app.client);
  const deps: CommandDeps = {
    keyOwner: new KeyOwnerLookup({ iam: parts.aws.iam, sts: parts.aws.sts }),
    access: accessPolicy(config.responders, config.approvers, groups),
    logger,
    now: parts.now ?? (() => new Date()),
  };
  registerCommands(app, deps);

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
    const responseUrl = (body as { response_url?: string } | undefined)?.response_url;
    if (responseUrl) {
      await fetch(responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text: `:warning: ${reply.text}` }),
      }).catch((e) => logger.error({ err: e }, 'could not deliver the error message'));
    }
  });

  const frontDoor = receiver ? httpFrontDoor({ receiver, signingSecret: config.slack.signingSecret!, logger }) : undefined;
  return { app, frontDoor, deps };
}

export async function startApp(parts: AppParts, host?: string): Promise<RunningApp> {
  const { app, frontDoor } = buildApp(parts);
  if (frontDoor) {
    const port = await frontDoor.listen(parts.config.slack.port, host);
    parts.logger.info({ port, path: '/slack/events' }, 'keyguard listening (HTTP mode)');
    return { app, port, stop: () => frontDoor.close() };
  }
  await app.start();
  parts.logger.info('keyguard connected (Socket Mode)');
  return { app, stop: () => app.stop() as Promise<void> };
}
