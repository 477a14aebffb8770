/** TA0009 Collection: reading data in bulk. Pure. */
import { burstRule, eventRules } from './define';
import { call, eventsOf, outcomeOf } from './match';

const GET_OBJECT = call('s3', ['GetObject']);

const DB_LOGS = ['DownloadDBLogFilePortion', 'DownloadCompleteDBLogFile'];

export const COLLECTION = [
  ...eventRules('collection', [
    {
      id: 'collection.db-logs-downloaded', family: 'databases', severity: 'low',
      technique: { id: 'T1005', name: 'Data from Local System' },
      title: 'Database log files downloaded',
      why: 'Database logs hold queries, connection strings and sometimes data; downloading them reads the database without a login.',
      next: 'Check which log files were downloaded and what they contain; rotate credentials that appear in them.',
      ignores: 'Listing log files.',
      events: eventsOf('rds', DB_LOGS),
      matches: call('rds', DB_LOGS),
    },
    {
      id: 'collection.console-screenshot', family: 'compute-and-functions', severity: 'low',
      technique: { id: 'T1113', name: 'Screen Capture' },
      title: 'Instance screenshot taken',
      why: 'A console screenshot shows what is on an instance\'s screen (a logged-in session, a password prompt) without any access to the instance.',
      next: 'Check what the instance shows and treat it as read.',
      ignores: 'Console output (GetConsoleOutput).',
      events: ['ec2:GetConsoleScreenshot'],
      matches: call('ec2', ['GetConsoleScreenshot']),
    },
  ]),
  burstRule('collection', {
    id: 'collection.getobject-burst', family: 'storage-and-encryption', dataEvents: true, severity: 'high',
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
