/** Real SDK clients pointed at this worker's moto_server (see env.ts). */
import { IAMClient } from '@aws-sdk/client-iam';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const base = () => ({
  region: 'us-east-1',
  endpoint: process.env.MOTO_URL,
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  maxAttempts: 2,
});

export const motoIam = () => new IAMClient(base());
export const motoDynamo = () => new DynamoDBClient(base());
/** moto's default account for the 'testing' credentials. */
export const MOTO_ACCOUNT = '123456789012';
