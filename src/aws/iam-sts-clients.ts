/**
 * IAM and STS clients for containment. The factory is injected so tests point it at moto
 * (and shorten the retry backoff); production uses the SDK's default credential chain and
 * its standard retry mode: throttling and 5xx are retried with exponential backoff and
 * jitter before an error reaches the caller.
 */
import { IAMClient, IAMClientConfig } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';

export interface AwsClients {
  iam: IAMClient;
  sts: STSClient;
}

/** Temporary credentials from AssumeRole. */
export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration?: Date;
}

/** Without credentials: the bot's own (default chain). With: an assumed role's. */
export type AwsClientFactory = (creds?: SessionCredentials) => AwsClients;

export interface ClientFactoryOptions {
  region: string;
  /** Attempts per call, the first included. */
  maxAttempts?: number;
  /** Tests: moto or the fault proxy. */
  endpoint?: string;
  /** Tests: the same decisions as the standard mode with a shorter backoff. */
  retryStrategy?: IAMClientConfig['retryStrategy'];
}

/** Five attempts: enough to ride out IAM's control-plane throttling, short enough for Slack. */
export const DEFAULT_MAX_ATTEMPTS = 5;

export function createClientFactory(o: ClientFactoryOptions): AwsClientFactory {
  return (creds) => {
    const config = {
      region: o.region,
      maxAttempts: o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      retryMode: 'standard',
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      ...(o.retryStrategy ? { retryStrategy: o.retryStrategy } : {}),
      ...(creds ? { credentials: creds } : {}),
    };
    return { iam: new IAMClient(config), sts: new STSClient(config) };
  };
}
