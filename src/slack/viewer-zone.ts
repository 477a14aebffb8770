/**
 * The time zone a Slack user has set (`users.info` → `tz`), for showing times as they read
 * them. Cached for an hour in a small bounded map; a user Slack cannot find, or a zone luxon
 * does not know, reads UTC.
 */
import type { WebClient } from '@slack/web-api';
import { knownZone, UTC } from '../timeline/zoned-time';

const MAX_CACHED = 500;
const TTL_MS = 3_600_000;

export class ViewerZones {
  private cache = new Map<string, { at: number; tz: string }>();
  constructor(private readonly client: WebClient, private readonly clock: () => number = Date.now) {}

  async of(userId: string): Promise<string> {
    const hit = this.cache.get(userId);
    if (hit && this.clock() - hit.at < TTL_MS) return hit.tz;
    const tz = await this.client.users
      .info({ user: userId })
      .then((r) => knownZone((r.user as { tz?: string } | undefined)?.tz))
      .catch(() => UTC);
    this.cache.delete(userId);
    this.cache.set(userId, { at: this.clock(), tz });
    // Oldest first in a Map: drop it once the map is full.
    if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    return tz;
  }
}
