/**
 * `WWW-Authenticate` parsing (RFC 7235 §4.1). Registries answer 401 with one or more challenges:
 * `Bearer realm="https://auth.example/token",service="registry",scope="repository:app:pull"` for
 * token auth, or `Basic realm="…"` (ECR, htpasswd).
 */

/** One challenge. The scheme is lower-cased; parameter names are lower-cased, values kept verbatim. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

class Scanner {
  position = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.position >= this.text.length;
  }

  peek(): string {
    return this.text[this.position] ?? '';
  }

  skipWhitespace(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.position += 1;
  }

  skipSeparators(): void {
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === ',') this.position += 1;
  }

  readToken(): string {
    const start = this.position;
    while (!this.done && TOKEN_CHAR.test(this.peek())) this.position += 1;
    return this.text.slice(start, this.position);
  }

  /** A token68 value (`Basic dXNlcg==`): token characters plus `/` and trailing `=`. */
  readToken68(): string {
    const start = this.position;
    while (!this.done && /[A-Za-z0-9\-._~+/]/.test(this.peek())) this.position += 1;
    while (this.peek() === '=') this.position += 1;
    return this.text.slice(start, this.position);
  }

  readQuoted(): string {
    // Caller has seen the opening quote.
    this.position += 1;
    let value = '';
    while (!this.done) {
      const char = this.peek();
      this.position += 1;
      if (char === '\\') {
        value += this.peek();
        this.position += 1;
      } else if (char === '"') {
        return value;
      } else {
        value += char;
      }
    }
    return value;
  }

  /**
   * True when the text at the cursor is `name = value`, i.e. an auth-param rather than a new
   * scheme or a token68 (whose `=` padding is followed by nothing, `=` or `,`).
   */
  atParam(): boolean {
    const saved = this.position;
    this.skipWhitespace();
    const name = this.readToken();
    this.skipWhitespace();
    let isParam = false;
    if (name !== '' && this.peek() === '=') {
      this.position += 1;
      this.skipWhitespace();
      isParam = !this.done && this.peek() !== '=' && this.peek() !== ',';
    }
    this.position = saved;
    return isParam;
  }
}

/**
 * Parses every challenge in one or several `WWW-Authenticate` header values.
 *
 * @example
 * parseAuthChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io"');
 * // [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io' } }]
 */
export function parseAuthChallenges(header: string | readonly string[] | undefined): AuthChallenge[] {
  if (header === undefined) return [];
  const values = typeof header === 'string' ? [header] : header;
  const challenges: AuthChallenge[] = [];
  for (const value of values) {
    const scanner = new Scanner(value);
    scanner.skipSeparators();
    while (!scanner.done) {
      const scheme = scanner.readToken();
      if (scheme === '') {
        // Unparseable garbage: skip one character so we always make progress.
        scanner.position += 1;
        scanner.skipSeparators();
        continue;
      }
      const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} };
      challenges.push(challenge);
      scanner.skipWhitespace();
      if (!scanner.atParam() && !scanner.done && scanner.peek() !== ',') {
        const token68 = scanner.readToken68();
        if (token68 !== '') challenge.params.token68 = token68;
      }
      for (;;) {
        scanner.skipSeparators();
        if (scanner.done || !scanner.atParam()) break;
        const name = scanner.readToken().toLowerCase();
        scanner.skipWhitespace();
        scanner.position += 1; // '='
        scanner.skipWhitespace();
        challenge.params[name] = scanner.peek() === '"' ? scanner.readQuoted() : scanner.readToken();
      }
    }
  }
  return challenges;
}

/**
 * The challenge we answer: Bearer when offered (it carries the token realm), else Basic.
 *
 * @example
 * selectAuthChallenge(parseAuthChallenges('Basic realm="x", Bearer realm="https://a/token"'))?.scheme; // 'bearer'
 */
export function selectAuthChallenge(challenges: readonly AuthChallenge[]): AuthChallenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer' && c.params.realm) ?? challenges.find((c) => c.scheme === 'basic');
}

/** RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * True when a token can be sent as `Authorization: Bearer <token>` (RFC 6750's `b64token`). A token
 * server's answer is untrusted: a token with a line break would add headers to our request.
 *
 * @example
 * isBearerToken('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.sig'); // true
 * isBearerToken('abc\r\nx-injected: 1'); // false
 */
export function isBearerToken(token: string): boolean {
  return B64TOKEN.test(token);
}
