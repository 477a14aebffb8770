/**
 * In a partition other than `aws` (here aws-us-gov, which moto serves for us-gov-* regions),
 * the plan the approver sees and the calls the bot sends name the same ARNs.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { resetMoto } from '../../sandbox/moto';
import { seedAlice } from '../support/iam-rig';
import { createClientFactory } from '../../src/aws/access/iam-sts-clients';
import { AwsContainment } from '../../src/aws/containment/containment-adapter';
import { AccountAccess } from '../../src/aws/access/account-access';
import type { ContainmentTarget } from '../../src/ports';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const GOV_QUARANTINE = 'arn:aws-us-gov:iam::aws:policy/AWSCompromisedKeyQuarantineV3';

beforeEach(() => resetMoto(process.env.MOTO_URL!));

it('aws-us-gov: the quarantine policy ARN in the plan is the one sent and the one Undo detaches', async () => {
  const factory = createClientFactory({ region: 'us-gov-west-1', endpoint: process.env.MOTO_URL, maxAttempts: 2 });
  const { iam } = factory();
  const alice = await seedAlice(iam as IAMClient);
  const containment = new AwsContainment({ access: new AccountAccess({ factory, now: () => NOW }), quarantine: true, now: () => NOW, readBackDelaysMs: [0] });
  const target: ContainmentTarget = { incidentId: 'IR-1', keyId: alice.accessKeyId, keyKind: 'long-term', userName: alice.userName };

  const plan = await containment.planContain(target, NOW);
  const planned = plan.find((c) => c.action === 'AttachUserPolicy')?.params.PolicyArn;
  const before = await containment.snapshot(target);
  const out = await containment.contain(target, { approvers: ['UAPPROVER'], dryRun: false, now: NOW });

  expect(out.ok).toBe(true);
  const sent = out.detail && 'calls' in out.detail ? out.detail.calls.find((c) => c.action === 'AttachUserPolicy')?.params.PolicyArn : undefined;
  expect(planned).toBe(GOV_QUARANTINE);
  expect(sent).toBe(planned);
  const added = out.detail && 'added' in out.detail ? out.detail.added : [];
  const undo = await containment.planUndo(target, { before, added });
  expect(undo.find((c) => c.action === 'DetachUserPolicy')?.params.PolicyArn).toBe(planned);
});
