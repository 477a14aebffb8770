/**
 * KeyguardHistory, synthesized as `cdk synth -c trailBucket=…` does: the Glue table has the
 * columns of AWS's documented CloudTrail table and partition projection over the trail's
 * layout, the workgroup enforces encrypted results and a scan limit, and the bot's grants
 * name this workgroup, table, bucket prefix and nothing else. cfn-lint checks the template.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildKeyguardApp } from '../lib/app';
import { CLOUDTRAIL_COLUMNS } from '../lib/history-stack';

const CDK_JSON = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
const outdirs: string[] = [];
after(() => outdirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function synth(context: Record<string, string>) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyguard-cdk-history-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...CDK_JSON.context, ...context } });
  const stacks = buildKeyguardApp(app);
  app.synth();
  return { outdir, stacks, history: stacks.history ? Template.fromStack(stacks.history) : undefined };
}

const ORG = {
  trailBucket: 'org-trail-logs-111122223333',
  trailOrgId: 'o-a1b2c3d4e5',
  trailAccounts: '111122223333,444455556666',
  trailRegions: 'us-east-1,eu-west-1',
  trailKmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  athenaScanLimitGb: '50',
};

describe('KeyguardHistory', () => {
  it('is only synthesized for a trail bucket', () => {
    assert.equal(synth({}).stacks.history, undefined);
  });

  it('creates the documented CloudTrail table with partition projection over the organization trail', () => {
    const t = synth(ORG).history!;
    const tables = Object.values(t.findResources('AWS::Glue::Table')) as Array<{ Properties: { TableInput: any } }>;
    assert.equal(tables.length, 1);
    const input = tables[0].Properties.TableInput;
    assert.deepEqual(input.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name), CLOUDTRAIL_COLUMNS.map((c) => c.name));
    for (const c of input.StorageDescriptor.Columns) assert.equal(c.Name, c.Name.toLowerCase());
    assert.equal(input.StorageDescriptor.Columns.find((c: { Name: string }) => c.Name === 'requestparameters').Type, 'string');
    assert.match(input.StorageDescriptor.Columns.find((c: { Name: string }) => c.Name === 'useridentity').Type, /^struct<type:string,.*accesskeyid:string/);
    assert.deepEqual(input.PartitionKeys, [{ Name: 'account', Type: 'string' }, { Name: 'region', Type: 'string' }, { Name: 'timestamp', Type: 'string' }]);
    assert.equal(input.StorageDescriptor.InputFormat, 'com.amazon.emr.cloudtrail.CloudTrailInputFormat');
    assert.deepEqual(
      {
        enabled: input.Parameters['projection.enabled'],
        account: [input.Parameters['projection.account.type'], input.Parameters['projection.account.values']],
        region: [input.Parameters['projection.region.type'], input.Parameters['projection.region.values']],
        timestamp: [input.Parameters['projection.timestamp.type'], input.Parameters['projection.timestamp.format']],
        template: input.Parameters['storage.location.template'],
      },
      {
        enabled: 'true',
        account: ['enum', '111122223333,444455556666'],
        region: ['enum', 'us-east-1,eu-west-1'],
        timestamp: ['date', 'yyyy/MM/dd'],
        template: 's3://org-trail-logs-111122223333/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${timestamp}',
      },
    );
  });

  it('the workgroup enforces encrypted results and the bytes-scanned limit', () => {
    const t = synth(ORG).history!;
    t.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'keyguard',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 50_000_000_000,
        ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_KMS' } },
      },
    });
    t.hasResourceProperties('AWS::S3::Bucket', { PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true } });
  });

  it("grants the bot only this workgroup, this table, the trail's AWSLogs prefix and its key", () => {
    const t = synth(ORG).history!;
    const policies = Object.values(t.findResources('AWS::IAM::ManagedPolicy')) as Array<{ Properties: { PolicyDocument: { Statement: any[] }; Roles: unknown[] } }>;
    assert.equal(policies.length, 1);
    const stmts = policies[0].Properties.PolicyDocument.Statement;
    const text = JSON.stringify(stmts);
    assert.doesNotMatch(text, /"Resource":"\*"/);
    assert.doesNotMatch(text, /"Action":"(athena|glue|s3|kms):\*"/);
    const bySid = Object.fromEntries(stmts.map((s) => [s.Sid, s]));
    assert.deepEqual(bySid.ReadTrailLogFiles.Action, 's3:GetObject');
    assert.match(JSON.stringify(bySid.ReadTrailLogFiles.Resource), /:s3:::org-trail-logs-111122223333\/AWSLogs\/o-a1b2c3d4e5\/\*"/);
    assert.equal(bySid.DecryptTrailLogFiles.Resource, ORG.trailKmsKeyArn);
    assert.match(JSON.stringify(bySid.AthenaQueriesInTheKeyguardWorkgroup.Resource), /workgroup\/keyguard/);
    assert.equal(bySid.CloudTrailLakeQueries, undefined);
    assert.deepEqual(policies[0].Properties.Roles, ['keyguard-bot']);
  });

  it('bad context is refused with the key named', () => {
    assert.throws(() => synth({ trailBucket: 'Bad_Bucket' }), /context trailBucket/);
    assert.throws(() => synth({ trailBucket: 'ok-bucket', trailAccounts: '123' }), /context trailAccounts/);
    assert.throws(() => synth({ trailBucket: 'ok-bucket', athenaTable: 'Cloud-Trail' }), /context athenaTable/);
  });

  it('cfn-lint finds nothing in the template', () => {
    const { outdir } = synth({ ...ORG, lakeEventDataStoreArn: 'arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f' });
    const template = path.join(outdir, 'KeyguardHistory.template.json');
    const r = spawnSync('cfn-lint', [template], { encoding: 'utf8' });
    assert.ok(!r.error, `cfn-lint is not installed: pip install cfn-lint (${r.error?.message})`);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });
});
