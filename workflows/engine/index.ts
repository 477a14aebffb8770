/**
 * The playbook engine: decide.ts (pure transitions: state + event → write + event + notice)
 * and run.ts (the store, leases, heartbeat, conditional writes). Presentation words what it
 * emits (src/slack/incident-messages.ts).
 */
export { PlaybookEngine } from './run';
export type { ClickOutcome, EngineDeps, OpenRequest } from './run';
export type { IncidentNotifier } from '../../src/ports';
