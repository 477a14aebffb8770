/**
 * Production SDK clients: the SDK's standard credential chain, region and
 * AWS_ENDPOINT_URL[_<SERVICE>] handling, unchanged; the standard retry mode with backoff.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface ProductionClients {
  iam: IAMClient;
  sts: STSClient;
  dynamo: DynamoDBClient;
}

export function awsClients(region: string, maxAttempts = 5): ProductionClients {
  return {
    // IAM is global; its endpoint lives in us-east-1 (aws partition).
    iam: new IAMClient({ region: 'us-east-1', maxAttempts, retryMode: 'standard' }),
    sts: new STSClient({ region, maxAttempts, retryMode: 'standard' }),
    dynamo: new DynamoDBClient({ region, maxAttempts, retryMode: 'standard' }),
  };
}
