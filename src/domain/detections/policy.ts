/**
 * Who a resource policy lets in, read from the document a call carried: everyone (public),
 * or named accounts other than the caller's own. Documents are attacker-written and arrive
 * in every shape CloudTrail logs (JSON text, URL-encoded text, an object, a lone statement),
 * so everything here is read defensively: what cannot be read grants nothing. Pure.
 *
 * A `*` principal is public only when no condition narrows it to known callers: an
 * organization, a VPC or VPC endpoint, a source account, ARN or address range, named
 * principals. Conditions that narrow nothing (aws:SecureTransport, aws:Referer, which the
 * caller chooses) or that are negated or optional (`StringNotEquals`, `…IfExists`) leave it
 * public.
 */
import { parsePolicyDocument } from '../aws-plan';
import { pick } from '../trail-event';

/** What one document grants. */
export interface PolicyGrant {
  /** Some Allow statement lets anyone at all in. */
  public: boolean;
  /** Accounts other than the caller's own that some Allow statement names (principal or narrowing condition). */
  accounts: string[];
}

const NO_GRANT: PolicyGrant = { public: false, accounts: [] };

/** Condition keys that narrow a `*` principal to known callers (lower case). */
const NARROWING_KEYS = new Set([
  'aws:principalorgid', 'aws:principalorgpaths', 'aws:sourceorgid', 'aws:sourceorgpaths',
  'aws:sourcevpce', 'aws:sourcevpc', 'aws:sourcevpcarn', 'aws:vpcsourceip',
  'aws:sourceaccount', 'aws:sourceowner', 'aws:sourcearn', 'aws:principalaccount', 'aws:principalarn',
  'aws:sourceip', 'aws:userid', 'aws:username', 'aws:principalservicename', 'aws:principalservicenameslist',
  'aws:resourceaccount', 'kms:calleraccount', 's3:dataaccesspointaccount', 's3:dataaccesspointarn',
  'ec2:sourceinstancearn', 'lambda:functionurlauthtype',
]);

/** Condition keys whose values name an account (directly or inside an ARN). */
const ACCOUNT_KEYS = new Set(['aws:sourceaccount', 'aws:sourceowner', 'aws:principalaccount', 'aws:resourceaccount', 'kms:calleraccount', 'aws:principalarn', 'aws:sourcearn', 's3:dataaccesspointaccount']);

const ANYWHERE = new Set(['0.0.0.0/0', '::/0']);
const ACCOUNT_ID = /^\d{12}$/;
const ARN_ACCOUNT = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/;

/** The account a principal or condition value names: a 12-digit id, or the account of an ARN. */
export function accountOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  if (ACCOUNT_ID.test(v)) return v;
  return ARN_ACCOUNT.exec(v)?.[1];
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
}

/** A document from a request field: parsed JSON text (plain or URL-encoded), or the object itself. */
export function readDocument(value: unknown): unknown {
  if (typeof value === 'string') return value.trim() === '' ? undefined : parsePolicyDocument(value);
  return value !== null && typeof value === 'object' ? value : undefined;
}

/** The statements of a document, whatever way it was written (an array, one statement, or a bare statement). */
export function statementsOf(doc: unknown): Array<Record<string, unknown>> {
  const s = pick(doc, 'Statement') ?? (pick(doc, 'Effect') !== undefined ? doc : undefined);
  return asList(s).filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x));
}

function isAllow(s: Record<string, unknown>): boolean {
  return typeof s.Effect === 'string' && s.Effect.toLowerCase() === 'allow';
}

/** `*`, `{ AWS: '*' }`, `{ AWS: ['*'] }`: anyone at all. */
export function isEveryonePrincipal(principal: unknown): boolean {
  if (typeof principal === 'string') return principal.trim() === '*';
  return asList(pick(principal, 'AWS')).some((p) => typeof p === 'string' && p.trim() === '*');
}

/** The accounts an AWS principal names (root, user or role ARNs, bare ids). */
function principalAccounts(principal: unknown): string[] {
  if (typeof principal === 'string') return [accountOf(principal)].filter((a): a is string => !!a);
  return asList(pick(principal, 'AWS')).map(accountOf).filter((a): a is string => !!a);
}

interface ConditionTest {
  operator: string;
  key: string;
  values: unknown[];
}

function conditionTests(condition: unknown): ConditionTest[] {
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) return [];
  const out: ConditionTest[] = [];
  for (const [operator, block] of Object.entries(condition as Record<string, unknown>)) {
    if (block === null || typeof block !== 'object' || Array.isArray(block)) continue;
    for (const [key, values] of Object.entries(block as Record<string, unknown>)) out.push({ operator, key: key.toLowerCase(), values: asList(values) });
  }
  return out;
}

/** A condition that only callers the owner knows can meet. */
function narrows(t: ConditionTest): boolean {
  const op = t.operator.toLowerCase();
  if (!NARROWING_KEYS.has(t.key) || op.includes('not') || op.endsWith('ifexists') || op === 'null') return false;
  const values = t.values.filter((v): v is string => typeof v === 'string').map((v) => v.trim());
  if (values.length === 0 || values.every((v) => v === '*' || v === '')) return false;
  if (t.key === 'aws:sourceip' && values.some((v) => ANYWHERE.has(v))) return false;
  return true;
}

/** What one policy document grants to whom; `ownAccount` is the caller's account, never "another". */
export function policyGrant(doc: unknown, ownAccount: string | undefined): PolicyGrant {
  const statements = statementsOf(doc);
  if (statements.length === 0) return NO_GRANT;
  let open = false;
  const accounts = new Set<string>();
  for (const s of statements) {
    if (!isAllow(s)) continue;
    const tests = conditionTests(s.Condition);
    const narrowing = tests.filter(narrows);
    // "Allow NotPrincipal X" lets in everyone but X.
    const everyone = s.NotPrincipal !== undefined || isEveryonePrincipal(s.Principal);
    if (everyone && narrowing.length === 0) open = true;
    const named = everyone ? [] : principalAccounts(s.Principal);
    const fromConditions = narrowing.filter((t) => ACCOUNT_KEYS.has(t.key)).flatMap((t) => t.values.map(accountOf));
    for (const a of [...named, ...fromConditions]) if (a && a !== ownAccount) accounts.add(a);
  }
  return { public: open, accounts: [...accounts].sort() };
}

/** Several grants as one. */
export function mergeGrants(grants: readonly PolicyGrant[]): PolicyGrant {
  return { public: grants.some((g) => g.public), accounts: [...new Set(grants.flatMap((g) => g.accounts))].sort() };
}
