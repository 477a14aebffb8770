/**
 * The core every face of keyguard shares: account access, CloudTrail history, key look-ups,
 * containment, role-session revocation, the playbook and its engine, the watch. Built once
 * from the configuration and the clients; the Slack bot, the break-glass CLI, intake and the
 * sandbox add only their own faces (how people are told, who may act, where the output goes).
 * The one place that decides which adapter serves which port.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { AccessPolicy, IncidentNotifier, IncidentStore, InvestigationPort, KeyOwnerPort, OwnerContactPort, WatchStore } from '../ports';
import type { Incident, StepRecord } from '../domain/incident';
import type { TrailSummaryOptions } from '../domain/trail-summary';
import type { ClickResult } from '../domain/incident-notice';
import { AccountAccess } from '../aws/access';
import { AwsContainment, AwsRoleSessions } from '../aws/containment';
import { AthenaHistory, HistorySelector, LakeHistory, TrailService } from '../aws/history';
import { CrossAccountKeyOwner, KeyOwnerLookup } from '../aws/owner';
import { PlaybookEngine } from '../../workflows/engine';
import { compromisedKeyPlaybook, targetOf } from '../../workflows/compromised-key';
import { AUTO_CONTAIN_POLICY } from '../intake/intake-service';
import { Watcher } from '../../workflows/watch';
import type { Clients } from './clients';

export interface CoreOptions {
  config: Config;
  logger: Logger;
  clients: Clients;
  store: IncidentStore;
  watches: WatchStore;
  now?: () => Date;
  /** This replica's name (leases, records); default: a random one. */
  instanceId?: string;
  /** Tests: simulate the process dying between two writes. */
  crashPoint?: (label: string) => void;
}

/** What a face gives the engine: how people are told, who may act, how the owner and the investigation are reached. */
export interface EngineFaces {
  notifier: IncidentNotifier;
  access: AccessPolicy;
  ownerContact?: OwnerContactPort;
  investigation?: InvestigationPort;
  /** Words a click's result for the person who clicked. */
  describe: (result: ClickResult) => string;
  /** Policies that may stand in for the one approver of a single-approval step (IR_AUTO_CONTAIN). */
  approvalPolicies?: readonly string[];
  /** Told after a step succeeded (the watch after Contain). */
  onStepSucceeded?: (incident: Incident, step: StepRecord) => Promise<void>;
}

export interface Core {
  config: Config;
  logger: Logger;
  now: () => Date;
  instanceId: string;
  store: IncidentStore;
  watches: WatchStore;
  accounts: AccountAccess;
  trail: TrailService;
  keyOwner: KeyOwnerPort;
  containment: AwsContainment;
  roleSessions: AwsRoleSessions;
  /** The playbook engine with a face's notifier, access policy and contacts. */
  engine(faces: EngineFaces): PlaybookEngine;
  /**
   * The watch after containment, telling people through `notifier`; drift of the containment
   * is re-applied through `engine` (after one approval, or at once by IR_AUTO_CONTAIN).
   */
  watcher(notifier: Pick<IncidentNotifier, 'notify'>, engine: () => PlaybookEngine): Watcher;
}

/**
 * What the detection rules take from configuration: the usual regions (IR_USUAL_REGIONS;
 * empty: learned per pull) and the role whose `keyguard-…` sessions are the bot's own
 * containment (IR_TARGET_ROLE_NAME, given as a name or path/name).
 */
export function detectionSettings(config: Pick<Config, 'usualRegions' | 'targetRoleName'>): TrailSummaryOptions {
  const role = config.targetRoleName?.split('/').pop();
  return { usualRegions: config.usualRegions, ownActivity: { roleNames: role ? [role] : [] } };
}

/** Athena / CloudTrail Lake, as configured, and the rule choosing them over LookupEvents. */
function historySelector(config: Config, clients: Clients, accounts: AccountAccess, now: () => Date): HistorySelector {
  const { history } = config;
  return new HistorySelector({
    setting: history.source,
    athena: history.athena && clients.athena
      ? new AthenaHistory({
          client: clients.athena,
          table: { database: history.athena.database, table: history.athena.table },
          workgroup: history.athena.workgroup,
          outputLocation: history.athena.outputLocation,
        })
      : undefined,
    lake: history.lake && clients.lake ? new LakeHistory({ client: clients.lake, eventDataStore: history.lake.eventDataStoreArn }) : undefined,
    ownAccount: async () => (await accounts.identity()).account,
    now,
  });
}

export function buildCore(o: CoreOptions): Core {
  const { config, logger, clients } = o;
  const now = o.now ?? (() => new Date());
  const instanceId = o.instanceId ?? randomUUID().slice(0, 8);
  const protectedPrincipals = config.privilege?.protectedPrincipals;
  // The one place that decides which account the bot acts in, with which clients and rights.
  const accounts = new AccountAccess({
    factory: clients.factory,
    cloudTrail: (credentials) => (credentials ? clients.cloudTrailWith(credentials) : clients.cloudTrail),
    targetRoleName: config.targetRoleName,
    // Least privilege: every IAM write through the responder role (IR_DIRECT_WRITES: trial only).
    responderRoleName: config.privilege?.responderRoleName,
    directWrites: config.privilege?.directWrites,
    now,
    logger,
  });
  const trail = new TrailService({
    clientFor: clients.cloudTrail,
    clientsForAccount: (account) => accounts.cloudTrailFor(account),
    regions: config.regions,
    ec2: clients.ec2,
    requestsPerSecond: clients.cloudTrailRequestsPerSecond,
    summary: detectionSettings(config),
    history: historySelector(config, clients, accounts, now),
  });
  const keyOwner = new CrossAccountKeyOwner(new KeyOwnerLookup(clients.lookups, () => accounts.identity()), { access: accounts, targetRoleName: config.targetRoleName });
  const containment = new AwsContainment({
    access: accounts,
    quarantine: config.quarantine,
    protectedPrincipals,
    logger,
    now,
    readBackDelaysMs: clients.readBackDelaysMs,
  });
  // Sessions of every role the leaked key reached (the credential graph), after Investigate.
  const roleSessions = new AwsRoleSessions({
    access: accounts,
    targetRoleName: config.targetRoleName,
    protectedRoleNames: protectedPrincipals?.roles,
    logger,
    now,
    readBackDelaysMs: clients.readBackDelaysMs,
  });
  return {
    config,
    logger,
    now,
    instanceId,
    store: o.store,
    watches: o.watches,
    accounts,
    trail,
    keyOwner,
    containment,
    roleSessions,
    engine: (faces) =>
      new PlaybookEngine({
        store: o.store,
        notifier: faces.notifier,
        access: faces.access,
        playbook: compromisedKeyPlaybook({
          keyOwner,
          containment,
          roleSessions,
          ownerContact: faces.ownerContact,
          investigation: faces.investigation,
          trace: (keyId, at, account) => trail.trace(keyId, at, account),
        }),
        logger,
        now,
        describe: faces.describe,
        approvalTtlMinutes: config.approvalTtlMinutes,
        dryRun: config.dryRun,
        instanceId,
        crashPoint: o.crashPoint,
        approvalPolicies: faces.approvalPolicies,
        onStepSucceeded: faces.onStepSucceeded,
      }),
    watcher: (notifier, engine) =>
      new Watcher({
        watches: o.watches,
        store: o.store,
        trail,
        notifier,
        logger,
        now,
        durationMinutes: config.watchMinutes,
        intervalMinutes: config.watchIntervalMinutes,
        // Containment that holds: re-read at every interval; drift re-applied after one approval,
        // or at once when IR_AUTO_CONTAIN names the incident's intake source.
        drift: {
          observe: (incident, expectations) => containment.observe(targetOf(incident), expectations),
          iamEvents: (req) => trail.iamEvents(req),
          reapply: (incidentId, params, policy) => engine().requestGenerated(incidentId, 'reapply', params, { policy, advance: false, detail: { reason: 'containment drift' } }),
          advance: (incidentId) => engine().advance(incidentId),
          autoPolicy: (incident) => (incident.source && (config.intake.autoContain as readonly string[]).includes(incident.source.kind) ? AUTO_CONTAIN_POLICY : undefined),
        },
      }),
  };
}
