/**
 * One intake record → one incident per key. The incident opens through the engine as if a
 * responder had typed `/revoke-key`, with the source as requester (so every human approver
 * may approve); a record for a key that already has an open incident is added to it as
 * evidence instead of opening another (the key lock decides, so two sources or two
 * replicas at the same moment still make one incident).
 *
 * `receive` returns once the record is written (the queue may delete its message then);
 * `followUp` runs Identify, asks for Contain's approval and, for a source listed in
 * IR_AUTO_CONTAIN, approves Contain by that policy.
 */
import type { Incident } from '../domain/incident';
import type { IncidentStore, OpenResult } from '../ports';
import type { Logger } from '../logger';
import type { ClickOutcome, OpenRequest } from '../../workflows/engine';
import { maskKeyId } from '../domain/key-id';
import { esc } from '../slack/text';
import { intakeRequester, IntakeRecord, IntakeSourceKind, SOURCE_LABEL } from './record';

export const AUTO_CONTAIN_POLICY = 'IR_AUTO_CONTAIN';
/** How long a report that contained by policy is remembered (a replay of it waits for a person). */
const AUTO_CONTAIN_MEMORY_SECONDS = 90 * 24 * 3600;

/** The engine's public API, as much as intake uses. */
export interface IntakeEngine {
  open(req: OpenRequest): Promise<OpenResult>;
  advance(incidentId: string): Promise<void>;
  approveByPolicy(incidentId: string, stepName: string, policy: string, opts?: { advance?: boolean; detail?: Record<string, unknown> }): Promise<ClickOutcome>;
}

export interface IntakeServiceDeps {
  engine: IntakeEngine;
  store: Pick<IncidentStore, 'appendEvent' | 'getIncident' | 'get' | 'claimRequest'>;
  notifier: { thread(incident: Incident, text: string): Promise<void> };
  logger: Logger;
  channel: string;
  autoContain: readonly IntakeSourceKind[];
  now: () => Date;
}

export interface Received {
  incidentId: string;
  created: boolean;
  /** Identify, Contain's approval request, auto-containment. Safe to run after the message is gone. */
  followUp(): Promise<void>;
}

export class IntakeService {
  constructor(private readonly d: IntakeServiceDeps) {}

  async receive(r: IntakeRecord): Promise<Received> {
    const requester = intakeRequester(r.source);
    const result = await this.d.engine.open({
      keyId: r.keyId,
      keyKind: r.keyKind,
      requester,
      channel: this.d.channel,
      reason: r.title,
      severity: r.severity,
      account: r.account,
      principal: r.principal,
      detectedAt: r.detectedAt,
      source: { kind: r.source, link: r.link, title: r.title },
    });
    const incidentId = result.created ? result.incident.id : result.existingIncidentId;
    // SQS delivers at least once and GitHub redelivers: the same alert twice is recorded once.
    if (!result.created) {
      const seen = (await this.d.store.get(incidentId))?.events.some((e) => e.type === 'intake_received' && e.detail?.source === r.source && e.detail?.sourceId === r.sourceId);
      if (seen) {
        this.d.logger.info({ source: r.source, key: maskKeyId(r.keyId), incident: incidentId, sourceId: r.sourceId }, 'intake report already recorded (delivered again)');
        return { incidentId, created: false, followUp: async () => undefined };
      }
    }
    // The evidence, on the incident's record whether it opened now or was open already.
    await this.d.store.appendEvent({
      incidentId,
      at: this.d.now().toISOString(),
      type: 'intake_received',
      actor: requester,
      detail: { source: r.source, sourceId: r.sourceId, link: r.link, title: r.title, detectedAt: r.detectedAt, severity: r.severity, account: r.account, evidence: r.evidence, opened: result.created },
    });
    this.d.logger.info({ source: r.source, key: maskKeyId(r.keyId), incident: incidentId, created: result.created }, result.created ? 'intake opened an incident' : 'intake joined the open incident');
    return {
      incidentId,
      created: result.created,
      followUp: () => (result.created ? this.proceed(incidentId, r) : this.joined(incidentId, r)),
    };
  }

  private async proceed(incidentId: string, r: IntakeRecord): Promise<void> {
    await this.d.engine.advance(incidentId);
    // This source, or another that reported the key while Identify ran, may contain by policy.
    const reports = (await this.d.store.get(incidentId))?.events.filter((e) => e.type === 'intake_received') ?? [];
    const bySource = [r.source, ...reports.map((e) => e.detail?.source as IntakeSourceKind)].find((s) => this.d.autoContain.includes(s));
    if (bySource) await this.autoContain(incidentId, bySource === r.source ? r : { ...r, source: bySource });
  }

  /**
   * The opener of a key's incident writes its item, then posts its card, a moment after
   * taking the key lock: wait for the card (a few seconds at most) so the note lands in its
   * thread.
   */
  private async incidentSoon(incidentId: string): Promise<Incident | undefined> {
    let incident: Incident | undefined;
    for (let i = 0; i < 50 && !incident?.cardTs; i++) {
      if (i > 0) await new Promise((res) => setTimeout(res, 100));
      incident = await this.d.store.getIncident(incidentId);
    }
    return incident;
  }

  /**
   * Another report for a key already open: said once per source in the incident's thread (a
   * burst of ten reports is not ten messages; every report is in the record all the same);
   * a policy source may still contain.
   */
  private async joined(incidentId: string, r: IntakeRecord): Promise<void> {
    const reports = (await this.d.store.get(incidentId))?.events.filter((e) => e.type === 'intake_received' && e.detail?.source === r.source) ?? [];
    const first = reports.sort((a, b) => a.at.localeCompare(b.at))[0];
    if (!first || (first.detail?.sourceId === r.sourceId && first.detail?.opened !== true)) {
      const incident = await this.incidentSoon(incidentId);
      if (incident) {
        const link = r.link ? ` <${r.link}|open the alert>` : '';
        await this.d.notifier.thread(incident, `:inbox_tray: Also reported by *${SOURCE_LABEL[r.source]}*: ${esc(r.title)}${link} (detected ${r.detectedAt.slice(0, 16).replace('T', ' ')} UTC). Recorded as evidence on this incident.`);
      } else {
        this.d.logger.warn({ incident: incidentId, source: r.source }, 'the incident this report joined was not written by its opener; the report is in its record');
      }
    }
    if (this.d.autoContain.includes(r.source)) await this.autoContain(incidentId, r);
  }

  private async autoContain(incidentId: string, r: IntakeRecord): Promise<void> {
    const incident = await this.d.store.getIncident(incidentId);
    if (!incident || incident.status !== 'open') return;
    if (r.noAutoContain) {
      this.d.logger.warn({ incident: incidentId, source: r.source, why: r.noAutoContain }, 'auto-containment not applied: Contain waits for a person');
      await this.d.store.appendEvent({ incidentId, at: this.d.now().toISOString(), type: 'auto_contain_withheld', actor: intakeRequester(r.source), detail: { source: r.source, sourceId: r.sourceId, why: r.noAutoContain } });
      return;
    }
    // One report of a source contains by policy at most once, ever: the same report delivered
    // again later (a redelivery, an old message) waits for a person like any other.
    if (!(await this.d.store.claimRequest(`auto-contain:${r.source}:${r.sourceId}`, AUTO_CONTAIN_MEMORY_SECONDS))) {
      this.d.logger.warn({ incident: incidentId, source: r.source, sourceId: r.sourceId }, 'auto-containment not applied: this report already contained once');
      return;
    }
    const outcome = await this.d.engine.approveByPolicy(incidentId, 'contain', AUTO_CONTAIN_POLICY, { advance: false, detail: { source: r.source, sourceId: r.sourceId } });
    if (!outcome.ok) {
      this.d.logger.info({ incident: incidentId, source: r.source, why: outcome.message }, 'auto-containment did not apply');
      return;
    }
    await this.d.notifier.thread(incident, `:robot_face: *Contain* approved by policy ${AUTO_CONTAIN_POLICY}: events from ${SOURCE_LABEL[r.source]} may contain without a click. *Undo containment* stays available; Eradicate still needs two people.`);
    await this.d.engine.advance(incidentId);
  }
}
