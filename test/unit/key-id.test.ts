import { parseKeyId, looksLikeSecretKey, maskKeyId } from '../../src/domain/key-id';

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
