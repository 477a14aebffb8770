/**
 * The composition root: the only place that imports the concrete adapters of src/aws and
 * src/store. `buildCore` makes the services every face shares; each face adds its own:
 *
 *   slack-bot.ts    the Bolt app, its commands, App Home, card notifier, watch and sweeps
 *   intake.ts       automatic intake (SQS: AWS Health, GuardDuty; POST /intake/github)
 *   break-glass.ts  the CLI's engine with terminal adapters
 *   clients.ts      production clients from the configuration; local ones for the sandbox
 *   store.ts        the configured store, or an embedded one
 */
export { detectionSettings } from './core';
export { productionClients, localClients, type Clients } from './clients';
export { openConfiguredStore, openEmbeddedStore, type OpenedStore } from './store';
export { startApp, type AppParts, type RunningApp } from './slack-bot';
export { startIntake } from './intake';
export { openBreakGlass, type BreakGlass } from './break-glass';
