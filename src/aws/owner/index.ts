/** Who owns a key, the public face: the key's account, its IAM user and risk facts, in any account. */
export { KeyOwnerLookup } from './key-owner';
export { CrossAccountKeyOwner } from './cross-account-key-owner';
