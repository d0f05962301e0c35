/**
 * A token issuer for distribution's `auth.token` mode, run in-process by tests.
 *
 * It implements the Docker token flow: `GET /token?service=…&scope=repository:app:pull,push` with
 * optional Basic credentials, answering `{ token, access_token, expires_in, issued_at }`. Tokens
 * are ES256 JWTs with the self-signed signing certificate in the `x5c` header: distribution 2.8
 * verifies that chain against `rootcertbundle` (its `kid` path instead expects a libtrust key
 * fingerprint, which `x5c` avoids). The certificate is generated with `openssl` per issuer.
 *
 * Every request is recorded in `requests`, so tests can assert what was asked for.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { importPKCS8, SignJWT } from 'jose';
import { selfSignedCertificate } from './certificates';

/** One resource grant in a token, as distribution reads it. */
export interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenIssuerOptions {
  /** user → password. Authenticated users get every action they ask for. */
  users?: Record<string, string>;
  /** Anonymous callers get `pull` (and nothing else) when true; otherwise they get 401. */
  allowAnonymousPull?: boolean;
  /** The registry's service name (the token audience). Default `test-registry`. */
  service?: string;
  /** The `iss` claim. Default `test-token-issuer`. */
  issuer?: string;
  /** `expires_in` handed out. Default 300. */
  tokenLifetimeSeconds?: number;
}

/** What the issuer saw. */
export interface TokenRequestRecord {
  user: string | undefined;
  service: string | null;
  scopes: string[];
  status: number;
}

export interface TokenIssuer {
  /** `http://127.0.0.1:<port>/token`. */
  realm: string;
  service: string;
  issuer: string;
  /** PEM of the signing certificate, for the registry's `rootcertbundle`. */
  rootCertificatePem: string;
  requests: TokenRequestRecord[];
  /** Mints a token directly (for test setup that pushes with raw HTTP). */
  mintToken(subject: string, access: TokenAccess[]): Promise<string>;
  stop(): Promise<void>;
}

/** Splits `repository:team/app:pull,push` (names never contain the last colon's suffix). */
function parseScope(scope: string): TokenAccess | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last <= first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter((a) => a !== '') };
}

function basicUser(request: IncomingMessage): { user: string; password: string } | undefined {
  const header = request.headers.authorization ?? '';
  if (!header.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Starts a token issuer on a free loopback port.
 *
 * @example
 * const issuer = await startTokenIssuer({ users: { alice: 's3cret' } });
 * const registry = await startRegistry({ auth: { token: issuer } });
 */
export async function startTokenIssuer(options: TokenIssuerOptions = {}): Promise<TokenIssuer> {
  const service = options.service ?? 'test-registry';
  const issuerName = options.issuer ?? 'test-token-issuer';
  const lifetime = options.tokenLifetimeSeconds ?? 300;
  const { key: keyPem, cert: certificatePem } = selfSignedCertificate('ecr-autopilot test token issuer');
  const key = await importPKCS8(keyPem, 'ES256');
  const certificateDer = certificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');

  const mintToken = (subject: string, access: TokenAccess[]): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ access })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [certificateDer] })
      .setIssuer(issuerName)
      .setSubject(subject)
      .setAudience(service)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + lifetime)
      .setJti(randomUUID())
      .sign(key);
  };

  const requests: TokenRequestRecord[] = [];
  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://issuer');
      const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter((s) => s !== '');
      const credentials = basicUser(request);
      const record: TokenRequestRecord = { user: credentials?.user, service: url.searchParams.get('service'), scopes, status: 200 };
      requests.push(record);
      const authenticated = credentials !== undefined && options.users?.[credentials.user] === credentials.password;
      if ((credentials !== undefined && !authenticated) || (credentials === undefined && !options.allowAnonymousPull)) {
        record.status = 401;
        response.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="token"' });
        response.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
        return;
      }
      const access = scopes.flatMap((scope) => {
        const parsed = parseScope(scope);
        if (!parsed) return [];
        return [{ ...parsed, actions: authenticated ? parsed.actions : parsed.actions.filter((a) => a === 'pull') }];
      });
      const token = await mintToken(credentials?.user ?? '', access);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ token, access_token: token, expires_in: lifetime, issued_at: new Date().toISOString() }));
    })().catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer: issuerName,
    rootCertificatePem: certificatePem,
    requests,
    mintToken,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
