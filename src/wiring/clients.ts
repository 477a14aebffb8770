/**
 * The AWS clients every face of keyguard is built from. Production: the SDK's standard
 * credential chain, region and AWS_ENDPOINT_URL[_<SERVICE>] handling, the standard retry
 * mode. The sandbox and the tests make the same shape pointed at local servers.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Config } from '../config';
import { awsClients, createClientFactory, type AwsClientFactory, type AwsClients, type Credentials } from '../aws/access';
import { createCloudTrailClientFactory, type CloudTrailClientFactory } from '../aws/history';

export interface Clients {
  /** The bot's own IAM/STS for look-ups (/key-owner, Identify). */
  lookups: AwsClients;
  /** IAM/STS clients: the bot's own (no credentials) or an assumed-role session's. */
  factory: AwsClientFactory;
  /** The table's client (IR_TABLE_NAME); the embedded store makes its own. */
  dynamo?: DynamoDBClient;
  /** CloudTrail clients per region with the bot's own credentials. */
  cloudTrail: CloudTrailClientFactory;
  /** CloudTrail clients per region with an assumed role's credentials (another account). */
  cloudTrailWith: (credentials: AwsCredentialIdentityProvider) => CloudTrailClientFactory;
  /** Requests a second per region (default: just under CloudTrail's 2). An emulator may allow more. */
  cloudTrailRequestsPerSecond?: number;
  /** Region discovery when IR_REGIONS is empty. */
  ec2?: EC2Client;
  /** Athena (IR_ATHENA_*). */
  athena?: AthenaClient;
  /** CloudTrail in the event data store's region (IR_CLOUDTRAIL_LAKE_EDS). */
  lake?: CloudTrailClient;
  /** The intake queue's client (IR_INTAKE_QUEUE_URL); default: the SDK chain. */
  sqs?: SQSClient;
  /** Waits between IAM read-backs (eventual consistency); default: the adapters'. */
  readBackDelaysMs?: readonly number[];
}

/** Production clients from the configuration (the SDK's default chain). */
export function productionClients(config: Config): Clients {
  const own = awsClients(config.awsRegion);
  return {
    lookups: { iam: own.iam, sts: own.sts },
    factory: createClientFactory({ region: config.awsRegion }),
    dynamo: own.dynamo,
    cloudTrail: createCloudTrailClientFactory(),
    cloudTrailWith: (credentials) => createCloudTrailClientFactory({ credentials }),
    athena: config.history.athena ? new AthenaClient({ region: config.awsRegion }) : undefined,
    lake: config.history.lake ? new CloudTrailClient({ region: config.history.lake.region }) : undefined,
  };
}

export interface LocalClientOptions {
  /** moto (IAM, STS, DynamoDB, SQS…) or a proxy in front of it, for look-ups. */
  endpoint: string;
  /** Where containment's IAM/STS go (e.g. a fault proxy); default: `endpoint`. */
  iamEndpoint?: string;
  /** The CloudTrail emulator: every region's client points there. */
  cloudTrailUrl: string;
  /** The bot's own credentials (moto accepts any; an enforced moto checks them). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  region?: string;
  cloudTrailRequestsPerSecond?: number;
  readBackDelaysMs?: readonly number[];
}

/** Clients pointed at local servers: the sandbox's demo and the tests. */
export function localClients(o: LocalClientOptions): Clients {
  const region = o.region ?? 'us-east-1';
  const base = createClientFactory({ region, endpoint: o.iamEndpoint ?? o.endpoint, maxAttempts: 2 });
  // Sessions sign with what they are given; the bot with its own credentials, never the environment's.
  const factory: AwsClientFactory = Object.assign((credentials?: Credentials) => base(credentials ?? { ...o.credentials }), { options: base.options });
  const lookups = createClientFactory({ region, endpoint: o.endpoint, maxAttempts: 3 })({ ...o.credentials });
  return {
    lookups,
    factory,
    cloudTrail: createCloudTrailClientFactory({ endpoint: o.cloudTrailUrl, credentials: { ...o.credentials } }),
    cloudTrailWith: (credentials) => createCloudTrailClientFactory({ endpoint: o.cloudTrailUrl, credentials }),
    cloudTrailRequestsPerSecond: o.cloudTrailRequestsPerSecond ?? 40,
    readBackDelaysMs: o.readBackDelaysMs ?? [0, 10],
  };
}
