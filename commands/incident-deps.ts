import type { AccessPolicy, IncidentLinks, IncidentStore, LogPort } from '../src/ports';
import type { PlaybookEngine } from '../workflows/engine';

/** What the incident commands and buttons need. */
export interface IncidentDeps {
  engine: PlaybookEngine;
  store: IncidentStore;
  access: AccessPolicy;
  notifier: IncidentLinks;
  logger: LogPort;
  channelId?: string;
}
