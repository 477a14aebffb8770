/**
 * A tiny HTTP proxy in front of moto for the failures moto cannot play: throttling, 5xx,
 * AccessDenied, and stale reads (eventual consistency). IAM and STS speak the AWS Query
 * protocol (form body `Action=…&Version=…&…`), so a request is matched by its `Action`.
 *
 * Everything that is not told to fail is forwarded to moto unchanged. Every request is
 * recorded with its form parameters (passwords masked), so tests can assert what the bot
 * actually sent (e.g. AssumeRole's SourceIdentity) and how many attempts the SDK made.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export type Fault = 'throttling' | 'internal-error' | 'service-unavailable' | 'access-denied';

export interface RecordedRequest {
  action: string;
  params: Record<string, string>;
  /** The fault answered instead of forwarding, or 'stale' for a replayed answer. */
  injected?: Fault | 'stale';
  status: number;
  /** Who signed it and for which service, from the SigV4 Authorization header. */
  accessKeyId?: string;
  service?: string;
  /** AssumeRole answered by moto: the access key id of the session it issued. */
  issuedAccessKeyId?: string;
}

export interface FaultProxy {
  url: string;
  /** Answer the next `times` requests for `action` with `fault` (Infinity: until reset). */
  failNext(action: string, fault: Fault, times?: number): void;
  /**
   * Answer the next `times` requests for `action` with the answer moto gave to the last
   * identical request: what an eventually consistent read looks like just after a write.
   */
  serveStale(action: string, times: number): void;
  requests(action?: string): RecordedRequest[];
  count(action: string): number;
  /** Forget recorded requests and pending faults. */
  reset(): void;
  close(): Promise<void>;
}

const SECRET_PARAMS = new Set(['Password', 'NewPassword', 'OldPassword']);

interface Canned {
  status: number;
  code: string;
  message: (action: string) => string;
  type: 'Sender' | 'Receiver';
}

const FAULTS: Record<Fault, Canned> = {
  throttling: { status: 400, code: 'Throttling', type: 'Sender', message: () => 'Rate exceeded' },
  'internal-error': { status: 500, code: 'InternalFailure', type: 'Receiver', message: () => 'We encountered an internal error. Please try again.' },
  'service-unavailable': { status: 503, code: 'ServiceUnavailable', type: 'Receiver', message: () => 'Service is unavailable. Please try again.' },
  'access-denied': {
    status: 403,
    code: 'AccessDenied',
    type: 'Sender',
    message: (action) =>
      `User: arn:aws:sts::123456789012:assumed-role/keyguard-bot/test is not authorized to perform: iam:${action} because no identity-based policy allows the iam:${action} action`,
  },
};

function errorXml(c: Canned, action: string, requestId: string): string {
  return (
    `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>${c.type}</Type>` +
    `<Code>${c.code}</Code><Message>${c.message(action)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

function parseForm(body: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body)) params[k] = SECRET_PARAMS.has(k) ? '[masked]' : v;
  return params;
}

interface Saved {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  let recorded: RecordedRequest[] = [];
  let faults = new Map<string, { fault: Fault; left: number }>();
  let stale = new Map<string, number>();
  /** Last answer moto gave, keyed by the exact request body. */
  const answers = new Map<string, Saved>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const params = parseForm(text);
      const action = params.Action ?? '';
      const signer = /Credential=([^/,\s]+)\/\d{8}\/[a-z0-9-]+\/([a-z0-9-]+)\/aws4_request/.exec(req.headers.authorization ?? '');
      const record: RecordedRequest = { action, params, status: 0, ...(signer ? { accessKeyId: signer[1], service: signer[2] } : {}) };
      recorded.push(record);

      const pending = faults.get(action);
      if (pending && pending.left > 0) {
        pending.left -= 1;
        const canned = FAULTS[pending.fault];
        const requestId = randomUUID();
        record.injected = pending.fault;
        record.status = canned.status;
        res.writeHead(canned.status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
        res.end(errorXml(canned, action, requestId));
        return;
      }

      const staleLeft = stale.get(action) ?? 0;
      const saved = answers.get(text);
      if (staleLeft > 0 && saved) {
        stale.set(action, staleLeft - 1);
        record.injected = 'stale';
        record.status = saved.status;
        res.writeHead(saved.status, saved.headers);
        res.end(saved.body);
        return;
      }

      const upstream = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          const parts: Buffer[] = [];
          up.on('data', (c: Buffer) => parts.push(c));
          up.on('end', () => {
            const answer: Saved = { status: up.statusCode ?? 502, headers: up.headers, body: Buffer.concat(parts) };
            answers.set(text, answer);
            record.status = answer.status;
            if (action === 'AssumeRole' && answer.status === 200) {
              const issued = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(answer.body.toString('utf8'));
              if (issued) record.issuedAccessKeyId = issued[1];
            }
            res.writeHead(answer.status, answer.headers);
            res.end(answer.body);
          });
        },
      );
      upstream.on('error', (e) => {
        record.status = 502;
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault-proxy: moto unreachable: ${e.message}`);
      });
      upstream.end(body);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    failNext(action, fault, times = 1) {
      faults.set(action, { fault, left: times });
    },
    serveStale(action, times) {
      stale.set(action, times);
    },
    requests(action) {
      return action === undefined ? [...recorded] : recorded.filter((r) => r.action === action);
    },
    count(action) {
      return recorded.filter((r) => r.action === action).length;
    },
    reset() {
      recorded = [];
      faults = new Map();
      stale = new Map();
      answers.clear();
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

/**
 * One proxy in front of this worker's moto for a whole test file, with its recordings and
 * pending faults forgotten before each test. Call at the top level of a test file.
 */
export function useFaultProxy(): () => FaultProxy {
  let proxy: FaultProxy | undefined;
  beforeAll(async () => {
    proxy = await startFaultProxy(process.env.MOTO_URL!);
  });
  afterAll(async () => {
    await proxy?.close();
  });
  beforeEach(() => proxy?.reset());
  return () => {
    if (!proxy) throw new Error('fault proxy not started: call useFaultProxy() at the top level of the test file');
    return proxy;
  };
}
