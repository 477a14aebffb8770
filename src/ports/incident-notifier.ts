import type { Incident } from '../domain/incident';
import type { IncidentBundle } from './incident-store';

/** Where the engine tells people what happened (the Slack card and its thread). */
export interface IncidentNotifier {
  /** Post or update the incident card; returns the card's ts. */
  renderCard(bundle: IncidentBundle): Promise<string | undefined>;
  thread(incident: Incident, text: string): Promise<void>;
}

/** A link to the incident's card, for replies that point at it. */
export interface IncidentLinks {
  permalink(incident: Incident): Promise<string | undefined>;
}
