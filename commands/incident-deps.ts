import type { AccessPolicy, IncidentLinks, IncidentStore, LogPort } from '../src/ports';
import type { PlaybookEngine } from '../workflows/engine';
import type { HomeTabPort } from '../src/slack/home-publisher';
import type { BackgroundQueue } from '../src/background-queue';

/** What the incident commands and buttons need. */
export interface IncidentDeps {
  engine: PlaybookEngine;
  store: IncidentStore;
  access: AccessPolicy;
  notifier: IncidentLinks;
  logger: LogPort;
  channelId?: string;
  /** The App Home tab, when wired. */
  home?: HomeTabPort;
  /** Work after the ack runs here, a few requests at a time (src/background-queue.ts). */
  background: BackgroundQueue;
}
