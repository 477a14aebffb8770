/**
 * The HTTP front door in HTTP mode: a health check, strict signature checks, then Bolt's own
 * receiver. The body is buffered once and handed to Bolt as `rawBody`, which Bolt reuses.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HTTPReceiver } from '@slack/bolt';
import type { Logger } from './logger';
import { verifySlackSignature } from './slack/verify-signature';
import { header, readBody } from './http-body';


export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface HttpFrontDoor {
  server: http.Server;
  /** Slack requests received and not yet answered (acks still to send). */
  readonly waiting: number;
  /** Serve another POST path with its own authentication (e.g. `/intake/github`, signed by GitHub). */
  route(path: string, handler: RouteHandler): void;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

export function httpFrontDoor(opts: {
  receiver: HTTPReceiver;
  signingSecret: string;
  logger: Logger;
  nowSeconds?: () => number;
  path?: string;
}): HttpFrontDoor {
  const path = opts.path ?? '/slack/events';
  const now = opts.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  let waiting = 0;
  const routes = new Map<string, RouteHandler>();
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const route = req.method === 'POST' ? routes.get(url) : undefined;
    if (route) {
      route(req, res);
      return;
    }
    if (req.method !== 'POST' || url !== path) {
      res.writeHead(404).end();
      return;
    }
    // Counted until the answer is sent: background work waits while acks are due.
    waiting++;
    res.once('close', () => waiting--);
    readBody(req, res, (rawBody) => {
      const verdict = verifySlackSignature(
        opts.signingSecret,
        { timestamp: header(req, 'x-slack-request-timestamp'), signature: header(req, 'x-slack-signature') },
        rawBody.toString('utf8'),
        now(),
      );
      if (!verdict.ok) {
        opts.logger.warn({ reason: verdict.reason, ip: req.socket.remoteAddress }, 'refused a request with a bad Slack signature');
        res.writeHead(401, { 'content-type': 'text/plain' }).end('invalid request signature');
        return;
      }
      (req as http.IncomingMessage & { rawBody?: Buffer }).rawBody = rawBody;
      opts.receiver.requestListener(req, res);
    });
  });
  return {
    server,
    get waiting() {
      return waiting;
    },
    route: (p, handler) => void routes.set(p, handler),
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

