/**
 * The step state machine and incident ids: every move the engine may make, and no other.
 * A move the table does not list is a bug the engine refuses to write.
 */
import { canTransition, newIncidentId, StepState, TERMINAL_STATES } from '../../src/domain/incident';

const STATES: StepState[] = ['pending', 'awaiting_approval', 'approved', 'running', 'succeeded', 'failed', 'denied', 'expired', 'withdrawn', 'skipped'];

const EXPECTED: Record<StepState, StepState[]> = {
  // A plan that cannot be made (a planning error) fails the step, with the reason, for a person to retry.
  pending: ['awaiting_approval', 'running', 'skipped', 'failed'],
  // Withdrawn: who asked took it back before anyone approved; it can be asked again (unlike denied).
  awaiting_approval: ['approved', 'denied', 'expired', 'withdrawn', 'skipped', 'awaiting_approval'],
  // Approved but never started: it lapses (expired), fails the run-time approval check, or is skipped (closed, withdrawn).
  approved: ['running', 'expired', 'failed', 'skipped'],
  running: ['succeeded', 'failed', 'running', 'skipped'],
  failed: ['running', 'awaiting_approval', 'skipped'],
  succeeded: [],
  denied: [],
  expired: ['awaiting_approval', 'skipped', 'failed'],
  withdrawn: ['awaiting_approval', 'skipped', 'failed'],
  skipped: [],
};

describe('step state machine', () => {
  it.each(STATES.flatMap((from) => STATES.map((to) => [from, to] as const)))('%s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(EXPECTED[from].includes(to));
  });

  it('only an approved step (or an automatic pending one, or a retry) starts running: approval is never skipped', () => {
    expect(STATES.filter((s) => canTransition(s, 'running')).sort()).toEqual(['approved', 'failed', 'pending', 'running']);
    expect(canTransition('awaiting_approval', 'running')).toBe(false);
  });

  it('terminal states are the ones nothing leaves except a new request after an expiry or a withdrawal', () => {
    expect([...TERMINAL_STATES].sort()).toEqual(['denied', 'expired', 'skipped', 'succeeded', 'withdrawn']);
    for (const s of ['succeeded', 'denied', 'skipped'] as const) expect(STATES.some((to) => canTransition(s, to))).toBe(false);
  });
});

describe('incident ids', () => {
  it('are the UTC date and four characters people can read aloud', () => {
    const seq = [0, 0.5, 0.99, 0.25];
    let i = 0;
    const id = newIncidentId(new Date('2026-11-28T23:30:00-05:00'), () => seq[i++]);
    expect(id).toBe('IR-20261129-AS9J');
    expect(newIncidentId(new Date('2026-01-02T00:00:00Z'))).toMatch(/^IR-20260102-[A-HJ-NP-Z2-9]{4}$/);
  });
});
