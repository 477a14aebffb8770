/**
 * What the bot knows about an access key and its owner, and the plain-language risk flags
 * derived from it. Pure: `now` is passed in.
 */
import { DateTime } from 'luxon';
import type { KeyKind } from './key-id';

export interface LastUsed {
  /** ISO-8601; absent when AWS says the key was never used. */
  at?: string;
  service?: string;
  region?: string;
}

export interface PolicyRef {
  name: string;
  arn?: string;
  /** True when the policy grants Action "*" on Resource "*" (or is a known admin policy). */
  admin?: boolean;
}

export interface UserFacts {
  userName: string;
  arn?: string;
  createdAt?: string;
  tags: Record<string, string>;
  groups: string[];
  attachedPolicies: PolicyRef[];
  inlinePolicies: PolicyRef[];
  /** Policies reached through groups (attached or inline), named `group/policy`. */
  groupPolicies: PolicyRef[];
  consolePassword: boolean;
  mfaDevices: string[];
  /** Name of an AWSCompromisedKeyQuarantine* policy already attached, if any. */
  quarantinePolicy?: string;
  otherKeys: Array<{ accessKeyId: string; status: string; createdAt?: string }>;
}

export interface KeyFacts {
  keyId: string;
  kind: KeyKind;
  account: string;
  botAccount: string;
  sameAccount: boolean;
  /** Present for long-term keys found in the bot's account. */
  status?: 'Active' | 'Inactive';
  createdAt?: string;
  lastUsed?: LastUsed;
  user?: UserFacts;
  /** What could not be read, each naming the IAM action that was denied. */
  gaps: string[];
  /** For a key in another account: the role the bot assumed there to look. */
  viaRole?: string;
}

export type Severity = 'critical' | 'warning' | 'info';
export interface RiskFlag {
  severity: Severity;
  text: string;
}

const ADMIN_POLICY_NAMES = new Set(['AdministratorAccess', 'IAMFullAccess', 'PowerUserAccess', 'AWSCloudFormationFullAccess']);

export function isAdminPolicyName(name: string): boolean {
  return ADMIN_POLICY_NAMES.has(name);
}

/** True when a policy document allows every action on every resource. */
export function documentGrantsAdmin(doc: unknown): boolean {
  const d = doc as { Statement?: unknown } | undefined;
  const stmts = Array.isArray(d?.Statement) ? d!.Statement : d?.Statement ? [d.Statement] : [];
  const has = (v: unknown, want: string) => (Array.isArray(v) ? v.includes(want) : v === want);
  return stmts.some((s: any) => s && s.Effect === 'Allow' && (has(s.Action, '*') || has(s.Action, 'iam:*')) && has(s.Resource, '*'));
}

/** "3 min ago", "2 days ago": how long ago, in the largest sensible unit. */
export function ago(iso: string, now: Date): string {
  const then = DateTime.fromISO(iso, { zone: 'utc' });
  const mins = Math.max(0, Math.round(DateTime.fromJSDate(now).diff(then, 'minutes').minutes));
  if (mins < 1) return 'just now';
  if (mins < 60) return `${mins} min ago`;
  const hours = Math.round(mins / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

function ageInDays(iso: string, now: Date): number {
  return Math.floor(DateTime.fromJSDate(now).diff(DateTime.fromISO(iso, { zone: 'utc' }), 'days').days);
}

/** The flags a responder must see first, most severe first. */
export function riskFlags(f: KeyFacts, now: Date): RiskFlag[] {
  const flags: RiskFlag[] = [];
  if (f.kind === 'temporary') {
    flags.push({ severity: 'warning', text: 'temporary credentials (STS): deactivating is not possible; revoke the role sessions that issued them' });
  }
  if (!f.sameAccount) {
    flags.push({ severity: 'warning', text: `key belongs to account ${f.account}, not the bot's account ${f.botAccount}` });
  }
  if (f.status === 'Active') {
    if (f.lastUsed?.at) {
      const where = f.lastUsed.region && f.lastUsed.region !== 'N/A' ? ` from ${f.lastUsed.region}` : '';
      const svc = f.lastUsed.service && f.lastUsed.service !== 'N/A' ? ` (${f.lastUsed.service})` : '';
      const recent = ageInDays(f.lastUsed.at, now) < 1;
      flags.push({ severity: recent ? 'critical' : 'warning', text: `active, used ${ago(f.lastUsed.at, now)}${where}${svc}` });
    } else {
      flags.push({ severity: 'warning', text: 'active, never used' });
    }
  } else if (f.status === 'Inactive') {
    flags.push({ severity: 'info', text: 'already inactive' });
  }
  const u = f.user;
  if (u) {
    const admin = [...u.attachedPolicies, ...u.inlinePolicies, ...u.groupPolicies].filter((p) => p.admin);
    if (admin.length > 0) flags.push({ severity: 'critical', text: `admin policy attached (${admin.map((p) => p.name).join(', ')})` });
    if (u.quarantinePolicy) {
      flags.push({ severity: 'critical', text: `${u.quarantinePolicy} is attached: AWS has likely found this key in public` });
    }
    if (u.mfaDevices.length === 0) flags.push({ severity: u.consolePassword ? 'critical' : 'warning', text: u.consolePassword ? 'console password and no MFA' : 'no MFA' });
    else if (u.consolePassword) flags.push({ severity: 'info', text: 'console password (MFA enabled)' });
    const otherActive = u.otherKeys.filter((k) => k.status === 'Active');
    if (otherActive.length > 0) flags.push({ severity: 'warning', text: `${otherActive.length} other active key(s) on this user` });
  }
  if (f.createdAt && ageInDays(f.createdAt, now) > 90) {
    flags.push({ severity: 'warning', text: `key is ${ageInDays(f.createdAt, now)} days old (not rotated in 90 days)` });
  }
  for (const g of f.gaps) flags.push({ severity: 'info', text: g });
  const order: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
  return flags.sort((a, b) => order[a.severity] - order[b.severity]);
}

/** Tags people use to say who owns a principal. */
const OWNER_TAG_KEYS = ['owner', 'Owner', 'team', 'Team', 'email', 'Email', 'slack', 'Slack', 'contact', 'Contact'];

export function ownerTags(tags: Record<string, string>): Array<[string, string]> {
  return Object.entries(tags).filter(([k]) => OWNER_TAG_KEYS.includes(k) || /owner|team|email|slack|contact/i.test(k));
}
