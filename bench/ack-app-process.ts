/**
 * One app under the ack bench, in its own process as in production (bench/ack.bench.ts
 * starts two: `keyguard` and `bare`). Prints `{"url": …}` on its first stdout line; stops when
 * stdin closes. The environment (moto's URL, test credentials) comes from the bench.
 *
 *   keyguard <slack-api-url>: the real app from the test harness (front door, Bolt, store on
 *            dynalite, IAM/STS on moto), the Web API and response_url on the bench's fake Slack.
 *   bare:    Bolt's HTTPReceiver and a `/key-owner` listener that only acks.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { FakeSlack } from '../sandbox/fake-slack';

export const BENCH_RESPONDER = 'U0RESPONDER';
export const BARE_SIGNING_SECRET = 'bench-signing-secret-not-real';

async function keyguard(slackApiUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const { startHarness } = await import('../test/support/harness');
  // Only the Web API address of the bench's fake Slack is needed here.
  const slack = { apiUrl: slackApiUrl } as FakeSlack;
  const h = await startHarness({ IR_RESPONDERS: BENCH_RESPONDER }, { slack });
  return { url: h.url, close: () => h.close() };
}

async function bare(): Promise<{ url: string; close(): Promise<void> }> {
  const receiver = new HTTPReceiver({ signingSecret: BARE_SIGNING_SECRET, processBeforeResponse: false });
  const app = new App({ token: 'xoxb-bench-not-a-real-token', receiver, botId: 'BBENCH', botUserId: 'UBENCH', logLevel: LogLevel.ERROR });
  app.command('/key-owner', async ({ ack }) => {
    await ack();
  });
  const server = http.createServer(receiver.requestListener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function main(): Promise<void> {
  const [kind, slackApiUrl] = process.argv.slice(2);
  const app = kind === 'keyguard' ? await keyguard(slackApiUrl) : await bare();
  process.stdout.write(`${JSON.stringify({ url: app.url })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    void app.close().then(() => process.exit(0));
  });
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
