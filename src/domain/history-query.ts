/**
 * SQL for a principal's CloudTrail history, for Athena (the CloudTrail table over the trail's
 * S3 bucket) and for CloudTrail Lake (an event data store). Pure: a lookup in, text out.
 *
 * Athena: every value from the lookup is an execution parameter (a positional `?`); the SQL
 * text holds only fixed words and the configured, validated table name. Each query names
 * its partitions (`account`, `region`, `"timestamp"`) so that Athena's partition projection
 * reads only those days of those accounts and regions, never the whole bucket.
 *
 * The SQL keeps to what Trino (Athena engine 3) and DuckDB both run, so the emulator in the
 * tests runs it unchanged except for the table reference: SELECT with a column list and
 * aliases, dotted struct fields (`useridentity.sessioncontext.sessionissuer.arn`), `=`,
 * `IN (…)`, `BETWEEN`, `>=`/`<=` on strings, AND/OR, ORDER BY. No functions, no casts, no
 * LIMIT (a parameter there is not portable), no backquotes (identifiers in double quotes).
 *
 * CloudTrail Lake takes no parameters for ad-hoc queries (`QueryParameters` serve only its
 * dashboards), so the Lake query inlines values, and only values that match AWS's own
 * character sets (key ids, IAM names, ARNs, account ids, region names) are accepted.
 */

export interface HistoryLookup {
  /** The leaked key and every key of its credential graph. */
  accessKeyIds: readonly string[];
  /** IAM user names (their keys and console sign-ins). */
  userNames: readonly string[];
  /** Roles: events of every session of the role (its sessions' issuer). */
  roleArns: readonly string[];
  start: Date;
  end: Date;
  /** Accounts whose logs are searched (partition `account`). At least one. */
  accounts: readonly string[];
  /** Regions searched (partition `region`). At least one. */
  regions: readonly string[];
}

export interface AthenaTable {
  database: string;
  table: string;
}

export interface AthenaQuery {
  sql: string;
  /** Athena execution parameters: SQL literals, in the order of the `?` they fill. */
  parameters: string[];
}

/** Athena's identifier rules for Glue databases and tables (lowercase, digits, underscore). */
const GLUE_NAME = /^[a-z0-9_]{1,255}$/;
const ACCOUNT_ID = /^\d{12}$/;
const REGION_NAME = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const KEY_ID = /^(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{12,124}$/;
const IAM_NAME = /^[\w+=,.@-]{1,128}$/;
const IAM_ARN = /^arn:aws[\w-]*:(iam|sts)::\d{12}:[\w+=,.@/-]{1,512}$/;

/** Keys of a credential graph in one query; more are searched in another. */
const MAX_PRINCIPALS_PER_QUERY = 200;

/** The columns read, as Athena names them; the aliases are what the row mapper reads. */
const COLUMNS: ReadonlyArray<[string, string]> = [
  ['eventid', 'eventid'],
  ['eventtime', 'eventtime'],
  ['eventsource', 'eventsource'],
  ['eventname', 'eventname'],
  ['awsregion', 'awsregion'],
  ['sourceipaddress', 'sourceipaddress'],
  ['useragent', 'useragent'],
  ['errorcode', 'errorcode'],
  ['errormessage', 'errormessage'],
  ['readonly', 'readonly'],
  ['eventtype', 'eventtype'],
  ['eventcategory', 'eventcategory'],
  ['recipientaccountid', 'recipientaccountid'],
  ['requestparameters', 'requestparameters'],
  ['responseelements', 'responseelements'],
  ['additionaleventdata', 'additionaleventdata'],
  ['useridentity.type', 'identity_type'],
  ['useridentity.principalid', 'identity_principalid'],
  ['useridentity.arn', 'identity_arn'],
  ['useridentity.accountid', 'identity_accountid'],
  ['useridentity.invokedby', 'identity_invokedby'],
  ['useridentity.accesskeyid', 'identity_accesskeyid'],
  ['useridentity.username', 'identity_username'],
  ['useridentity.sessioncontext.sessionissuer.type', 'issuer_type'],
  ['useridentity.sessioncontext.sessionissuer.arn', 'issuer_arn'],
  ['useridentity.sessioncontext.sessionissuer.accountid', 'issuer_accountid'],
  ['useridentity.sessioncontext.sessionissuer.username', 'issuer_username'],
  ['useridentity.sessioncontext.attributes.creationdate', 'session_created'],
  ['useridentity.sessioncontext.attributes.mfaauthenticated', 'session_mfa'],
];

/** A string as a SQL literal: single quotes, a quote doubled. The only quoting anywhere. */
function sqlStringLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** `yyyy/MM/dd` of a UTC day: the projected `timestamp` partition. */
function partitionDay(d: Date): string {
  return d.toISOString().slice(0, 10).replace(/-/g, '/');
}

/** CloudTrail's eventTime text (`2026-11-01T10:00:00Z`), seconds precision, so strings compare as times. */
function eventTimeText(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

export class HistoryQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HistoryQueryError';
  }
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values.filter((v) => v.length > 0))];
}

function check(lookup: HistoryLookup): void {
  if (lookup.accounts.length === 0) throw new HistoryQueryError('Name at least one account: every query is limited to its accounts.');
  if (lookup.regions.length === 0) throw new HistoryQueryError('Name at least one region: every query is limited to its regions.');
  if (!(lookup.start < lookup.end)) throw new HistoryQueryError('The window must start before it ends.');
  if (lookup.accessKeyIds.length + lookup.userNames.length + lookup.roleArns.length === 0) {
    throw new HistoryQueryError('Name a key, a user or a role to search for.');
  }
}

/**
 * The Athena query for a lookup. Partition predicates always come first and are always
 * present: accounts, regions and the window's days.
 */
export function buildAthenaQuery(lookup: HistoryLookup, table: AthenaTable): AthenaQuery {
  check(lookup);
  if (!GLUE_NAME.test(table.database) || !GLUE_NAME.test(table.table)) {
    throw new HistoryQueryError('The Athena database and table names must be lowercase letters, digits and underscores.');
  }
  const parameters: string[] = [];
  const bind = (v: string) => {
    parameters.push(sqlStringLiteral(v));
    return '?';
  };
  const inList = (column: string, values: string[]) => `${column} IN (${values.map(bind).join(', ')})`;

  const where = [
    inList('account', distinct(lookup.accounts)),
    inList('region', distinct(lookup.regions)),
    `"timestamp" BETWEEN ${bind(partitionDay(lookup.start))} AND ${bind(partitionDay(lookup.end))}`,
    `eventtime >= ${bind(eventTimeText(lookup.start))}`,
    `eventtime <= ${bind(eventTimeText(lookup.end))}`,
  ];
  const who: string[] = [];
  const keys = distinct(lookup.accessKeyIds);
  const users = distinct(lookup.userNames);
  const roles = distinct(lookup.roleArns);
  if (keys.length > 0) who.push(inList('useridentity.accesskeyid', keys));
  if (users.length > 0) who.push(inList('useridentity.username', users));
  if (roles.length > 0) who.push(inList('useridentity.sessioncontext.sessionissuer.arn', roles));
  where.push(who.length === 1 ? who[0] : `(${who.join(' OR ')})`);

  const select = COLUMNS.map(([col, alias]) => (col === alias ? col : `${col} AS ${alias}`)).join(',\n  ');
  const sql = `SELECT\n  ${select}\nFROM "${table.database}"."${table.table}"\nWHERE ${where.join('\n  AND ')}\nORDER BY eventtime DESC, eventid`;
  return { sql, parameters };
}

/** Splits a lookup whose credential graph is larger than one query takes. */
export function splitLookup(lookup: HistoryLookup, max = MAX_PRINCIPALS_PER_QUERY): HistoryLookup[] {
  const all: Array<['k' | 'u' | 'r', string]> = [
    ...distinct(lookup.accessKeyIds).map((v) => ['k', v] as ['k', string]),
    ...distinct(lookup.userNames).map((v) => ['u', v] as ['u', string]),
    ...distinct(lookup.roleArns).map((v) => ['r', v] as ['r', string]),
  ];
  if (all.length <= max) return [lookup];
  const out: HistoryLookup[] = [];
  for (let i = 0; i < all.length; i += max) {
    const part = all.slice(i, i + max);
    out.push({
      ...lookup,
      accessKeyIds: part.filter(([t]) => t === 'k').map(([, v]) => v),
      userNames: part.filter(([t]) => t === 'u').map(([, v]) => v),
      roleArns: part.filter(([t]) => t === 'r').map(([, v]) => v),
    });
  }
  return out;
}

function parseJsonText(text: string | undefined): unknown {
  if (text === undefined || text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function defined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined || o[k] === null) delete o[k];
  return o;
}

/**
 * One Athena result row (by alias, NULL as undefined) back into a CloudTrail record, with
 * CloudTrail's own field names, so that the rest of keyguard reads it like a LookupEvents
 * `CloudTrailEvent`.
 */
export function recordFromAthenaRow(row: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const issuer = defined({ type: row.issuer_type, arn: row.issuer_arn, accountId: row.issuer_accountid, userName: row.issuer_username });
  const attributes = defined({ creationDate: row.session_created, mfaAuthenticated: row.session_mfa });
  const sessionContext = Object.keys(issuer).length + Object.keys(attributes).length > 0
    ? defined({ sessionIssuer: Object.keys(issuer).length ? issuer : undefined, attributes: Object.keys(attributes).length ? attributes : undefined })
    : undefined;
  return defined({
    eventID: row.eventid,
    eventTime: row.eventtime,
    eventSource: row.eventsource,
    eventName: row.eventname,
    awsRegion: row.awsregion,
    sourceIPAddress: row.sourceipaddress,
    userAgent: row.useragent,
    errorCode: row.errorcode,
    errorMessage: row.errormessage,
    readOnly: row.readonly === undefined ? undefined : row.readonly === 'true',
    eventType: row.eventtype,
    eventCategory: row.eventcategory,
    recipientAccountId: row.recipientaccountid,
    requestParameters: parseJsonText(row.requestparameters),
    responseElements: parseJsonText(row.responseelements),
    additionalEventData: parseJsonText(row.additionaleventdata),
    userIdentity: defined({
      type: row.identity_type,
      principalId: row.identity_principalid,
      arn: row.identity_arn,
      accountId: row.identity_accountid,
      invokedBy: row.identity_invokedby,
      accessKeyId: row.identity_accesskeyid,
      userName: row.identity_username,
      sessionContext,
    }),
  });
}

// ---- CloudTrail Lake --------------------------------------------------------------------

/** The event data store id: the last part of its ARN (`arn:…:eventdatastore/<id>`). */
export function eventDataStoreId(arnOrId: string): string {
  return arnOrId.split('/').pop() ?? arnOrId;
}

function lakeValue(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new HistoryQueryError(`Not a valid ${what}: CloudTrail Lake queries take only AWS's own character set.`);
  return sqlStringLiteral(value);
}

/** Lake compares eventTime as a timestamp: `'2026-11-01 10:00:00'`. */
function lakeTime(d: Date): string {
  return `'${d.toISOString().slice(0, 19).replace('T', ' ')}'`;
}

/** Lake's camelCase columns, read under the same aliases as the Athena query's. */
const LAKE_COLUMNS: ReadonlyArray<[string, string]> = [
  ['eventID', 'eventid'], ['eventTime', 'eventtime'], ['eventSource', 'eventsource'], ['eventName', 'eventname'],
  ['awsRegion', 'awsregion'], ['sourceIPAddress', 'sourceipaddress'], ['userAgent', 'useragent'], ['errorCode', 'errorcode'],
  ['errorMessage', 'errormessage'], ['readOnly', 'readonly'], ['eventType', 'eventtype'], ['eventCategory', 'eventcategory'],
  ['recipientAccountId', 'recipientaccountid'], ['requestParameters', 'requestparameters'], ['responseElements', 'responseelements'],
  ['userIdentity.type', 'identity_type'], ['userIdentity.principalId', 'identity_principalid'], ['userIdentity.arn', 'identity_arn'],
  ['userIdentity.accountId', 'identity_accountid'], ['userIdentity.invokedBy', 'identity_invokedby'],
  ['userIdentity.accessKeyId', 'identity_accesskeyid'], ['userIdentity.userName', 'identity_username'],
  ['userIdentity.sessionContext.sessionIssuer.type', 'issuer_type'], ['userIdentity.sessionContext.sessionIssuer.arn', 'issuer_arn'],
  ['userIdentity.sessionContext.sessionIssuer.userName', 'issuer_username'],
];

/**
 * The CloudTrail Lake query for a lookup: the event data store has no partitions, so the
 * window (eventTime), accounts (recipientAccountId) and regions (awsRegion) bound the scan.
 */
export function buildLakeQuery(lookup: HistoryLookup, eventDataStore: string): string {
  check(lookup);
  const eds = eventDataStoreId(eventDataStore);
  if (!/^[\w-]{1,128}$/.test(eds)) throw new HistoryQueryError('Not a valid event data store id.');
  const list = (values: string[], pattern: RegExp, what: string) => values.map((v) => lakeValue(v, pattern, what)).join(', ');
  const where = [
    `eventTime >= ${lakeTime(lookup.start)}`,
    `eventTime <= ${lakeTime(lookup.end)}`,
    `recipientAccountId IN (${list(distinct(lookup.accounts), ACCOUNT_ID, 'account id')})`,
    `awsRegion IN (${list(distinct(lookup.regions), REGION_NAME, 'region')})`,
  ];
  const who: string[] = [];
  const keys = distinct(lookup.accessKeyIds);
  const users = distinct(lookup.userNames);
  const roles = distinct(lookup.roleArns);
  if (keys.length > 0) who.push(`userIdentity.accessKeyId IN (${list(keys, KEY_ID, 'access key id')})`);
  if (users.length > 0) who.push(`userIdentity.userName IN (${list(users, IAM_NAME, 'IAM name')})`);
  if (roles.length > 0) who.push(`userIdentity.sessionContext.sessionIssuer.arn IN (${list(roles, IAM_ARN, 'role ARN')})`);
  where.push(who.length === 1 ? who[0] : `(${who.join(' OR ')})`);
  return `SELECT ${LAKE_COLUMNS.map(([c, a]) => `${c} AS ${a}`).join(', ')} FROM ${eds} WHERE ${where.join(' AND ')} ORDER BY eventTime DESC`;
}

/** StartQuery takes a `QueryStatement` of at most 10,000 characters. */
export const LAKE_MAX_STATEMENT_CHARS = 10_000;

/**
 * The CloudTrail Lake queries for a lookup, each within Lake's 10,000 characters: a credential
 * graph whose key ids, user names and role ARNs do not fit in one statement is searched by
 * several, each with the same window, accounts and regions. Throws when even one principal
 * does not fit (too many accounts or regions for one statement).
 */
export function buildLakeQueries(lookup: HistoryLookup, eventDataStore: string, maxChars = LAKE_MAX_STATEMENT_CHARS): string[] {
  const whole = buildLakeQuery(lookup, eventDataStore);
  if (whole.length <= maxChars) return [whole];
  const principals = splitLookup(lookup, 1);
  const merge = (parts: HistoryLookup[]): HistoryLookup => ({
    ...lookup,
    accessKeyIds: parts.flatMap((p) => p.accessKeyIds),
    userNames: parts.flatMap((p) => p.userNames),
    roleArns: parts.flatMap((p) => p.roleArns),
  });
  const out: string[] = [];
  let current: HistoryLookup[] = [];
  let currentSql = '';
  for (const one of principals) {
    const candidate = buildLakeQuery(merge([...current, one]), eventDataStore);
    if (candidate.length <= maxChars) {
      current.push(one);
      currentSql = candidate;
      continue;
    }
    if (current.length === 0) {
      throw new HistoryQueryError(`The CloudTrail Lake query would exceed ${maxChars} characters even for one principal: search fewer accounts or regions.`);
    }
    out.push(currentSql);
    current = [one];
    currentSql = buildLakeQuery(one, eventDataStore);
    if (currentSql.length > maxChars) {
      throw new HistoryQueryError(`The CloudTrail Lake query would exceed ${maxChars} characters even for one principal: search fewer accounts or regions.`);
    }
  }
  out.push(currentSql);
  return out;
}

/** Lake prints maps as `{key=value, …}`; keyguard reads a few top-level keys from them. */
function parseLakeMap(text: string | undefined): Record<string, unknown> | null {
  if (text === undefined || text === '' || text === 'null') return null;
  const json = parseJsonText(text);
  if (json && typeof json === 'object') return json as Record<string, unknown>;
  const inner = text.trim().replace(/^\{/, '').replace(/\}$/, '');
  const out: Record<string, unknown> = {};
  let depth = 0;
  let cur = '';
  const parts: string[] = [];
  for (const ch of inner) {
    if (ch === '{' || ch === '[') depth++;
    if (ch === '}' || ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur);
  for (const p of parts) {
    const i = p.indexOf('=');
    if (i > 0) out[p.slice(0, i).trim()] = p.slice(i + 1).trim();
  }
  return out;
}

/** One Lake result row (alias → text) back into a CloudTrail record. */
export function recordFromLakeRow(row: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const t = row.eventtime;
  // Lake prints timestamps as `2026-11-01 10:00:00.000`.
  const eventtime = t ? `${t.replace(' ', 'T').replace(/\.\d+/, '').replace(/Z$/, '')}Z` : undefined;
  return recordFromAthenaRow({
    ...row,
    eventtime,
    requestparameters: JSON.stringify(parseLakeMap(row.requestparameters)),
    responseelements: JSON.stringify(parseLakeMap(row.responseelements)),
  });
}
