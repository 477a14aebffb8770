/**
 * `npm run docs:review-pack`: writes the sample review pack in docs/review-pack/ from the
 * constructed incident (test/support/review-scenario.ts: abused on 31 October 2026, detected
 * and contained across the end of daylight saving time in New York, closed on 3 November).
 */
import fs from 'node:fs';
import path from 'node:path';
import { reviewScenario } from '../test/support/review-scenario';
import { writeReviewPack } from '../src/slack/review-pack-upload';

async function main(): Promise<void> {
  const dir = path.join(__dirname, '..', 'docs', 'review-pack');
  fs.mkdirSync(dir, { recursive: true });
  const written = await writeReviewPack(reviewScenario(600), dir, { tz: 'America/New_York' });
  if (written.chartError) throw new Error(written.chartError);
  for (const f of written.files) console.log(`${path.relative(process.cwd(), f.path)}  ${fs.statSync(f.path).size} bytes`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
