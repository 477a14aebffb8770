/**
 * What the detection rules cost per event, next to what every event costs anyway (parsing
 * the CloudTrail record), measured side by side in one run over the same events, and next
 * to the rate CloudTrail itself delivers events (2 requests/s × 50 events per region). The
 * events: routine calls, the IAM intrusion at 40×, and the intrusion beyond IAM 40 times.
 */
import { performance } from 'node:perf_hooks';
import { parseTrailEvent, TrailEvent } from '../src/domain/trail-event';
import { TrailSummaryBuilder } from '../src/domain/trail-summary';
import { attackerScenario, examplePrincipal, regionOf, routineActivity, widerIntrusion } from '../sandbox/cloudtrail-fixtures';
import type { WireEvent } from '../sandbox/cloudtrail-emulator';
import { Bench, fixed, markdownTable } from './bench';

const ROUNDS = 5;

function corpus(): WireEvent[] {
  const principal = examplePrincipal(5);
  const start = Date.parse('2024-05-01T00:00:00Z');
  const routine = routineActivity({ seed: 1, count: 80_000, principal, regions: ['us-east-1', 'eu-west-1', 'us-west-2'], startMs: start - 30 * 86_400_000, endMs: start });
  const attack = attackerScenario({ seed: 2, principal, startMs: start, scale: 40 });
  // The intrusion beyond IAM (databases, storage, public resources, network, defences), 40 times over.
  const wider = Array.from({ length: 40 }, (_, i) => widerIntrusion({ seed: 100 + i, principal, startMs: start + i * 3_600_000 }).events).flat();
  return [...routine, ...attack.events, ...wider];
}

function timeIt(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

export const detectionBench: Bench = {
  name: 'detection',
  async run() {
    const wire = corpus();
    const parsed: TrailEvent[] = wire.map((w) => parseTrailEvent(w, regionOf(w)));
    const parseMs: number[] = [];
    const summaryMs: number[] = [];
    let findings = 0;
    // Alternate the two so load from other work on the machine falls on both alike.
    for (let round = 0; round < ROUNDS; round++) {
      parseMs.push(timeIt(() => {
        for (const w of wire) parseTrailEvent(w, 'us-east-1');
      }));
      summaryMs.push(timeIt(() => {
        const b = new TrailSummaryBuilder();
        for (const e of parsed) b.add(e);
        findings = b.result().findings.length;
      }));
    }
    if (findings < 10) throw new Error(`the attack corpus should match many rules, matched ${findings}`);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const n = wire.length;
    const p = median(parseMs);
    const s = median(summaryMs);
    console.log(markdownTable(
      ['step (median of 5 rounds)', 'events', 'ms', 'µs/event', 'events/s', '÷ parsing'],
      [
        ['parse the CloudTrail record', n, fixed(p, 0), fixed((p * 1000) / n), fixed(n / (p / 1000), 0), '1.00'],
        ['summary with every rule', n, fixed(s, 0), fixed((s * 1000) / n), fixed(n / (s / 1000), 0), fixed(s / p)],
      ],
    ));
    console.log(`\n${findings} findings. CloudTrail delivers at most 100 events/s per region (1,700/s over 17 regions).`);
  },
};
