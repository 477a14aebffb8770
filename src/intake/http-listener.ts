/**
 * Serving intake on HTTP: a route for the bot's HTTP front door (HTTP mode), or, in Socket
 * Mode, a small listener on PORT that serves only `POST /intake/github` and `GET /healthz`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GitHubDelivery, WebhookAnswer } from './github-webhook';
import { header, readBody } from '../http-body';

export type IntakeRoute = (delivery: GitHubDelivery) => Promise<WebhookAnswer>;

/** Read the body (bounded), hand it to the route, write its answer. */
export function serveIntake(route: IntakeRoute, req: http.IncomingMessage, res: http.ServerResponse, onError: (e: unknown) => void): void {
  readBody(req, res, (rawBody) => {
    route({
      event: header(req, 'x-github-event'),
      signature: header(req, 'x-hub-signature-256'),
      deliveryId: header(req, 'x-github-delivery'),
      remoteAddress: req.socket.remoteAddress,
      rawBody: rawBody.toString('utf8'),
    })
      .then((a) => res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body)))
      .catch((e) => {
        onError(e);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal error"}');
      });
  });
}

export interface IntakeListener {
  port: number;
  close(): Promise<void>;
}

/** Socket Mode: only the intake path and the health check, on `port`. */
export async function startIntakeListener(path: string, route: IntakeRoute, port: number, host: string | undefined, onError: (e: unknown) => void): Promise<IntakeListener> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (req.method === 'POST' && url === path) {
      serveIntake(route, req, res, onError);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
