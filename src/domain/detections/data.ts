/**
 * The data that drives the rules and changes as AWS and attackers change: instance
 * families miners want, how AWS services appear in CloudTrail, the fallback "usual
 * regions", the names of attack tools. Kept here, in one place, so that updating it is a
 * one-file change with no rule logic around it. Pure.
 */

/**
 * GPU, ML-accelerator and FPGA families: what crypto-miners and model thieves launch.
 * p (NVIDIA training), g/gr (graphics GPUs), inf (Inferentia), trn (Trainium), dl (Gaudi),
 * f (FPGA), vt (video transcoding).
 */
export const ACCELERATED_FAMILY = /^(p\d+[a-z]*|g\d+[a-z]*|gr\d+[a-z]*|inf\d+[a-z]*|trn\d+[a-z]*|dl\d+[a-z]*|f\d+[a-z]*|vt\d+[a-z]*)\./;

/** Memory-optimised giants and bare metal: x1/x2 families, u-*tb1 "High Memory", any `.metal`. */
export const LARGE_FAMILY = /^(x\d+[a-z]*\.|u\d*-[a-z0-9]+\.)|\.metal(-\d+xl)?$/;

/** Sizes from this many "xlarge" up count as very large, whatever the family (c5.24xlarge, m6i.32xlarge…). */
export const LARGE_SIZE_MIN_XLARGE = 24;

/** One launch asking for at least this many instances is a fleet, not a machine. */
export const MANY_INSTANCES_AT_ONCE = 10;

/**
 * Used for the unusual-region rule only when `IR_USUAL_REGIONS` is unset *and* the pulled
 * history has no activity before the first suspicious event to learn from. Deliberately
 * short: a missing region would hide a miner, an extra one only costs a look.
 */
export const DEFAULT_USUAL_REGIONS: readonly string[] = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1'];

/** How an AWS service names itself in CloudTrail: `ec2.amazonaws.com`, `lambda.amazonaws.com`… */
export const AWS_SERVICE_PRINCIPAL = /^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/;

/** What CloudTrail writes as the source address of calls AWS makes internally. */
export const AWS_INTERNAL_SOURCES: readonly string[] = ['AWS Internal'];

/** Service-linked roles live under this path; their sessions are AWS acting for itself. */
export const SERVICE_LINKED_ROLE_PATH = ':role/aws-service-role/';

/**
 * User-agent fragments of attack distributions and cloud attack tools. Matched
 * case-insensitively as whole words. Security scanners the account runs on purpose will
 * match too: the rule says so.
 */
export const ATTACK_TOOL_AGENTS: readonly string[] = [
  'kali', 'parrot', 'pentoo', 'blackarch', 'pacu', 'trufflehog', 'cloudfox', 'scoutsuite', 'prowler', 'weirdaal', 'stratus-red-team',
];

/** Instance session names are the instance id: `i-0123456789abcdef0`. */
export const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/** A user's first console sign-in after at least this much console-free history is notable. */
export const CONSOLE_FREE_HISTORY_MS = 7 * 86_400_000;

/**
 * Ransom-note object names (matched on the key's last part, which must end in .txt, .html,
 * .htm or .md): "ransom" anywhere; "how to decrypt/recover/restore"; or decrypt, recover,
 * restore or unlock next to files, data, your or instructions. From the notes public S3
 * extortion write-ups show ("README-RECOVER-FILES.txt", "HOW_TO_DECRYPT.html",
 * "ransom-note.txt"). A plain README, or "disaster-recovery.md", does not match.
 */
export const RANSOM_NOTE_NAMES: readonly RegExp[] = [
  /ransom/i,
  /how[-_ ]?to[-_ ]?(decrypt|recover|restore|unlock)/i,
  /(decrypt|recover|restore|unlock)[-_ ]?(your|all|my)?[-_ ]?(files|data|instructions)/i,
  /(your|all)[-_ ]?(files|data)[-_ ]?(are|were|have been)?[-_ ]?(encrypted|locked)/i,
];

/** Extensions a ransom note is written with. */
export const RANSOM_NOTE_EXTENSION = /\.(txt|html?|md)$/i;

/** A lifecycle rule expiring objects within this many days wipes a bucket (trail logs included) before anyone looks. */
export const LIFECYCLE_EXPIRY_MAX_DAYS = 7;

/** Log retention set to this many days or fewer throws away the history an investigation needs. */
export const LOG_RETENTION_MAX_DAYS = 30;

/** IPv4 ranges this wide (a /8 or wider) outside private space count as "anywhere". */
export const WIDEST_IPV4_PREFIX = 8;
