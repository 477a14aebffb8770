/**
 * Parsing what responders paste as an access key id. Pure.
 *
 * An access key id is `AKIA` (long-term, IAM user) or `ASIA` (temporary, STS) followed by
 * 16 characters of the base32 alphabet A-Z 2-7. People paste them from Slack code spans,
 * angle brackets and HTML-escaped text, so those wrappers are removed first. A secret
 * access key (40 characters, mixed case, / and +) is refused with a warning, and the
 * secret is never echoed back.
 */

export type KeyKind = 'long-term' | 'temporary';

export type ParsedKeyId =
  | { ok: true; keyId: string; kind: KeyKind; rest: string }
  | { ok: false; problem: 'empty' | 'malformed' | 'secret-pasted'; detail: string };

const KEY_ID = /^(AKIA|ASIA)[A-Z2-7]{16}$/;
/** 40 characters of base64 with at least one lower-case letter, / or +: the shape of a secret key. */
const SECRET_LIKE = /^[A-Za-z0-9/+]{40}$/;

export function looksLikeSecretKey(token: string): boolean {
  return SECRET_LIKE.test(token) && /[a-z/+]/.test(token) && /[A-Z0-9]/.test(token);
}

const SECRET_ANYWHERE = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/g;

/** True when free text holds something shaped like a secret access key anywhere in it
 *  (e.g. `aws_secret_access_key=wJal…`), not only as a word of its own. */
export function containsSecretKey(text: string): boolean {
  return (text.match(SECRET_ANYWHERE) ?? []).some(looksLikeSecretKey);
}

/** Remove the wrappers Slack and people add around an id: `code`, <>, &lt;&gt;, quotes. */
export function stripWrappers(token: string): string {
  let t = token.trim();
  t = t.replace(/^&lt;/, '').replace(/&gt;$/, '');
  t = t.replace(/^[`'"<(\[]+/, '').replace(/[`'">)\],.;:]+$/, '');
  return t.trim();
}

export function tokenize(text: string): string[] {
  return text
    .replace(/```/g, ' ')
    .split(/\s+/)
    .map((s) => s.trim())
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
  const tokens = tokenize(text).map(stripWrappers).filter((t) => t.length > 0);
  if (tokens.length === 0) return { ok: false, problem: 'empty', detail: 'no access key id given' };
  if (tokens.some(looksLikeSecretKey) || containsSecretKey(text)) {
    return {
      ok: false,
      problem: 'secret-pasted',
      detail: 'that looks like a secret access key, not a key id',
    };
  }
  const [first, ...rest] = tokens;
  if (!KEY_ID.test(first)) return { ok: false, problem: 'malformed', detail: whyMalformed(first) };
  return {
    ok: true,
    keyId: first,
    kind: first.startsWith('ASIA') ? 'temporary' : 'long-term',
    rest: rest.join(' '),
  };
}

/** Mask all but the last four characters: for places that must not show a whole id. */
export function maskKeyId(keyId: string): string {
  return `${keyId.slice(0, 4)}…${keyId.slice(-4)}`;
}
