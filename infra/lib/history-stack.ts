/**
 * keyguard's second CloudTrail history: Athena over the (organization) trail's S3 bucket.
 *
 * - a Glue database and the CloudTrail table AWS documents for Athena, with partition
 *   projection by account, region and day (`timestamp`, yyyy/MM/dd) over
 *   `s3://<bucket>/AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/<yyyy>/<MM>/<dd>/`:
 *   no crawler, no ALTER TABLE ADD PARTITION;
 * - an Athena workgroup that enforces its settings: engine 3, results encrypted (SSE-KMS with
 *   a key of its own, or SSE-S3) in a results bucket of its own (TLS only, no public access,
 *   expired after a week), and a bytes-scanned limit per query;
 * - a managed policy on the bot's role granting only this: Athena on this workgroup, Glue
 *   reads of this table, S3 reads under the trail's AWSLogs/ prefix, results in its bucket,
 *   kms:Decrypt on the trail's key when it has one, and CloudTrail Lake queries on one event
 *   data store when one is named.
 */
import {
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  StackProps,
  aws_athena as athena,
  aws_glue as glue,
  aws_iam as iam,
  aws_kms as kms,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { HISTORY_ACTIONS } from './permissions';

/** The columns of the CloudTrail table AWS documents for Athena, in its order and with its types. */
export const CLOUDTRAIL_COLUMNS: ReadonlyArray<{ name: string; type: string }> = [
  { name: 'eventversion', type: 'string' },
  {
    name: 'useridentity',
    type:
      'struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,accesskeyid:string,username:string,' +
      'onbehalfof:struct<userid:string,identitystorearn:string>,' +
      'sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>,' +
      'sessionissuer:struct<type:string,principalid:string,arn:string,accountid:string,username:string>,' +
      'ec2roledelivery:string,webidfederationdata:struct<federatedprovider:string,attributes:map<string,string>>>>',
  },
  { name: 'eventtime', type: 'string' },
  { name: 'eventsource', type: 'string' },
  { name: 'eventname', type: 'string' },
  { name: 'awsregion', type: 'string' },
  { name: 'sourceipaddress', type: 'string' },
  { name: 'useragent', type: 'string' },
  { name: 'errorcode', type: 'string' },
  { name: 'errormessage', type: 'string' },
  { name: 'requestparameters', type: 'string' },
  { name: 'responseelements', type: 'string' },
  { name: 'additionaleventdata', type: 'string' },
  { name: 'requestid', type: 'string' },
  { name: 'eventid', type: 'string' },
  { name: 'readonly', type: 'string' },
  { name: 'resources', type: 'array<struct<arn:string,accountid:string,type:string>>' },
  { name: 'eventtype', type: 'string' },
  { name: 'apiversion', type: 'string' },
  { name: 'recipientaccountid', type: 'string' },
  { name: 'serviceeventdetails', type: 'string' },
  { name: 'sharedeventid', type: 'string' },
  { name: 'vpcendpointid', type: 'string' },
  { name: 'vpcendpointaccountid', type: 'string' },
  { name: 'eventcategory', type: 'string' },
  { name: 'addendum', type: 'struct<reason:string,updatedfields:string,originalrequestid:string,originaleventid:string>' },
  { name: 'sessioncredentialfromconsole', type: 'string' },
  { name: 'edgedevicedetails', type: 'string' },
  { name: 'tlsdetails', type: 'struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>' },
];

export const PARTITION_KEYS = ['account', 'region', 'timestamp'] as const;

export interface HistoryStackProps extends StackProps {
  /** The trail's bucket name. */
  trailBucket: string;
  /** Organization id (o-…) for an organization trail; unset: a single account's trail. */
  orgId?: string;
  /** Accounts in the trail (projected as an enum); unset: `injected` (each query names its accounts). */
  accounts?: string[];
  /** Regions the trail logs (projected as an enum). */
  regions: string[];
  /** First day of logs, yyyy/MM/dd. */
  fromDate?: string;
  /** KMS key that encrypts the trail's log files, when it has one. */
  trailKmsKeyArn?: string;
  database?: string;
  table?: string;
  workgroup?: string;
  /** BytesScannedCutoffPerQuery; default 100 GB. */
  bytesScannedCutoff?: number;
  /** CloudTrail Lake event data store the bot may query instead. */
  lakeEventDataStoreArn?: string;
  /** The bot's role name (the policy is attached to it). */
  botRoleName: string;
}

export const DEFAULT_SCAN_LIMIT_BYTES = 100 * 1000 ** 3;

export class HistoryStack extends Stack {
  readonly workgroup: athena.CfnWorkGroup;
  readonly table: glue.CfnTable;
  readonly resultsBucket: s3.Bucket;
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: HistoryStackProps) {
    super(scope, id, props);
    const database = props.database ?? 'keyguard_trail';
    const tableName = props.table ?? 'cloudtrail';
    const workgroupName = props.workgroup ?? 'keyguard';
    const prefix = props.orgId ? `AWSLogs/${props.orgId}/` : 'AWSLogs/';

    const resultsKey = new kms.Key(this, 'ResultsKey', {
      description: 'keyguard: encrypts Athena query results',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.resultsBucket = new s3.Bucket(this, 'Results', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: resultsKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(7), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });

    const db = new glue.CfnDatabase(this, 'Database', {
      catalogId: this.account,
      databaseInput: { name: database, description: 'keyguard: CloudTrail history for incident response' },
    });

    const accountProjection: Record<string, string> = props.accounts && props.accounts.length > 0
      ? { 'projection.account.type': 'enum', 'projection.account.values': props.accounts.join(',') }
      : { 'projection.account.type': 'injected' };
    this.table = new glue.CfnTable(this, 'Table', {
      catalogId: this.account,
      databaseName: database,
      tableInput: {
        name: tableName,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'cloudtrail',
          'projection.enabled': 'true',
          ...accountProjection,
          'projection.region.type': 'enum',
          'projection.region.values': props.regions.join(','),
          'projection.timestamp.type': 'date',
          'projection.timestamp.format': 'yyyy/MM/dd',
          'projection.timestamp.interval': '1',
          'projection.timestamp.interval.unit': 'DAYS',
          'projection.timestamp.range': `${props.fromDate ?? '2020/01/01'},NOW`,
          'storage.location.template': `s3://${props.trailBucket}/${prefix}\${account}/CloudTrail/\${region}/\${timestamp}`,
        },
        partitionKeys: PARTITION_KEYS.map((name) => ({ name, type: 'string' })),
        storageDescriptor: {
          columns: CLOUDTRAIL_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
          location: `s3://${props.trailBucket}/${prefix}`,
          inputFormat: 'com.amazon.emr.cloudtrail.CloudTrailInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
        },
      },
    });
    this.table.addResourceDependency(db);

    this.workgroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: workgroupName,
      description: 'keyguard: CloudTrail history queries',
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoff ?? DEFAULT_SCAN_LIMIT_BYTES,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/queries/`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: resultsKey.keyArn },
          expectedBucketOwner: this.account,
        },
      },
    });

    const workgroupArn = this.formatArn({ service: 'athena', resource: 'workgroup', resourceName: workgroupName });
    const trailBucketArn = `arn:${this.partition}:s3:::${props.trailBucket}`;
    const statements = [
      new iam.PolicyStatement({
        sid: 'AthenaQueriesInTheKeyguardWorkgroup',
        actions: [...HISTORY_ACTIONS.athena],
        resources: [workgroupArn],
      }),
      new iam.PolicyStatement({
        sid: 'GlueReadTheTrailTable',
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
        resources: [
          this.formatArn({ service: 'glue', resource: 'catalog' }),
          this.formatArn({ service: 'glue', resource: 'database', resourceName: database }),
          this.formatArn({ service: 'glue', resource: 'table', resourceName: `${database}/${tableName}` }),
        ],
      }),
      new iam.PolicyStatement({
        sid: 'ReadTrailLogFiles',
        actions: ['s3:GetObject'],
        resources: [`${trailBucketArn}/${prefix}*`],
      }),
      new iam.PolicyStatement({
        sid: 'ListTrailLogFiles',
        actions: ['s3:ListBucket', 's3:GetBucketLocation'],
        resources: [trailBucketArn],
        conditions: { StringLike: { 's3:prefix': [`${prefix}*`, ''] } },
      }),
      new iam.PolicyStatement({
        sid: 'QueryResults',
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [this.resultsBucket.arnForObjects('queries/*')],
      }),
      new iam.PolicyStatement({
        sid: 'QueryResultsBucket',
        actions: ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
        resources: [this.resultsBucket.bucketArn],
      }),
      new iam.PolicyStatement({
        sid: 'QueryResultsKey',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [resultsKey.keyArn],
      }),
    ];
    if (props.trailKmsKeyArn) {
      statements.push(new iam.PolicyStatement({ sid: 'DecryptTrailLogFiles', actions: ['kms:Decrypt'], resources: [props.trailKmsKeyArn] }));
    }
    if (props.lakeEventDataStoreArn) {
      statements.push(new iam.PolicyStatement({
        sid: 'CloudTrailLakeQueries',
        actions: [...HISTORY_ACTIONS.lake],
        resources: [props.lakeEventDataStoreArn],
      }));
    }
    this.policy = new iam.ManagedPolicy(this, 'BotHistoryPolicy', {
      description: 'keyguard bot: query the CloudTrail history (Athena workgroup, trail table, trail logs, results)',
      statements,
      roles: [iam.Role.fromRoleName(this, 'BotRole', props.botRoleName)],
    });

    new CfnOutput(this, 'BotEnvironment', {
      description: 'Settings for the bot (add to its environment)',
      value: [
        `IR_ATHENA_DATABASE=${database}`,
        `IR_ATHENA_TABLE=${tableName}`,
        `IR_ATHENA_WORKGROUP=${workgroupName}`,
        ...(props.lakeEventDataStoreArn ? [`IR_CLOUDTRAIL_LAKE_EDS=${props.lakeEventDataStoreArn}`] : []),
      ].join(' '),
    });
  }
}
