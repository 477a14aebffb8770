/**
 * A small IAM policy evaluator for the subset keyguard's policies use, to check session
 * policies (which moto does not enforce) and the deployed documents without AWS:
 *  - Effect Allow / Deny; an explicit Deny wins, otherwise at least one Allow is needed;
 *  - Action and Resource as a string or a list, with `*` and `?` wildcards
 *    (actions case-insensitive, resources case-sensitive, as IAM matches them);
 *  - Condition operators ArnEquals / ArnLike / StringEquals / StringLike against the
 *    request's context keys (a missing key does not match, as in IAM), and their negations
 *    ArnNotEquals / ArnNotLike / StringNotEquals (a missing key matches, as in IAM).
 * A session is the intersection: identity policy AND session policy allow, nothing denies.
 */

export interface EvalRequest {
  /** e.g. iam:PutUserPolicy */
  action: string;
  /** The ARN IAM authorises the action on. */
  resource: string;
  /** Condition context, e.g. { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/X' }. */
  context?: Record<string, string>;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

interface Statement {
  Effect: string;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

interface Document {
  Statement: Statement | Statement[];
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function wildcard(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const re = new RegExp(`^${pattern.split('').map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`, caseInsensitive ? 'i' : '');
  return re.test(value);
}

const OPERATORS: Record<string, (expected: string, actual: string) => boolean> = {
  ArnEquals: (e, a) => e === a,
  ArnLike: (e, a) => wildcard(e, a, false),
  StringEquals: (e, a) => e === a,
  StringLike: (e, a) => wildcard(e, a, false),
};

/** Negated operators: true when no value matches, and when the key is missing. */
const NEGATED: Record<string, string> = { ArnNotEquals: 'ArnEquals', ArnNotLike: 'ArnLike', StringNotEquals: 'StringEquals' };

function conditionsHold(condition: Statement['Condition'], context: Record<string, string>): boolean {
  for (const [op, keys] of Object.entries(condition ?? {})) {
    const negated = NEGATED[op];
    const test = OPERATORS[negated ?? op];
    if (!test) throw new Error(`policy-evaluator: condition operator ${op} is not supported`);
    for (const [key, expected] of Object.entries(keys)) {
      const actual = context[key];
      if (negated) {
        if (actual !== undefined && list(expected).some((e) => test(e, actual))) return false;
      } else if (actual === undefined || !list(expected).some((e) => test(e, actual))) return false;
    }
  }
  return true;
}

function statementsOf(doc: Document | string): Statement[] {
  const d: Document = typeof doc === 'string' ? (JSON.parse(doc) as Document) : doc;
  return Array.isArray(d.Statement) ? d.Statement : [d.Statement];
}

/** One policy's decision for a request. */
export function evaluate(doc: Document | string, req: EvalRequest): Decision {
  let allowed = false;
  for (const s of statementsOf(doc)) {
    if (!list(s.Action).some((a) => wildcard(a, req.action, true))) continue;
    if (!list(s.Resource).some((r) => wildcard(r, req.resource, false))) continue;
    if (!conditionsHold(s.Condition, req.context ?? {})) continue;
    if (s.Effect === 'Deny') return 'explicit-deny';
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

/** An assumed-role session: every policy given must allow, none may deny. */
export function evaluateSession(policies: ReadonlyArray<Document | string>, req: EvalRequest): Decision {
  const decisions = policies.map((p) => evaluate(p, req));
  if (decisions.includes('explicit-deny')) return 'explicit-deny';
  return decisions.every((d) => d === 'allow') ? 'allow' : 'implicit-deny';
}
