/**
 * The full export of a pull: CSV for spreadsheets, NDJSON for jq and SIEMs. One event in,
 * one line out, so an export of any size streams straight into an upload without being
 * held in memory. Pure.
 *
 * Much of an event is attacker-controlled (user agent, request parameters, resource
 * names), and the CSV is opened by responders in a spreadsheet. So every non-empty cell is
 * quoted (RFC 4180): a spreadsheet whose locale splits on `;` or tab cannot cut a cell in
 * two and make its second half a formula. And a cell that starts like a formula
 * (= + - @, tab, CR) is prefixed with a quote (OWASP's CSV-injection advice): the text
 * shows, the spreadsheet does not evaluate it.
 */
import type { TrailEvent } from '../domain/trail-event';

export const CSV_COLUMNS = [
  'eventTime', 'eventName', 'eventSource', 'region', 'sourceIp', 'userAgent', 'errorCode', 'errorMessage', 'readOnly',
  'accessKeyId', 'userName', 'identityType', 'identityArn', 'resources', 'requestParameters', 'responseElements', 'eventId',
] as const;

export type CsvColumn = (typeof CSV_COLUMNS)[number];

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: formula-neutralised, always quoted, quotes doubled. */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

/** The header line, with CRLF as RFC 4180 asks. */
export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

function csvValues(e: TrailEvent): Record<CsvColumn, unknown> {
  return {
    eventTime: e.time,
    eventName: e.name,
    eventSource: e.source,
    region: e.region,
    sourceIp: e.sourceIp,
    userAgent: e.userAgent,
    errorCode: e.errorCode,
    errorMessage: e.errorMessage,
    readOnly: e.readOnly,
    accessKeyId: e.accessKeyId,
    userName: e.userName,
    identityType: e.identity.type,
    identityArn: e.identity.arn,
    resources: e.resources.map((r) => `${r.type ?? ''}:${r.name ?? ''}`).join(' '),
    requestParameters: e.requestParameters,
    responseElements: e.responseElements,
    eventId: e.id,
  };
}

export function toCsvLine(e: TrailEvent): string {
  const values = csvValues(e);
  return `${CSV_COLUMNS.map((c) => csvCell(values[c])).join(',')}\r\n`;
}

/**
 * One JSON object per line: the CloudTrail record as AWS wrote it (what tools expect), or
 * the parsed fields when the record could not be read. JSON.stringify escapes newlines
 * inside strings, so a line is always one line.
 */
export function toNdjsonLine(e: TrailEvent): string {
  const { record, ...parsed } = e;
  return `${JSON.stringify(record ?? parsed)}\n`;
}

export type ExportFormat = 'csv' | 'ndjson';

/** Lines of an export, header first: pipe into a file or an upload stream. */
export async function* exportLines(events: AsyncIterable<TrailEvent> | Iterable<TrailEvent>, format: ExportFormat): AsyncGenerator<string> {
  if (format === 'csv') yield csvHeader();
  const line = format === 'csv' ? toCsvLine : toNdjsonLine;
  for await (const e of events) yield line(e);
}
