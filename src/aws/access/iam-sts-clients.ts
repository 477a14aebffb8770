/**
 * IAM and STS clients. The factory is injected so tests point it at moto (and shorten the
 * retry backoff); production uses the SDK's default credential chain and its standard
 * retry mode: throttling and 5xx are retried with exponential backoff and jitter before an
 * error reaches the caller. IAM and STS use the same region: the SDK resolves IAM's global
 * endpoint of that region's partition (aws, aws-cn, aws-us-gov).
 */
import { IAMClient, IAMClientConfig } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export interface AwsClients {
  iam: IAMClient;
  sts: STSClient;
}

/** Credentials for a client: fixed ones, or a provider (an assumed-role session). */
export type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

export interface ClientFactoryOptions {
  region: string;
  /** Attempts per call, the first included. */
  maxAttempts?: number;
  /** Tests: moto or the fault proxy. */
  endpoint?: string;
  /** Tests: the same decisions as the standard mode with a shorter backoff. */
  retryStrategy?: IAMClientConfig['retryStrategy'];
}

/**
 * Without credentials: the bot's own (default chain). With: an assumed role's. `options` is
 * how the factory was made, so an STS client of the same shape can assume roles.
 */
export type AwsClientFactory = ((credentials?: Credentials) => AwsClients) & { readonly options?: ClientFactoryOptions };

/** Five attempts: enough to ride out IAM's control-plane throttling, short enough for Slack. */
const DEFAULT_MAX_ATTEMPTS = 5;

/** The client configuration every IAM and STS client of the factory gets. */
export function clientConfig(o: ClientFactoryOptions, credentials?: Credentials) {
  return {
    region: o.region,
    maxAttempts: o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: 'standard',
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.retryStrategy ? { retryStrategy: o.retryStrategy } : {}),
    ...(credentials ? { credentials } : {}),
  };
}

export function createClientFactory(o: ClientFactoryOptions): AwsClientFactory {
  const factory = (credentials?: Credentials): AwsClients => {
    const config = clientConfig(o, credentials);
    return { iam: new IAMClient(config), sts: new STSClient(config) };
  };
  return Object.assign(factory, { options: o });
}
