/** Small pieces both HTTP listeners share (the Slack front door and the intake listener). */
import type http from 'node:http';

/** Requests above this many bytes are answered 413 and never read further. */
const MAX_BODY = 1024 * 1024;

/** One header's value (the first, when sent twice). */
export function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Read the whole body, at most MAX_BODY bytes (413 beyond), then hand it over. */
export function readBody(req: http.IncomingMessage, res: http.ServerResponse, onBody: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_BODY) {
      res.writeHead(413).end();
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (res.writableEnded) return;
    onBody(Buffer.concat(chunks));
  });
}
