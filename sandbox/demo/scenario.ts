/**
 * The demo's world: one AWS account in moto with a CI user whose key leaked, what the
 * attacker made with that key (done in moto with the leaked key itself), and the matching
 * CloudTrail history in the emulator across several regions.
 */
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  IAMClient,
  TagUserCommand,
} from '@aws-sdk/client-iam';
import type { CloudTrailEmulator } from '../cloudtrail-emulator';
import { ACCOUNT_ID, attackerScenario, AttackerScenario, loadEvents, routineActivity } from '../cloudtrail-fixtures';
import { SANDBOX_AWS_CREDENTIALS } from '../bot';

/** The people of the simulated workspace. */
export const PEOPLE = {
  responder: { id: 'U0ALICE', name: 'alice', tz: 'Europe/Berlin' },
  approver1: { id: 'U0BOB', name: 'bob', tz: 'America/New_York' },
  approver2: { id: 'U0CAROL', name: 'carol', tz: 'Asia/Tokyo' },
  owner: { id: 'U0DANA', name: 'dana', tz: 'Europe/London' },
} as const;
export const INCIDENT_CHANNEL = { id: 'C0INCIDENT', name: 'incidents' } as const;
export const LEAKY_USER = 'ci-deployer';
export const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-3'] as const;

export interface DemoWorld {
  leakedKeyId: string;
  attack: AttackerScenario;
  /** The attacker's first call (ms). */
  firstAttackMs: number;
}

const iamWith = (motoUrl: string, credentials: { accessKeyId: string; secretAccessKey: string }) =>
  new IAMClient({ region: 'us-east-1', endpoint: motoUrl, credentials, maxAttempts: 2 });

export async function seedWorld(motoUrl: string, trail: CloudTrailEmulator, startMs: number): Promise<DemoWorld> {
  const admin = iamWith(motoUrl, SANDBOX_AWS_CREDENTIALS);
  await admin.send(new CreateUserCommand({ UserName: LEAKY_USER }));
  await admin.send(new TagUserCommand({ UserName: LEAKY_USER, Tags: [{ Key: 'slack', Value: PEOPLE.owner.id }, { Key: 'team', Value: 'platform' }] }));
  await admin.send(new AttachUserPolicyCommand({ UserName: LEAKY_USER, PolicyArn: 'arn:aws:iam::aws:policy/PowerUserAccess' }));
  const created = await admin.send(new CreateAccessKeyCommand({ UserName: LEAKY_USER }));
  const leaked = { accessKeyId: created.AccessKey!.AccessKeyId!, secretAccessKey: created.AccessKey!.SecretAccessKey! };

  // The attacker, signing with the leaked key: a back-door user with a key, a console
  // password and AdministratorAccess.
  const attacker = iamWith(motoUrl, leaked);
  const attack = attackerScenario({ seed: 11, principal: { accountId: ACCOUNT_ID, userName: LEAKY_USER, accessKeyId: leaked.accessKeyId }, startMs });
  for (const userName of attack.createdUsers) {
    await attacker.send(new CreateUserCommand({ UserName: userName }));
    await attacker.send(new CreateAccessKeyCommand({ UserName: userName }));
    await attacker.send(new CreateLoginProfileCommand({ UserName: userName, Password: 'Attacker-chosen-1!', PasswordResetRequired: false }));
    await attacker.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
  }
  // The owner's ordinary work with another key in the same hours: context, never a finding.
  const routine = routineActivity({
    seed: 12,
    count: 40,
    principal: { accountId: ACCOUNT_ID, userName: LEAKY_USER, accessKeyId: 'AKIAROUTINEWORKQQQQQ' },
    regions: ['us-east-1', 'eu-west-1'],
    startMs,
    endMs: attack.endMs,
  });
  loadEvents(trail, [...attack.events, ...routine]);
  return { leakedKeyId: leaked.accessKeyId, attack, firstAttackMs: startMs };
}
