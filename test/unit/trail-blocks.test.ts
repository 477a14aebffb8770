import type { AsiaTrace } from '../../src/domain/asia-trace';
import { parseTrailEvent } from '../../src/domain/trail-event';
import { TrailSummary, TrailSummaryBuilder } from '../../src/domain/trail-summary';
import { assertWithinSlackLimits } from '../../src/slack/limits';
import { asiaTraceBlocks, Block, formatDuration, progressBar, trailProgressBlocks, trailSummaryBlocks } from '../../src/slack/trail-blocks';
import { blockProblems } from '../../sandbox/slack-limits-check';
import type { WireEvent } from '../../sandbox/cloudtrail-emulator';
import {
  ALL_REGIONS, attackerScenario, buildEvent, examplePrincipal, FixtureRandom, iamUserIdentity, regionOf, routineActivity,
} from '../../sandbox/cloudtrail-fixtures';

const principal = examplePrincipal(8);
const T0 = Date.parse('2024-05-01T10:00:00Z');
const window = { start: '2024-04-24T10:00:00.000Z', end: '2024-05-01T12:00:00.000Z' };

function summarise(events: readonly WireEvent[]): TrailSummary {
  const b = new TrailSummaryBuilder({ usualRegions: ['us-east-1', 'eu-west-1'] });
  for (const w of events) b.add(parseTrailEvent(w, regionOf(w)));
  return b.result();
}

/** All the text a person would see, for content assertions. */
function visibleText(blocks: Block[]): string {
  return JSON.stringify(blocks);
}

/** Both checks: ours, and the independent one the fake Slack uses. */
function expectSlackAccepts(blocks: Block[]): void {
  expect(() => assertWithinSlackLimits(blocks)).not.toThrow();
  expect(blockProblems(blocks)).toEqual([]);
}

describe('trailSummaryBlocks', () => {
  const attack = attackerScenario({ seed: 21, principal, startMs: T0 });
  const routine = routineActivity({ seed: 22, count: 200, principal, regions: ['us-east-1', 'eu-west-1'], startMs: T0 - 86_400_000, endMs: T0 });
  const summary = summarise([...routine, ...attack.events]);
  const { text, blocks } = trailSummaryBlocks(summary, { subject: principal.accessKeyId, window, regionsQueried: 17 });

  it('is accepted by Slack', () => {
    expectSlackAccepts(blocks);
    expect(text).toContain(`${summary.eventCount} events`);
  });

  it('shows the findings grouped by ATT&CK tactic, naming each technique, with what they touched', () => {
    const shown = visibleText(blocks);
    const headings = ['*Persistence* TA0003', '*Privilege Escalation* TA0004', '*Defense Evasion* TA0005', '*Credential Access* TA0006', '*Impact* TA0040', '*Initial Access* TA0001', '*Discovery* TA0007'];
    const at = headings.map((h) => shown.indexOf(h));
    expect(at.every((i) => i > 0)).toBe(true);
    // In the order a responder reads them: what outlives the key first, how they got in and looked around last.
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(shown).toContain('*IAM user created* <https://attack.mitre.org/techniques/T1136/003/|T1136.003> ×1');
    expect(shown).toContain('_Next:_ Remove the user in the Eradicate step');
    expect(shown).toContain('IAM user created');
    expect(shown).toContain('AdministratorAccess → backup-svc');
    expect(shown).toContain('p3.16xlarge ×8 in ap-southeast-3');
    expect(shown).toContain('Burst of AccessDenied');
  });

  it('lists created resources for eradication, miners grouped into one line', () => {
    const shown = visibleText(blocks);
    expect(shown).toContain('IAM user `backup-svc`');
    expect(shown).toContain(`Access key \`${attack.createdAccessKeys[0]}\` → user \`backup-svc\``);
    expect(shown).toMatch(/• 8 EC2 instances \(p3\.16xlarge\) in ap-southeast-3: `i-0[0-9a-f]+`/);
    expect(shown).toMatch(/• 4 EC2 instances \(g5\.12xlarge\) in ap-southeast-3/);
  });

  it('marks the attacker IPs as new', () => {
    const shown = visibleText(blocks);
    for (const ip of attack.attackerIps) expect(shown).toMatch(new RegExp(`\`${ip.replace(/\./g, '\\.')}\` ×\\d+ :new:`));
  });

  it('says so when nothing matched', () => {
    const quiet = trailSummaryBlocks(summarise(routine), { subject: 'ci-deployer', window, regionsQueried: 2 });
    expectSlackAccepts(quiet.blocks);
    expect(visibleText(quiet.blocks)).toContain('No sensitive actions matched');
  });

  it('escapes attacker-chosen text so it cannot ping a channel or forge a link', () => {
    const rng = new FixtureRandom(4);
    const hostile = buildEvent(
      {
        service: 'iam', name: 'CreateUser', timeMs: T0, region: 'us-east-1', identity: iamUserIdentity(principal), sourceIp: '192.0.2.1',
        userAgent: '<!channel> <http://evil.example|click here> `code`', requestParameters: { userName: '<!here>' },
      },
      rng,
    );
    const shown = visibleText(trailSummaryBlocks(summarise([hostile]), { subject: 'x', window, regionsQueried: 1 }).blocks);
    expect(shown).not.toContain('<!channel>');
    expect(shown).not.toContain('<!here>');
    expect(shown).not.toContain('<http://evil');
    expect(shown).toContain('&lt;!channel&gt;');
  });
});

describe('trailSummaryBlocks: attempts, usual regions and what was not judged', () => {
  const rng = new FixtureRandom(9);
  const at = (minutes: number) => T0 + minutes * 60_000;
  const ev = (o: Partial<Parameters<typeof buildEvent>[0]> & { name: string; service: string }) =>
    buildEvent({ timeMs: T0, region: 'us-east-1', identity: iamUserIdentity(principal), sourceIp: '192.0.2.1', userAgent: 'aws-cli/2.15', ...o }, rng);
  const learned = (events: WireEvent[]) => {
    const b = new TrailSummaryBuilder();
    for (const w of events) b.add(parseTrailEvent(w, regionOf(w)));
    return b.result();
  };
  const s = learned([
    ev({ service: 'ec2', name: 'DescribeInstances', timeMs: at(-600), region: 'eu-west-1' }),
    ev({ service: 'iam', name: 'CreateUser', timeMs: at(1), errorCode: 'AccessDenied', requestParameters: { userName: 'backdoor' } }),
    ev({ service: 'iam', name: 'CreateAccessKey', timeMs: at(2), errorCode: 'AccessDenied', requestParameters: { userName: 'alice' } }),
    ev({ service: 'iam', name: 'CreateAccessKey', timeMs: at(3), requestParameters: { userName: 'alice' }, responseElements: { accessKey: { userName: 'alice', accessKeyId: 'AKIAQQQQQQQQQQQQQQQ9' } } }),
    ev({ service: 'ec2', name: 'RunInstances', timeMs: at(4), region: 'ap-southeast-3', requestParameters: { instanceType: 't3.micro' } }),
    ev({ service: 'iam', name: 'UpdateAccessKey', timeMs: at(30), identity: { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/keyguard-responder/keyguard-U0A-INC1', accountId: '123456789012', sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::123456789012:role/keyguard-responder', userName: 'keyguard-responder' } } }, requestParameters: { userName: principal.userName, accessKeyId: principal.accessKeyId, status: 'Inactive' } }),
  ]);
  const { blocks } = trailSummaryBlocks(s, { subject: principal.accessKeyId, window, regionsQueried: 3 });
  const shown = visibleText(blocks);

  it('is accepted by Slack', () => expectSlackAccepts(blocks));

  it('says a refused call was attempted, and counts refusals beside what went through', () => {
    expect(shown).toContain(':no_entry_sign: *IAM user created* <https://attack.mitre.org/techniques/T1136/003/|T1136.003> _attempted_ ×1 (1 refused)');
    expect(shown).toContain('*Access key created* <https://attack.mitre.org/techniques/T1098/001/|T1098.001> ×1 (+1 refused)');
    expect(shown).toContain('1 attempted only');
    expect(shown).toContain('attempted only: every matching call was refused (shown one severity lower)');
  });

  it('says where the usual regions came from, and what the rules did not judge', () => {
    expect(shown).toContain('Usual regions, learned from activity before the first suspicious event: eu-west-1.');
    expect(shown).toContain('Instances launched in an unusual region');
    expect(shown).toContain('Not judged by the rules: 1 keyguard containment calls.');
    expect(shown).not.toContain('access removed');
  });
});

describe('trailSummaryBlocks under a huge intrusion', () => {
  // 100× the scenario: hundreds of users, keys, IPs and user agents, every region probed.
  const huge = attackerScenario({ seed: 31, principal, startMs: T0, scale: 100 });
  const summary = summarise(huge.events);
  const failed = ALL_REGIONS.map((region) => ({ region, errorName: 'AccessDeniedException' }));
  const { blocks } = trailSummaryBlocks(summary, { subject: 'a'.repeat(400), window, regionsQueried: 40, regionsFailed: failed, duplicatesDropped: 12 });

  it('stays within every Slack limit', () => {
    expect(summary.eventCount).toBeGreaterThan(3000);
    expectSlackAccepts(blocks);
    expect(blocks.length).toBeLessThanOrEqual(50);
  });

  it('says how much was left out', () => {
    const shown = visibleText(blocks);
    expect(shown).toMatch(/…and \d+ more/);
    // Every kind of created resource is still named, however many of each there are.
    expect(shown).toContain('• 50 access keys:');
    expect(shown).toContain('• 50 IAM users:');
    expect(shown).toMatch(/EC2 instances \(p3\.16xlarge\) in ap-southeast-3/);
    expect(shown).toMatch(/…and [\d,]+ more EC2 instances not listed/);
  });
});

describe('trailProgressBlocks', () => {
  it('shows a bar, regions done, events so far and elapsed time', () => {
    const { blocks, text } = trailProgressBlocks('AKIAEXAMPLE', { regionsDone: 5, regionsTotal: 17, events: 12_345, elapsedMs: 83_000 });
    expectSlackAccepts(blocks);
    const shown = visibleText(blocks);
    expect(shown).toContain('5/17 regions · 12,345 events · 1m 23s');
    expect(shown).toContain(progressBar(5, 17));
    expect(text).toContain('5/17 regions');
  });

  it('reports failed regions and retried throttles, within limits however many fail', () => {
    const regionsFailed = Array.from({ length: 300 }, (_, i) => ({ region: `xx-test-${i}`, errorName: 'OptInRequired' }));
    const { blocks } = trailProgressBlocks('AKIAEXAMPLE', { regionsDone: 0, regionsTotal: 300, events: 0, elapsedMs: 1000, regionsFailed, throttled: 7, finished: true });
    expectSlackAccepts(blocks);
    const shown = visibleText(blocks);
    expect(shown).toContain('Finished');
    expect(shown).toContain('xx-test-0 (OptInRequired)');
    expect(shown).toMatch(/…and \d+ more/);
    expect(shown).toContain('throttled 7 requests; all were retried');
  });

  it('draws the bar in proportion', () => {
    expect(progressBar(0, 4, 8)).toBe('░░░░░░░░');
    expect(progressBar(2, 4, 8)).toBe('▓▓▓▓░░░░');
    expect(progressBar(4, 4, 8)).toBe('▓▓▓▓▓▓▓▓');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(3_725_000)).toBe('1h 02m');
  });
});

describe('asiaTraceBlocks', () => {
  it('shows each hop and the origin', () => {
    const trace: AsiaTrace = {
      accessKeyId: 'ASIAAAAAAAAAAAAAAAA2',
      hops: [
        { accessKeyId: 'ASIAAAAAAAAAAAAAAAA2', issuedBy: 'AssumeRole', eventId: 'e2', eventTime: '2024-05-01T10:02:00.000Z', roleArn: 'arn:aws:iam::123456789012:role/admin', sessionName: 'hop2', sourceIp: '192.0.2.9', caller: { arn: 'arn:aws:sts::123456789012:assumed-role/deploy/hop1' } },
        { accessKeyId: 'ASIAAAAAAAAAAAAAAAA1', issuedBy: 'AssumeRole', eventId: 'e1', eventTime: '2024-05-01T10:01:00.000Z', roleArn: 'arn:aws:iam::123456789012:role/deploy', sessionName: 'hop1', caller: { arn: 'arn:aws:iam::123456789012:user/ci' } },
      ],
      origin: { kind: 'long-term-key', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', userName: 'ci' },
    };
    const blocks = asiaTraceBlocks(trace);
    expectSlackAccepts(blocks);
    const shown = visibleText(blocks);
    expect(shown).toContain('role `arn:aws:iam::123456789012:role/admin`');
    expect(shown).toContain('Started from long-term key `AKIAAAAAAAAAAAAAAAAA` of user `ci`');
  });
});
