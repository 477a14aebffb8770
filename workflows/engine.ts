/**
 * The playbook engine. Every state change is a conditional write won against the store
 * first; only the writer that wins `approved → running` (or `pending → running` for an
 * automatic step) calls the step's action. Slack retries, double clicks and a second
 * replica all lose that write and do nothing.
 */
import { DateTime } from 'luxon';
import type { Incident, IncidentEvent, Severity, StepRecord, StepState } from '../src/domain/incident';
import { canTransition, newIncidentId, TERMINAL_STATES } from '../src/domain/incident';
import { checkClick, isExpired } from '../src/domain/approval-rules';
import { esc, escKeepMentions } from '../src/slack/text';
import { planLines } from '../src/slack/incident-card';
import type { KeyKind } from '../src/domain/key-id';
import { KeyguardError } from '../src/errors';
import type { AccessPolicy, IncidentNotifier, IncidentStore, LogPort, OpenResult } from '../src/ports';
import type { Playbook, StepDefinition, StepResult, StepRunContext } from './playbook';

export type { IncidentNotifier } from '../src/ports';

export interface EngineDeps {
  store: IncidentStore;
  notifier: IncidentNotifier;
  access: AccessPolicy;
  playbook: Playbook;
  logger: LogPort;
  now: () => Date;
  approvalTtlMinutes: number;
  dryRun: boolean;
  instanceId: string;
  /** Told after a step succeeded (e.g. to start the watch after Contain). */
  onStepSucceeded?: (incident: Incident, step: StepRecord) => Promise<void>;
  /** How long a runner's lease lasts (renewed every third of it). */
  leaseMs?: number;
  /** Test hook: called between writes; throwing there simulates the process dying. */
  crashPoint?: (label: string) => void;
}

export interface OpenRequest {
  keyId: string;
  keyKind: KeyKind;
  requester: string;
  channel: string;
  reason: string;
  severity: Severity;
  ticket?: string;
  account?: string;
  principal?: Incident['principal'];
  facts?: unknown;
}

export type ClickOutcome = { ok: true; message: string } | { ok: false; message: string };

const MAX_CONFLICT_RETRIES = 25;
/** How long a running step stays its runner's without a renewal. */
export const DEFAULT_LEASE_MS = 2 * 60_000;
/** Above this the step's result is not copied into its event (it stays on the step). */
export const MAX_EVENT_RESULT_BYTES = 50_000;

export class PlaybookEngine {
  constructor(private readonly d: EngineDeps) {}

  private iso(): string {
    return this.d.now().toISOString();
  }

  private def(name: string): StepDefinition {
    const def = this.d.playbook.steps.find((s) => s.name === name) ?? this.d.playbook.generated?.(name);
    if (!def) throw new Error(`unknown step ${name}`);
    return def;
  }

  private async event(incidentId: string, type: string, e: Omit<IncidentEvent, 'incidentId' | 'at' | 'type'> = {}): Promise<void> {
    await this.d.store.appendEvent({ incidentId, at: this.iso(), type, ...e });
  }

  private crash(label: string): void {
    this.d.crashPoint?.(label);
  }

  /** Open an incident for a key, or point at the one already open. */
  async open(req: OpenRequest): Promise<OpenResult> {
    const now = this.iso();
    const incident: Incident = {
      id: newIncidentId(this.d.now()),
      keyId: req.keyId,
      keyKind: req.keyKind,
      account: req.account,
      principal: req.principal,
      requester: req.requester,
      severity: req.severity,
      reason: req.reason,
      ticket: req.ticket,
      status: 'open',
      channel: req.channel,
      dryRun: this.d.dryRun,
      createdAt: now,
      version: 1,
      facts: req.facts,
    };
    const steps: StepRecord[] = this.d.playbook.steps.map((s) => ({
      incidentId: incident.id,
      seq: s.seq,
      name: s.name,
      title: s.title,
      state: 'pending',
      version: 1,
      approvalsRequired: s.approvals,
      approvals: [],
      offer: s.optional ? s.offer : undefined,
      updatedAt: now,
    }));
    const result = await this.d.store.openIncident(incident, steps);
    if (!result.created) {
      await this.event(result.existingIncidentId, 'duplicate_request', { actor: req.requester, detail: { reason: req.reason } });
      return result;
    }
    await this.event(incident.id, 'incident_opened', {
      actor: req.requester,
      detail: { keyId: req.keyId, severity: req.severity, reason: req.reason, ticket: req.ticket, dryRun: this.d.dryRun },
    });
    await this.refreshCard(incident.id);
    return result;
  }

  /** Post/update the card and remember its ts on the incident. */
  async refreshCard(incidentId: string): Promise<void> {
    const bundle = await this.d.store.get(incidentId);
    if (!bundle) return;
    const ts = await this.d.notifier.renderCard(bundle);
    if (ts && !bundle.incident.cardTs) {
      let inc: Incident | undefined = bundle.incident;
      for (let i = 0; inc && !inc.cardTs && i < MAX_CONFLICT_RETRIES; i++) {
        const won = await this.d.store.updateIncident({ ...inc, cardTs: ts }, inc.version);
        if (won) return;
        inc = await this.d.store.getIncident(incidentId);
      }
    }
  }

  /**
   * Move the incident forward as far as it can go by itself: run automatic steps, ask for
   * approval of the next step that needs it. Safe to call from any replica at any time.
   */
  async advance(incidentId: string): Promise<void> {
    for (let guard = 0; guard < 50; guard++) {
      const bundle = await this.d.store.get(incidentId);
      if (!bundle || bundle.incident.status !== 'open') return;
      // An approved step runs first, wherever it is (an optional step such as Undo).
      const approved = bundle.steps.find((s) => s.state === 'approved');
      if (approved) {
        await this.runStep(bundle.incident, approved, ['approved']);
        continue;
      }
      // A denied or expired step stops the playbook: nothing after it runs until a person
      // asks again (expired) or closes the incident (denied). Eradicating a key whose
      // containment was refused would be exactly wrong.
      if (bundle.steps.some((s) => !this.def(s.name).optional && (s.state === 'denied' || s.state === 'expired'))) return;
      const step = bundle.steps.find((s) => !TERMINAL_STATES.includes(s.state) && !this.def(s.name).optional);
      if (!step) return;
      const def = this.def(step.name);
      if (step.state === 'pending') {
        if (def.manual) return;
        if (!def.action) {
          const reason = def.unavailableReason ?? 'not available yet';
          const won = await this.transition(step, ['pending'], { state: 'skipped', note: `not available yet: ${reason}`, finishedAt: this.iso() });
          if (won) {
            await this.event(incidentId, 'step_skipped', { step: step.name, detail: { reason: `not available yet: ${reason}` } });
            await this.refreshCard(incidentId);
          }
          continue;
        }
        if (def.approvals === 0) {
          await this.runStep(bundle.incident, step, ['pending']);
          continue;
        }
        await this.requestApproval(bundle.incident, step, ['pending']);
        return;
      }
      if (step.state === 'approved') {
        await this.runStep(bundle.incident, step, ['approved']);
        continue;
      }
      // awaiting_approval, running (someone else's), failed, expired: wait for a person or the runner.
      return;
    }
  }

  private async transition(step: StepRecord, from: readonly StepState[], patch: Partial<StepRecord>): Promise<StepRecord | undefined> {
    const to = patch.state ?? step.state;
    // Staying in a state (another approval, a lease renewal) is always allowed; any move must
    // be one the state machine has. A wrong move is a programming error, not a race.
    const bad = from.filter((f) => f !== to && !canTransition(f, to));
    if (bad.length > 0) throw new Error(`step ${step.name}: ${bad.join('|')} → ${to} is not a transition of the state machine`);
    return this.d.store.updateStep({ ...step, ...patch }, { from, version: step.version });
  }

  private async requestApproval(incident: Incident, step: StepRecord, from: readonly StepState[], actor?: string): Promise<void> {
    const def = this.def(step.name);
    const now = this.d.now();
    const steps = (await this.d.store.get(incident.id))?.steps ?? [];
    const plan = await def.action!.plan({ incident, step, dryRun: incident.dryRun, now, steps });
    const expiresAt = DateTime.fromJSDate(now).plus({ minutes: this.d.approvalTtlMinutes }).toUTC().toISO()!;
    const won = await this.transition(step, from, {
      state: 'awaiting_approval', plan, approvals: [], awaitingSince: now.toISOString(), expiresAt, error: undefined, requestedAtVersion: step.version + 1,
    });
    if (!won) return;
    await this.event(incident.id, 'approval_requested', { actor, step: step.name, detail: { approvalsRequired: step.approvalsRequired, expiresAt, plan } });
    await this.refreshCard(incident.id);
    if (plan.length > 0) await this.d.notifier.thread(incident, `*${step.title}*: approval requested. The whole plan:\n\`\`\`${planLines(plan).join('\n')}\`\`\``);
  }

  /** Win the right to run the step, run it, record what AWS said. */
  private leaseUntil(): string {
    return new Date(this.d.now().getTime() + (this.d.leaseMs ?? DEFAULT_LEASE_MS)).toISOString();
  }

  private async runStep(incident: Incident, step: StepRecord, from: readonly StepState[]): Promise<void> {
    const def = this.def(step.name);
    const running = await this.transition(step, from, { state: 'running', startedAt: this.iso(), runner: this.d.instanceId, leaseUntil: this.leaseUntil() });
    if (!running) return; // another click, retry or replica won: it runs the step, not us.
    await this.event(incident.id, 'step_started', { step: step.name, detail: { runner: this.d.instanceId, dryRun: incident.dryRun } });
    this.crash(`after-running:${step.name}`);
    await this.refreshCard(incident.id);
    await this.execute(incident, running, def);
  }

  /**
   * Run a step this instance holds. Its lease is renewed while the action works, so no
   * reconciler takes over a live step; every renewal is a conditional write, and a runner
   * that lost its lease finds out when its final write fails.
   */
  private async execute(incident: Incident, running: StepRecord, def: StepDefinition): Promise<void> {
    const steps = (await this.d.store.get(incident.id))?.steps ?? [];
    let current: StepRecord | undefined = running;
    const lease = new AbortController();
    const ctx = (): StepRunContext => ({ incident, step: current!, approvers: current!.approvals.map((a) => a.userId), dryRun: incident.dryRun, now: this.d.now(), steps, signal: lease.signal });
    if (def.action!.snapshot && current.before === undefined) {
      // What the step is about to change, kept before the first AWS call: it survives a crash.
      const before = await def.action!.snapshot(ctx());
      current = await this.transition(current, ['running'], { before });
      if (!current) return;
      this.crash(`after-snapshot:${running.name}`);
    }
    let renewing: Promise<void> = Promise.resolve();
    const heartbeat = setInterval(() => {
      renewing = renewing.then(async () => {
        if (!current) return;
        const held = current;
        try {
          current = await this.transition(held, ['running'], { leaseUntil: this.leaseUntil() });
        } catch (e) {
          // The store is unreachable: keep going while the lease we hold is still valid, stop
          // once it has run out (a reconciler elsewhere may have the step by then).
          this.d.logger.warn({ err: e, step: running.name }, 'lease renewal failed');
          if (held.leaseUntil && held.leaseUntil <= this.iso()) current = undefined;
        }
        // Lost: someone took the step over. Stop working on it (long pulls stop at once,
        // containment sends no further call).
        if (!current) lease.abort(new KeyguardError('STALE', 'this runner lost its lease; another runner has the step'));
      }).catch((e) => this.d.logger.warn({ err: e, step: running.name }, 'lease renewal failed'));
    }, (this.d.leaseMs ?? DEFAULT_LEASE_MS) / 3);
    heartbeat.unref();
    let result;
    try {
      result = await def.action!.run(ctx());
    } catch (e) {
      const err = e instanceof KeyguardError ? { code: e.code, message: e.userMessage } : { code: 'UNEXPECTED', message: (e as Error).message ?? String(e) };
      result = { ok: false, summary: err.message, error: err, retryable: true };
      this.d.logger.error({ err: e, incident: incident.id, step: running.name }, 'step action threw');
    } finally {
      clearInterval(heartbeat);
      await renewing;
    }
    this.crash(`after-aws:${running.name}`);
    if (!current) {
      this.d.logger.warn({ incident: incident.id, step: running.name }, 'lost the lease while running; the new runner records the result');
      return;
    }
    // What the step's success changes elsewhere is done BEFORE the step is marked done: each
    // of these is idempotent, so a crash in between only makes the reconciler do them again,
    // and a step marked succeeded never has lost effects.
    if (result.ok) {
      if (result.incidentPatch) await this.patchIncident(incident.id, result.incidentPatch);
      if (def.endsPlaybook) await this.skipRemaining(incident.id, def.endsPlaybook, running.name);
      if (result.addSteps?.length) await this.addSteps(incident.id, result.addSteps);
      if (this.d.onStepSucceeded) {
        await this.d.onStepSucceeded(incident, current).catch((e) => this.d.logger.error({ err: e, step: running.name }, 'after-step hook failed'));
      }
      this.crash(`after-effects:${running.name}`);
    }
    const final = {
      state: (result.ok ? 'succeeded' : 'failed') as StepState,
      error: result.ok ? undefined : result.error ?? { code: 'FAILED', message: result.summary },
      note: result.summary,
      finishedAt: this.iso(),
      leaseUntil: undefined,
    };
    let done: StepRecord | undefined;
    try {
      done = await this.transition(current, ['running'], { ...final, result: result.detail });
    } catch (e) {
      // The result could not be stored (too large, malformed): record the failure itself,
      // small, rather than leave the step running for a reconciler to repeat forever.
      this.d.logger.error({ err: e, incident: incident.id, step: running.name }, 'could not store the step result');
      done = await this.transition(current, ['running'], {
        ...final, state: 'failed', result: undefined,
        error: { code: 'STORE_FAILED', message: `the result could not be recorded (${(e as Error).name}); ${result.summary}` },
      });
    }
    if (!done) {
      this.d.logger.warn({ incident: incident.id, step: running.name }, 'step result lost a race; another runner recorded it');
      return;
    }
    // The event keeps the AWS answer too, unless it is large (the investigation): that one
    // lives on the step only, so neither item nears DynamoDB's 400 KB limit.
    const small = Buffer.byteLength(JSON.stringify(result.detail ?? null)) <= MAX_EVENT_RESULT_BYTES;
    await this.event(incident.id, done.state === 'succeeded' ? 'step_succeeded' : 'step_failed', {
      step: running.name,
      detail: { summary: done.note, retryable: result.retryable ?? false, error: done.error, ...(small ? { result: result.detail } : { resultOnStep: true }) },
    });
    await this.d.notifier.thread(incident, `${done.state === 'succeeded' ? ':white_check_mark:' : ':x:'} *${running.title}*${incident.dryRun ? ' (DRY RUN)' : ''}: ${escKeepMentions(done.note ?? '')}`);
    await this.refreshCard(incident.id);
  }

  private async patchIncident(id: string, patch: Partial<Incident>): Promise<void> {
    for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
      const inc = await this.d.store.getIncident(id);
      if (!inc) return;
      if (await this.d.store.updateIncident({ ...inc, ...patch }, inc.version)) return;
    }
  }

  private async load(incidentId: string, stepName: string): Promise<{ incident: Incident; step: StepRecord }> {
    const bundle = await this.d.store.get(incidentId);
    const step = bundle?.steps.find((s) => s.name === stepName);
    if (!bundle || !step) throw new KeyguardError('STALE', `Incident ${incidentId} has no step ${stepName}.`);
    return { incident: bundle.incident, step };
  }

  /** Record a refused click, expire the step if that was the reason, refresh the card. */
  private async refuse(incident: Incident, step: StepRecord, userId: string, kind: string, refusal: string, message: string): Promise<ClickOutcome> {
    await this.event(incident.id, 'click_refused', { actor: userId, step: step.name, detail: { kind, refusal } });
    if (refusal === 'expired') await this.expire(incident, step);
    if (refusal === 'expired' || refusal === 'stale') await this.refreshCard(incident.id);
    return { ok: false, message };
  }

  private async expire(incident: Incident, step: StepRecord): Promise<void> {
    const won = await this.transition(step, ['awaiting_approval'], { state: 'expired', finishedAt: this.iso(), note: `approval expired at ${step.expiresAt}` });
    if (won) await this.event(incident.id, 'approval_expired', { step: step.name, detail: { expiresAt: step.expiresAt, approvals: step.approvals } });
  }

  /** An Approve click. Checked on the server every time. */
  /**
   * An Approve click. Checked on the server every time. With `advance: false` the caller
   * answers the person first and then calls advance() (the step may run for minutes).
   */
  async approve(incidentId: string, stepName: string, shownVersion: number, userId: string, opts: { advance?: boolean } = {}): Promise<ClickOutcome> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const { incident, step } = await this.load(incidentId, stepName);
      const verdict = checkClick({
        incident, step, userId, shownVersion,
        isApprover: await this.d.access.isApprover(userId), approversConfigured: this.d.access.approversConfigured, now: this.d.now(), kind: 'approve',
      });
      if (!verdict.ok) {
        // A lost race on a later attempt is reported as what it is: someone else moved the step.
        return this.refuse(incident, step, userId, 'approve', verdict.refusal, verdict.message);
      }
      const approvals = [...step.approvals, { userId, at: this.iso() }];
      const enough = approvals.length >= step.approvalsRequired;
      const won = await this.transition(step, ['awaiting_approval'], { approvals, state: enough ? 'approved' : 'awaiting_approval' });
      if (!won) continue; // someone else wrote first: re-read and decide again
      await this.event(incidentId, 'approved', { actor: userId, step: stepName, detail: { approvals: approvals.length, of: step.approvalsRequired } });
      this.crash(`after-approved:${stepName}`);
      if (!enough) {
        await this.refreshCard(incidentId);
        return { ok: true, message: `Approval recorded for *${step.title}*: ${approvals.length} of ${step.approvalsRequired}. One more approver (not the requester) is needed.` };
      }
      await this.refreshCard(incidentId);
      if (opts.advance !== false) await this.advance(incidentId);
      return { ok: true, message: `Approved *${step.title}*. It is running now; the card shows the result.` };
    }
    throw new KeyguardError('CONFLICT', 'Too many people clicked at once; please click again.');
  }

  async deny(incidentId: string, stepName: string, shownVersion: number, userId: string, reason: string): Promise<ClickOutcome> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const { incident, step } = await this.load(incidentId, stepName);
      const verdict = checkClick({
        incident, step, userId, shownVersion,
        isApprover: await this.d.access.isApprover(userId), approversConfigured: this.d.access.approversConfigured, now: this.d.now(), kind: 'deny',
      });
      if (!verdict.ok) return this.refuse(incident, step, userId, 'deny', verdict.refusal, verdict.message);
      const won = await this.transition(step, ['awaiting_approval'], { state: 'denied', note: `denied by <@${userId}>: ${reason}`, finishedAt: this.iso() });
      if (!won) continue;
      await this.event(incidentId, 'denied', { actor: userId, step: stepName, detail: { reason } });
      await this.d.notifier.thread(incident, `:no_entry: *${step.title}* denied by <@${userId}>: ${esc(reason)}`);
      await this.refreshCard(incidentId);
      return { ok: true, message: `Denied *${step.title}*. Nothing was changed in AWS.` };
    }
    throw new KeyguardError('CONFLICT', 'Too many people clicked at once; please click again.');
  }

  /** Ask for approval of an optional step, or again after an expiry or a failure (a responder's click). */
  async rerequest(incidentId: string, stepName: string, userId: string): Promise<ClickOutcome> {
    const { incident, step } = await this.load(incidentId, stepName);
    const refused = async (refusal: string, message: string): Promise<ClickOutcome> => {
      await this.event(incidentId, 'click_refused', { actor: userId, step: stepName, detail: { kind: 'request', refusal } });
      return { ok: false, message };
    };
    if (incident.status !== 'open') return refused('closed', `Incident ${incident.id} is closed.`);
    if (!(await this.d.access.isResponder(userId))) return refused('not_responder', 'Only incident responders can ask for approval again.');
    const def = this.def(stepName);
    if (step.state === 'failed' && def.approvals === 0) {
      await this.event(incidentId, 'retry_requested', { actor: userId, step: stepName });
      await this.runStep(incident, step, ['failed']);
      await this.advance(incidentId);
      return { ok: true, message: `Retrying *${step.title}*.` };
    }
    if (step.state === 'pending' && def.optional) {
      const after = def.offer ? (await this.d.store.get(incidentId))?.steps.find((s) => s.name === def.offer!.after) : undefined;
      if (def.offer && after?.state !== 'succeeded') {
        return refused('not_yet', `*${step.title}* is only possible after ${this.def(def.offer.after).title} has succeeded.`);
      }
      await this.requestApproval(incident, step, ['pending'], userId);
      return { ok: true, message: `Approval for *${step.title}* requested.` };
    }
    if (step.state !== 'expired' && step.state !== 'failed') {
      await this.refreshCard(incidentId);
      return refused('stale', `*${step.title}* is ${step.state.replace('_', ' ')}; nothing to ask again. The card has been refreshed.`);
    }
    await this.requestApproval(incident, step, [step.state], userId);
    return { ok: true, message: `Approval for *${step.title}* requested again.` };
  }

  /** Expire every approval whose time is up (a periodic sweep; clicks also check). */
  async expireDue(): Promise<number> {
    let n = 0;
    for (const inc of await this.d.store.listOpenIncidents()) {
      const bundle = await this.d.store.get(inc.id);
      for (const step of bundle?.steps ?? []) {
        if (isExpired(step, this.d.now())) {
          await this.expire(inc, step);
          await this.refreshCard(inc.id);
          n++;
        }
      }
    }
    return n;
  }

  /**
   * After a restart: finish what a dead process left. A step found `running` is checked
   * against AWS before anything is retried; approved and automatic steps are resumed.
   */
  async reconcile(): Promise<{ resumed: string[] }> {
    const resumed: string[] = [];
    const now = this.iso();
    for (const inc of await this.d.store.listOpenIncidents()) {
      const bundle = await this.d.store.get(inc.id);
      if (!bundle) continue;
      // Only steps whose runner stopped renewing its lease: a live replica keeps its step.
      for (const step of bundle.steps.filter((s) => s.state === 'running' && !(s.leaseUntil && s.leaseUntil > now))) {
        const def = this.def(step.name);
        // Take the step over: the conditional write makes sure one reconciler does it.
        const mine = await this.transition(step, ['running'], { runner: this.d.instanceId, leaseUntil: this.leaseUntil() });
        if (!mine) continue;
        await this.event(inc.id, 'step_reconciling', { step: step.name, detail: { previousRunner: step.runner, runner: this.d.instanceId } });
        // Run it again: every action reads AWS before each call and skips what is already
        // done ('already' in the record), so nothing is done twice and the result is recorded.
        await this.execute(bundle.incident, mine, def);
        resumed.push(`${inc.id}/${step.name}`);
      }
      await this.advance(inc.id);
    }
    return { resumed };
  }

  private async addSteps(incidentId: string, specs: NonNullable<StepResult['addSteps']>): Promise<void> {
    const now = this.iso();
    const steps: StepRecord[] = specs.map((spec, i) => {
      const def = this.def(spec.name);
      return {
        incidentId, seq: 10 + i, name: spec.name, title: spec.title, state: 'pending', version: 1,
        approvalsRequired: def.approvals, approvals: [], params: spec.params,
        offer: { label: spec.title, after: spec.offerAfter }, updatedAt: now,
      };
    });
    await this.d.store.addSteps(steps);
    await this.event(incidentId, 'steps_added', { detail: { steps: specs.map((s) => ({ name: s.name, title: s.title })) } });
  }

  /** After a step that ends the playbook (Undo): the steps not yet run are skipped, with why. */
  private async skipRemaining(incidentId: string, reason: string, except: string): Promise<void> {
    const bundle = await this.d.store.get(incidentId);
    for (const step of bundle?.steps ?? []) {
      const def = this.def(step.name);
      // Optional steps too (a Remove awaiting approval must not run after an Undo).
      if (step.name === except || def.manual || !['pending', 'awaiting_approval', 'expired', 'failed'].includes(step.state)) continue;
      const won = await this.transition(step, [step.state], { state: 'skipped', note: reason, finishedAt: this.iso() });
      if (won) await this.event(incidentId, 'step_skipped', { step: step.name, detail: { reason } });
    }
  }

  /** The close step is done; steps never reached are skipped, with that said. */
  private async settleStepsOnClose(incidentId: string, userId: string): Promise<void> {
    const bundle = await this.d.store.get(incidentId);
    const now = this.iso();
    for (const step of bundle?.steps ?? []) {
      if (step.state === 'running' && step.leaseUntil && step.leaseUntil <= now) {
        // Its runner is gone and closed incidents are not reconciled: say so in the record
        // instead of leaving it running for ever. (A live runner finishes and records itself.)
        const won = await this.transition(step, ['running'], {
          state: 'failed', leaseUntil: undefined, finishedAt: now,
          error: { code: 'ABANDONED', message: 'the incident was closed while this step had no live runner; check AWS by hand' },
          note: 'closed while its runner was gone; check AWS by hand',
        });
        if (won) await this.event(incidentId, 'step_abandoned', { step: step.name, detail: { runner: step.runner } });
        continue;
      }
      if (TERMINAL_STATES.includes(step.state) || step.state === 'running') continue;
      const isClose = this.def(step.name).manual === true;
      const won = await this.transition(step, [step.state], isClose
        ? { state: step.state === 'pending' ? 'running' : step.state, note: `closed by <@${userId}>` }
        : { state: 'skipped', note: 'incident closed before this step ran', finishedAt: this.iso() });
      if (won && isClose) await this.transition(won, ['running'], { state: 'succeeded', finishedAt: this.iso() });
      if (won && !isClose) await this.event(incidentId, 'step_skipped', { step: step.name, detail: { reason: 'incident closed' } });
    }
  }

  async close(incidentId: string, userId: string, resolution: string): Promise<ClickOutcome> {
    for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
      const inc = await this.d.store.getIncident(incidentId);
      if (!inc) return { ok: false, message: `No incident ${incidentId}.` };
      if (inc.status === 'closed') return { ok: false, message: `Incident ${incidentId} is already closed.` };
      const closed = await this.d.store.updateIncident({ ...inc, status: 'closed', closedAt: this.iso(), resolution }, inc.version);
      if (!closed) continue;
      await this.d.store.releaseKeyLock(inc.keyId, inc.id);
      await this.event(incidentId, 'incident_closed', { actor: userId, detail: { resolution } });
      await this.settleStepsOnClose(incidentId, userId);
      await this.refreshCard(incidentId);
      return { ok: true, message: `Closed ${incidentId}.` };
    }
    throw new KeyguardError('CONFLICT', 'The incident changed while closing it; try again.');
  }
}
