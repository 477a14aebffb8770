/**
 * Counting a burst rule's events. Events arrive out of order (regions interleave), so bursts
 * are counted in minute buckets and the densest window is found at the end, whatever the
 * arrival order. Pure.
 */
import type { TrailEvent } from '../trail-event';
import type { BurstRule } from './types';

export interface BurstWindow {
  /** Counted events (or their weight: instances terminated…) within the densest window. */
  count: number;
  /** Start of the densest window, epoch ms (minute-aligned). */
  startMs: number;
  endMs: number;
  /** Counted events (or their weight) overall, inside a window or not. */
  total: number;
}

const MINUTE_MS = 60_000;

/**
 * Counts a burst rule's events in minute buckets, in any arrival order. Memory is one
 * number per minute that had a counted event (at most 129,600 for 90 days).
 */
export class BurstTracker {
  private readonly perMinute = new Map<number, number>();
  private total = 0;

  constructor(readonly rule: BurstRule) {}

  /** Returns true when the event counts towards this burst. */
  add(e: TrailEvent): boolean {
    if (!Number.isFinite(e.timeMs) || !this.rule.counts(e)) return false;
    const weight = Math.max(1, this.rule.weight?.(e) ?? 1);
    const minute = Math.floor(e.timeMs / MINUTE_MS);
    this.perMinute.set(minute, (this.perMinute.get(minute) ?? 0) + weight);
    this.total += weight;
    return true;
  }

  /** The densest window, or undefined when it stays under the threshold. */
  densestWindow(): BurstWindow | undefined {
    const minutes = [...this.perMinute.keys()].sort((a, b) => a - b);
    let best: { count: number; start: number } | undefined;
    let lo = 0;
    let inWindow = 0;
    for (let hi = 0; hi < minutes.length; hi++) {
      inWindow += this.perMinute.get(minutes[hi])!;
      while (minutes[hi] - minutes[lo] >= this.rule.windowMinutes) {
        inWindow -= this.perMinute.get(minutes[lo])!;
        lo++;
      }
      if (!best || inWindow > best.count) best = { count: inWindow, start: minutes[lo] };
    }
    if (!best || best.count < this.rule.threshold) return undefined;
    return {
      count: best.count,
      startMs: best.start * MINUTE_MS,
      endMs: (best.start + this.rule.windowMinutes) * MINUTE_MS,
      total: this.total,
    };
  }
}
