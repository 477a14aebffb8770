/**
 * `/trail <access-key-id | user-name | role-arn> [since] [until]`: the principal's CloudTrail
 * history from every region. One message shows progress and then the summary; the full
 * export (CSV and NDJSON) goes into its thread.
 */
import { orAck } from './ack-first';
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { parseTrailQuery, TrailQuery } from '../src/domain/trail-query';
import type { CommandDeps, LogPort, TrailPort } from '../src/ports';
import { notAllowedBlocks } from '../src/slack/key-owner-blocks';
import { asiaTraceBlocks } from '../src/slack/trail-blocks';
import { reportTrail } from '../src/slack/trail-report';
import { isKeyguardError } from '../src/errors';
import { fileStamp, isoMinute } from '../src/domain/time';
import { historyNote } from '../src/slack/history-note';

export const TRAIL_COMMAND = '/trail';

/**
 * Post in the incident channel (IR_CHANNEL_ID), never in the channel the command was typed
 * in (it may be public); without one, or when the bot cannot post there, DM the person.
 */
async function openMessage(client: WebClient, channel: string | undefined, userId: string, text: string): Promise<{ channel: string; ts: string }> {
  try {
    if (!channel) throw new Error('no incident channel: DM');
    const r = await client.chat.postMessage({ channel, text });
    return { channel: r.channel ?? channel, ts: r.ts! };
  } catch {
    const dm = await client.conversations.open({ users: userId });
    const r = await client.chat.postMessage({ channel: dm.channel!.id!, text });
    return { channel: r.channel ?? dm.channel!.id!, ts: r.ts! };
  }
}

async function runTrail(
  trail: TrailPort,
  client: WebClient,
  logger: LogPort,
  q: TrailQuery,
  where: { channel: string; ts: string },
  now: Date,
  owner: { userName?: string; account?: string } = {},
): Promise<void> {
  const safe = q.label.replace(/[^\w.-]/g, '_').slice(0, 60);
  const stamp = fileStamp(now);
  await reportTrail(trail, client, logger, {
    where,
    threadTs: where.ts,
    label: q.label,
    pull: { subject: q.subject, alsoUserName: owner.userName, account: owner.account, start: q.start, end: q.end, source: q.source, requestedStart: q.requestedStart },
    files: { csv: `cloudtrail-${safe}-${stamp}.csv`, ndjson: `cloudtrail-${safe}-${stamp}.ndjson`, title: `CloudTrail ${q.label}`, comment: (n) => `All ${n} events` },
    uploadFailed: (why) => `:warning: The export could not be uploaded (${why}); the summary above is complete.`,
    afterSummary: async (_r, say) => {
      if (q.notes.length > 0) await say(q.notes.join('\n'));
      if (_r.history) await say(historyNote(_r.history));
      if (q.subject.kind === 'key' && q.subject.temporary) {
        try {
          const trace = await trail.trace(q.subject.accessKeyId, now);
          await client.chat.postMessage({ channel: where.channel, thread_ts: where.ts, text: `Where ${q.subject.accessKeyId} came from`, blocks: asiaTraceBlocks(trace) });
        } catch (e) {
          logger.warn({ err: e, key: q.subject.accessKeyId }, 'could not trace a temporary key');
          await say(`:warning: Could not trace where this key came from: ${isKeyguardError(e) ? e.userMessage : (e as Error).message}`);
        }
      }
    },
  });
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
  } catch (e) {
    // Unknown or unreadable owner: the key alone is searched, in the bot's account.
    deps.logger.info({ err: e, subject: q.label }, 'key owner unknown; searching the key alone');
    return {};
  }
}

export function trailHandler(deps: CommandDeps) {
  return async ({ command, ack, client }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
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
    await ack({ response_type: 'ephemeral', text: `:mag: Searching CloudTrail for \`${q.label}\` from ${isoMinute(q.start)} to ${isoMinute(q.end)} UTC…` });
    const where = await openMessage(client, deps.outputChannel, command.user_id, `:hourglass_flowing_sand: Pulling CloudTrail for ${q.label}…`);
    try {
      await runTrail(deps.trail, client, deps.logger, q, where, deps.now(), await ownerOf(deps, q));
    } catch (e) {
      // The message in the channel says it failed; the person gets the answer of the one
      // error path (app.error): the reason, or a correlation id that is also in the log.
      const msg = isKeyguardError(e) ? e.userMessage : 'The CloudTrail search failed; the reference is in the reply to you.';
      await client.chat
        .update({ channel: where.channel, ts: where.ts, text: `:warning: CloudTrail for ${q.label}: ${msg}` })
        .catch((err) => deps.logger.warn({ err }, 'could not mark the CloudTrail message failed'));
      throw e;
    }
  };
}
