/**
 * Account access, the public face: which account the bot acts in, with what rights. The
 * bot's identity (read once), IAM/STS client factories, assumed-role sessions of the
 * responder role (writes, narrowed by a session policy) and read-only sessions, and the
 * guard rails that refuse acting on the bot itself.
 */
export { AccountAccess, type WriteAccess } from './account-access';
export { awsClients } from './clients';
export { createClientFactory, type AwsClientFactory, type AwsClients, type Credentials } from './iam-sts-clients';
export { type TargetAccess } from './target-account';
export { GuardRails, type CallerIdentity } from './guard-rails';
