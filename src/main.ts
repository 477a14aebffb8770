/**
 * Entry point: validate config (all problems at once), open the store (embedded dynalite by
 * default), start the app, stop cleanly on SIGINT/SIGTERM.
 */
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { awsClients } from './aws/clients';
import { startApp } from './app';
import { openStore } from './store/open-store';
import { isKeyguardError } from './errors';

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
  const aws = awsClients(config.awsRegion);
  const store = await openStore(config.store, aws.dynamo, logger);
  const running = await startApp({ config, logger, aws, store: store.store, watches: store.watches });
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
