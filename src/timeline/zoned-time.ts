/**
 * Times for people: in the viewer's IANA time zone in Slack (from `users.info` → `tz`), and
 * UTC with an explicit offset in files. luxon does the zone arithmetic, so an incident that
 * spans a daylight-saving change shows each instant with the offset in force at that instant.
 */
import { DateTime } from 'luxon';

export const UTC = 'UTC';

/** A zone luxon knows, else UTC (a user without a zone, or a zone name Slack made up). */
export function knownZone(tz: string | undefined): string {
  if (!tz) return UTC;
  return DateTime.now().setZone(tz).isValid ? tz : UTC;
}

const UTC_ISO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$/;

/**
 * For files: `2026-11-01T05:30:00+00:00` (UTC, offset spelled out). It runs once per
 * timeline row (100,000 rows): a UTC "Z" time is rewritten as text, anything else goes
 * through Date.
 */
export function fileTime(iso: string, withMillis = false): string {
  const m = UTC_ISO.exec(iso);
  if (m) return `${m[1]}${withMillis ? (m[2] ?? '.000').padEnd(4, '0').slice(0, 4) : ''}+00:00`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const s = new Date(ms).toISOString();
  return `${withMillis ? s.slice(0, 23) : s.slice(0, 19)}+00:00`;
}

/** For files, a second column: the same instant in a zone, with that instant's offset. */
export function zonedFileTime(iso: string, tz: string): string {
  const t = DateTime.fromISO(iso, { zone: 'utc' }).setZone(knownZone(tz));
  return t.isValid ? t.toFormat("yyyy-MM-dd'T'HH:mm:ssZZ") : iso;
}

/** For Slack: `Sun 1 Nov 01:30 EST` in the viewer's zone (the abbreviation tells EDT from EST). */
export function slackTime(iso: string, tz: string | undefined): string {
  const t = DateTime.fromISO(iso, { zone: 'utc' }).setZone(knownZone(tz));
  if (!t.isValid) return iso;
  return `${t.toFormat('ccc d LLL HH:mm', { locale: 'en-GB' })} ${t.toFormat('ZZZZ', { locale: 'en-US' })}`;
}
