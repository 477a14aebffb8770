/**
 * `/key-owner <access-key-id>`: read-only; everything a responder needs to know about a key,
 * answered ephemerally to the person who asked.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { orAck } from './ack-first';
import { parseKeyId, maskKeyId } from '../src/domain/key-id';
import type { CommandDeps } from '../src/ports';
import { badKeyIdBlocks, keyOwnerBlocks, notAllowedBlocks } from '../src/slack/key-owner-blocks';
import { asiaTraceBlocks } from '../src/slack/trail-blocks';
import { isKeyguardError } from '../src/errors';
import { BUSY_MESSAGE, type BackgroundQueue } from '../src/background-queue';

export const KEY_OWNER_COMMAND = '/key-owner';

export function keyOwnerHandler(deps: CommandDeps, background: BackgroundQueue) {
  return async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    if (!(await orAck(ack, deps.access.isResponder(command.user_id)))) {
      await ack({ response_type: 'ephemeral', ...notAllowedBlocks(KEY_OWNER_COMMAND) });
      deps.logger.info({ user: command.user_id, command: KEY_OWNER_COMMAND }, 'refused: not a responder');
      return;
    }
    const parsed = parseKeyId(command.text);
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', ...badKeyIdBlocks(KEY_OWNER_COMMAND, parsed) });
      deps.logger.info({ user: command.user_id, problem: parsed.problem }, 'refused: not a key id');
      return;
    }
    if (background.full) {
      await ack({ response_type: 'ephemeral', text: `:hourglass: ${BUSY_MESSAGE}` });
      deps.logger.warn({ user: command.user_id, command: KEY_OWNER_COMMAND }, 'refused: busy');
      return;
    }
    await ack({ response_type: 'ephemeral', text: `:mag: Looking up \`${parsed.keyId}\`…` });
    deps.logger.info({ user: command.user_id, key: maskKeyId(parsed.keyId) }, 'key-owner lookup');
    // After the ack, a few lookups at a time (src/background-queue.ts).
    await background.run(async () => {
      const facts = await deps.keyOwner.lookup(parsed.keyId, parsed.kind);
      const answer = keyOwnerBlocks(facts, deps.now());
      if (parsed.kind === 'temporary' && deps.trail && facts.sameAccount) {
        // Where the temporary key came from: the CloudTrail trace to the role and original key.
        try {
          const trace = await deps.trail.trace(parsed.keyId, deps.now());
          answer.blocks.push(...asiaTraceBlocks(trace));
        } catch (e) {
          const why = isKeyguardError(e) ? e.userMessage : 'the CloudTrail lookup failed';
          answer.blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Could not trace where this key came from: ${why}` }] });
        }
      }
      await respond({ response_type: 'ephemeral', replace_original: true, ...answer });
    });
  };
}
