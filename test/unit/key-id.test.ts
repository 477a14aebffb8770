import { containsSecretKey, parseKeyId, looksLikeSecretKey, maskKeyId, redactSecretKeys, SECRET_REDACTED } from '../../src/domain/key-id';

const VALID = 'AKIAIOSFODNN7EXAMPLE';

describe('parseKeyId', () => {
  it('accepts a long-term and a temporary key id', () => {
    expect(parseKeyId(VALID)).toEqual({ ok: true, keyId: VALID, kind: 'long-term', rest: '' });
    expect(parseKeyId('ASIAIOSFODNN7EXAMPLE')).toMatchObject({ ok: true, kind: 'temporary' });
  });

  it.each([
    ['backticks', '`AKIAIOSFODNN7EXAMPLE`'],
    ['triple backticks', '```AKIAIOSFODNN7EXAMPLE```'],
    ['angle brackets', '<AKIAIOSFODNN7EXAMPLE>'],
    ['html-escaped angle brackets', '&lt;AKIAIOSFODNN7EXAMPLE&gt;'],
    ['surrounding whitespace', '   AKIAIOSFODNN7EXAMPLE \n'],
    ['quotes', '"AKIAIOSFODNN7EXAMPLE"'],
  ])('strips %s', (_label, text) => {
    expect(parseKeyId(text)).toMatchObject({ ok: true, keyId: VALID });
  });

  it('returns the words after the id as the rest', () => {
    expect(parseKeyId(`${VALID} leaked in public repo`)).toMatchObject({ ok: true, rest: 'leaked in public repo' });
  });

  it.each([
    ['empty', '', 'empty', /no access key id/],
    ['too short', 'AKIA123', 'malformed', /16 characters after AKIA, found 3/],
    ['15 chars', 'AKIAIOSFODNN7EXAMP', 'malformed', /found 14/],
    ['AKIA + 15', 'AKIAIOSFODNN7EXAMPL', 'malformed', /found 15/],
    ['AKIA + 17', 'AKIAIOSFODNN7EXAMPLEE', 'malformed', /found 17/],
    ['lower case', 'akiaiosfodnn7example', 'malformed', /upper case/],
    ['digit 0', 'AKIAIOSF0DNN7EXAMPLE', 'malformed', /"0"/],
    ['digit 1', 'AKIAIOSF1DNN7EXAMPLE', 'malformed', /"1"/],
    ['digit 8 and 9', 'AKIAIOSF8DNN9EXAMPLE', 'malformed', /"8", "9"/],
    ['user unique id', 'AIDAIOSFODNN7EXAMPLE', 'malformed', /another IAM resource/],
    ['unknown text', 'help me', 'malformed', /starts with AKIA or ASIA/],
  ])('refuses %s', (_label, text, problem, detail) => {
    const r = parseKeyId(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problem).toBe(problem);
      expect(r.detail).toMatch(detail);
    }
  });

  it('refuses a pasted secret access key and never echoes it', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    for (const text of [secret, `${VALID} ${secret}`, `\`${secret}\``]) {
      const r = parseKeyId(text);
      expect(r).toMatchObject({ ok: false, problem: 'secret-pasted' });
      expect(JSON.stringify(r)).not.toContain(secret);
    }
  });
});

describe('looksLikeSecretKey', () => {
  it('tells secrets from ids and words', () => {
    expect(looksLikeSecretKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toBe(true);
    expect(looksLikeSecretKey(VALID)).toBe(false);
    expect(looksLikeSecretKey('a'.repeat(40))).toBe(false);
  });
});

it('masks a key id', () => {
  expect(maskKeyId(VALID)).toBe('AKIA…MPLE');
});

describe('wrappers and secrets inside text', () => {
  it.each([
    ['a trailing comma', 'AKIAIOSFODNN7EXAMPLE,'],
    ['a trailing full stop', 'AKIAIOSFODNN7EXAMPLE.'],
    ['parentheses', '(AKIAIOSFODNN7EXAMPLE)'],
    ['square brackets', '[AKIAIOSFODNN7EXAMPLE]'],
    ['single quotes and a colon', "'AKIAIOSFODNN7EXAMPLE':"],
  ])('strips %s', (_label, text) => {
    expect(parseKeyId(text)).toMatchObject({ ok: true, keyId: VALID });
  });

  it('finds a secret key glued to other text (`name=secret`) and refuses without echoing it', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    expect(containsSecretKey(`aws_secret_access_key=${secret}`)).toBe(true);
    const r = parseKeyId(`${VALID} aws_secret_access_key=${secret}`);
    expect(r).toMatchObject({ ok: false, problem: 'secret-pasted' });
    expect(JSON.stringify(r)).not.toContain(secret);
    // 41 characters of the same alphabet are not a secret key's shape.
    expect(containsSecretKey(`x=${secret}A`)).toBe(false);
  });

  it('a secret needs both cases (or / +) and upper case or digits: 40 upper-case letters are not one', () => {
    expect(looksLikeSecretKey('A'.repeat(40))).toBe(false);
    expect(looksLikeSecretKey(`${'a'.repeat(39)}/`)).toBe(false);
    expect(looksLikeSecretKey(`${'a'.repeat(39)}Z`)).toBe(true);
    expect(looksLikeSecretKey(`${'A'.repeat(39)}+`)).toBe(true);
    expect(looksLikeSecretKey(`${'a'.repeat(38)}Z`)).toBe(false);
  });

  it('names the prefix found when the length is wrong, for temporary keys too', () => {
    expect(parseKeyId('ASIA2345')).toMatchObject({ ok: false, detail: 'expected 16 characters after ASIA, found 4' });
    expect(parseKeyId('AROAIOSFODNN7EXAMPLE')).toMatchObject({ ok: false, detail: 'AROA… is a unique id of another IAM resource, not an access key id' });
  });
});

describe('what Slack delivers after /revoke-key or /key-owner', () => {
  const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const TEMP = 'ASIAIOSFODNN7EXAMPLE';

  it.each([
    ['a code span inside parentheses', '(`AKIAIOSFODNN7EXAMPLE`)', VALID, 'long-term', ''],
    ['a code span inside quotes', '"`AKIAIOSFODNN7EXAMPLE`"', VALID, 'long-term', ''],
    ['a code span followed by a full stop', '`ASIAIOSFODNN7EXAMPLE`.', TEMP, 'temporary', ''],
    ['parentheses with spaces inside', '( AKIAIOSFODNN7EXAMPLE )', VALID, 'long-term', ''],
    ['a Slack quote (escaped ">") before the id', '&gt; AKIAIOSFODNN7EXAMPLE leaked', VALID, 'long-term', 'leaked'],
    ['a code block glued to the reason', '```AKIAIOSFODNN7EXAMPLE```leaked on github', VALID, 'long-term', 'leaked on github'],
    ['a multi-line code block, reason on the next line', '```\nASIAIOSFODNN7EXAMPLE\n```\nsession token leaked', TEMP, 'temporary', 'session token leaked'],
    ['tabs and newlines between the words', 'AKIAIOSFODNN7EXAMPLE\tleaked\n in  the\r\nrepo', VALID, 'long-term', 'leaked in the repo'],
    ['a comma between the id and the reason', 'AKIAIOSFODNN7EXAMPLE, leaked', VALID, 'long-term', 'leaked'],
    ['escaped angle brackets and a reason', '&lt;ASIAIOSFODNN7EXAMPLE&gt; found in CI logs', TEMP, 'temporary', 'found in CI logs'],
  ])('reads the id and the reason from %s', (_label, text, keyId, kind, rest) => {
    expect(parseKeyId(text)).toEqual({ ok: true, keyId, kind, rest });
  });

  it.each([
    ['an escaped "<"', 'AKIAIOSFODNN7&lt;EXAMPLE'],
    ['an escaped ">"', 'AKIAIOSFODNN7&gt;EXAMPLE'],
    ['a quote', "AKIAIOSFODNN7'EXAMPLE"],
    ['a backtick', 'AKIAIOSFODNN7`EXAMPLE'],
    ['an opening parenthesis', 'AKIAIOSFODNN7(EXAMPLE'],
  ])('refuses an id with %s in the middle rather than silently dropping it', (_label, text) => {
    expect(parseKeyId(text)).toMatchObject({ ok: false, problem: 'malformed' });
  });

  it.each([
    ['a credentials-file line', 'aws_access_key_id=AKIAIOSFODNN7EXAMPLE'],
    ['an environment variable', 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE'],
    ['a labelled user id', 'userId=AIDAIOSFODNN7EXAMPLE'],
    ['a labelled role id', 'ROLEID=AROAIOSFODNN7EXAMPLE'],
  ])('tells the responder an id starts with AKIA or ASIA when given %s', (_label, text) => {
    const r = parseKeyId(text);
    expect(r).toMatchObject({ ok: false, problem: 'malformed' });
    if (!r.ok) {
      expect(r.detail).toMatch(/starts with AKIA or ASIA/);
      expect(r.detail).not.toMatch(/upper case|16 characters|another IAM resource/);
    }
  });

  it.each([
    ['a user', 'AIDAIOSFODNN7EXAMPLE', 'AIDA'],
    ['a role, with the session name CloudTrail appends', 'AROAIOSFODNN7EXAMPLE:i-0abc123', 'AROA'],
    ['a group', 'AGPAIOSFODNN7EXAMPLE', 'AGPA'],
    ['a managed policy', 'ANPAIOSFODNN7EXAMPLE', 'ANPA'],
    ['an instance profile', 'AIPAIOSFODNN7EXAMPLE', 'AIPA'],
  ])('explains that the unique id of %s is not an access key id', (_label, text, prefix) => {
    const r = parseKeyId(text);
    expect(r).toMatchObject({ ok: false, problem: 'malformed' });
    if (!r.ok) {
      expect(r.detail).toContain(`${prefix}…`);
      expect(r.detail).toMatch(/not an access key id/);
    }
  });

  it.each([
    ['all lower case', 'akiaiosfodnn7example'],
    ['a lower-case temporary key', 'asiaiosfodnn7example'],
    ['a lower-case prefix', 'akiaIOSFODNN7EXAMPLE'],
    ['a lower-case letter in the body', 'ASIAIOSFODNn7EXAMPLE'],
  ])('asks for upper case when the id is %s', (_label, text) => {
    expect(parseKeyId(text)).toMatchObject({ ok: false, problem: 'malformed', detail: 'access key ids are upper case' });
  });

  it.each([
    ['AKIAIOSF0DNN7EXAMPLE', ['0']],
    ['ASIAIOSF0DNN0EXAMP00', ['0']],
    ['AKIAIOSF8DNN9EXAMPL1', ['8', '9', '1']],
    ['AKIAIOSFODNN7EXAMP_E', ['_']],
  ])('names exactly the characters of %s that never appear in a key id, each once', (text, chars) => {
    const r = parseKeyId(text);
    expect(r).toMatchObject({ ok: false, problem: 'malformed' });
    if (!r.ok) {
      expect([...r.detail.matchAll(/"(.)"/g)].map((m) => m[1])).toEqual(chars);
      expect(r.detail).toMatch(/A-Z and 2-7/);
    }
  });

  it.each([
    ['on its own', SECRET],
    ['in a code span', `\`${SECRET}\``],
    ['in a code block on its own line', `\`\`\`\n${SECRET}\n\`\`\``],
    ['in escaped angle brackets', `&lt;${SECRET}&gt;`],
    ['in a sentence', `here it is: ${SECRET} sorry`],
    ['as the reason after the id', `${VALID} leaked together with ${SECRET}`],
    ['as a line of the credentials.csv download', `Access key ID,Secret access key\n${VALID},${SECRET}`],
    ['as an environment variable', `AWS_SECRET_ACCESS_KEY=${SECRET}`],
    ['after a temporary key id', `${TEMP}\t${SECRET}`],
  ])('refuses a secret access key pasted %s, says why, and never echoes it', (_label, text) => {
    const r = parseKeyId(text);
    expect(r).toMatchObject({ ok: false, problem: 'secret-pasted' });
    if (!r.ok) expect(r.detail).toMatch(/secret access key/);
    const shown = JSON.stringify(r);
    expect(shown).not.toContain(SECRET);
    expect(shown).not.toContain(SECRET.slice(0, 8));
    expect(shown).not.toContain(SECRET.slice(-8));
  });
});

describe('Slack escapes and wrappers in combination (each once refused as malformed)', () => {
  it.each([
    ['escaped angle brackets inside a code span', '`&lt;AKIAIOSFODNN7EXAMPLE&gt;` leaked', 'leaked'],
    ['escaped angle brackets inside parentheses', '(&lt;AKIAIOSFODNN7EXAMPLE&gt;) leaked', 'leaked'],
    ['escaped angle brackets and a comma', '&lt;AKIAIOSFODNN7EXAMPLE&gt;, leaked', 'leaked'],
    ['typographic quotes', '\u201CAKIAIOSFODNN7EXAMPLE\u201D leaked', 'leaked'],
    ['Slack bold', '*AKIAIOSFODNN7EXAMPLE* leaked', 'leaked'],
    ['Slack italic', '_AKIAIOSFODNN7EXAMPLE_ leaked', 'leaked'],
  ])('reads the id from %s', (_label, text, rest) => {
    expect(parseKeyId(text)).toEqual({ ok: true, keyId: VALID, kind: 'long-term', rest });
  });

  it('keeps the reason as typed, punctuation and Slack-escaped characters decoded', () => {
    expect(parseKeyId(`${VALID} leaked, see #ir-42 (a <pastebin> & a gist).`)).toMatchObject({ ok: true, rest: 'leaked, see #ir-42 (a <pastebin> & a gist).' });
    expect(parseKeyId(`${VALID} leaked, see &lt;pastebin&gt; &amp; a gist`)).toMatchObject({ ok: true, rest: 'leaked, see <pastebin> & a gist' });
  });

  it('names the "<" of an id with an escaped angle bracket inside, not its case', () => {
    const r = parseKeyId('AKIAIOSFODNN7&lt;EXAMPLE');
    expect(r).toMatchObject({ ok: false, problem: 'malformed' });
    if (!r.ok) expect(r.detail).not.toMatch(/upper case/);
  });

  it('takes a git commit id in the reason for what it is, not for a secret key', () => {
    const sha = '3f786850e387550fdab836ed7e6dc881de23001b';
    expect(looksLikeSecretKey(sha)).toBe(false);
    expect(containsSecretKey(`leaked in commit ${sha}`)).toBe(false);
    expect(parseKeyId(`${VALID} leaked in commit ${sha}`)).toEqual({ ok: true, keyId: VALID, kind: 'long-term', rest: `leaked in commit ${sha}` });
  });
});

describe('one rule for secrets in free text (commands, reasons, resolutions, modal fields, logs)', () => {
  const WITH_SLASH = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const PLAIN = 'wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY1';
  const PLUS = 'wJalrXUtnFEMI+K7MDENG+bPxRfiCYEXAMPLEKEY';
  const COMMIT = '3f786850e387550fdab836ed7e6dc881de23001b';
  it.each<[string, string, boolean]>([
    ['a secret on its own, with /', WITH_SLASH, true],
    ['a secret without / or +', PLAIN, true],
    ['a secret with +', PLUS, true],
    ['labelled as in ~/.aws/credentials', `aws_secret_access_key=${PLAIN}`, true],
    ['labelled with spaces', `aws_secret_access_key = ${WITH_SLASH}`, true],
    ['labelled as an environment variable', `AWS_SECRET_ACCESS_KEY:${PLUS}`, true],
    ['labelled in JSON', `{"SecretAccessKey": "${PLAIN}"}`, true],
    ['in a sentence', `rotated; the old one was ${WITH_SLASH}, sorry`, true],
    ['labelled, any 40 characters (even hex)', `aws_secret_access_key=${COMMIT}`, true],
    ['a git commit id', `leaked in commit ${COMMIT}`, false],
    ['a commit URL', `https://github.com/example-org/payments/commit/${COMMIT}`, false],
    ['a key id and words', 'AKIAIOSFODNN7EXAMPLE leaked in a public gist', false],
    ['41 characters', `x=${PLAIN}A`, false],
    ['a label with a shorter value', 'aws_secret_access_key=short', false],
  ])('%s', (_l, text, secret) => {
    expect(containsSecretKey(text)).toBe(secret);
    // What redaction leaves holds no secret, and text without one is left as it was.
    const redacted = redactSecretKeys(text);
    expect(containsSecretKey(redacted)).toBe(false);
    if (!secret) expect(redacted).toBe(text);
    else expect(redacted).toContain(SECRET_REDACTED);
  });
});
