import { describe, expect, it } from 'vitest';
import { isBearerToken, parseAuthChallenges, selectAuthChallenge } from '../../../lib/oci/transport/authChallenge';

describe('parseAuthChallenges', () => {
  it.each([
    {
      name: 'a Docker Hub Bearer challenge',
      header: 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      expected: [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } }],
    },
    {
      name: 'an ECR Basic challenge',
      header: 'Basic realm="https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/",service="ecr.amazonaws.com"',
      expected: [{ scheme: 'basic', params: { realm: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/', service: 'ecr.amazonaws.com' } }],
    },
    {
      name: 'distribution insufficient_scope with several scopes',
      header: 'Bearer realm="http://127.0.0.1:9/token",service="reg",scope="repository:a:pull repository:b:pull,push",error="insufficient_scope"',
      expected: [{ scheme: 'bearer', params: { realm: 'http://127.0.0.1:9/token', service: 'reg', scope: 'repository:a:pull repository:b:pull,push', error: 'insufficient_scope' } }],
    },
    {
      name: 'two challenges in one header, mixed case, spaces and unquoted values',
      header: 'BASIC realm=simple , Bearer  Realm = "https://a/token" ,Service=x',
      expected: [
        { scheme: 'basic', params: { realm: 'simple' } },
        { scheme: 'bearer', params: { realm: 'https://a/token', service: 'x' } },
      ],
    },
    {
      name: 'escaped quotes and commas inside quoted values',
      header: 'Bearer realm="https://a/t?x=1,2",service="say \\"hi\\""',
      expected: [{ scheme: 'bearer', params: { realm: 'https://a/t?x=1,2', service: 'say "hi"' } }],
    },
    { name: 'a bare scheme', header: 'Basic', expected: [{ scheme: 'basic', params: {} }] },
    { name: 'a token68 credential form', header: 'Negotiate abc123==', expected: [{ scheme: 'negotiate', params: { token68: 'abc123==' } }] },
  ])('parses $name', ({ header, expected }) => {
    // Act
    const challenges = parseAuthChallenges(header);

    // Assess
    expect(challenges).toEqual(expected);
  });

  it('parses several header values and ignores an absent header', () => {
    expect(parseAuthChallenges(['Basic realm="a"', 'Bearer realm="b"']).map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(parseAuthChallenges(undefined)).toEqual([]);
  });
});

describe('selectAuthChallenge', () => {
  it('prefers Bearer with a realm over Basic', () => {
    expect(selectAuthChallenge(parseAuthChallenges('Basic realm="x", Bearer realm="https://a/token"'))?.scheme).toBe('bearer');
  });

  it('falls back to Basic when Bearer has no realm, and to nothing for unknown schemes', () => {
    expect(selectAuthChallenge(parseAuthChallenges('Bearer service="x", Basic realm="r"'))?.scheme).toBe('basic');
    expect(selectAuthChallenge(parseAuthChallenges('Negotiate abc'))).toBeUndefined();
  });
});

describe('isBearerToken (RFC 6750 b64token)', () => {
  it.each(['eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_', 'abc~+/def==', 'QQ'])('accepts %s', (token) => {
    // Act & Assess
    expect(isBearerToken(token)).toBe(true);
  });

  it.each([
    ['a line break', 'abc\r\nx-injected: 1'],
    ['U+010D U+010A', 'abc\u010d\u010ax-injected: 1'],
    ['a space', 'abc def'],
    ['padding in the middle', 'ab=c'],
    ['a quote', 'abc"'],
    ['an empty string', ''],
  ])('refuses %s', (_what, token) => {
    // Act & Assess
    expect(isBearerToken(token)).toBe(false);
  });
});
