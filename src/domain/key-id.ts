/**
 * Parsing what responders paste as an access key id. Pure.
 *
 * An access key id is `AKIA` (long-term, IAM user) or `ASIA` (temporary, STS) followed by
 * 16 characters of the base32 alphabet A-Z 2-7. People paste them from Slack code spans,
 * angle brackets, quotes and HTML-escaped text, so Slack's escapes are decoded and those
 * wrappers removed first. A secret
 * access key (40 characters of base64, or any 40 characters labelled as the secret key) is
 * refused with a warning (containsSecretKey, the one rule every free-text input goes
 * through), and the secret is never echoed back.
 */

export type KeyKind = 'long-term' | 'temporary';

export type ParsedKeyId =
  | { ok: true; keyId: string; kind: KeyKind; rest: string }
  | { ok: false; problem: 'empty' | 'malformed' | 'secret-pasted'; detail: string };

const KEY_ID = /^(AKIA|ASIA)[A-Z2-7]{16}$/;
/** 40 characters of base64 with at least one lower-case letter, / or +: the shape of a secret key. */
const SECRET_LIKE = /^[A-Za-z0-9/+]{40}$/;

/** A git commit id (40 lower-case hex digits): responders cite the commit a key leaked in. */
const COMMIT_SHA = /^[0-9a-f]{40}$/;

export function looksLikeSecretKey(token: string): boolean {
  return SECRET_LIKE.test(token) && /[a-z/+]/.test(token) && /[A-Z0-9]/.test(token) && !COMMIT_SHA.test(token);
}

/** 40 base64 characters standing on their own (not part of a longer run of them). */
const SECRET_ANYWHERE = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/g;

/**
 * A value labelled as the secret key, as credential files, env files and consoles write it:
 * `aws_secret_access_key=…`, `AWS_SECRET_ACCESS_KEY: …`, `"SecretAccessKey": "…"`,
 * `secret_key = …`. Labelled, any 40-character value counts, whatever its letters.
 */
const LABELLED_SECRET = /(?:aws_?)?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi;

/**
 * The one rule for free text (commands, reasons, resolutions, modal fields, log lines): true
 * when it holds something shaped like an AWS secret access key anywhere in it, with or
 * without a label (`aws_secret_access_key=…`), with or without `/` and `+`. A git commit id
 * (40 lower-case hex digits) alone is not a secret.
 */
export function containsSecretKey(text: string): boolean {
  LABELLED_SECRET.lastIndex = 0;
  if (LABELLED_SECRET.test(text)) return true;
  return (text.match(SECRET_ANYWHERE) ?? []).some(looksLikeSecretKey);
}

export const SECRET_REDACTED = '[secret-shaped text removed]';

/** The text with every secret-shaped value (containsSecretKey) replaced; for logs and automatic sources. */
export function redactSecretKeys(text: string, replacement = SECRET_REDACTED): string {
  return text
    .replace(LABELLED_SECRET, (m, secret: string) => m.slice(0, m.length - secret.length) + replacement)
    .replace(SECRET_ANYWHERE, (m) => (looksLikeSecretKey(m) ? replacement : m));
}

/** Opening and closing wrappers: code spans, <>, quotes (straight and typographic), brackets,
 *  Slack's *bold* and _italic_; and, at the end, the punctuation of a sentence. */
const LEADING_WRAPPERS = /^[`'"<(\[*_\u2018\u201C]+/;
const TRAILING_WRAPPERS = /[`'">)\]*_\u2019\u201D,.;:]+$/;

/** Remove the wrappers Slack and people add around an id (after `decodeSlackText`). */
export function stripWrappers(token: string): string {
  return token.replace(LEADING_WRAPPERS, '').replace(TRAILING_WRAPPERS, '');
}

/** Slack escapes &, < and > in the text it sends (in code spans too); undo that. */
export function decodeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The words of what was typed, Slack's escapes decoded and code-block fences removed. */
export function tokenize(text: string): string[] {
  return decodeSlackText(text)
    .replace(/```/g, ' ')
    .split(/\s+/)
    .filter((s) => s.length > 0);
}

/** Explain, without echoing secrets, why a token is not an access key id. */
function whyMalformed(t: string): string {
  const upper = t.toUpperCase();
  if (/^(AKIA|ASIA)/.test(upper) && t !== upper) return 'access key ids are upper case';
  if (/^(AKIA|ASIA)/.test(t)) {
    const body = t.slice(4);
    if (body.length !== 16) return `expected 16 characters after ${t.slice(0, 4)}, found ${body.length}`;
    const bad = [...new Set(body.replace(/[A-Z2-7]/g, '').split(''))];
    if (bad.length > 0) return `contains ${bad.map((c) => `"${c}"`).join(', ')}, which never appear in a key id (only A-Z and 2-7)`;
  }
  if (/^(AIDA|AROA|AGPA|ANPA|ANVA|APKA|ASCA|AIPA)/.test(t)) {
    return `${t.slice(0, 4)}… is a unique id of another IAM resource, not an access key id`;
  }
  return 'an access key id starts with AKIA or ASIA';
}

/**
 * Parse the first word of `text` as an access key id; the remaining words are returned as
 * `rest` (a reason, for commands that take one).
 */
export function parseKeyId(text: string): ParsedKeyId {
  const words = tokenize(text);
  // The id is the first word that is more than wrappers (a Slack quote's ">" is not).
  const at = words.findIndex((w) => stripWrappers(w).length > 0);
  if (at < 0) return { ok: false, problem: 'empty', detail: 'no access key id given' };
  if (containsSecretKey(decodeSlackText(text))) {
    return {
      ok: false,
      problem: 'secret-pasted',
      detail: 'that looks like a secret access key, not a key id',
    };
  }
  const first = stripWrappers(words[at]);
  if (!KEY_ID.test(first)) return { ok: false, problem: 'malformed', detail: whyMalformed(first) };
  return {
    ok: true,
    keyId: first,
    kind: first.startsWith('ASIA') ? 'temporary' : 'long-term',
    // The reason as typed (its punctuation kept), whitespace collapsed, a lone closing
    // bracket or quote of the id's wrapper dropped.
    rest: words.slice(at + 1).filter((w) => stripWrappers(w).length > 0).join(' '),
  };
}

/** Mask all but the last four characters: for places that must not show a whole id. */
export function maskKeyId(keyId: string): string {
  return `${keyId.slice(0, 4)}…${keyId.slice(-4)}`;
}
