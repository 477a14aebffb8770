/**
 * Acknowledgement latency under a burst (`npm run bench -- ack`).
 *
 * Slack gives an app 3 s to acknowledge a slash command, then retries it and shows the
 * person an error. This bench sends a burst of 200 concurrent, correctly signed `/key-owner`
 * commands to keyguard's real HTTP front door (built with the test harness: moto for IAM/STS,
 * the fake Slack Web API, the embedded store) and, side by side in the same run on the same
 * machine, to a bare Bolt app (HTTPReceiver, a `/key-owner` listener that only acks). Each app
 * runs in its own process (bench/ack-app-process.ts), as in production; this process plays
 * Slack: it signs and sends the commands and serves response_url (the fake Slack).
 * Latency is from sending the request to receiving the HTTP answer (the ack). keyguard's
 * lookups for one burst finish (every command has its answer on its response_url) before the
 * next burst starts, so no burst competes with the previous one's work.
 *
 * Rounds alternate which app goes first. Reported: p50/p99/max of the ack over all rounds,
 * and keyguard's p99 ÷ bare Bolt's p99.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';
import { startMoto, MotoServer } from '../sandbox/moto';
import { startFakeSlack, FakeSlack } from '../sandbox/fake-slack';
import { TEST_BOT_TOKEN, TEST_SIGNING_SECRET } from '../test/support/harness';
import { sign, slashCommandBody } from '../sandbox/slack-signer';
import { BARE_SIGNING_SECRET, BENCH_RESPONDER } from './ack-app-process';
import type { Bench } from './bench';
import { fixed, markdownTable } from './bench';

const BURST = 200;
const ROUNDS = 3;
const WARM_UP = 20;

interface Target {
  name: string;
  url: string;
  secret: string;
  /** Resolves once the work behind these acknowledged commands has finished. */
  settled(responseUrls: string[]): Promise<void>;
}

interface Burst {
  latenciesMs: number[];
  statuses: Map<number, number>;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Fire `n` signed commands at once; bodies and signatures are made before the clock starts. */
async function burst(t: Target, n: number, text: string, slack: FakeSlack): Promise<Burst & { responseUrls: string[] }> {
  const ts = Math.floor(Date.now() / 1000);
  const requests = Array.from({ length: n }, (_, i) => {
    const response_url = slack.responseUrl();
    const body = slashCommandBody({ command: '/key-owner', text, user_id: BENCH_RESPONDER, response_url, trigger_id: `bench.${Date.now()}.${i}` });
    return { body, response_url, signature: sign(t.secret, ts, body) };
  });
  const statuses = new Map<number, number>();
  const latenciesMs = await Promise.all(
    requests.map(async (r) => {
      const started = performance.now();
      const res = await fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': r.signature },
        body: r.body,
      });
      await res.arrayBuffer();
      const ms = performance.now() - started;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      return ms;
    }),
  );
  return { latenciesMs, statuses, responseUrls: requests.map((r) => r.response_url) };
}

async function startAppProcess(args: string[]): Promise<{ url: string; child: ChildProcess; close(): Promise<void> }> {
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, 'ack-app-process.ts'), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout! });
  const [first] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => { throw new Error(`app process ${args[0]} exited`); })])) as [string];
  return {
    url: (JSON.parse(first) as { url: string }).url,
    child,
    close: async () => {
      child.stdin!.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

async function run(): Promise<void> {
  let moto: MotoServer | undefined;
  let slack: FakeSlack | undefined;
  const apps: Array<{ close(): Promise<void> }> = [];
  try {
    moto = await startMoto();
    // The app processes inherit these (as test/support/env.ts sets them in jest).
    Object.assign(process.env, {
      MOTO_URL: moto.url, AWS_ENDPOINT_URL: moto.url, AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_SESSION_TOKEN: 'testing', AWS_EC2_METADATA_DISABLED: 'true',
    });
    delete process.env.AWS_PROFILE;
    const { seedUser } = await import('../sandbox/iam-seed');
    const { motoIam } = await import('../test/support/aws-clients');
    const { keyIds: [keyId] } = await seedUser(motoIam(), {
      userName: 'leaky', tags: { slack: 'U0OWNER', team: 'payments' }, groups: ['developers'], consolePassword: true,
    });
    const fake = await startFakeSlack({ token: TEST_BOT_TOKEN });
    slack = fake;
    const kgApp = await startAppProcess(['keyguard', fake.apiUrl]);
    apps.push(kgApp);
    const bareApp = await startAppProcess(['bare']);
    apps.push(bareApp);
    const keyguard: Target = {
      name: 'keyguard (/key-owner: front door, Bolt, lookup after the ack)',
      url: kgApp.url,
      secret: TEST_SIGNING_SECRET,
      // Every command's answer has reached its response_url: the lookups are done.
      settled: async (urls) => {
        const paths = new Set(urls.map((u) => new URL(u).pathname));
        await fake.waitFor(() => fake.responses.filter((r) => paths.has(r.method)).length >= urls.length, `${urls.length} answers`, 300_000);
      },
    };
    const baseline: Target = { name: 'bare Bolt (HTTPReceiver, ack only)', url: bareApp.url, secret: BARE_SIGNING_SECRET, settled: async () => undefined };

    for (const t of [keyguard, baseline]) {
      const w = await burst(t, WARM_UP, keyId, fake);
      await t.settled(w.responseUrls);
    }
    const all = new Map<Target, Burst>([[keyguard, { latenciesMs: [], statuses: new Map() }], [baseline, { latenciesMs: [], statuses: new Map() }]]);
    const perRound: string[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [keyguard, baseline] : [baseline, keyguard];
      const p99s = new Map<Target, number>();
      for (const t of order) {
        const b = await burst(t, BURST, keyId, fake);
        await t.settled(b.responseUrls);
        const acc = all.get(t)!;
        acc.latenciesMs.push(...b.latenciesMs);
        for (const [s, n] of b.statuses) acc.statuses.set(s, (acc.statuses.get(s) ?? 0) + n);
        p99s.set(t, percentile([...b.latenciesMs].sort((x, y) => x - y), 99));
      }
      perRound.push([String(round + 1), order[0] === keyguard ? 'keyguard' : 'bare Bolt', fixed(p99s.get(keyguard)!, 0), fixed(p99s.get(baseline)!, 0), fixed(p99s.get(keyguard)! / p99s.get(baseline)!)]);
    }

    const rows = [...all.entries()].map(([t, b]) => {
      const sorted = [...b.latenciesMs].sort((x, y) => x - y);
      const statuses = [...b.statuses.entries()].map(([s, n]) => `${n}× ${s}`).join(', ');
      return [t.name, sorted.length, fixed(percentile(sorted, 50), 0), fixed(percentile(sorted, 99), 0), fixed(sorted[sorted.length - 1], 0), statuses];
    });
    console.log(`${ROUNDS} bursts of ${BURST} concurrent signed /key-owner commands per app (after ${WARM_UP} to warm up):\n`);
    console.log(markdownTable(['app', 'acks', 'p50 ms', 'p99 ms', 'max ms', 'HTTP status'], rows));
    const p99 = (t: Target) => percentile([...all.get(t)!.latenciesMs].sort((x, y) => x - y), 99);
    console.log(`\nkeyguard ack p99 ÷ bare Bolt ack p99 = **${fixed(p99(keyguard) / p99(baseline))}** (goal: ≤ 2)\n`);
    console.log(markdownTable(['round', 'first', 'keyguard p99 ms', 'bare Bolt p99 ms', 'ratio'], perRound));
    const busy = fake.responses.filter((r) => /busy/i.test(String(r.args.text ?? ''))).length;
    const answered = fake.responses.filter((r) => /leaky/.test(JSON.stringify(r.args.blocks ?? r.args.text ?? ''))).length;
    console.log(`\nkeyguard answers on response_url: ${answered} with the key's owner, ${busy} "busy, try again".`);
    for (const [t, b] of all) {
      const bad = [...b.statuses.entries()].filter(([s]) => s !== 200);
      if (bad.length > 0) throw new Error(`${t.name}: requests not acknowledged with 200: ${JSON.stringify(bad)}`);
    }
  } finally {
    for (const a of apps) await a.close();
    await slack?.close();
    await moto?.stop();
  }
}

export const ackBench: Bench = { name: 'ack', run };
