/**
 * Production SDK clients: the SDK's standard credential chain, region and
 * AWS_ENDPOINT_URL[_<SERVICE>] handling, unchanged; the standard retry mode with backoff.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';

export interface ProductionClients {
  iam: IAMClient;
  sts: STSClient;
  dynamo: DynamoDBClient;
  cloudTrail(region: string): CloudTrailClient;
}

export function awsClients(region: string, maxAttempts = 5): ProductionClients {
  const trails = new Map<string, CloudTrailClient>();
  return {
    // IAM is global; its endpoint lives in us-east-1 (aws partition).
    iam: new IAMClient({ region: 'us-east-1', maxAttempts, retryMode: 'standard' }),
    sts: new STSClient({ region, maxAttempts, retryMode: 'standard' }),
    dynamo: new DynamoDBClient({ region, maxAttempts, retryMode: 'standard' }),
    cloudTrail(r: string) {
      let c = trails.get(r);
      if (!c) {
        // The CloudTrail engine paces and retries throttles itself: one attempt here.
        c = new CloudTrailClient({ region: r, maxAttempts: 1 });
        trails.set(r, c);
      }
      return c;
    },
  };
}
