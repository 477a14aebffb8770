/** Registers every slash command. Handlers live in their own modules. */
import type { App } from '@slack/bolt';
import type { CommandDeps } from '../src/ports';
import { KEY_OWNER_COMMAND, keyOwnerHandler } from './key-owner';

export function registerCommands(app: App, deps: CommandDeps): void {
  app.command(KEY_OWNER_COMMAND, keyOwnerHandler(deps));
}
