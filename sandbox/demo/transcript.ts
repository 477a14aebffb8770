/**
 * The simulated workspace's conversation as plain text a person can read in a terminal:
 * what each person typed or clicked, and what the bot said back (the incident card as it
 * stands, thread replies, replies only the asker sees, modals, uploaded files).
 */
import type { FakeSlack, RecordedCall } from '../fake-slack';
import { plainMrkdwn, renderBlocks, textOf } from '../../src/cli/plain-text';

export interface TranscriptLine {
  /** Milliseconds since the demo began. */
  atMs: number;
  text: string;
}

export interface Transcript {
  lines: TranscriptLine[];
  /** A person's action, as they did it. */
  person(who: string, what: string): void;
  /** The narrator: what happened outside Slack (the leak, a check against AWS). */
  note(what: string): void;
  /** Everything the bot said since the last call, each message once in its latest version. */
  flush(): void;
  text(): string;
}

export interface TranscriptOptions {
  slack: FakeSlack;
  /** Display names by Slack user id. */
  names: Record<string, string>;
  /** Channel names by id. */
  channels: Record<string, string>;
  /** Each line is also handed here (the terminal), as it is written. */
  echo?: (line: string) => void;
  start?: number;
}

const SKIPPED = new Set(['users.info', 'users.lookupByEmail', 'conversations.open', 'files.getUploadURLExternal', 'chat.getPermalink', 'views.publish', 'auth.test', 'usergroups.users.list']);

export function createTranscript(o: TranscriptOptions): Transcript {
  const start = o.start ?? Date.now();
  const lines: TranscriptLine[] = [];
  let seenCalls = 0;
  let seenResponses = 0;
  /** What each message looked like when it was last printed, by channel:ts. */
  const printed = new Map<string, string>();
  const name = (id: string | undefined) => (id ? (o.names[id] ?? id) : '?');
  const where = (channel: string | undefined) => {
    if (!channel) return '?';
    if (o.channels[channel]) return `#${o.channels[channel]}`;
    if (channel.startsWith('D') || channel.startsWith('U')) return `DM`;
    return channel;
  };
  const withNames = (s: string) => s.replace(/<?@(U[A-Z0-9]{2,})>?/g, (_m, id: string) => `@${name(id)}`);
  const push = (text: string) => {
    for (const raw of text.split('\n')) {
      const l = withNames(raw);
      const line = { atMs: Date.now() - start, text: l };
      lines.push(line);
      o.echo?.(l);
    }
  };
  const indent = (ls: string[], pad = '    ') => ls.map((l) => `${pad}${l}`).join('\n');
  const body = (args: Record<string, any>) => (Array.isArray(args.blocks) && args.blocks.length > 0 ? renderBlocks(args.blocks) : plainMrkdwn(String(args.text ?? '')).split('\n'));

  const api: Transcript = {
    lines,
    person(who, what) {
      api.flush();
      push(`\n${stamp(Date.now() - start)} ${who}: ${what}`);
    },
    note(what) {
      api.flush();
      push(`\n${stamp(Date.now() - start)} -- ${what}`);
    },
    flush() {
      const calls = o.slack.calls.slice(seenCalls);
      const responses = o.slack.responses.slice(seenResponses);
      seenCalls = o.slack.calls.length;
      seenResponses = o.slack.responses.length;
      const merged: Array<RecordedCall & { response?: boolean }> = [...calls, ...responses.map((r) => ({ ...r, response: true }))].sort((a, b) => a.at - b.at);
      // The latest version of each message wins; earlier drafts of it in this batch are skipped.
      const latest = new Map<string, number>();
      merged.forEach((c, i) => {
        if (c.method === 'chat.update') latest.set(`${c.args.channel}:${c.args.ts}`, i);
      });
      merged.forEach((c, i) => {
        const t = stamp(c.at - start);
        if (c.response) {
          if (c.args.delete_original) return;
          push(`${t} bot (only the asker sees this):\n${indent(body(c.args))}`);
          return;
        }
        if (SKIPPED.has(c.method)) return;
        switch (c.method) {
          case 'chat.postMessage': {
            const thread = c.args.thread_ts ? ' (in the incident thread)' : '';
            push(`${t} bot in ${where(c.args.channel)}${thread}:\n${indent(body(c.args))}`);
            break;
          }
          case 'chat.update': {
            const key = `${c.args.channel}:${c.args.ts}`;
            if (latest.get(key) !== i) return;
            const shown = indent(body(c.args));
            if (printed.get(key) === shown) return;
            printed.set(key, shown);
            push(`${t} bot updated its message in ${where(c.args.channel)}:\n${shown}`);
            break;
          }
          case 'chat.postEphemeral':
            push(`${t} bot (only ${name(c.args.user)} sees this):\n${indent(body(c.args))}`);
            break;
          case 'views.open':
          case 'views.update': {
            const view = typeof c.args.view === 'string' ? JSON.parse(c.args.view) : c.args.view;
            push(`${t} bot opens a form "${textOf(view?.title)}":\n${indent(renderBlocks(view?.blocks ?? []))}`);
            break;
          }
          case 'files.completeUploadExternal': {
            const files = (c.args.files ?? []) as Array<{ id: string }>;
            const names = files.map((f) => o.slack.uploads.get(f.id)?.filename ?? f.id);
            push(`${t} bot uploads to ${where(c.args.channel_id)}${c.args.thread_ts ? ' (in the incident thread)' : ''}: ${names.join(', ')}${c.args.initial_comment ? `\n${indent(plainMrkdwn(String(c.args.initial_comment)).split('\n'))}` : ''}`);
            break;
          }
          default:
            push(`${t} bot calls ${c.method}`);
        }
      });
    },
    text() {
      return lines.map((l) => l.text).join('\n') + '\n';
    },
  };
  return api;
}

function stamp(ms: number): string {
  return `[${(Math.max(0, ms) / 1000).toFixed(1).padStart(5, ' ')}s]`;
}
