/**
 * The real keyguard bot wired to the sandbox: the Bolt app on its HTTP receiver (loopback,
 * free port), the simulated Slack workspace, IAM/STS in moto, CloudTrail from the emulator,
 * the record in an in-process dynalite. What the demo runs; a person talks to it through
 * signed requests (slash commands, clicks, modal submissions) as Slack would send them.
 */
import { Writable } from 'node:stream';
import { loadConfig, Config } from '../src/config';
import { createLogger } from '../src/logger';
import type { IncidentStore, WatchStore } from '../src/ports';
import { localClients, openEmbeddedStore, startApp, type AppParts, type Clients, type OpenedStore, type RunningApp } from '../src/wiring';
import type { FakeSlack } from './fake-slack';
import { signedPost, slashCommandBody, interactionBody } from './slack-signer';

/** Sandbox-only values, not real credentials. */
export const SANDBOX_BOT_TOKEN = 'xoxb-sandbox-not-a-real-token';
const SANDBOX_SIGNING_SECRET = 'sandbox-signing-secret-not-real';
/** The one Slack team of the simulated workspace (fake Slack's auth.test answers it too). */
const SANDBOX_TEAM_ID = 'T1';
/** moto's answers for any credentials; never real. */
export const SANDBOX_AWS_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export interface SandboxBotOptions {
  slack: FakeSlack;
  motoUrl: string;
  cloudTrailUrl: string;
  /** Configuration on top of the sandbox's (IR_RESPONDERS, IR_APPROVERS, IR_CHANNEL_ID, …). */
  env: Record<string, string>;
  /** The bot's clock (the demo moves it to just after the attack). */
  now?: () => Date;
  /** Requests a second the bot allows itself per CloudTrail region (the emulator's limit). */
  cloudTrailRequestsPerSecond?: number;
}

/** The demo's bot: the wired app and how to talk to it. */
export type SandboxBot = WiredBot;

/**
 * How a bot is wired to local servers: the one place the demo and the end-to-end tests build
 * the app (configuration, log sink, store, CloudTrail clients, Bolt receiver on a free port).
 */
export interface BotWiring {
  slack: FakeSlack;
  /** Placeholders for the Slack secrets (never real ones). */
  token: string;
  signingSecret: string;
  /** Configuration variables on top of the token, secret, fake Slack's URL and region. */
  env: Record<string, string>;
  logLevel: 'info' | 'debug';
  now?: () => Date;
  /** A fresh embedded table of this name, or a store shared with another replica. */
  store: { table: string } | { shared: { store: IncidentStore; watches: WatchStore } };
  /** The bot's AWS clients, pointed at local servers (localClients). */
  clients: Clients;
  /** The app's other parts a test adds. */
  parts?: Partial<Pick<AppParts, 'installation' | 'intake' | 'background'>>;
  hooks?: Pick<AppParts, 'crashPoint' | 'instanceId'>;
}

export interface WiredBot {
  app: RunningApp;
  /** The Events API / interactivity URL of the receiver. */
  url: string;
  config: Config;
  store: IncidentStore;
  /** The bot's log lines (JSON), kept in memory. */
  logs: string[];
  slash(command: string, text: string, userId: string, extra?: { channel_id?: string; trigger_id?: string; retryNum?: number }): Promise<{ status: number; json?: any; responseUrl: string }>;
  interact(payload: Record<string, unknown>, extra?: { retryNum?: number }): Promise<{ status: number; json?: any; body: string }>;
  close(): Promise<void>;
}

export async function wireBot(w: BotWiring): Promise<WiredBot> {
  const config = loadConfig({
    SLACK_BOT_TOKEN: w.token,
    SLACK_SIGNING_SECRET: w.signingSecret,
    SLACK_API_URL: w.slack.apiUrl,
    PORT: '1',
    AWS_REGION: 'us-east-1',
    ...w.env,
  });
  config.slack.port = 0; // a free port
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger(w.logLevel, sink);
  let embedded: OpenedStore | undefined;
  let store: IncidentStore;
  let watches: WatchStore;
  if ('shared' in w.store) {
    ({ store, watches } = w.store.shared);
  } else {
    embedded = await openEmbeddedStore(w.store.table, w.now);
    ({ store, watches } = embedded);
  }
  const app = await startApp(
    { config, logger, clients: w.clients, ...w.parts, ...w.hooks, store, watches, botId: 'BBOT', botUserId: 'UBOT', now: w.now },
    '127.0.0.1',
  );
  const url = `http://127.0.0.1:${app.port}/slack/events`;
  return {
    app,
    url,
    config,
    store,
    logs,
    async slash(command, text, userId, extra = {}) {
      const responseUrl = w.slack.responseUrl();
      const body = slashCommandBody({ command, text, user_id: userId, response_url: responseUrl, channel_id: extra.channel_id, trigger_id: extra.trigger_id, team_id: SANDBOX_TEAM_ID });
      const res = await signedPost({ url, signingSecret: w.signingSecret, body, retryNum: extra.retryNum });
      return { ...res, responseUrl };
    },
    async interact(payload, extra = {}) {
      return signedPost({ url, signingSecret: w.signingSecret, body: interactionBody(payload), retryNum: extra.retryNum });
    },
    async close() {
      await app.stop();
      await embedded?.close();
    },
  };
}

/** The demo's bot: the sandbox's placeholders, IAM/STS on moto, a table of its own. */
export async function startSandboxBot(o: SandboxBotOptions): Promise<SandboxBot> {
  return wireBot({
    slack: o.slack,
    token: SANDBOX_BOT_TOKEN,
    signingSecret: SANDBOX_SIGNING_SECRET,
    env: o.env,
    logLevel: 'info',
    now: o.now,
    store: { table: 'keyguard-sandbox' },
    clients: localClients({ endpoint: o.motoUrl, cloudTrailUrl: o.cloudTrailUrl, credentials: SANDBOX_AWS_CREDENTIALS, cloudTrailRequestsPerSecond: o.cloudTrailRequestsPerSecond }),
  });
}
