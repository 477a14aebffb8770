/**
 * Writes the detection-rule catalogue into docs/detections.md, between its markers, from the rules
 * themselves: `npm run docs:rules`. `npm run docs:rules -- --check` only says whether the
 * README is current (exit 1 when not); the unit test does the same.
 */
import fs from 'node:fs';
import path from 'node:path';
import { withCatalogue } from '../src/domain/detections/catalogue';

const readmePath = path.join(__dirname, '..', 'docs', 'detections.md');
const current = fs.readFileSync(readmePath, 'utf8');
const next = withCatalogue(current);
if (process.argv.includes('--check')) {
  if (next !== current) {
    console.error('docs/detections.md rule catalogue is out of date: run npm run docs:rules');
    process.exit(1);
  }
  console.log('docs/detections.md rule catalogue is current.');
} else if (next === current) {
  console.log('docs/detections.md rule catalogue already current.');
} else {
  fs.writeFileSync(readmePath, next);
  console.log('docs/detections.md rule catalogue written.');
}
