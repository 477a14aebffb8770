import type { WatchState } from '../domain/watch';

/** Watch schedules (implemented on DynamoDB in src/store/watch-store.ts). */
export interface WatchStore {
  /** Start a watch; an existing one for the incident is left as it is. */
  start(w: WatchState): Promise<boolean>;
  due(nowIso: string): Promise<WatchState[]>;
  /** Conditional on the version read: false when another replica got there first. */
  save(w: WatchState, expectVersion: number): Promise<WatchState | undefined>;
}
