/**
 * The one Block type of the Block Kit builders: a Slack block (its `type`, an optional
 * `block_id`) with the fields of its kind. What the Web API's message arguments accept,
 * without casts; the fake Slack in the tests checks the limits Slack enforces.
 */
import type { Block as SlackBlock } from '@slack/web-api';

export type Block = SlackBlock & Record<string, unknown>;
