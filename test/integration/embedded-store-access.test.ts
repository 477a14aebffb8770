/**
 * The embedded store decides what the bot does in AWS: nothing but the bot may write it.
 * A process that finds the socket but lacks the secret, a web page (Origin, CORS preflight)
 * and any TCP client are refused; the bot's own client works.
 */
import fs from 'node:fs';
import http from 'node:http';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { startEmbeddedDynamo, EmbeddedDynamo, EMBEDDED_SECRET_HEADER } from '../../src/store/embedded-dynamo';
import { ensureTable } from '../../src/store/table-setup';

let store: EmbeddedDynamo;
beforeAll(async () => {
  store = await startEmbeddedDynamo();
  await ensureTable(store.client, 'kg-access', true);
});
afterAll(() => store.close());

function raw(headers: Record<string, string>, method = 'POST'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: store.socketPath, path: '/', method, headers: { host: 'x', 'content-type': 'application/x-amz-json-1.0', ...headers } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

test('the bot\'s own client reads and writes the embedded store', async () => {
  const out = await store.client.send(new ListTablesCommand({}));
  expect(out.TableNames).toContain('kg-access');
});

test('it listens on a socket only its owner can reach, not on a TCP port', () => {
  const dir = fs.statSync(store.socketPath.replace(/\/[^/]+$/, ''));
  expect(dir.mode & 0o077).toBe(0);
  expect(fs.statSync(store.socketPath).isSocket()).toBe(true);
});

test('a request without the secret is refused and never reaches the table', async () => {
  const r = await raw({ 'x-amz-target': 'DynamoDB_20120810.ListTables' });
  expect(r.status).toBe(403);
  expect(r.body).toContain('AccessDeniedException');
  expect(r.body).not.toContain('kg-access');
});

test('a wrong secret of the right length is refused', async () => {
  const r = await raw({ 'x-amz-target': 'DynamoDB_20120810.ListTables', [EMBEDDED_SECRET_HEADER]: 'f'.repeat(64) });
  expect(r.status).toBe(403);
});

test('a web page is refused: no CORS preflight answer, no Access-Control-Allow-Origin', async () => {
  const preflight = await raw({ origin: 'https://evil.example', 'access-control-request-method': 'POST' }, 'OPTIONS');
  expect(preflight.status).toBe(403);
  expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  const post = await raw({ origin: 'https://evil.example', 'x-amz-target': 'DynamoDB_20120810.ListTables' });
  expect(post.status).toBe(403);
  expect(post.headers['access-control-allow-origin']).toBeUndefined();
});
