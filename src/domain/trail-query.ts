/**
 * What `/trail` was asked: a key id, an IAM user name or a role ARN, and a time window.
 * Pure: `now` is passed in.
 */
import { DateTime } from 'luxon';
import { containsSecretKey, decodeSlackText, parseKeyId, stripWrappers, tokenize } from './key-id';
import type { HistorySourceName } from './history-choice';

export const CLOUDTRAIL_RETENTION_DAYS = 90;
const DEFAULT_TRAIL_DAYS = 7;

export type TrailSubject =
  | { kind: 'key'; accessKeyId: string; temporary: boolean }
  | { kind: 'user'; userName: string }
  | { kind: 'role'; roleArn: string; roleName: string };

export interface TrailQuery {
  subject: TrailSubject;
  /** As the responder typed it. */
  label: string;
  start: Date;
  end: Date;
  /** Said to the responder, e.g. that `since` was moved to CloudTrail's 90-day limit. */
  notes: string[];
  /** `source:athena|lake|lookup`: the history asked for. */
  source?: HistorySourceName;
  /** The start asked for when it was moved to LookupEvents' 90 days: Athena and Lake can go further. */
  requestedStart?: Date;
}

export type ParsedTrailQuery = { ok: true; query: TrailQuery } | { ok: false; message: string };

const TRAIL_USAGE =
  'Usage: `/trail <access-key-id | user-name | role-arn> [since] [until] [source:athena|lake|lookup]`. `since`/`until` take ISO dates (`2026-11-01`, `2026-11-01T08:00Z`) or `30m`, `24h`, `7d`, `90d` ago. Default: the last 7 days.';

const SECRET_IN_TRAIL = ':rotating_light: That contains something shaped like a secret access key, so nothing was searched or posted. Delete your message and treat the key as leaked; `/trail` takes the key *id*.';

const SOURCE_TOKEN = /^source:(.*)$/i;
const SOURCES: readonly HistorySourceName[] = ['athena', 'lake', 'lookup'];

const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const USER_NAME = /^[\w+=,.@-]{1,64}$/;
const RELATIVE = /^(\d{1,4})([mhd])$/;

/** A point in time: ISO date/time (UTC unless it says otherwise) or an amount of time ago. */
export function parseWhen(text: string, now: Date): Date | undefined {
  const rel = RELATIVE.exec(text);
  if (rel) {
    const n = Number(rel[1]);
    const unit = rel[2] === 'm' ? 'minutes' : rel[2] === 'h' ? 'hours' : 'days';
    return DateTime.fromJSDate(now).minus({ [unit]: n }).toJSDate();
  }
  const dt = DateTime.fromISO(text, { zone: 'utc' });
  return dt.isValid ? dt.toJSDate() : undefined;
}

function parseSubject(token: string): TrailSubject | undefined {
  const key = parseKeyId(token);
  if (key.ok) return { kind: 'key', accessKeyId: key.keyId, temporary: key.kind === 'temporary' };
  const role = ROLE_ARN.exec(token);
  if (role) return { kind: 'role', roleArn: token, roleName: role[1] };
  if (/^(AKIA|ASIA)/i.test(token)) return undefined; // a malformed key id is not a user name
  if (USER_NAME.test(token)) return { kind: 'user', userName: token };
  return undefined;
}

export function parseTrailQuery(text: string, now: Date): ParsedTrailQuery {
  // Before anything else, on the whole text: a secret is never taken for a user name, put in
  // a message, a file name or the log (`/trail aws_secret_access_key=…` is a user name's shape).
  if (containsSecretKey(decodeSlackText(text))) return { ok: false, message: SECRET_IN_TRAIL };
  const tokens = tokenize(text).map(stripWrappers).filter(Boolean);
  if (tokens.length === 0) return { ok: false, message: `Tell me what to look up. ${TRAIL_USAGE}` };
  const sourceTokens = tokens.filter((t) => SOURCE_TOKEN.test(t));
  if (sourceTokens.length > 1) return { ok: false, message: `Give \`source:\` once. ${TRAIL_USAGE}` };
  const sourceText = sourceTokens.length ? SOURCE_TOKEN.exec(sourceTokens[0])![1].toLowerCase() : undefined;
  if (sourceText !== undefined && !(SOURCES as readonly string[]).includes(sourceText)) {
    return { ok: false, message: `\`source:${sourceText.slice(0, 20)}\` is not a history I know: use \`source:athena\`, \`source:lake\` or \`source:lookup\`.` };
  }
  const source = sourceText as HistorySourceName | undefined;
  const words = tokens.filter((t) => !SOURCE_TOKEN.test(t));
  if (words.length === 0) return { ok: false, message: `Tell me what to look up. ${TRAIL_USAGE}` };
  if (words.length > 3) return { ok: false, message: `Too many words. ${TRAIL_USAGE}` };
  const [who, sinceText, untilText] = words;
  const subject = parseSubject(who);
  if (!subject) {
    const keyProblem = parseKeyId(who);
    const why = /^(AKIA|ASIA)/i.test(who) && !keyProblem.ok ? ` (${keyProblem.detail})` : '';
    return { ok: false, message: `\`${who.slice(0, 80)}\` is not an access key id, IAM user name or role ARN${why}. ${TRAIL_USAGE}` };
  }
  const notes: string[] = [];
  const end = untilText ? parseWhen(untilText, now) : now;
  if (!end) return { ok: false, message: `\`${untilText.slice(0, 40)}\` is not a time. ${TRAIL_USAGE}` };
  let start = sinceText ? parseWhen(sinceText, now) : DateTime.fromJSDate(now).minus({ days: DEFAULT_TRAIL_DAYS }).toJSDate();
  if (!start) return { ok: false, message: `\`${sinceText.slice(0, 40)}\` is not a time. ${TRAIL_USAGE}` };
  const oldest = DateTime.fromJSDate(now).minus({ days: CLOUDTRAIL_RETENTION_DAYS }).toJSDate();
  // Athena and CloudTrail Lake keep what the trail keeps: no 90-day limit when asked for.
  let requestedStart: Date | undefined;
  if (start < oldest && source !== 'athena' && source !== 'lake') {
    requestedStart = start;
    start = oldest;
    notes.push('CloudTrail keeps 90 days of events: the search starts 90 days ago.');
  }
  if (end > now) notes.push('`until` is in the future: searching up to now.');
  const clampedEnd = end > now ? now : end;
  if (start >= clampedEnd) return { ok: false, message: `\`since\` must be before \`until\`. ${TRAIL_USAGE}` };
  return { ok: true, query: { subject, label: who, start, end: clampedEnd, notes, ...(source ? { source } : {}), ...(requestedStart ? { requestedStart } : {}) } };
}
