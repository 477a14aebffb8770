/**
 * `npm run demo [-- --out <folder>]`: plays a whole incident in the sandbox and prints the
 * conversation. Needs only `npm ci` and moto_server (`pip install 'moto[server]'`).
 */
import path from 'node:path';
import { runDemo } from './play';

// Everything runs against local servers: no real AWS credentials may reach a client that
// would fall back to the default chain.
for (const k of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE']) delete process.env[k];
process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_EC2_METADATA_DISABLED = 'true';

function outDirFrom(argv: readonly string[]): string {
  const i = argv.indexOf('--out');
  if (i >= 0 && argv[i + 1]) return path.resolve(argv[i + 1]);
  return path.resolve('demo-output', new Date().toISOString().replace(/[:.]/g, '-'));
}

runDemo({
  outDir: outDirFrom(process.argv.slice(2)),
  echo: (line) => process.stdout.write(`${line}\n`),
  status: (line) => process.stderr.write(`${line}\n`),
}).then(
  (r) => {
    process.stdout.write(`\nIncident ${r.incidentId} played in ${(r.wallMs / 1000).toFixed(1)} s.\nTranscript, timeline exports and chart: ${r.outDir}\n`);
    process.exit(0);
  },
  (e) => {
    process.stderr.write(`\nThe demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
