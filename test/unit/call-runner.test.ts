import { IAMClient } from '@aws-sdk/client-iam';
import { runCalls } from '../../src/aws/containment/call-runner';

it('sends no mutating call once the runner has lost the step', async () => {
  // An endpoint nobody listens on: any call that was sent would come back as failed.
  const iam = new IAMClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  const lease = new AbortController();
  lease.abort();
  const records = await runCalls(
    { iam, dryRun: false, now: () => new Date('2026-11-28T03:00:00Z'), signal: lease.signal },
    [
      { service: 'iam', action: 'UpdateAccessKey', params: { UserName: 'u', AccessKeyId: 'AKIAIOSFODNN7EXAMPLE', Status: 'Inactive' }, why: '' },
      { service: 'iam', action: 'PutUserPolicy', params: { UserName: 'u', PolicyName: 'p', PolicyDocument: '{}' }, why: '' },
    ],
    { stopOnFailure: false },
  );
  expect(records.map((r) => r.outcome)).toEqual(['skipped', 'skipped']);
  expect(records[0].note).toContain('lost the step');
});
