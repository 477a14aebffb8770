/**
 * `npm run bench`: runs every bench module in BENCHES, in order. Add a bench by exporting a
 * `Bench` from a bench/*.bench.ts module and listing it here. `npm run bench -- NAME` runs
 * only the benches whose name contains NAME.
 */
import type { Bench } from './bench';
import { ackBench } from './ack.bench';
import { cloudTrailBench } from './cloudtrail.bench';
import { detectionBench } from './detection.bench';
import { timelineBench } from './timeline.bench';
import { intakeBench } from './intake.bench';
import { athenaBench } from './athena.bench';
import { trailUserPathBench } from './trail-user-path.bench';

const BENCHES: Bench[] = [ackBench, cloudTrailBench, detectionBench, intakeBench, timelineBench, athenaBench, trailUserPathBench];

async function main(): Promise<void> {
  const filter = process.argv[2];
  const selected = BENCHES.filter((b) => !filter || b.name.includes(filter));
  if (selected.length === 0) throw new Error(`no bench matches "${filter}"; have: ${BENCHES.map((b) => b.name).join(', ')}`);
  for (const bench of selected) {
    console.log(`\n## ${bench.name}\n`);
    const started = Date.now();
    await bench.run();
    console.log(`\n(${bench.name} took ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
