/**
 * CloudTrail history, the public face: LookupEvents in every region at the API's rate
 * limit, Athena and CloudTrail Lake when configured, and the trail service that pulls a
 * principal's history, walks the credential graph and summarises it.
 */
export { TrailService } from './trail-service';
export { CloudTrailLookup, createCloudTrailClientFactory, type CloudTrailClientFactory } from './cloudtrail-lookup';
export { CLOUDTRAIL_REQUESTS_PER_SECOND } from './rate-limiter';
export { AthenaHistory } from './athena-history';
export { LakeHistory } from './lake-history';
export { HistorySelector } from './history-source';
