/**
 * The detection rules' public entry point. The rules themselves live in `detections/`, one
 * module per MITRE ATT&CK tactic, with the data that drives them (instance families, AWS
 * service principals, fallback regions) in `detections/data.ts` and what no rule looks at
 * (AWS service activity, keyguard's own containment) in `detections/ignore.ts`. Pure.
 */
export * from './detections/index';
export { BurstTracker } from './detections/burst';
export type { BurstWindow } from './detections/burst';
