/**
 * The embedded DynamoDB used when IR_TABLE_NAME is unset: dynalite in-process, persisted
 * under IR_DATA_DIR. The store code talks to it with the same SDK client as to real DynamoDB.
 *
 * The incident record decides what the bot does in AWS, so the embedded store must be
 * reachable by this process alone:
 * - it listens on a Unix socket in a fresh directory only its owner may enter (mode 0700),
 *   never on a TCP port: no other user's process and no web page can connect to it;
 * - every request must carry a random per-process secret (compared in constant time), so
 *   even a process of the same user that finds the socket gets 403;
 * - browser requests (any `Origin` header, CORS preflights) are refused, and dynalite's
 *   `Access-Control-Allow-Origin: *` is never sent.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (opts: { path?: string; createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

/** The header every request to the embedded store must carry. */
export const EMBEDDED_SECRET_HEADER = 'x-keyguard-embedded-secret';

export interface EmbeddedDynamo {
  /** The Unix socket the store listens on (mode 0700 directory). */
  socketPath: string;
  client: DynamoDBClient;
  close(): Promise<void>;
}

/** An http.Agent whose every connection goes to one Unix socket. */
class UnixSocketAgent extends http.Agent {
  constructor(private readonly socketPath: string) {
    super({ keepAlive: true });
  }

  override createConnection(_options: object, callback?: (err: Error | null, socket: net.Socket) => void): net.Socket {
    const socket = net.createConnection(this.socketPath);
    if (callback) socket.once('connect', () => callback(null, socket));
    return socket;
  }
}

function secretMatches(given: string | string[] | undefined, secret: Buffer): boolean {
  if (typeof given !== 'string') return false;
  const g = Buffer.from(given);
  return g.length === secret.length && timingSafeEqual(g, secret);
}

/**
 * The gate in front of dynalite's own handler: no secret, a browser origin or a method other
 * than POST get 403 and never reach the store.
 */
function guardRequests(server: Server, secret: string): void {
  const expected = Buffer.from(secret);
  const handlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.headers.origin !== undefined || !secretMatches(req.headers[EMBEDDED_SECRET_HEADER], expected)) {
      req.resume();
      res.statusCode = 403;
      res.setHeader('content-type', 'application/json');
      res.end('{"__type":"AccessDeniedException","message":"the embedded store answers keyguard only"}');
      return;
    }
    for (const h of handlers) h(req, res);
  });
}

/** Start dynalite. `dataDir` undefined keeps everything in memory (tests). */
export async function startEmbeddedDynamo(dataDir?: string): Promise<EmbeddedDynamo> {
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const server = dynalite({ path: dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const secret = randomBytes(32).toString('hex');
  guardRequests(server, secret);
  // A directory of our own, readable by this user only; the socket inside it inherits that.
  const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyguard-store-'));
  fs.chmodSync(socketDir, 0o700);
  const socketPath = path.join(socketDir, 'dynamo.sock');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  fs.chmodSync(socketPath, 0o600);
  const agent = new UnixSocketAgent(socketPath);
  const client = new DynamoDBClient({
    // The host is never resolved: the agent connects to the socket.
    endpoint: 'http://keyguard-embedded-store',
    region: 'local',
    // dynalite does not check credentials; these never leave the process.
    credentials: { accessKeyId: 'embedded', secretAccessKey: 'embedded' },
    requestHandler: new NodeHttpHandler({ httpAgent: agent }),
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers[EMBEDDED_SECRET_HEADER] = secret;
      return next(args);
    },
    { step: 'build', name: 'keyguardEmbeddedSecret' },
  );
  return {
    socketPath,
    client,
    close: () =>
      new Promise<void>((resolve) => {
        client.destroy();
        agent.destroy();
        (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => {
          fs.rmSync(socketDir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
