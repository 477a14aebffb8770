/**
 * A fake Slack Web API on loopback. It records every call, answers like Slack (including
 * refusing oversized or malformed Block Kit with `invalid_blocks`), serves response_url
 * posts and the external file upload flow. Point the app at it with SLACK_API_URL.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { blockProblems, viewProblems } from './slack-limits-check';

export interface RecordedCall {
  method: string;
  args: Record<string, any>;
  at: number;
}

export interface FakeUser {
  id: string;
  name: string;
  real_name?: string;
  email?: string;
  is_bot?: boolean;
  tz?: string;
}

export interface FakeSlack {
  url: string;
  /** Web API base to give the app (ends with /api/). */
  apiUrl: string;
  calls: RecordedCall[];
  responses: RecordedCall[];
  uploads: Map<string, { filename?: string; content: Buffer }>;
  users: Map<string, FakeUser>;
  userGroups: Map<string, string[]>;
  /** The App Home tab last published for each user (views.publish). */
  homeViews: Map<string, Record<string, any>>;
  callsTo(method: string): RecordedCall[];
  responseUrl(): string;
  /** Wait until `pred` holds for the recorded calls, or fail with what was recorded. */
  waitFor<T>(pred: () => T | undefined | false, what: string, timeoutMs?: number): Promise<T>;
  /** Make the next `n` calls to `method` fail with `error`. */
  failNext(method: string, error: string, n?: number): void;
  reset(): void;
  close(): Promise<void>;
}

const JSON_FIELDS = ['blocks', 'attachments', 'view', 'files', 'metadata'];

function parseArgs(raw: string, contentType: string | undefined): Record<string, any> {
  if (!raw) return {};
  if (contentType?.includes('application/json')) return JSON.parse(raw);
  const args: Record<string, any> = Object.fromEntries(new URLSearchParams(raw));
  for (const f of JSON_FIELDS) {
    if (typeof args[f] === 'string') {
      try {
        args[f] = JSON.parse(args[f]);
      } catch {
        /* Slack would refuse it: leave as a string so validation fails */
      }
    }
  }
  return args;
}

export async function startFakeSlack(opts: { token: string }): Promise<FakeSlack> {
  const calls: RecordedCall[] = [];
  const responses: RecordedCall[] = [];
  const uploads = new Map<string, { filename?: string; content: Buffer }>();
  const users = new Map<string, FakeUser>();
  const userGroups = new Map<string, string[]>();
  const homeViews = new Map<string, Record<string, any>>();
  const failures = new Map<string, { error: string; n: number }>();
  const pendingUploads = new Map<string, string>();
  let tsCounter = 1_700_000_000;
  let base = '';

  const messages = new Map<string, Record<string, any>>(); // `${channel}:${ts}` → message

  function answer(method: string, args: Record<string, any>): Record<string, any> {
    const fail = failures.get(method);
    if (fail && fail.n > 0) {
      fail.n -= 1;
      return { ok: false, error: fail.error };
    }
    if (args.blocks !== undefined) {
      const problems = blockProblems(args.blocks, 'message');
      if (problems.length > 0) return { ok: false, error: 'invalid_blocks', errors: problems };
    }
    if (args.view !== undefined) {
      const problems = viewProblems(typeof args.view === 'string' ? JSON.parse(args.view) : args.view);
      if (problems.length > 0) return { ok: false, error: 'invalid_arguments', response_metadata: { messages: problems } };
    }
    if (args.text !== undefined && String(args.text).length > 40_000) return { ok: false, error: 'msg_too_long' };
    switch (method) {
      case 'chat.postMessage': {
        if (!args.channel) return { ok: false, error: 'channel_not_found' };
        const ts = `${tsCounter++}.000100`;
        const message = { ts, text: args.text, blocks: args.blocks, thread_ts: args.thread_ts };
        messages.set(`${args.channel}:${ts}`, message);
        return { ok: true, channel: args.channel, ts, message };
      }
      case 'chat.update': {
        const key = `${args.channel}:${args.ts}`;
        if (!messages.has(key)) return { ok: false, error: 'message_not_found' };
        messages.set(key, { ...messages.get(key), text: args.text, blocks: args.blocks });
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: `${tsCounter++}.000200` };
      case 'chat.getPermalink':
        return { ok: true, channel: args.channel, permalink: `https://example.slack.com/archives/${args.channel}/p${String(args.message_ts).replace('.', '')}` };
      case 'views.open':
      case 'views.update':
      case 'views.push':
        return { ok: true, view: { id: `V${randomUUID().slice(0, 8).toUpperCase()}`, ...(typeof args.view === 'string' ? JSON.parse(args.view) : args.view) } };
      case 'views.publish': {
        // Home tabs only (checked above against the 100-block limit), for a user id.
        const view = typeof args.view === 'string' ? JSON.parse(args.view) : args.view;
        if (!args.user_id) return { ok: false, error: 'invalid_arguments', response_metadata: { messages: ['user_id is required'] } };
        if (view?.type !== 'home') return { ok: false, error: 'invalid_arguments', response_metadata: { messages: ['views.publish takes a view of type home'] } };
        const published = { id: `V${randomUUID().slice(0, 8).toUpperCase()}`, ...view };
        homeViews.set(args.user_id, published);
        return { ok: true, view: published };
      }
      case 'users.info': {
        const u = users.get(args.user);
        return u ? { ok: true, user: { ...u, profile: { email: u.email, real_name: u.real_name } } } : { ok: false, error: 'user_not_found' };
      }
      case 'users.lookupByEmail': {
        const u = [...users.values()].find((x) => x.email === args.email);
        return u ? { ok: true, user: { ...u, profile: { email: u.email } } } : { ok: false, error: 'users_not_found' };
      }
      case 'usergroups.users.list': {
        const members = userGroups.get(args.usergroup);
        return members ? { ok: true, users: members } : { ok: false, error: 'no_such_subteam' };
      }
      case 'conversations.open':
        return { ok: true, channel: { id: `D${String(args.users ?? 'X').replace(/[^A-Z0-9]/g, '')}` } };
      case 'files.getUploadURLExternal': {
        const fileId = `F${randomUUID().slice(0, 10).toUpperCase()}`;
        pendingUploads.set(fileId, args.filename);
        return { ok: true, upload_url: `${base}/upload/${fileId}`, file_id: fileId };
      }
      case 'files.completeUploadExternal': {
        const files = (args.files ?? []) as Array<{ id: string; title?: string }>;
        for (const f of files) if (!uploads.has(f.id)) return { ok: false, error: 'file_not_found' };
        return { ok: true, files: files.map((f) => ({ id: f.id, title: f.title, name: uploads.get(f.id)?.filename })) };
      }
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1', url: 'https://example.slack.com/' };
      default:
        return { ok: true };
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = req.url ?? '/';
      const reply = (status: number, obj: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (url.startsWith('/upload/')) {
        const id = url.slice('/upload/'.length);
        if (!pendingUploads.has(id)) return reply(404, { ok: false });
        uploads.set(id, { filename: pendingUploads.get(id), content: body });
        return reply(200, { ok: true });
      }
      if (url.startsWith('/response/')) {
        const args = parseArgs(body.toString(), req.headers['content-type']);
        responses.push({ method: url, args, at: Date.now() });
        if (args.blocks !== undefined) {
          const problems = blockProblems(args.blocks, 'message');
          if (problems.length > 0) return reply(400, { ok: false, error: 'invalid_blocks', errors: problems });
        }
        return reply(200, { ok: true });
      }
      if (url.startsWith('/api/')) {
        const method = url.slice('/api/'.length).split('?')[0];
        const args = parseArgs(body.toString(), req.headers['content-type']);
        const auth = req.headers.authorization ?? `Bearer ${args.token ?? ''}`;
        delete args.token;
        calls.push({ method, args, at: Date.now() });
        if (auth !== `Bearer ${opts.token}`) return reply(200, { ok: false, error: 'invalid_auth' });
        return reply(200, answer(method, args));
      }
      reply(404, { ok: false, error: 'unknown_url' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeSlack = {
    url: base,
    apiUrl: `${base}/api/`,
    calls,
    responses,
    uploads,
    users,
    userGroups,
    homeViews,
    callsTo: (method) => calls.filter((c) => c.method === method),
    responseUrl: () => `${base}/response/${randomUUID()}`,
    async waitFor(pred, what, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = pred();
        if (v) return v as any;
        if (Date.now() > deadline) {
          const seen = [...calls.map((c) => c.method), ...responses.map(() => 'response_url')];
          throw new Error(`timed out waiting for ${what}; Slack saw: ${seen.join(', ') || 'nothing'}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    failNext(method, error, n = 1) {
      failures.set(method, { error, n });
    },
    reset() {
      calls.length = 0;
      responses.length = 0;
      uploads.clear();
      homeViews.clear();
      failures.clear();
      messages.clear();
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
  return fake;
}
