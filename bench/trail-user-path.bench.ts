/**
 * `/trail <key>` as the responder feels it (`npm run bench -- trail-user-path`): a correctly
 * signed slash command into keyguard's real Bolt receiver, through the key-owner lookup
 * (moto), the credential-graph query plan and the summary, to the export uploaded to the
 * fake Slack. Side by side in the same run, on the same emulator data: the engine alone
 * (CloudTrailLookup by AccessKeyId, every region in parallel).
 *
 * The emulator runs in its own process at the real limit (2 requests/s per region, 50
 * events a page), loaded with ~1,000 events in each of 4 regions. The ceiling is the time
 * the limit allows for the key's pages: max over regions of pages ÷ 2 per second. Reported:
 * seconds and the fraction of the ceiling for each path.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { startMoto } from '../sandbox/moto';
import { startFakeSlack } from '../sandbox/fake-slack';
import { TEST_BOT_TOKEN, TEST_SIGNING_SECRET } from '../test/support/harness';
import { signedPost, slashCommandBody } from '../sandbox/slack-signer';
import { seedUser } from '../sandbox/iam-seed';
import { ACCOUNT_ID } from '../sandbox/cloudtrail-fixtures';
import type { EmulatorStats } from '../sandbox/cloudtrail-emulator';
import type { EmulatorProcessConfig } from './cloudtrail-emulator-process';
import type { Bench } from './bench';
import { fixed, markdownTable } from './bench';
import { CloudTrailLookup, CLOUDTRAIL_REQUESTS_PER_SECOND, createCloudTrailClientFactory } from '../src/aws/history';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { localClients, openEmbeddedStore, startApp } from '../src/wiring';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'sa-east-1'];
const PER_REGION = 1_000;
const PAGE = 50;
const RESPONDER = 'U0BENCH';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

async function startEmulator(config: EmulatorProcessConfig): Promise<{ url: string; events: number; stats(): Promise<EmulatorStats>; close(): Promise<void> }> {
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, 'cloudtrail-emulator-process.ts'), JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout! });
  const [first] = (await once(lines, 'line')) as [string];
  const ready = JSON.parse(first) as { url: string; events: number };
  return {
    ...ready,
    stats: async () => (await (await fetch(`${ready.url}/__emulator/stats`)).json()) as EmulatorStats,
    close: async () => {
      child.stdin!.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

async function run(): Promise<void> {
  const moto = await startMoto();
  process.env.MOTO_URL = moto.url;
  const { motoIam } = await import('../test/support/aws-clients');
  const slack = await startFakeSlack({ token: TEST_BOT_TOKEN });
  const dynamo = await openEmbeddedStore('keyguard-bench');
  const { keyIds: [keyId] } = await seedUser(motoIam(), { userName: 'ci-deployer' });
  const now = Date.now();
  const emu = await startEmulator({
    requestsPerSecond: CLOUDTRAIL_REQUESTS_PER_SECOND, regions: REGIONS, perRegion: PER_REGION, seed: 11,
    startMs: now - 6 * 86_400_000, endMs: now - 60_000, principal: { accountId: ACCOUNT_ID, userName: 'ci-deployer', accessKeyId: keyId },
  });
  const window = { start: new Date(now - 7 * 86_400_000), end: new Date() };
  try {
    const config = loadConfig({
      SLACK_BOT_TOKEN: TEST_BOT_TOKEN, SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '1', AWS_REGION: 'us-east-1',
      IR_REGIONS: REGIONS.join(','), IR_RESPONDERS: RESPONDER,
    });
    config.slack.port = 0;
    const app = await startApp(
      {
        config,
        logger: createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() })),
        clients: localClients({ endpoint: moto.url, cloudTrailUrl: emu.url, credentials: CREDENTIALS, cloudTrailRequestsPerSecond: CLOUDTRAIL_REQUESTS_PER_SECOND }),
        store: dynamo.store,
        watches: dynamo.watches,
        botId: 'BBOT', botUserId: 'UBOT',
      },
      '127.0.0.1',
    );
    const ceilingS = Math.ceil(PER_REGION / PAGE) / CLOUDTRAIL_REQUESTS_PER_SECOND;
    const rows: string[][] = [];
    const pause = () => new Promise((r) => setTimeout(r, 2000)); // the emulator's buckets refill

    // The engine alone.
    await pause();
    let before = await emu.stats();
    const lookup = new CloudTrailLookup({
      clientFor: createCloudTrailClientFactory({ endpoint: emu.url, credentials: CREDENTIALS }),
      attributes: [{ key: 'AccessKeyId', value: keyId }], window, regions: REGIONS, requestsPerSecond: CLOUDTRAIL_REQUESTS_PER_SECOND,
    });
    let t = performance.now();
    let events = 0;
    for await (const _e of lookup.events()) events++;
    const engineS = (performance.now() - t) / 1000;
    let after = await emu.stats();
    rows.push(['engine (CloudTrailLookup, AccessKeyId)', events.toLocaleString('en-US'), fixed(engineS, 1), fixed(ceilingS, 1), fixed(ceilingS / engineS), String(after.total.requests - before.total.requests), String(after.total.throttled - before.total.throttled)]);

    // The user's path: /trail <key> → summary → export uploaded.
    await pause();
    before = await emu.stats();
    const body = slashCommandBody({ command: '/trail', text: `${keyId} 7d`, user_id: RESPONDER, response_url: slack.responseUrl() });
    t = performance.now();
    await signedPost({ url: `http://127.0.0.1:${app.port}/slack/events`, signingSecret: TEST_SIGNING_SECRET, body });
    const summary = await slack.waitFor(() => slack.callsTo('chat.update').find((c) => Array.isArray(c.args.blocks) && c.args.blocks[0]?.type === 'header'), 'the summary', 600_000);
    const summaryS = (performance.now() - t) / 1000;
    await slack.waitFor(() => slack.callsTo('files.completeUploadExternal')[0], 'the export', 600_000);
    const userS = (performance.now() - t) / 1000;
    after = await emu.stats();
    const shown = /(\d[\d,]*) events/.exec(String(summary.args.text))?.[1] ?? '?';
    rows.push([`/trail <key> to the summary`, shown, fixed(summaryS, 1), fixed(ceilingS, 1), fixed(ceilingS / summaryS), '', '']);
    rows.push([`/trail <key> to the export uploaded`, shown, fixed(userS, 1), fixed(ceilingS, 1), fixed(ceilingS / userS), String(after.total.requests - before.total.requests), String(after.total.throttled - before.total.throttled)]);
    await app.stop();
    console.log(`${REGIONS.length} regions × ${PER_REGION} events, emulator at ${CLOUDTRAIL_REQUESTS_PER_SECOND} requests/s per region; load ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').trim()}\n`);
    console.log(markdownTable(['path', 'events', 'seconds', 'ceiling s', 'fraction of ceiling', 'requests', 'throttled'], rows));
  } finally {
    await emu.close();
    await slack.close();
    await dynamo.close();
    await moto.stop();
  }
}

export const trailUserPathBench: Bench = { name: 'trail-user-path', run };
