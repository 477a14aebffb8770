/**
 * Production SDK clients: the SDK's standard credential chain, region and
 * AWS_ENDPOINT_URL[_<SERVICE>] handling, unchanged; the standard retry mode with backoff.
 * IAM and STS come from the same factory as the account-access service's, so both agree on
 * the region (and so on the partition).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createClientFactory, type AwsClients } from './iam-sts-clients';

export interface ProductionClients extends AwsClients {
  dynamo: DynamoDBClient;
}

export function awsClients(region: string, maxAttempts = 5): ProductionClients {
  return {
    ...createClientFactory({ region, maxAttempts })(),
    dynamo: new DynamoDBClient({ region, maxAttempts, retryMode: 'standard' }),
  };
}
