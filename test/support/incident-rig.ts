/**
 * The set-up the end-to-end incident tests share: moto reset and a fresh CloudTrail emulator
 * for each test, the bot started on that emulator, the incident read from the store, and the
 * card read and clicked in the incident channel as a person would.
 *
 * Call `incidentRig()` at the top of a test file: it registers the beforeEach/afterEach hooks.
 */
import { startHarness, Harness, HarnessOptions } from './harness';
import { resetMoto } from '../../sandbox/moto';
import { startCloudTrailEmulator, CloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import { approveOnCard, ask, asksOnCard, buttonOn, cardWith, click } from '../../sandbox/clicks';
import { incidentProbe } from '../../sandbox/incident-probe';
import { ACTION } from '../../src/slack/ids';

export const INCIDENT_CHANNEL = 'C0INCIDENT';

export interface IncidentRigOptions {
  /** Wait this long before closing the bot (lets a last card update land). */
  settleMsBeforeClose?: number;
}

export function incidentRig(o: IncidentRigOptions = {}) {
  let harness: Harness | undefined;
  let emulator: CloudTrailEmulator | undefined;
  beforeEach(async () => {
    await resetMoto(process.env.MOTO_URL!);
    emulator = await startCloudTrailEmulator({ requestsPerSecond: 100 });
  });
  afterEach(async () => {
    if (o.settleMsBeforeClose) await new Promise((r) => setTimeout(r, o.settleMsBeforeClose));
    await harness?.close();
    await emulator?.close();
    harness = undefined;
    emulator = undefined;
  });

  const h = (): Harness => {
    if (!harness) throw new Error('the bot is not started: call rig.start() first');
    return harness;
  };
  const emu = (): CloudTrailEmulator => {
    if (!emulator) throw new Error('no emulator outside a test');
    return emulator;
  };
  const probe = incidentProbe(() => h().store);
  const incident = async () => (await probe.current()) ?? { incident: undefined, steps: [], events: [] };
  const cardOf = (text: string, timeoutMs?: number) => cardWith(h(), INCIDENT_CHANNEL, text, timeoutMs);

  return {
    /** The running bot (after `start`). */
    get h() {
      return h();
    },
    /** This test's CloudTrail emulator. */
    get emu() {
      return emu();
    },
    /** Start the bot on this test's emulator, posting the card in INCIDENT_CHANNEL. */
    async start(env: Record<string, string>, opts: HarnessOptions = {}): Promise<Harness> {
      harness = await startHarness({ IR_CHANNEL_ID: INCIDENT_CHANNEL, ...env }, { cloudTrailUrl: emu().url, ...opts });
      return harness;
    },
    probe,
    /** The open incident, or an empty one before it exists. */
    incident,
    async stepTitled(title: string) {
      return (await incident()).steps.find((s) => s.title === title);
    },
    cardWith: cardOf,
    asks: (prefix: string) => asksOnCard(h(), INCIDENT_CHANNEL, prefix),
    ask: (label: string, userId: string) => ask(h(), INCIDENT_CHANNEL, label, userId),
    approve: (step: { title: string; name: string }, approvers: readonly string[]) => approveOnCard(h(), INCIDENT_CHANNEL, step, approvers),
    /**
     * `/revoke-key <key> <reason>` as the requester, Contain approved by `approver`, then wait
     * for Investigate to finish.
     */
    async containAndInvestigate(keyId: string, reason: string, requester: string, approver: string, investigateTimeoutMs?: number) {
      await h().slash('/revoke-key', `${keyId} ${reason}`, requester);
      await probe.until('contain awaiting approval', probe.stepIs('contain', 'awaiting_approval'));
      await click(h(), buttonOn(await cardOf('Contain* needs'), ACTION.approve), approver);
      await probe.until('investigate done', probe.stepIs('investigate', 'succeeded'), investigateTimeoutMs);
    },
  };
}
