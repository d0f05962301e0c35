import { describe, expect, it, vi } from 'vitest';
import { anonymousCredentials, parseUserPassword, staticCredentials } from '../../../lib/oci/transport/credentials';
import { ECR_TOKEN_REFRESH_MARGIN_MS, type EcrAuthorizationToken, ecrCredentials } from '../../../lib/oci/transport/ecrCredentials';

const HOUR = 3_600_000;

function ecrToken(password: string, expiresAtMs: number): EcrAuthorizationToken {
  return {
    authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'),
    expiresAt: new Date(expiresAtMs),
    proxyEndpoint: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com',
  };
}

describe('ecrCredentials', () => {
  it('decodes AWS:<password> and caches it until 5 minutes before expiry', async () => {
    // Prepare
    let now = 0;
    let issued = 0;
    const getToken = vi.fn(() => Promise.resolve(ecrToken(`pw${++issued}`, now + 12 * HOUR)));
    const provider = ecrCredentials(getToken, { now: () => now });

    // Act / Assess
    expect(await provider.credential()).toEqual({ username: 'AWS', password: 'pw1' });
    now = 12 * HOUR - ECR_TOKEN_REFRESH_MARGIN_MS - 1;
    expect(await provider.credential()).toEqual({ username: 'AWS', password: 'pw1' });
    expect(getToken).toHaveBeenCalledTimes(1);
    now += 1;
    expect(await provider.credential()).toEqual({ username: 'AWS', password: 'pw2' });
    expect(getToken).toHaveBeenCalledTimes(2);
  });

  it('shares one GetAuthorizationToken call between concurrent callers', async () => {
    const getToken = vi.fn(() => Promise.resolve(ecrToken('pw', 12 * HOUR)));
    const provider = ecrCredentials(getToken, { now: () => 0 });
    await Promise.all([provider.credential(), provider.credential(), provider.credential()]);
    expect(getToken).toHaveBeenCalledTimes(1);
  });

  it('fetches a new token after invalidate (the registry rejected the old one)', async () => {
    let issued = 0;
    const provider = ecrCredentials(() => Promise.resolve(ecrToken(`pw${++issued}`, 12 * HOUR)), { now: () => 0 });
    await provider.credential();
    provider.invalidate();
    expect((await provider.credential())?.password).toBe('pw2');
  });

  it('does not cache a token that is already inside the refresh margin', async () => {
    const getToken = vi.fn(() => Promise.resolve(ecrToken('short', 60_000)));
    const provider = ecrCredentials(getToken, { now: () => 0 });
    await provider.credential();
    await provider.credential();
    expect(getToken).toHaveBeenCalledTimes(2);
  });

  it('rejects a token that is not AWS:<password>, and passes fetch failures through', async () => {
    const garbage = ecrCredentials(() => Promise.resolve({ ...ecrToken('x', HOUR), authorizationToken: Buffer.from('nocolon').toString('base64') }));
    await expect(garbage.credential()).rejects.toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
    const failing = ecrCredentials(() => Promise.reject(new Error('no AWS credentials')));
    await expect(failing.credential()).rejects.toThrow('no AWS credentials');
  });

  it('never shows the password in its description', () => {
    expect(ecrCredentials(() => Promise.resolve(ecrToken('secret', HOUR))).description).toBe('ECR GetAuthorizationToken');
  });
});

describe('static and anonymous credentials', () => {
  it('parses user:password with colons in the password', () => {
    expect(parseUserPassword('ci:pa:ss')).toEqual({ username: 'ci', password: 'pa:ss' });
    expect(parseUserPassword('ci:')).toEqual({ username: 'ci', password: '' });
  });

  it.each(['', 'nocolon', ':password'])('rejects "%s" with USAGE', (text) => {
    expect(() => parseUserPassword(text, '--src-creds')).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('--src-creds') }));
  });

  it('describes providers without secrets', async () => {
    const provider = staticCredentials({ username: 'ci', password: 'hunter2' });
    expect(provider.description).toBe('user "ci"');
    expect(await provider.credential()).toEqual({ username: 'ci', password: 'hunter2' });
    expect(await anonymousCredentials.credential()).toBeUndefined();
  });
});

describe('ecrAuthorizationTokenFromSdk', () => {
  it('maps the first authorizationData entry and translates AccessDenied', async () => {
    // Prepare
    const { mockClient } = await import('aws-sdk-client-mock');
    const { ECRClient, GetAuthorizationTokenCommand } = await import('@aws-sdk/client-ecr');
    const { ecrAuthorizationTokenFromSdk } = await import('../../../lib/oci/transport/ecrCredentials');
    const ecr = mockClient(ECRClient);
    const expiresAt = new Date('2026-01-01T12:00:00Z');
    ecr
      .on(GetAuthorizationTokenCommand)
      .resolvesOnce({ authorizationData: [{ authorizationToken: 'QVdTOnB3', expiresAt, proxyEndpoint: 'https://1.dkr.ecr' }] })
      .rejectsOnce(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    const getToken = ecrAuthorizationTokenFromSdk(new ECRClient({ region: 'eu-west-1' }));

    // Act / Assess
    await expect(getToken()).resolves.toEqual({ authorizationToken: 'QVdTOnB3', expiresAt, proxyEndpoint: 'https://1.dkr.ecr' });
    await expect(getToken()).rejects.toMatchObject({ code: 'REGISTRY_UNAUTHORIZED', message: expect.stringContaining('ecr:GetAuthorizationToken') });
    ecr.restore();
  });
});
