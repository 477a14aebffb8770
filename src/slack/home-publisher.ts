/**
 * Publishes the App Home tab (views.publish) when a person opens it, and republishes it
 * for recent viewers when an incident changes. "Recent viewers" is a small per-process
 * cache: at most MAX_VIEWERS people who opened the tab in the last VIEWER_TTL_MS, oldest
 * dropped first. Someone not in it (another replica served them, or the process restarted)
 * sees a fresh tab the next time they open it, since opening always republishes.
 */
import type { HomeView, WebClient } from '@slack/web-api';
import type { Incident } from '../domain/incident';
import { checkClick } from '../domain/approval-rules';
import type { IncidentBundle } from '../ports';
import type { AccessPolicy } from './directory';
import type { Logger } from '../logger';
import { homeView, HOME_LIMITS, noAccessHomeView } from './home-tab';
import { ViewerZones } from './viewer-zone';
import { SlackIncidentNotifier } from './incident-notifier';

export const MAX_VIEWERS = 50;
export const VIEWER_TTL_MS = 24 * 3_600_000;
/** Changes within this window are published once. */
const DEBOUNCE_MS = 300;

export interface HomeStore {
  listOpenIncidents(): Promise<Incident[]>;
  get(incidentId: string): Promise<IncidentBundle | undefined>;
  /** Stores without a closed-incident index show no "recently closed" list. */
  listRecentlyClosed?(limit: number): Promise<Incident[]>;
}

/** What the commands see: someone opened the tab; something changed. */
export interface HomeTabPort {
  opened(userId: string): Promise<void>;
  changed(): void;
}

export class HomeTab implements HomeTabPort {
  private readonly viewers = new Map<string, number>();
  private readonly zones: ViewerZones;
  private timer?: NodeJS.Timeout;

  constructor(private readonly d: { client: WebClient; store: HomeStore; access: AccessPolicy; logger: Logger; now: () => Date }) {
    this.zones = new ViewerZones(d.client);
  }

  async opened(userId: string): Promise<void> {
    this.remember(userId);
    await this.publish([userId]);
  }

  /** Republish for recent viewers, once per burst of changes, off the caller's path. */
  changed(): void {
    if (this.timer || this.viewers.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.publish(this.recentViewers()).catch((e) => this.d.logger.error({ err: e }, 'could not republish the App Home'));
    }, DEBOUNCE_MS);
    this.timer.unref();
  }

  recentViewers(): string[] {
    const cutoff = this.d.now().getTime() - VIEWER_TTL_MS;
    for (const [u, at] of this.viewers) if (at < cutoff) this.viewers.delete(u);
    return [...this.viewers.keys()];
  }

  private remember(userId: string): void {
    this.viewers.delete(userId);
    this.viewers.set(userId, this.d.now().getTime());
    if (this.viewers.size > MAX_VIEWERS) this.viewers.delete(this.viewers.keys().next().value!);
  }

  /** Responders and approvers see the incidents; anyone else how to get access (closed by default: a failed check is no). */
  private async mayLook(viewer: string): Promise<{ responder: boolean; approver: boolean }> {
    const approver = await this.d.access.isApprover(viewer).catch(() => false);
    const responder = approver || (await this.d.access.isResponder(viewer).catch(() => false));
    return { responder, approver };
  }

  private async publish(userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    const rights = new Map<string, { responder: boolean; approver: boolean }>();
    for (const viewer of userIds) rights.set(viewer, await this.mayLook(viewer));
    const anyone = [...rights.values()].some((r) => r.responder);
    // Nothing is read from the record for a tab that shows none of it.
    const openIncidents = anyone ? await this.d.store.listOpenIncidents() : [];
    const open = (await Promise.all(openIncidents.slice(0, 100).map((i) => this.d.store.get(i.id)))).filter((b): b is IncidentBundle => Boolean(b));
    const closed = anyone ? (await this.d.store.listRecentlyClosed?.(HOME_LIMITS.closed)) ?? [] : [];
    for (const viewer of userIds) {
      const now = this.d.now();
      const { responder, approver: isApprover } = rights.get(viewer)!;
      const view = !responder ? noAccessHomeView() : homeView({
        viewer,
        tz: await this.zones.of(viewer),
        now,
        open: open.map((b) => ({ incident: b.incident, steps: b.steps })),
        closed,
        // The card's own rules, as the server will apply them at the click.
        mayApprove: (incident, step) =>
          checkClick({ incident, step, userId: viewer, isApprover, approversConfigured: this.d.access.approversConfigured, shownVersion: step.version, now, kind: 'approve' }).ok,
        openToWorkspace: this.d.access.openToWorkspace,
      });
      try {
        await this.d.client.views.publish({ user_id: viewer, view: view as unknown as HomeView });
      } catch (e) {
        this.d.logger.error({ err: e, user: viewer }, 'views.publish failed');
      }
    }
  }
}

/** The card notifier that also tells the App Home something changed. */
export class HomeRefreshingNotifier extends SlackIncidentNotifier {
  constructor(client: WebClient, logger: Logger, private readonly home: HomeTabPort, card: { approvers?: readonly string[] } = {}) {
    super(client, logger, card);
  }

  override async renderCard(b: IncidentBundle): Promise<string | undefined> {
    try {
      return await super.renderCard(b);
    } finally {
      this.home.changed();
    }
  }
}
