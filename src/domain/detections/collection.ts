/** TA0009 Collection: reading data in bulk. Pure. */
import { burstRule } from './define';
import { call, outcomeOf } from './match';

const GET_OBJECT = call('s3', ['GetObject']);

export const COLLECTION = [
  burstRule('collection', {
    id: 'collection.getobject-burst', severity: 'high',
    technique: { id: 'T1530', name: 'Data from Cloud Storage' },
    title: 'Burst of S3 GetObject',
    why: 'Hundreds of object reads in minutes is bulk download (needs S3 data events in the trail).',
    next: 'List the buckets and prefixes read (export) and start the data-breach process for what they hold.',
    ignores: 'Fewer than 100 reads in 5 minutes; refused reads (counted in the AccessDenied burst).',
    events: ['s3:GetObject'],
    counts: (e) => GET_OBJECT(e) && outcomeOf(e) === 'done',
    threshold: 100,
    windowMinutes: 5,
  }),
];
