/**
 * Runs the CloudTrail emulator in its own process for the bench, loaded with generated
 * events, so that the bench process measures the engine alone (its memory, its event
 * loop) and not the emulator's copy of 100,000 events.
 *
 * Usage: tsx bench/cloudtrail-emulator-process.ts '<EmulatorProcessConfig as JSON>'
 * Prints one JSON line `{"url": …, "events": …}` when ready; exits when stdin closes.
 */
import { startCloudTrailEmulator } from '../sandbox/cloudtrail-emulator';
import { generateVolume, UserPrincipal } from '../sandbox/cloudtrail-fixtures';

export interface EmulatorProcessConfig {
  requestsPerSecond: number;
  burst?: number;
  perRegion: number;
  regions: string[];
  seed: number;
  startMs: number;
  endMs: number;
  principal: UserPrincipal;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as EmulatorProcessConfig;
  const emulator = await startCloudTrailEmulator({ requestsPerSecond: config.requestsPerSecond, burst: config.burst, requestLogLimit: 0 });
  let events = 0;
  for (const [region, list] of generateVolume(config)) {
    emulator.setEvents(region, list);
    events += list.length;
  }
  process.stdout.write(`${JSON.stringify({ url: emulator.url, events })}\n`);
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
