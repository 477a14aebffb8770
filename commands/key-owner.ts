/**
 * `/key-owner <access-key-id>`: read-only; everything a responder needs to know about a key,
 * answered ephemerally to the person who asked.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { parseKeyId, maskKeyId } from '../src/domain/key-id';
import type { CommandDeps } from '../src/ports';
import { badKeyIdBlocks, keyOwnerBlocks, notAllowedBlocks } from '../src/slack/key-owner-blocks';

export const KEY_OWNER_COMMAND = '/key-owner';

export function keyOwnerHandler(deps: CommandDeps) {
  return async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    if (!(await deps.access.isResponder(command.user_id))) {
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
    await ack({ response_type: 'ephemeral', text: `:mag: Looking up \`${parsed.keyId}\`…` });
    deps.logger.info({ user: command.user_id, key: maskKeyId(parsed.keyId) }, 'key-owner lookup');
    const facts = await deps.keyOwner.lookup(parsed.keyId, parsed.kind);
    await respond({ response_type: 'ephemeral', replace_original: true, ...keyOwnerBlocks(facts, deps.now()) });
  };
}
