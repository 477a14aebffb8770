import type { Incident } from '../domain/incident';
import type { IncidentNotice } from '../domain/incident-notice';
import type { IncidentBundle } from './incident-store';

/**
 * Where the engine and the watch tell people what happened (the Slack card and its
 * thread). They pass typed notices; the notifier's presentation words them.
 */
export interface IncidentNotifier {
  /** Post or update the incident card; returns the card's ts. */
  renderCard(bundle: IncidentBundle): Promise<string | undefined>;
  /** Say a notice in the incident's thread. */
  notify(incident: Incident, notice: IncidentNotice): Promise<void>;
}

/** A link to the incident's card, for replies that point at it. */
export interface IncidentLinks {
  permalink(incident: Incident): Promise<string | undefined>;
}
