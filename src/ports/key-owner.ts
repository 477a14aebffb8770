import type { KeyFacts } from '../domain/key-facts';
import type { KeyKind } from '../domain/key-id';

/** Who owns a key: `/key-owner` and the Identify step (implemented in src/aws). */
export interface KeyOwnerPort {
  lookup(keyId: string, kind: KeyKind): Promise<KeyFacts>;
}
