/**
 * Picks the CloudTrail history that answers a lookup (see domain/history-choice.ts for the
 * rule) and holds the query engines that are configured. TrailService asks it per pull;
 * the answer (which source, why, what the query scanned and cost, any fallback and Athena's
 * reason for it) travels back on the pull's result, for the thread.
 */
import { chooseHistorySource, HistoryChoice, HistorySourceName, HistorySourceSetting, type HistoryAnswer } from '../../domain/history-choice';
export type { HistoryAnswer } from '../../domain/history-choice';
import type { HistoryQuerySource } from './history-query-source';
import type { HistoryQueryStats } from '../../domain/history-choice';

export interface HistorySelectorOptions {
  setting: HistorySourceSetting;
  athena?: HistoryQuerySource;
  lake?: HistoryQuerySource;
  /** The bot's own account: the `account` partition when a lookup names none. */
  ownAccount: () => Promise<string>;
  now: () => Date;
  /** Events delivered at most per pull; beyond, the export is cut and the query id given to rerun. */
  maxEvents?: number;
  /** Wanted unless a pull says otherwise: auto then prefers the trail, where data events are. */
  dataEventsByDefault?: boolean;
}


const DEFAULT_MAX_QUERY_EVENTS = 2_000_000;

export class HistorySelector {
  private own?: Promise<string>;

  constructor(readonly o: HistorySelectorOptions) {}

  ownAccount(): Promise<string> {
    this.own ??= this.o.ownAccount().catch((e: unknown) => {
      this.own = undefined;
      throw e;
    });
    return this.own;
  }

  choose(req: { start: Date; forced?: HistorySourceName; dataEvents?: boolean; accounts: number }): HistoryChoice {
    return chooseHistorySource({
      setting: this.o.setting,
      forced: req.forced,
      athenaConfigured: this.o.athena !== undefined,
      lakeConfigured: this.o.lake !== undefined,
      start: req.start,
      now: this.o.now(),
      dataEvents: req.dataEvents ?? this.o.dataEventsByDefault ?? false,
      accounts: req.accounts,
    });
  }

  engine(name: 'athena' | 'lake'): HistoryQuerySource | undefined {
    return name === 'athena' ? this.o.athena : this.o.lake;
  }

  /** Athena or CloudTrail Lake is configured. */
  get hasEngine(): boolean {
    return this.o.athena !== undefined || this.o.lake !== undefined;
  }

  get maxEvents(): number {
    return this.o.maxEvents ?? DEFAULT_MAX_QUERY_EVENTS;
  }
}
