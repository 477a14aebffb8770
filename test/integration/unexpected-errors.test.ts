/**
 * The one error path: an unexpected failure (here the store going away) is answered with a
 * short correlation id, and the same id is in the JSON log with the error.
 */
import { startHarness, Harness, responsesTo } from '../support/harness';
import { startEmbeddedDynamo, EmbeddedDynamo } from '../../src/store/embedded-dynamo';
import { ensureTable } from '../../src/store/table-setup';
import { DynamoIncidentStore } from '../../src/store/incident-store';
import { DynamoWatchStore } from '../../src/store/watch-store';
import { TrailService } from '../../src/aws/history/trail-service';
import { EC2Client } from '@aws-sdk/client-ec2';

let h: Harness;
let dynamo: EmbeddedDynamo;

afterEach(async () => {
  await h?.close().catch(() => undefined);
});

it('an unexpected failure answers with a correlation id that is also in the log', async () => {
  dynamo = await startEmbeddedDynamo();
  await ensureTable(dynamo.client, 'errors-test', true);
  h = await startHarness({ IR_RESPONDERS: 'U0REQUEST' }, {
    shared: { store: new DynamoIncidentStore(dynamo.client, 'errors-test'), watches: new DynamoWatchStore(dynamo.client, 'errors-test') },
  });
  await dynamo.close(); // the table is gone from under the bot
  const res = await h.slash('/revoke-key', 'AKIAIOSFODNN7EXAMPLE leaked', 'U0REQUEST');
  expect(res.status).toBe(200);
  const answer = await h.slack.waitFor(() => responsesTo(h, res.responseUrl).find((r) => /reference/.test(r.args.text ?? '')), 'the error answer');
  const id = /`([0-9a-f]{8})`/.exec(answer.args.text)![1];
  expect(answer.args.response_type).toBe('ephemeral');
  const logged = h.logs.map((l) => JSON.parse(l)).find((l) => l.correlationId === id);
  expect(logged).toMatchObject({ msg: 'unexpected error', level: 50 });
  expect(logged.err).toBeDefined();
});

it('discovers the account\'s enabled regions once when IR_REGIONS is unset', async () => {
  const ec2 = new EC2Client({ region: 'us-east-1', endpoint: process.env.MOTO_URL, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  let calls = 0;
  ec2.middlewareStack.add((next) => async (args) => { calls++; return next(args); }, { step: 'initialize' });
  const svc = new TrailService({ clientFor: () => { throw new Error('not used'); }, regions: [], ec2 });
  const [a, b] = await Promise.all([svc.regions(), svc.regions()]);
  expect(a).toEqual(b);
  expect(a).toEqual(expect.arrayContaining(['us-east-1', 'eu-west-1', 'ap-southeast-2']));
  expect(calls).toBe(1);
});
