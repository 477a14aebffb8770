/**
 * Entry point: validate config (all problems at once), open the store (embedded dynalite by
 * default), start the app, stop cleanly on SIGINT/SIGTERM.
 */
import { WebClient } from '@slack/web-api';
import { Config, ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { openConfiguredStore, productionClients, startApp } from './wiring';
import { isKeyguardError, KeyguardError, slackErrorCode } from './errors';

async function checkSlackToken(config: Config): Promise<{ botId: string; botUserId: string; team?: string }> {
  const client = new WebClient(config.slack.botToken, { slackApiUrl: config.slack.apiUrl, retryConfig: { retries: 2 } });
  try {
    const r = await client.auth.test();
    return { botId: r.bot_id as string, botUserId: r.user_id as string, team: r.team };
  } catch (e) {
    const code = slackErrorCode(e);
    throw new KeyguardError(
      'NOT_AVAILABLE',
      code === 'invalid_auth' || code === 'not_authed' || code === 'token_revoked'
        ? `Slack refused SLACK_BOT_TOKEN (${code}). Copy the Bot User OAuth Token again from the app's OAuth & Permissions page.`
        : `Could not reach the Slack Web API at ${config.slack.apiUrl ?? 'https://slack.com/api/'} to check the bot token (${code}).`,
      { cause: e },
    );
  }
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  const clients = productionClients(config);
  const store = await openConfiguredStore(config, clients.dynamo, logger);
  // Check the bot token once, with a clear message, before anything listens.
  const who = await checkSlackToken(config);
  logger.info({ team: who.team, botUserId: who.botUserId }, 'Slack token accepted');
  const running = await startApp({ config, logger, clients, store: store.store, watches: store.watches, botId: who.botId, botUserId: who.botUserId });
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await running.stop();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((e) => {
  const msg = isKeyguardError(e) ? e.userMessage : e instanceof Error ? e.message : String(e);
  process.stderr.write(`keyguard failed to start: ${msg}\n`);
  process.exit(1);
});
