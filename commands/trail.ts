/**
 * `/trail <access-key-id | user-name | role-arn> [since] [until]`: the principal's CloudTrail
 * history from every region. One message shows progress and then the summary; the full
 * export (CSV and NDJSON) goes into its thread.
 */
import fs from 'node:fs';
import { orAck } from './ack-first';
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { KnownBlock, WebClient } from '@slack/web-api';
import { parseTrailQuery, TrailQuery } from '../src/domain/trail-query';
import type { CommandDeps, TrailPort } from '../src/ports';
import { notAllowedBlocks } from '../src/slack/key-owner-blocks';
import { asiaTraceBlocks, PROGRESS_UPDATE_INTERVAL_MS, trailProgressBlocks, trailSummaryBlocks } from '../src/slack/trail-blocks';
import { ThrottledUpdater } from '../src/slack/throttled-updater';
import { uploadFiles } from '../src/slack/file-upload';
import { isKeyguardError, slackErrorCode } from '../src/errors';
import { historyNote } from '../src/slack/history-note';

export const TRAIL_COMMAND = '/trail';

/** Post where the command was typed; when the bot is not in that channel, DM the person. */
async function openMessage(client: WebClient, channel: string, userId: string, text: string): Promise<{ channel: string; ts: string }> {
  try {
    const r = await client.chat.postMessage({ channel, text });
    return { channel: r.channel ?? channel, ts: r.ts! };
  } catch {
    const dm = await client.conversations.open({ users: userId });
    const r = await client.chat.postMessage({ channel: dm.channel!.id!, text });
    return { channel: r.channel ?? dm.channel!.id!, ts: r.ts! };
  }
}

export async function runTrail(
  trail: TrailPort,
  client: WebClient,
  q: TrailQuery,
  where: { channel: string; ts: string },
  now: Date,
  owner: { userName?: string; account?: string } = {},
): Promise<void> {
  const updater = new ThrottledUpdater(
    (view: ReturnType<typeof trailProgressBlocks>) => client.chat.update({ channel: where.channel, ts: where.ts, ...view }),
    PROGRESS_UPDATE_INTERVAL_MS,
  );
  let result;
  try {
    result = await trail.pull({
      subject: q.subject,
      alsoUserName: owner.userName,
      account: owner.account,
      start: q.start,
      end: q.end,
      exportFiles: true,
      progressIntervalMs: 1000,
      onProgress: (p) => updater.push(trailProgressBlocks(q.label, p)),
      source: q.source, requestedStart: q.requestedStart, // which CloudTrail history (history-source.ts)
    });
  } finally {
    await updater.stop();
  }
  const summary = trailSummaryBlocks(result.summary, {
    subject: q.label,
    window: { start: q.start.toISOString(), end: q.end.toISOString() },
    regionsQueried: result.regions.length,
    regionsFailed: result.progress.regionsFailed,
    duplicatesDropped: result.progress.duplicatesDropped,
  });
  await client.chat.update({ channel: where.channel, ts: where.ts, ...summary });
  if (q.notes.length > 0) await client.chat.postMessage({ channel: where.channel, thread_ts: where.ts, text: q.notes.join('\n') });
  if (result.history) await client.chat.postMessage({ channel: where.channel, thread_ts: where.ts, text: historyNote(result.history) });
  // The summary is out: anything failing from here on is said in the thread, and the summary
  // stays as it is.
  const note = (text: string) => client.chat.postMessage({ channel: where.channel, thread_ts: where.ts, text }).catch(() => undefined);
  if (q.subject.kind === 'key' && q.subject.temporary) {
    try {
      const trace = await trail.trace(q.subject.accessKeyId, now);
      await client.chat.postMessage({ channel: where.channel, thread_ts: where.ts, text: `Where ${q.subject.accessKeyId} came from`, blocks: asiaTraceBlocks(trace) as unknown as KnownBlock[] });
    } catch (e) {
      await note(`:warning: Could not trace where this key came from: ${isKeyguardError(e) ? e.userMessage : (e as Error).message}`);
    }
  }
  if (result.files) {
    const stamp = now.toISOString().slice(0, 16).replace(/[:T]/g, '');
    const safe = q.label.replace(/[^\w.-]/g, '_').slice(0, 60);
    try {
      await uploadFiles(
        client,
        [
          { path: result.files.csv, filename: `cloudtrail-${safe}-${stamp}.csv`, title: `CloudTrail ${q.label} (CSV)` },
          { path: result.files.ndjson, filename: `cloudtrail-${safe}-${stamp}.ndjson`, title: `CloudTrail ${q.label} (NDJSON)` },
        ],
        { channel: where.channel, threadTs: where.ts, comment: `All ${result.summary.eventCount} events` },
      );
    } catch (e) {
      await note(`:warning: The export could not be uploaded (${slackErrorCode(e)}); the summary above is complete.`);
    } finally {
      fs.rmSync(result.files.dir, { recursive: true, force: true });
    }
  }
}

/**
 * For a key: its account (another account's CloudTrail is searched through its role) and,
 * for a user's key, the owner, looked up by Username too (console use, sessions it minted).
 */
async function ownerOf(deps: CommandDeps, q: TrailQuery): Promise<{ userName?: string; account?: string }> {
  if (q.subject.kind !== 'key') return {};
  try {
    const facts = await deps.keyOwner.lookup(q.subject.accessKeyId, q.subject.temporary ? 'temporary' : 'long-term');
    return { userName: facts.user?.userName, account: facts.sameAccount ? undefined : facts.account };
  } catch {
    return {}; // unknown or unreadable owner: the key alone is searched, in the bot's account
  }
}

export function trailHandler(deps: CommandDeps) {
  return async ({ command, ack, respond, client }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    if (!(await orAck(ack, deps.access.isResponder(command.user_id)))) {
      await ack({ response_type: 'ephemeral', ...notAllowedBlocks(TRAIL_COMMAND) });
      return;
    }
    const parsed = parseTrailQuery(command.text, deps.now());
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', text: parsed.message });
      return;
    }
    if (!deps.trail) {
      await ack({ response_type: 'ephemeral', text: 'CloudTrail lookups are not configured for this bot.' });
      return;
    }
    const q = parsed.query;
    await ack({ response_type: 'ephemeral', text: `:mag: Searching CloudTrail for \`${q.label}\` from ${q.start.toISOString().slice(0, 16)} to ${q.end.toISOString().slice(0, 16)} UTC…` });
    const where = await openMessage(client, command.channel_id, command.user_id, `:hourglass_flowing_sand: Pulling CloudTrail for ${q.label}…`);
    try {
      await runTrail(deps.trail, client, q, where, deps.now(), await ownerOf(deps, q));
    } catch (e) {
      const msg = isKeyguardError(e) ? e.userMessage : 'The CloudTrail search failed; see the log.';
      await client.chat.update({ channel: where.channel, ts: where.ts, text: `:warning: CloudTrail for ${q.label}: ${msg}` }).catch(() => undefined);
      await respond({ response_type: 'ephemeral', text: `:warning: ${msg}` }).catch(() => undefined);
      deps.logger.error({ err: e, subject: q.label }, 'CloudTrail search failed');
    }
  };
}
