/**
 * A slash command whose work after the ack (lookups, uploads) runs through the bounded
 * background queue, without the handler knowing: the handler acks as it always does, and the
 * rest of it runs once the queue gives it a slot (src/background-queue.ts). When the backlog
 * is full the person is told the bot is busy, before anything else is looked at, and nothing
 * is started.
 *
 * The handler already holds a slot after its ack: it must not itself wait for another
 * `background.run` job (a burst of such handlers would hold every slot while waiting).
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { BUSY_MESSAGE, type BackgroundQueue } from '../src/background-queue';
import type { LogPort } from '../src/ports';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export function afterAckInQueue(background: BackgroundQueue, logger: LogPort, handler: (args: CommandArgs) => Promise<void>) {
  return async (args: CommandArgs): Promise<void> => {
    if (background.full) {
      await args.ack({ response_type: 'ephemeral', text: `:hourglass: ${BUSY_MESSAGE}` });
      logger.warn({ user: args.command.user_id, command: args.command.command }, 'refused: busy');
      return;
    }
    let release: (() => void) | undefined;
    const ack: CommandArgs['ack'] = async (response) => {
      await args.ack(response);
      // Slack has its answer; what the handler does next waits for a slot.
      release ??= await background.enter();
    };
    try {
      await handler({ ...args, ack });
    } finally {
      release?.();
    }
  };
}
