/**
 * What moto cannot play, injected by the fault proxy in front of it: throttling, 5xx,
 * AccessDenied and stale reads. The SDK's retry sits between the bot and the proxy, so
 * the proxy's request counts show how many attempts were made.
 */
import { resetMoto } from '../../sandbox/moto';
import { seedUser } from '../../sandbox/iam-seed';
import { FaultProxy, useFaultProxy } from '../support/fault-proxy';
import { TEST_MAX_ATTEMPTS, callOutcomes as outcomes, containmentRig, seedAlice, snapshotUser, testFactory } from '../support/iam-rig';
import { createClientFactory } from '../../src/aws/access/iam-sts-clients';
import type { AwsClients } from '../../src/aws/access/iam-sts-clients';

let proxy: FaultProxy;
let viaProxy: AwsClients;
let direct: AwsClients;

const theProxy = useFaultProxy();
beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  proxy = theProxy();
  viaProxy = testFactory(proxy.url)();
  direct = testFactory()();
});

describe('throttling', () => {
  it('is retried by the SDK and then succeeds', async () => {
    const t = await seedAlice(direct.iam);
    proxy.failNext('UpdateAccessKey', 'throttling', 1);

    const out = await containmentRig(viaProxy).containment.containUserKey({ ...t, quarantine: true });

    expect(out.ok).toBe(true);
    expect(out.calls[0]).toMatchObject({ action: 'UpdateAccessKey', outcome: 'done' });
    expect(proxy.requests('UpdateAccessKey').map((r) => r.injected ?? r.status)).toEqual(['throttling', 200]);
    expect((await snapshotUser(direct.iam, 'alice')).keys[0].status).toBe('Inactive');
  });

  it('that persists fails clearly, leaves the step retryable, and a re-run completes it', async () => {
    const t = await seedAlice(direct.iam);
    proxy.failNext('UpdateAccessKey', 'throttling', Infinity);
    const { containment } = containmentRig(viaProxy);

    const out = await containment.containUserKey({ ...t, quarantine: true });

    expect(out.ok).toBe(false);
    expect(out.retryable).toBe(true);
    expect(proxy.count('UpdateAccessKey')).toBe(TEST_MAX_ATTEMPTS);
    expect(out.calls[0]).toMatchObject({ action: 'UpdateAccessKey', outcome: 'failed', retryable: true, error: { name: 'Throttling' } });
    expect(out.calls[0].requestId).toBeDefined();
    expect(out.message).toContain('AWS is throttling `iam:UpdateAccessKey`');
    expect(out.message).toContain('Safe to run the step again');
    // The independent calls still narrowed what the attacker can do.
    expect(outcomes(out).slice(1)).toEqual([
      ['PutUserPolicy', 'done'],
      ['AttachUserPolicy', 'done'],
    ]);
    expect((await snapshotUser(direct.iam, 'alice')).keys[0].status).toBe('Active');

    proxy.reset();
    const retry = await containment.containUserKey({ ...t, quarantine: true });
    expect(retry.ok).toBe(true);
    expect(outcomes(retry)).toEqual([
      ['UpdateAccessKey', 'done'],
      ['PutUserPolicy', 'already'],
      ['AttachUserPolicy', 'already'],
    ]);
  });
});

describe('5xx', () => {
  it('a 503 is retried; a persistent 500 fails retryable', async () => {
    const t = await seedAlice(direct.iam);
    proxy.failNext('PutUserPolicy', 'service-unavailable', 1);
    proxy.failNext('AttachUserPolicy', 'internal-error', Infinity);

    const out = await containmentRig(viaProxy).containment.containUserKey({ ...t, quarantine: true });

    expect(out.calls[1]).toMatchObject({ action: 'PutUserPolicy', outcome: 'done' });
    expect(proxy.count('PutUserPolicy')).toBe(2);
    expect(out.calls[2]).toMatchObject({ action: 'AttachUserPolicy', outcome: 'failed', retryable: true, error: { name: 'InternalFailure' } });
    expect(proxy.count('AttachUserPolicy')).toBe(TEST_MAX_ATTEMPTS);
    expect(out).toMatchObject({ ok: false, retryable: true });
    expect(out.added.map((a) => a.kind)).toEqual(['key-deactivated', 'user-inline-policy']);
  });

  it('the production client settings retry throttling and 5xx with the standard backoff', async () => {
    const t = await seedAlice(direct.iam);
    const prod = createClientFactory({ region: 'us-east-1', endpoint: proxy.url })();
    proxy.failNext('UpdateAccessKey', 'throttling', 1);
    proxy.failNext('PutUserPolicy', 'service-unavailable', 1);

    const out = await containmentRig(prod).containment.containUserKey({ ...t, quarantine: false });

    expect(out.ok).toBe(true);
    expect(proxy.count('UpdateAccessKey')).toBe(2);
    expect(proxy.count('PutUserPolicy')).toBe(2);
  });
});

describe('AccessDenied', () => {
  it('is not retried, names the missing IAM action, and is not retryable', async () => {
    const t = await seedAlice(direct.iam);
    proxy.failNext('PutUserPolicy', 'access-denied', Infinity);

    const out = await containmentRig(viaProxy).containment.containUserKey({ ...t, quarantine: true });

    expect(out.ok).toBe(false);
    expect(out.retryable).toBe(false);
    expect(proxy.count('PutUserPolicy')).toBe(1);
    expect(out.calls[1]).toMatchObject({ action: 'PutUserPolicy', outcome: 'failed', retryable: false, error: { name: 'AccessDenied' } });
    expect(out.calls[1].error!.message).toContain('AWS denied `iam:PutUserPolicy`');
    expect(out.message).toContain('iam:PutUserPolicy');
    expect(outcomes(out)).toEqual([
      ['UpdateAccessKey', 'done'],
      ['PutUserPolicy', 'failed'],
      ['AttachUserPolicy', 'done'],
    ]);
  });

  it('on a read before acting: nothing is sent and the message names the read', async () => {
    const t = await seedAlice(direct.iam);
    proxy.failNext('ListAccessKeys', 'access-denied', Infinity);

    const out = await containmentRig(viaProxy).containment.containUserKey({ ...t, quarantine: true });

    expect(out).toMatchObject({ ok: false, retryable: false, calls: [] });
    expect(out.message).toContain('iam:ListAccessKeys');
    expect(proxy.count('UpdateAccessKey')).toBe(0);
  });

  it('stops a user removal at the first denied step and skips what depends on it', async () => {
    await seedUser(direct.iam, { userName: 'backdoor', inlinePolicyNames: ['p'] });
    proxy.failNext('DeleteUserPolicy', 'access-denied', Infinity);

    const out = await containmentRig(viaProxy).containment.removePersistence({ kind: 'user', userName: 'backdoor' });

    expect(outcomes(out)).toEqual([
      ['UpdateAccessKey', 'done'],
      ['DeleteAccessKey', 'done'],
      ['DeleteUserPolicy', 'failed'],
      ['DeleteUser', 'skipped'],
    ]);
    expect(proxy.count('DeleteUser')).toBe(0);
    expect(out.message).toContain('iam:DeleteUserPolicy');
  });
});

describe('eventual consistency on read-back', () => {
  it('retries the read-back until IAM shows the change', async () => {
    const t = await seedAlice(direct.iam);
    proxy.serveStale('ListAccessKeys', 2);
    const { containment, sleeps } = containmentRig(viaProxy);

    const out = await containment.containUserKey({ ...t, quarantine: false });

    expect(out.ok).toBe(true);
    expect(out.verified.keyStatus).toBe('Inactive');
    expect(proxy.requests('ListAccessKeys').filter((r) => r.injected === 'stale')).toHaveLength(2);
    expect(sleeps).toEqual([250, 500]);
  });

  it('reports the difference, retryable, when IAM never shows it', async () => {
    const t = await seedAlice(direct.iam);
    proxy.serveStale('ListAccessKeys', 100);
    const { containment, sleeps } = containmentRig(viaProxy);

    const out = await containment.containUserKey({ ...t, quarantine: false });

    expect(out.ok).toBe(false);
    expect(out.retryable).toBe(true);
    expect(out.message).toContain('AWS does not show the change: key still Active');
    expect(out.calls.map((c) => c.outcome)).toEqual(['done', 'done']);
    expect(sleeps).toHaveLength(4);
  });
});

describe('dry run through the proxy', () => {
  it('sends no mutating request at all', async () => {
    const t = await seedAlice(direct.iam);
    const out = await containmentRig(viaProxy, { dryRun: true }).containment.containUserKey({ ...t, quarantine: true });
    expect(out.calls.map((c) => c.outcome)).toEqual(['dry-run', 'dry-run', 'dry-run']);
    const sent = proxy.requests().map((r) => r.action);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((a) => !/^(Get|List)/.test(a))).toEqual([]);
  });
});
