import { containsSecretKey, parseKeyId, looksLikeSecretKey, maskKeyId } from '../../src/domain/key-id';

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
