/**
 * Time arithmetic and the time formats people read, on luxon, always in UTC. Pure: the
 * current time is passed in.
 */
import { DateTime, Duration, type DurationLikeObject } from 'luxon';

const utc = (t: Date | string): DateTime => (typeof t === 'string' ? DateTime.fromISO(t, { zone: 'utc' }) : DateTime.fromJSDate(t, { zone: 'utc' }));

/** `t` moved by a duration (negative values go back). */
export function shift(t: Date, by: DurationLikeObject): Date {
  return utc(t).plus(Duration.fromObject(by)).toJSDate();
}

/** ISO-8601 in UTC with milliseconds, as Date.toISOString writes it. */
function isoUtc(t: Date): string {
  return utc(t).toISO()!;
}

/** `t` plus a duration, as ISO-8601 UTC. */
export function isoAfter(t: Date, by: DurationLikeObject): string {
  return isoUtc(shift(t, by));
}

/** 03:30 */
export function hourMinute(t: Date | string): string {
  return utc(t).toFormat('HH:mm');
}

/** 2026-11-28 03:30 */
export function dayMinute(t: Date | string): string {
  return utc(t).toFormat('yyyy-MM-dd HH:mm');
}

/** 2026-11-28T03:30 */
export function isoMinute(t: Date | string): string {
  return utc(t).toFormat("yyyy-MM-dd'T'HH:mm");
}

/** 2026-11-280330: a compact stamp for file names. */
export function fileStamp(t: Date): string {
  return utc(t).toFormat('yyyy-MM-ddHHmm');
}
