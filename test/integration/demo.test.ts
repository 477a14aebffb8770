/**
 * `npm run demo` as CI runs it: a child process on a clean output folder. The transcript
 * must tell the whole incident in order, and the folder must hold the transcript, the
 * timeline exports and a chart that decodes to the review pack's size.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pngSize } from '../../src/timeline/chart-png';
import { CHART_HEIGHT, CHART_WIDTH } from '../../src/timeline/review-pack';

jest.setTimeout(240_000);

function runNpmDemo(outDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'demo', '--', '--out', outDir], {
      cwd: path.resolve(__dirname, '../..'),
      // No AWS credentials of the developer's reach the demo; no MOTO_URL either: it starts its own.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.homedir(), CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

it('plays the whole incident, prints it and writes the transcript, timeline exports and chart', async () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyguard-demo-'));
  const { code, stdout, stderr } = await runNpmDemo(outDir);
  expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });

  // The story, in the order a reader meets it.
  const milestones = [
    /A secret scanner finds access key (AKIA[A-Z0-9]{16})/,
    /alice: \/key-owner AKIA/,
    /Key AKIA[A-Z0-9]{16} belongs to ci-deployer/,
    /alice: \/revoke-key/,
    /bot opens a form "Revoke a leaked key"/,
    /Contain needs 1 more approval/,
    /alice: clicks Approve on Contain/,
    /You requested this incident, so someone else must approve it\. Nothing was changed\./,
    /bob: clicks Approve on Contain/,
    /Contain: Contained AKIA[A-Z0-9]{16} of ci-deployer: key Inactive/,
    /Checked in IAM \(moto\): key AKIA[A-Z0-9]{16} is Inactive\./,
    /== CloudTrail for AKIA[A-Z0-9]{16} \(ci-deployer\) ==/,
    /Regions with activity: 3 of 3 queried/,
    /alice: clicks Remove IAM user backup-svc/,
    /Remove IAM user backup-svc needs 1 more approval/,
    /carol: clicks Approve on Remove IAM user backup-svc/,
    /Checked in IAM \(moto\): user backup-svc no longer exists\./,
    /carol: clicks Approve on Eradicate/,
    /bot in DM:\n\s+:rotating_light: Your AWS access key/,
    /bob: \/incident close IR-/,
    /== IR-\S+ · leaked key AKIA[A-Z0-9]{16} · CLOSED ==/,
    /Review pack of IR-/,
    /alice: \/incident timeline IR-/,
    /Times in your time zone \(Europe\/Berlin\)/,
  ];
  let from = 0;
  for (const m of milestones) {
    const found = m.exec(stdout.slice(from));
    if (!found) throw new Error(`the transcript lacks ${m} after position ${from}:\n${stdout.slice(from, from + 3000)}`);
    from += found.index + found[0].length;
  }
  // People are shown by name, never by raw Slack id.
  expect(stdout).not.toMatch(/@U0[A-Z]+/);
  // Self-approval was refused, so bob's approval is the one recorded.
  expect(stdout).toMatch(/Contain: done \(1\/1 approvals: @bob\)/);

  const id = /Incident (IR-\S+) played in/.exec(stdout)![1];
  const files = fs.readdirSync(outDir).sort();
  expect(files).toEqual(
    [`${id}-activity.png`, `${id}-cloudtrail.csv`, `${id}-cloudtrail.ndjson`, `${id}-timeline.csv`, `${id}-timeline.json`, `${id}-timeline.md`, 'transcript.txt'].sort(),
  );
  // The file holds what the terminal showed.
  const transcript = fs.readFileSync(path.join(outDir, 'transcript.txt'), 'utf8');
  expect(stdout).toContain(transcript.trim().split('\n').slice(0, 40).join('\n'));
  const md = fs.readFileSync(path.join(outDir, `${id}-timeline.md`), 'utf8');
  expect(md).toContain('## What happened');
  expect(md).toContain('incident closed: key deleted, back-door user removed');
  const json = JSON.parse(fs.readFileSync(path.join(outDir, `${id}-timeline.json`), 'utf8'));
  expect(json.incident).toMatchObject({ id, status: 'closed' });
  // Attacker activity from three regions is in the merged timeline.
  expect(new Set(json.timeline.map((e: { region?: string }) => e.region).filter(Boolean))).toEqual(new Set(['us-east-1', 'eu-west-1', 'ap-southeast-3']));
  expect(pngSize(fs.readFileSync(path.join(outDir, `${id}-activity.png`)))).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
  fs.rmSync(outDir, { recursive: true, force: true });
});
