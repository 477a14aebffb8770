/** TA0001 Initial Access: how someone got in, besides the leaked key itself. Pure. */
import { pick, pickString, TrailEvent } from '../trail-event';
import { ATTACK_TOOL_AGENTS, CONSOLE_FREE_HISTORY_MS } from './data';
import { eventRules, groupRule } from './define';

const VALID_CLOUD_ACCOUNTS = { id: 'T1078.004', name: 'Valid Accounts: Cloud Accounts' };

const isConsoleLogin = (e: TrailEvent) => e.source === 'signin.amazonaws.com' && e.name === 'ConsoleLogin';

/** IAM users and root sign in with a password; federated sign-ins are the identity provider's business. */
const isPasswordSignIn = (e: TrailEvent) => isConsoleLogin(e) && (e.identity.type === 'IAMUser' || e.identity.type === 'Root');

/** A tool name at the start of a word; digits may follow (`5.15.0-kali3-amd64`). */
const TOOL_AGENT = new RegExp(`(^|[^a-z0-9])(${ATTACK_TOOL_AGENTS.join('|')})([^a-z]|$)`, 'i');

export const INITIAL_ACCESS = [
  ...eventRules('initial-access', [
    {
      id: 'initial.console-login-no-mfa', family: 'credentials-and-sessions', severity: 'high',
      technique: VALID_CLOUD_ACCOUNTS,
      title: 'Console sign-in without MFA',
      why: 'A password alone opened the console: with a leaked key this is often a password the attacker set themselves.',
      next: 'Ask the user whether it was them; if not, delete the login profile, require MFA and look at what the console session did.',
      ignores: 'Sign-ins with MFA; SSO, SAML and other federated sign-ins (the identity provider enforces MFA); AWS service activity.',
      events: ['signin:ConsoleLogin'],
      matches: (e) => isPasswordSignIn(e) && pickString(pick(e.record, 'additionalEventData'), 'MFAUsed') === 'No',
    },
    {
      id: 'initial.root-sign-in', family: 'credentials-and-sessions', severity: 'high',
      technique: VALID_CLOUD_ACCOUNTS,
      title: 'Root user signed in',
      why: 'The root user can do anything, including closing the account, and nothing can restrict it.',
      next: 'Confirm with the account owner at once; if unexpected, reset the root password, check its MFA device and remove any root access keys.',
      ignores: 'API calls made with root access keys (they are the key\'s own activity, judged by the other rules).',
      events: ['signin:ConsoleLogin'],
      matches: (e) => isConsoleLogin(e) && e.identity.type === 'Root',
    },
    {
      id: 'initial.attack-tool-agent', family: 'reconnaissance', severity: 'medium',
      technique: VALID_CLOUD_ACCOUNTS,
      title: 'Calls from an attack toolkit',
      why: 'The user agent names a penetration-testing system or cloud attack tool (Kali, Pacu, TruffleHog…): rarely how a workload calls AWS.',
      next: 'If no security test was scheduled, treat every call from this user agent as the attacker\'s and block its source IPs.',
      ignores: `Ordinary SDK, CLI and console agents; it matches only these words: ${ATTACK_TOOL_AGENTS.join(', ')} (an authorised scanner matches too).`,
      events: ['*:*'],
      matches: (e) => TOOL_AGENT.test(e.userAgent ?? ''),
    },
  ]),
  groupRule('initial-access', {
    id: 'initial.console-login-new-ip', family: 'credentials-and-sessions', severity: 'medium',
    technique: VALID_CLOUD_ACCOUNTS,
    title: 'Console sign-in from a new address',
    why: 'The first time this address appears is a console sign-in, after earlier activity from elsewhere: someone new has the password.',
    next: 'Ask the user whether the address is theirs; if not, reset the password, require MFA and review the session.',
    ignores: 'Sign-ins from addresses seen earlier in the pulled history; the first sign-in of a history with nothing before it.',
    events: ['signin:ConsoleLogin'],
    groupOf: (e) => (isConsoleLogin(e) && e.sourceIp ? e.sourceIp : undefined),
    fires: (g, h) => {
      const firstSeen = h.ipFirstSeenMs(g.key);
      return firstSeen !== undefined && firstSeen >= g.firstMs && h.historyStartMs < g.firstMs;
    },
  }),
  groupRule('initial-access', {
    id: 'initial.first-console-login', family: 'credentials-and-sessions', severity: 'medium',
    technique: VALID_CLOUD_ACCOUNTS,
    title: 'First console sign-in of a user who never uses it',
    why: 'After a week or more of API-only history the user signs in to the console: typical of a password created by an attacker.',
    next: 'Check who created the login profile (CreateLoginProfile) and delete it unless the user asked for console access.',
    ignores: `Users whose pulled history holds a sign-in within its first ${CONSOLE_FREE_HISTORY_MS / 86_400_000} days, or is shorter than that.`,
    events: ['signin:ConsoleLogin'],
    groupOf: (e) => (isConsoleLogin(e) ? 'console' : undefined),
    fires: (g, h) => g.firstMs - h.historyStartMs >= CONSOLE_FREE_HISTORY_MS,
  }),
];
