/**
 * A fake GitHub REST API on loopback: the two secret-scanning endpoints the bot reads
 * (an alert, and its locations), behind a bearer token, recording every request. Point
 * GITHUB_API_URL at it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGitHub {
  url: string;
  /** `owner/repo#n` → REST alert and locations. */
  alerts: Map<string, { alert: Record<string, unknown>; locations: unknown[] }>;
  requests: Array<{ method: string; path: string; authorization?: string }>;
  /** The next `n` requests answer with this status. */
  failNext(status: number, n?: number): void;
  close(): Promise<void>;
}

export async function startFakeGitHub(opts: { token: string }): Promise<FakeGitHub> {
  const alerts = new Map<string, { alert: Record<string, unknown>; locations: unknown[] }>();
  const requests: FakeGitHub['requests'] = [];
  let failing = { status: 0, n: 0 };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization });
    const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (failing.n > 0) {
      failing.n--;
      return reply(failing.status, { message: 'Server Error' });
    }
    if (req.headers.authorization !== `Bearer ${opts.token}` && req.headers.authorization !== `token ${opts.token}`) {
      return reply(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }
    const m = /^\/repos\/([^/]+)\/([^/]+)\/secret-scanning\/alerts\/(\d+)(\/locations)?$/.exec(path);
    const found = m ? alerts.get(`${m[1]}/${m[2]}#${m[3]}`) : undefined;
    if (req.method !== 'GET' || !m || !found) return reply(404, { message: 'Not Found' });
    return reply(200, m[4] ? found.locations : found.alert);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    alerts,
    requests,
    failNext: (status, n = 1) => void (failing = { status, n }),
    close: () => new Promise((r) => {
      server.closeAllConnections?.();
      server.close(() => r());
    }),
  };
}
