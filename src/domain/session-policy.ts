/**
 * The session policy of one step: what the responder role's session may do while the step
 * runs, generated from the step's plan (the PlannedCalls the approver saw). Exactly the
 * plan's actions, on exactly the principals its calls name; a policy ARN a call attaches
 * or detaches is pinned with an iam:PolicyARN condition. AssumeRole intersects it with the
 * role's own policy, so a bug or a tampered record can do at most what the approver saw.
 *
 * Generic over PlannedCall: the resource an action is authorised on is read from the
 * call's own parameters (UserName, RoleName, GroupName, InstanceProfileName), with a small
 * table for the actions IAM authorises on another resource than the principal they change.
 * A new plan kind needs no change here unless it uses such an action.
 *
 * Size: AWS takes at most 2,048 characters of session policy. Calls on the same resource
 * are grouped into one statement (one principal, many actions), and principals given the
 * same actions share one statement. A principal is named by two
 * ARNs, `user/alice` and `user/*\/alice`: alice at / or at any path, and nobody else (IAM
 * names are unique per account; IAM refuses a wildcard before the first `/`). Should a very large plan still not fit, the PolicyARN conditions of removals
 * (Detach*) are dropped first (the resource stays pinned); beyond that the plan is refused.
 *
 * Pure: no SDK, no clock.
 */
import type { PlannedCall } from './aws-plan';

/** The role every IAM write goes through when IR_TARGET_ROLE_NAME is not set. */
export const DEFAULT_RESPONDER_ROLE_NAME = 'keyguard-responder';

/** AWS's limit on the plain text of a session policy passed to AssumeRole. */
export const SESSION_POLICY_MAX_CHARS = 2048;

export interface SessionScope {
  partition: string;
  /** The account the session acts in (the key's account). */
  account: string;
}

export interface SessionStatement {
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: { ArnEquals: { 'iam:PolicyARN': string[] } };
}

export interface SessionPolicyDocument {
  Version: '2012-10-17';
  Statement: SessionStatement[];
}

export type SessionPolicyResult =
  | { ok: true; document: SessionPolicyDocument; json: string; /** PolicyARN conditions of removals left out to fit. */ compacted: boolean }
  | { ok: false; reason: string };

type IamResourceType = 'user' | 'role' | 'group' | 'instance-profile';

/** The parameter naming each IAM resource type, in the order a call's principal is looked for. */
const NAME_PARAM: ReadonlyArray<[string, IamResourceType]> = [
  ['UserName', 'user'],
  ['RoleName', 'role'],
  ['GroupName', 'group'],
  ['InstanceProfileName', 'instance-profile'],
];

/** Actions IAM authorises on another resource than the first name parameter. */
const AUTHORISED_ON: Readonly<Record<string, IamResourceType>> = {
  AddUserToGroup: 'group',
  RemoveUserFromGroup: 'group',
  AddRoleToInstanceProfile: 'instance-profile',
  RemoveRoleFromInstanceProfile: 'instance-profile',
};

const PARAM_OF_TYPE: Readonly<Record<IamResourceType, string>> = {
  user: 'UserName',
  role: 'RoleName',
  group: 'GroupName',
  'instance-profile': 'InstanceProfileName',
};

/** IAM names: 1–128 of [\w+=,.@-] (role names 64); anything else cannot be scoped safely. */
const IAM_NAME = /^[\w+=,.@-]{1,128}$/;

/** `arn:aws:iam::123456789012:user/alice` and `…:user/*\/alice`: the named entity at any path. */
function iamEntityArns(scope: SessionScope, type: IamResourceType, name: string): string[] {
  const base = `arn:${scope.partition}:iam::${scope.account}:${type}`;
  return [`${base}/${name}`, `${base}/*/${name}`];
}

interface Grant {
  action: string;
  resources: string[];
  policyArn?: string;
  removal: boolean;
}

function grantOf(call: PlannedCall, scope: SessionScope): Grant | string {
  if (call.service !== 'iam') return `${call.service}:${call.action} cannot run in a responder session (only IAM writes do)`;
  const type = AUTHORISED_ON[call.action] ?? NAME_PARAM.find(([param]) => call.params[param] !== undefined)?.[1];
  if (!type) return `iam:${call.action} names no user, role, group or instance profile to scope it to`;
  const name = call.params[PARAM_OF_TYPE[type]];
  if (typeof name !== 'string' || !IAM_NAME.test(name)) return `iam:${call.action} has no valid ${PARAM_OF_TYPE[type]}`;
  const policyArn = call.params.PolicyArn;
  if (policyArn !== undefined && typeof policyArn !== 'string') return `iam:${call.action} has a PolicyArn that is not a string`;
  return { action: `iam:${call.action}`, resources: iamEntityArns(scope, type, name), policyArn, removal: /^(Detach|Delete|Remove)/.test(call.action) };
}

function build(grants: readonly Grant[], pinRemovals: boolean): SessionPolicyDocument {
  // One statement per resource for unconditioned actions; one per resource and action for
  // actions pinned to policy ARNs (so attaching one policy never allows attaching another).
  const statements = new Map<string, SessionStatement>();
  for (const g of grants) {
    const pinned = g.policyArn !== undefined && (pinRemovals || !g.removal);
    const key = pinned ? `${g.resources[0]}\n${g.action}` : g.resources[0];
    let s = statements.get(key);
    if (!s) {
      s = { Effect: 'Allow', Action: [], Resource: [...g.resources] };
      if (pinned) s.Condition = { ArnEquals: { 'iam:PolicyARN': [] } };
      statements.set(key, s);
    }
    if (!s.Action.includes(g.action)) s.Action.push(g.action);
    const arns = s.Condition?.ArnEquals['iam:PolicyARN'];
    if (arns && g.policyArn && !arns.includes(g.policyArn)) arns.push(g.policyArn);
  }
  // Principals given the very same actions (e.g. ten groups a user leaves) share one
  // statement: the same grants, fewer characters.
  const merged = new Map<string, SessionStatement>();
  for (const st of statements.values()) {
    const key = st.Condition ? `${st.Resource[0]}\n${st.Action.join(',')}` : st.Action.join(',');
    const same = merged.get(key);
    if (same) same.Resource.push(...st.Resource);
    else merged.set(key, st);
  }
  return { Version: '2012-10-17', Statement: [...merged.values()] };
}

/**
 * The session policy allowing exactly `calls` (an empty plan gets none: nothing to write).
 * Refused, with the reason, when a call cannot be scoped or the plan cannot fit.
 */
export function sessionPolicyFor(calls: readonly PlannedCall[], scope: SessionScope): SessionPolicyResult {
  const grants: Grant[] = [];
  for (const call of calls) {
    const g = grantOf(call, scope);
    if (typeof g === 'string') return { ok: false, reason: g };
    grants.push(g);
  }
  if (grants.length === 0) return { ok: false, reason: 'the plan has no IAM call to allow' };
  for (const pinRemovals of [true, false]) {
    const document = build(grants, pinRemovals);
    const json = JSON.stringify(document);
    if (json.length <= SESSION_POLICY_MAX_CHARS) return { ok: true, document, json, compacted: !pinRemovals };
  }
  return {
    ok: false,
    reason: `the plan's ${grants.length} calls need a session policy longer than AWS's ${SESSION_POLICY_MAX_CHARS} characters; run it in smaller parts or by hand`,
  };
}

/**
 * The session policy of read-only sessions (look-ups, CloudTrail, the reads before and
 * after a step): whatever the role may read, nothing it may write.
 */
export const READ_ONLY_SESSION_POLICY: SessionPolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['iam:Get*', 'iam:List*', 'sts:GetAccessKeyInfo', 'cloudtrail:LookupEvents'], Resource: ['*'] }],
};
