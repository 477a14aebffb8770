/**
 * The interfaces commands and workflows use. Adapters in src/aws, src/store and src/slack
 * implement them; only the composition root (src/app.ts) wires concrete ones.
 */
import type { KeyFacts } from './domain/key-facts';
import type { KeyKind } from './domain/key-id';
import type { AccessPolicy } from './slack/directory';
import type { Logger } from './logger';

export interface KeyOwnerPort {
  lookup(keyId: string, kind: KeyKind): Promise<KeyFacts>;
}

export interface CommandDeps {
  keyOwner: KeyOwnerPort;
  access: AccessPolicy;
  logger: Logger;
  now: () => Date;
}
