/**
 * The playbook engine's run half: reads the store, asks decide.ts what to do, and does it.
 * Every state change is a conditional write won against the store first; only the writer
 * that wins `approved → running` (or `pending → running` for an automatic step) calls the
 * step's action. Slack retries, double clicks and a second replica all lose that write and
 * do nothing. A running step is held by a lease its runner renews (heartbeat); a runner
 * that lost it stops at once.
 *
 * The engine says nothing itself: it hands typed notices to the notifier and typed click
 * results to `describe`, and presentation (src/slack) words them.
 */
import type { Incident, IncidentEvent, Severity, StepRecord, StepState } from '../../src/domain/incident';
import { canTransition, newIncidentId } from '../../src/domain/incident';
import { createHash } from 'node:crypto';
import { approvalLapsed, approvedContent, isExpired, verifyApprovals } from '../../src/domain/approval-rules';
import { containsSecretKey, redactSecretKeys, type KeyKind } from '../../src/domain/key-id';
import { clickOk, type ClickResult, type IncidentNotice } from '../../src/domain/incident-notice';
import { KeyguardError, isKeyguardError } from '../../src/errors';
import type { AccessPolicy, IncidentNotifier, IncidentStore, LogPort, OpenResult } from '../../src/ports';
import type { Playbook, StepDefinition, StepResult, StepRunContext } from '../playbook';
import type { PlannedCall } from '../../src/domain/aws-plan';
import {
  decideApprovalRejected,
  decideApprovalRequest,
  decideClick,
  decideClose,
  decideExpire,
  decideFinish,
  decideNext,
  decideOnClose,
  decidePlanFailed,
  decideRerequest,
  decideSkipRemaining,
  decideWithdraw,
  finishedEvent,
  withdrawnBy,
  storeFailedPatch,
  thrownResult,
  type Click,
  type EventSpec,
  type StepWrite,
} from './decide';
import { isoAfter } from '../../src/domain/time';
import { requiredApprovals } from '../../src/domain/protection';

export interface EngineDeps {
  store: IncidentStore;
  notifier: IncidentNotifier;
  access: AccessPolicy;
  playbook: Playbook;
  logger: LogPort;
  now: () => Date;
  /** Words a click's result for the person who clicked (presentation). */
  describe: (result: ClickResult) => string;
  approvalTtlMinutes: number;
  dryRun: boolean;
  instanceId: string;
  /** Told after a step succeeded (e.g. to start the watch after Contain). */
  onStepSucceeded?: (incident: Incident, step: StepRecord) => Promise<void>;
  /** How long a runner's lease lasts (renewed every third of it). */
  leaseMs?: number;
  /** Test hook: called between writes; throwing there simulates the process dying. */
  crashPoint?: (label: string) => void;
  /** Policies that may stand in for the one approver of a single-approval step (`policy:<name>`), e.g. IR_AUTO_CONTAIN. */
  approvalPolicies?: readonly string[];
}

/** SHA-256 of what an approval is given for (the step's plan and data): stored with each approval. */
function approvalDigest(incident: Incident, step: StepRecord): string {
  return createHash('sha256').update(approvedContent(incident, step)).digest('hex');
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
  /** When the leak was detected, if before the request (absent → the incident's createdAt). */
  detectedAt?: string;
  source?: Incident['source'];
}

export type ClickOutcome = { ok: true; message: string } | { ok: false; message: string };

const MAX_CONFLICT_RETRIES = 25;
/** How long a running step stays its runner's without a renewal. */
const DEFAULT_LEASE_MS = 2 * 60_000;

export class PlaybookEngine {
  constructor(private readonly d: EngineDeps) {}

  private iso(): string {
    return this.d.now().toISOString();
  }

  private def = (name: string): StepDefinition => {
    const def = this.d.playbook.steps.find((s) => s.name === name) ?? this.d.playbook.generated?.(name);
    if (!def) throw new Error(`unknown step ${name}`);
    return def;
  };

  private async event(incidentId: string, type: string, e: Omit<IncidentEvent, 'incidentId' | 'at' | 'type'> = {}): Promise<void> {
    await this.d.store.appendEvent({ incidentId, at: this.iso(), type, ...e });
  }

  private record(incidentId: string, e: EventSpec): Promise<void> {
    const { type, ...rest } = e;
    return this.event(incidentId, type, rest);
  }

  private answer(result: ClickResult): ClickOutcome {
    return { ok: clickOk(result), message: this.d.describe(result) } as ClickOutcome;
  }

  private notify(incident: Incident, notice: IncidentNotice | undefined): Promise<void> {
    return notice ? this.d.notifier.notify(incident, notice) : Promise.resolve();
  }

  private crash(label: string): void {
    this.d.crashPoint?.(label);
  }

  /** Open an incident for a key, or point at the one already open. */
  async open(request: OpenRequest): Promise<OpenResult> {
    // The front doors refuse a pasted secret with a message; whatever still carries one (an
    // automatic source's text) is kept without it.
    const req: OpenRequest = { ...request, reason: redactSecretKeys(request.reason), ...(request.ticket ? { ticket: redactSecretKeys(request.ticket) } : {}) };
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
      detectedAt: req.detectedAt,
      source: req.source,
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
      if (!bundle) return;
      const move = decideNext(bundle.incident, bundle.steps, this.def, this.d.now(), this.nextOptions());
      switch (move.kind) {
        case 'wait':
          return;
        case 'lapse': {
          const won = await this.write(move.step, move.write);
          if (won) {
            await this.record(incidentId, move.event);
            await this.refreshCard(incidentId);
          }
          continue;
        }
        case 'run':
          await this.runStep(bundle.incident, move.step, move.from);
          continue;
        case 'skip': {
          const won = await this.write(move.step, move.write);
          if (won) {
            await this.record(incidentId, move.event);
            await this.refreshCard(incidentId);
          }
          continue;
        }
        case 'request_approval':
          await this.requestApproval(bundle.incident, move.step, move.from);
          return;
      }
    }
  }

  private nextOptions() {
    return { approvalTtlMs: this.d.approvalTtlMinutes * 60_000, engineDryRun: this.d.dryRun };
  }

  private async transition(step: StepRecord, from: readonly StepState[], patch: Partial<StepRecord>): Promise<StepRecord | undefined> {
    const to = patch.state ?? step.state;
    // Staying in a state (another approval, a lease renewal) is always allowed; any move must
    // be one the state machine has. A wrong move is a programming error, not a race.
    const bad = from.filter((f) => f !== to && !canTransition(f, to));
    if (bad.length > 0) throw new Error(`step ${step.name}: ${bad.join('|')} → ${to} is not a transition of the state machine`);
    return this.d.store.updateStep({ ...step, ...patch }, { from, version: step.version });
  }

  private write(step: StepRecord, w: StepWrite): Promise<StepRecord | undefined> {
    return this.transition(step, w.from, w.patch);
  }

  /**
   * Plan the step and ask for approval. A plan that cannot be made fails the step with the
   * reason (recorded, said in the thread, Retry on the card): one incident's bad step never
   * stalls it silently nor breaks the sweep. Returns the reason when planning failed.
   */
  private async requestApproval(incident: Incident, step: StepRecord, from: readonly StepState[], actor?: string): Promise<{ planFailed?: string }> {
    const def = this.def(step.name);
    const now = this.d.now();
    const steps = (await this.d.store.get(incident.id))?.steps ?? [];
    let plan: PlannedCall[];
    try {
      plan = await def.action!.plan({ incident, step, dryRun: incident.dryRun, now, steps });
    } catch (e) {
      this.d.logger.warn({ err: e, incident: incident.id, step: step.name }, 'the step could not be planned; it is failed with the reason');
      const f = decidePlanFailed(step, from, e, now);
      const won = await this.write(step, f.write);
      if (won) {
        await this.record(incident.id, f.event);
        await this.refreshCard(incident.id);
        await this.notify(incident, f.notice);
      }
      return { planFailed: f.notice.reason };
    }
    const expiresAt = isoAfter(now, { minutes: this.d.approvalTtlMinutes });
    const request = decideApprovalRequest(step, from, plan, now, expiresAt, actor, def.approvals);
    const won = await this.write(step, request.write);
    if (!won) return {};
    await this.record(incident.id, request.event);
    await this.refreshCard(incident.id);
    await this.notify(incident, request.notice);
    return {};
  }

  private leaseUntil(): string {
    return isoAfter(this.d.now(), { milliseconds: this.d.leaseMs ?? DEFAULT_LEASE_MS });
  }

  /**
   * The approvals recorded on a step, checked again right before it runs: against the rules,
   * the current approver set and the plan about to run. A step that fails this is marked
   * failed (nothing sent), recorded and said in the thread. True: the step may run.
   */
  private async approvalsHold(incident: Incident, step: StepRecord, steps: readonly StepRecord[], def: StepDefinition): Promise<boolean> {
    const needsApproval = def.approvals > 0 || step.state === 'approved';
    const ender = withdrawnBy(step, steps, this.def);
    let problem: Parameters<typeof decideApprovalRejected>[1] | undefined = ender ? { problem: 'withdrawn', by: ender.title } : undefined;
    if (!problem && needsApproval) {
      const now = new Map<string, boolean>();
      for (const a of step.approvals ?? []) {
        const policy = a.userId.startsWith('policy:') ? a.userId.slice('policy:'.length) : undefined;
        now.set(a.userId, policy !== undefined ? (this.d.approvalPolicies ?? []).includes(policy) && def.approvals <= 1 : await this.d.access.isApprover(a.userId));
      }
      // Two when the plan writes to a defender-protected principal, whatever the record asks for.
      const verdict = verifyApprovals({ incident, step, required: requiredApprovals(def.approvals, step.plan), isApproverNow: (u) => now.get(u) === true, digest: approvalDigest(incident, step) });
      if (!verdict.ok) {
        const { ok: _ok, ...rest } = verdict;
        problem = rest;
      }
    }
    if (!problem) return true;
    const r = decideApprovalRejected(step, problem, this.d.now());
    this.d.logger.warn({ incident: incident.id, step: step.name, problem }, 'approvals did not hold at run time; the step was refused');
    const won = await this.write(step, r.write);
    if (won) {
      await this.record(incident.id, r.event);
      await this.notify(incident, r.notice);
      await this.refreshCard(incident.id);
    }
    return false;
  }

  /** Win the right to run the step, run it, record what AWS said. */
  private async runStep(incident: Incident, step: StepRecord, from: readonly StepState[], requestedBy?: string): Promise<void> {
    const def = this.def(step.name);
    const steps = (await this.d.store.get(incident.id))?.steps ?? [];
    if (!(await this.approvalsHold(incident, step, steps, def))) return;
    const running = await this.transition(step, from, { state: 'running', startedAt: this.iso(), runner: this.d.instanceId, leaseUntil: this.leaseUntil(), ...(requestedBy ? { requestedBy } : {}) });
    if (!running) return; // another click, retry or replica won: it runs the step, not us.
    // Closed while we were winning the step (approved just before `/incident close`): it
    // does not run after the close.
    const fresh = await this.d.store.getIncident(incident.id);
    if (!fresh || fresh.status !== 'open') {
      const skipped = await this.transition(running, ['running'], { state: 'skipped', leaseUntil: undefined, finishedAt: this.iso(), note: 'incident closed before this step started; nothing was sent' });
      if (skipped) await this.event(incident.id, 'step_skipped', { step: step.name, detail: { reason: 'incident closed before it started' } });
      return;
    }
    await this.event(incident.id, 'step_started', { step: step.name, detail: { runner: this.d.instanceId, dryRun: incident.dryRun, ...(requestedBy ? { requestedBy } : {}) } });
    this.crash(`after-running:${step.name}`);
    // A step that withdraws others once it starts (Eradicate: Undo).
    for (const w of decideWithdraw(running, steps, this.def, this.d.now())) {
      if (await this.write(w.step, w.write)) await this.record(incident.id, w.event);
    }
    await this.refreshCard(incident.id);
    await this.execute(incident, running, def);
  }

  /**
   * Run a step this instance holds. Its lease is renewed from the step's start while the
   * action works (heartbeat), conditionally right before the work starts, and before every
   * mutating AWS call (the fence in the run context). Every renewal is a conditional write
   * through one queue, so they never race each other; a runner that lost its lease stops
   * before its next AWS call and finds out again when its final write fails.
   */
  private async execute(incident: Incident, running: StepRecord, def: StepDefinition): Promise<void> {
    const steps = (await this.d.store.get(incident.id))?.steps ?? [];
    let current: StepRecord | undefined = running;
    const lease = new AbortController();
    const lost = () => {
      if (!lease.signal.aborted) lease.abort(new KeyguardError('STALE', 'this runner lost its lease; another runner has the step'));
    };
    let queue: Promise<unknown> = Promise.resolve();
    const serial = <T>(f: () => Promise<T>): Promise<T> => {
      const p = queue.then(f);
      queue = p.catch(() => undefined);
      return p;
    };
    const renew = () => serial(async () => {
      if (!current) return;
      const held: StepRecord = current;
      try {
        const leaseUntil = this.leaseUntil();
        current = await this.transition(held, ['running'], { leaseUntil });
        if (!current) {
          // A write the SDK retried after its first attempt landed reads as lost: what is
          // stored says whether it was ours (same runner, our lease, the next version).
          const stored = await this.d.store.getStep(held.incidentId, held.seq, held.name);
          const ours = stored?.state === 'running' && stored.runner === held.runner && stored.leaseUntil === leaseUntil && stored.version === held.version + 1;
          current = ours ? stored : undefined;
        }
      } catch (e) {
        // The store is unreachable: keep going while the lease we hold is still valid, stop
        // once it has run out (a reconciler elsewhere may have the step by then).
        this.d.logger.warn({ err: e, step: running.name }, 'lease renewal failed');
        if (held.leaseUntil && held.leaseUntil <= this.iso()) current = undefined;
      }
      // Lost: someone took the step over. Stop working on it (long pulls stop at once,
      // containment sends no further call).
      if (!current) lost();
    });
    const fence = async (): Promise<void> => {
      await renew();
      if (!current) throw new KeyguardError('STALE', 'this runner lost its lease; another runner has the step');
    };
    const ctx = (): StepRunContext => ({ incident, step: current!, approvers: current!.approvals.map((a) => a.userId), dryRun: incident.dryRun, now: this.d.now(), steps, signal: lease.signal, fence });
    const heartbeat = setInterval(() => {
      renew().catch((e) => this.d.logger.warn({ err: e, step: running.name }, 'lease renewal failed'));
    }, (this.d.leaseMs ?? DEFAULT_LEASE_MS) / 3);
    heartbeat.unref();
    let result: StepResult | undefined;
    try {
      if (def.action!.snapshot && current.before === undefined) {
        // What the step is about to change, kept before the first AWS call: it survives a crash.
        // A snapshot that cannot be read fails the step (nothing sent), never leaves it running.
        let before: unknown;
        try {
          before = await def.action!.snapshot(ctx());
        } catch (e) {
          result = thrownResult(e);
          this.d.logger.error({ err: e, incident: incident.id, step: running.name }, 'step snapshot threw; nothing was sent');
        }
        if (!result) {
          current = await serial(async () => (current ? this.transition(current, ['running'], { before }) : undefined));
          if (!current) return;
          this.crash(`after-snapshot:${running.name}`);
        }
      }
      if (!result) {
        try {
          // Right before the work starts: the lease renewed conditionally. Lost: stop here.
          await fence();
        } catch (e) {
          this.d.logger.warn({ err: e, incident: incident.id, step: running.name }, 'lost the lease before the step started; nothing was sent');
          return;
        }
        try {
          result = await def.action!.run(ctx());
        } catch (e) {
          result = thrownResult(e);
          this.d.logger.error({ err: e, incident: incident.id, step: running.name }, 'step action threw');
        }
      }
    } finally {
      clearInterval(heartbeat);
      await queue;
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
    const finish = decideFinish(result, this.d.now());
    let done: StepRecord | undefined;
    try {
      done = await this.write(current, finish);
    } catch (e) {
      // The result could not be stored (too large, malformed): record the failure itself,
      // small, rather than leave the step running for a reconciler to repeat forever.
      this.d.logger.error({ err: e, incident: incident.id, step: running.name }, 'could not store the step result');
      done = await this.transition(current, finish.from, { ...finish.patch, ...storeFailedPatch(result, (e as Error).name) });
    }
    if (!done) {
      this.d.logger.warn({ incident: incident.id, step: running.name }, 'step result lost a race; another runner recorded it');
      return;
    }
    await this.record(incident.id, finishedEvent(done, result));
    await this.notify(incident, { kind: 'step_finished', step: running.name, title: running.title, ok: done.state === 'succeeded', dryRun: incident.dryRun, note: done.note ?? '' });
    await this.refreshCard(incident.id);
  }

  private async patchIncident(id: string, patch: Partial<Incident>): Promise<void> {
    for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
      const inc = await this.d.store.getIncident(id);
      if (!inc) return;
      if (await this.d.store.updateIncident({ ...inc, ...patch }, inc.version)) return;
    }
  }

  private async load(incidentId: string, stepName: string): Promise<{ incident: Incident; step: StepRecord; steps: StepRecord[] }> {
    const bundle = await this.d.store.get(incidentId);
    const step = bundle?.steps.find((s) => s.name === stepName);
    if (!bundle || !step) throw new KeyguardError('STALE', `Incident ${incidentId} has no step ${stepName}.`);
    return { incident: bundle.incident, step, steps: bundle.steps };
  }

  private async expire(incident: Incident, step: StepRecord): Promise<void> {
    const e = decideExpire(step, this.d.now());
    const won = await this.write(step, e.write);
    if (won) await this.record(incident.id, e.event);
  }

  /**
   * An Approve or Deny click, checked on the server every time. A lost write (someone else
   * wrote first) re-reads and decides again; it never acts twice.
   */
  private async click(incidentId: string, stepName: string, c: Omit<Click, 'isApprover' | 'approversConfigured' | 'now'>, opts: { advance?: boolean }): Promise<ClickOutcome> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const { incident, step } = await this.load(incidentId, stepName);
      const decision = decideClick(incident, step, {
        ...c, isApprover: await this.d.access.isApprover(c.userId), approversConfigured: this.d.access.approversConfigured, now: this.d.now(),
        // What the card showed (a card older than the last request is refused as stale).
        digest: approvalDigest(incident, step),
      });
      if (decision.kind === 'refuse') {
        // A lost race on a later attempt is reported as what it is: someone else moved the step.
        await this.record(incident.id, decision.event);
        if (decision.expire) await this.expire(incident, step);
        if (decision.refreshCard) await this.refreshCard(incident.id);
        return this.answer(decision.result);
      }
      const won = await this.write(step, decision.write);
      if (!won) continue; // someone else wrote first: re-read and decide again
      await this.record(incidentId, decision.event);
      if (c.kind === 'approve') this.crash(`after-approved:${stepName}`);
      await this.notify(incident, decision.notice);
      await this.refreshCard(incidentId);
      if (decision.runs && opts.advance !== false) await this.advance(incidentId);
      return this.answer(decision.result);
    }
    throw new KeyguardError('CONFLICT', 'Too many people clicked at once; please click again.');
  }

  /**
   * An Approve click. Checked on the server every time. With `advance: false` the caller
   * answers the person first and then calls advance() (the step may run for minutes).
   */
  approve(incidentId: string, stepName: string, shownVersion: number, userId: string, opts: { advance?: boolean } = {}): Promise<ClickOutcome> {
    return this.click(incidentId, stepName, { kind: 'approve', userId, shownVersion }, opts);
  }

  /**
   * Approve a step by a configured policy instead of a click (IR_AUTO_CONTAIN): the same
   * conditional write as a click, recorded with the actor `policy:<policy>`. Only a step that
   * needs a single approval: a policy never stands in for one of two people.
   */
  async approveByPolicy(incidentId: string, stepName: string, policy: string, opts: { advance?: boolean; detail?: Record<string, unknown> } = {}): Promise<ClickOutcome> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const { incident, step } = await this.load(incidentId, stepName);
      if (incident.status !== 'open' || step.state !== 'awaiting_approval') return { ok: false, message: `*${step.title}* is ${step.state.replace('_', ' ')}; policy ${policy} approved nothing.` };
      if (step.approvalsRequired !== 1) return { ok: false, message: `*${step.title}* needs ${step.approvalsRequired} people; policy ${policy} cannot approve it.` };
      const won = await this.transition(step, ['awaiting_approval'], { approvals: [{ userId: `policy:${policy}`, at: this.iso(), planDigest: approvalDigest(incident, step) }], state: 'approved' });
      if (!won) continue; // a person clicked at the same moment: re-read and decide again
      await this.event(incidentId, 'approved', { actor: `policy:${policy}`, step: stepName, detail: { approvedBy: `policy ${policy}`, approvals: 1, of: 1, ...opts.detail } });
      await this.refreshCard(incidentId);
      if (opts.advance !== false) await this.advance(incidentId);
      return { ok: true, message: `Approved *${step.title}* by policy ${policy}.` };
    }
    throw new KeyguardError('CONFLICT', 'The step changed too often while applying the policy.');
  }

  /** A Deny click: an approver's decision, or who asked taking the request back (withdrawn). */
  async deny(incidentId: string, stepName: string, shownVersion: number, userId: string, reason: string): Promise<ClickOutcome> {
    // Every front door checks first; this is the last line: a secret never reaches the record.
    if (containsSecretKey(reason)) return this.answer({ kind: 'secret_refused', what: 'reason' });
    return this.click(incidentId, stepName, { kind: 'deny', userId, shownVersion, reason }, {});
  }

  /** Ask for approval of an optional step, or again after an expiry or a failure (a responder's click). */
  async rerequest(incidentId: string, stepName: string, userId: string): Promise<ClickOutcome> {
    const { incident, step, steps } = await this.load(incidentId, stepName);
    const isResponder = incident.status !== 'open' ? false : await this.d.access.isResponder(userId);
    const decision = decideRerequest(incident, step, steps, this.def, isResponder);
    switch (decision.kind) {
      case 'refuse':
        if (decision.refreshCard) await this.refreshCard(incidentId);
        await this.event(incidentId, 'click_refused', { actor: userId, step: stepName, detail: { kind: 'request', refusal: decision.result.refusal } });
        return this.answer(decision.result);
      case 'retry':
        await this.event(incidentId, 'retry_requested', { actor: userId, step: stepName });
        await this.runStep(incident, step, ['failed'], userId);
        await this.advance(incidentId);
        return this.answer(decision.result);
      case 'request': {
        const asked = await this.requestApproval(incident, step, decision.from, userId);
        return this.answer(asked.planFailed !== undefined ? { kind: 'plan_failed', title: step.title, reason: asked.planFailed } : decision.result);
      }
    }
  }

  /**
   * One incident's part of a sweep, isolated: an error is logged and recorded on that incident
   * (best effort), and the sweep goes on with the others.
   */
  private async isolated(incidentId: string, sweep: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (e) {
      this.d.logger.error({ err: e, incident: incidentId, sweep }, 'one incident failed in the sweep; the others go on');
      const error = isKeyguardError(e) ? { code: e.code, message: e.userMessage } : { code: 'UNEXPECTED', message: e instanceof Error ? e.message : String(e) };
      await this.event(incidentId, 'sweep_failed', { detail: { sweep, error } }).catch((err) =>
        this.d.logger.error({ err, incident: incidentId }, 'could not record the sweep failure'),
      );
    }
  }

  /** Expire every approval whose time is up (a periodic sweep; clicks also check). Incidents are isolated. */
  async expireDue(): Promise<number> {
    let n = 0;
    for (const inc of await this.d.store.listOpenIncidents()) {
      await this.isolated(inc.id, 'expire', async () => {
        const bundle = await this.d.store.get(inc.id);
        for (const step of bundle?.steps ?? []) {
          if (isExpired(step, this.d.now())) {
            await this.expire(inc, step);
            await this.refreshCard(inc.id);
            n++;
          } else if (approvalLapsed(step, this.d.now(), this.d.approvalTtlMinutes * 60_000)) {
            // Approved, never started: the approval does not wait forever.
            await this.advance(inc.id);
            n++;
          }
        }
      });
    }
    return n;
  }

  /**
   * After a restart: finish what a dead process left. A step found `running` is checked
   * against AWS before anything is retried; approved and automatic steps are resumed. Each
   * incident is isolated: one that fails is logged and recorded, the others still advance.
   */
  async reconcile(): Promise<{ resumed: string[]; failed: string[] }> {
    const resumed: string[] = [];
    const failed: string[] = [];
    const now = this.iso();
    for (const inc of await this.d.store.listOpenIncidents()) {
      let ok = true;
      await this.isolated(inc.id, 'reconcile', async () => {
        ok = false;
        const bundle = await this.d.store.get(inc.id);
        if (!bundle) {
          ok = true;
          return;
        }
        // A dry-run process never takes a live incident's work (one opened before IR_DRY_RUN).
        if (this.d.dryRun && !bundle.incident.dryRun) {
          this.d.logger.warn({ incident: inc.id }, 'dry run: a live incident is left for a live process');
          ok = true;
          return;
        }
        // Only steps whose runner stopped renewing its lease: a live replica keeps its step.
        for (const step of bundle.steps.filter((s) => s.state === 'running' && !(s.leaseUntil && s.leaseUntil > now))) {
          const def = this.def(step.name);
          // A step found running was approved when it started: its approvals are checked again
          // before it is run again (a running step planted in the table is refused here).
          if (!(await this.approvalsHold(bundle.incident, step, bundle.steps, def))) continue;
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
        ok = true;
      });
      if (!ok) failed.push(inc.id);
    }
    return { resumed, failed };
  }

  /**
   * Generate the next `<base>-N` step (e.g. Re-apply containment after the watch found drift)
   * and ask for approval of its fresh plan; with `policy`, approve it by that policy at once
   * (IR_AUTO_CONTAIN). One at a time: while one is pending, awaiting approval, approved or
   * running, nothing is added and its name is returned as `existing`.
   */
  async requestGenerated(incidentId: string, base: string, params: unknown, o: { policy?: string; detail?: Record<string, unknown>; advance?: boolean } = {}): Promise<{ step?: string; existing?: string; planFailed?: string; approvedByPolicy?: boolean }> {
    const bundle = await this.d.store.get(incidentId);
    if (!bundle || bundle.incident.status !== 'open') return {};
    const pattern = new RegExp(`^${base}-\\d+$`);
    const mine = bundle.steps.filter((s) => pattern.test(s.name));
    const inProgress = mine.find((s) => ['pending', 'awaiting_approval', 'approved', 'running'].includes(s.state));
    if (inProgress) return { existing: inProgress.name };
    const name = `${base}-${mine.length + 1}`;
    const def = this.def(name);
    await this.addSteps(incidentId, [{ name, title: def.title, params, offerAfter: def.offer?.after ?? '', seq: def.seq + mine.length }]);
    const step = (await this.d.store.get(incidentId))?.steps.find((s) => s.name === name);
    if (!step) return {};
    const asked = await this.requestApproval(bundle.incident, step, ['pending']);
    if (asked.planFailed !== undefined) return { step: name, planFailed: asked.planFailed };
    if (!o.policy) return { step: name };
    const approved = await this.approveByPolicy(incidentId, name, o.policy, { detail: o.detail, advance: o.advance });
    return { step: name, approvedByPolicy: approved.ok };
  }

  private async addSteps(incidentId: string, specs: ReadonlyArray<NonNullable<StepResult['addSteps']>[number] & { seq?: number }>): Promise<void> {
    const now = this.iso();
    const steps: StepRecord[] = specs.map((spec, i) => {
      const def = this.def(spec.name);
      return {
        incidentId, seq: spec.seq ?? 10 + i, name: spec.name, title: spec.title, state: 'pending', version: 1,
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
    for (const s of decideSkipRemaining(bundle?.steps ?? [], this.def, reason, except, this.d.now())) {
      const won = await this.write(s.step, s.write);
      if (won) await this.record(incidentId, s.event);
    }
  }

  /** The close step is done; steps never reached are skipped, with that said. */
  private async settleStepsOnClose(incidentId: string, userId: string): Promise<void> {
    const bundle = await this.d.store.get(incidentId);
    for (const step of bundle?.steps ?? []) {
      const move = decideOnClose(step, this.def(step.name).manual === true, userId, this.d.now());
      if (move.kind === 'leave') continue;
      const won = await this.write(step, move.write);
      if (move.kind === 'close') {
        if (won) await this.write(won, move.then);
        continue;
      }
      if (won) await this.record(incidentId, move.event);
    }
  }

  /**
   * Close the incident. With something left open (a step awaiting approval, containment
   * undone, Eradicate or a removal not done) only an approver who asked for none of it may;
   * the watch on the key ends with the close only when an approver other than the requester
   * closes (approval-rules.ts checkClose).
   */
  async close(incidentId: string, userId: string, resolution: string): Promise<ClickOutcome> {
    if (containsSecretKey(resolution)) return this.answer({ kind: 'secret_refused', what: 'resolution' });
    for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
      const inc = await this.d.store.getIncident(incidentId);
      if (!inc) return this.answer({ kind: 'close_refused', incidentId, why: 'missing' });
      if (inc.status === 'closed') return this.answer({ kind: 'close_refused', incidentId, why: 'already_closed' });
      const steps = (await this.d.store.get(incidentId))?.steps ?? [];
      const verdict = decideClose(inc, steps, this.def, userId, await this.d.access.isApprover(userId));
      if (!verdict.ok) {
        await this.event(incidentId, 'close_refused', { actor: userId, detail: { why: verdict.refusal, openEnds: verdict.openEnds, askers: verdict.askers } });
        return this.answer({ kind: 'close_refused', incidentId, why: verdict.refusal, openEnds: verdict.openEnds, askers: verdict.askers });
      }
      const watchOutlivesClose = !verdict.endsWatch;
      const closed = await this.d.store.updateIncident({ ...inc, status: 'closed', closedAt: this.iso(), resolution, closedBy: userId, ...(watchOutlivesClose ? { watchOutlivesClose } : {}) }, inc.version);
      if (!closed) continue;
      await this.d.store.releaseKeyLock(inc.keyId, inc.id);
      await this.event(incidentId, 'incident_closed', { actor: userId, detail: { resolution, openEnds: verdict.openEnds, watchOutlivesClose } });
      await this.settleStepsOnClose(incidentId, userId);
      await this.refreshCard(incidentId);
      return this.answer({ kind: 'closed', incidentId, watchOutlivesClose });
    }
    throw new KeyguardError('CONFLICT', 'The incident changed while closing it; try again.');
  }
}
