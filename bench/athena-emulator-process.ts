/**
 * Runs the Athena emulator in its own process for the bench, so that the bench process
 * measures keyguard's Athena path alone (its memory, its event loop), not DuckDB's.
 *
 * Usage: tsx bench/athena-emulator-process.ts '{"logRoot": …, "database": …, "table": …}'
 * Prints one JSON line `{"endpoint": …}` when ready; exits when stdin closes.
 */
import { startAthenaEmulator, AthenaEmulatorOptions } from '../test/support/athena-emulator';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as AthenaEmulatorOptions;
  const emulator = await startAthenaEmulator(options);
  process.stdout.write(`${JSON.stringify({ endpoint: emulator.endpoint })}\n`);
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
