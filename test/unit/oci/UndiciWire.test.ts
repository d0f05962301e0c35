import { afterEach, describe, expect, it } from 'vitest';
import { HttpWire } from '../../../lib/oci/transport/HttpWire';
import { proxySettings, UndiciWire, wireForEnvironment } from '../../../lib/oci/transport/UndiciWire';
import { get, startHttpServer, stopWireTestServers, text } from '../../support/wireTestServers';

describe('wireForEnvironment', () => {
  it.each([
    [{}, HttpWire],
    [{ NO_PROXY: 'internal.example' }, HttpWire],
    [{ HTTPS_PROXY: '' }, HttpWire],
    [{ HTTPS_PROXY: 'http://proxy.corp:3128' }, UndiciWire],
    [{ http_proxy: 'http://proxy.corp:3128' }, UndiciWire],
  ])('for %j is a %o', (env, kind) => {
    expect(wireForEnvironment(env)).toBeInstanceOf(kind);
  });
});

describe('proxySettings', () => {
  it('reads both spellings, the lower-case one first (as curl and undici do), with NO_PROXY', () => {
    expect(proxySettings({ HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2', HTTP_PROXY: 'http://plain:3', NO_PROXY: '.corp,localhost' })).toEqual({
      httpsProxy: 'http://lower:2',
      httpProxy: 'http://plain:3',
      noProxy: '.corp,localhost',
    });
  });

  it('is undefined without a proxy', () => {
    expect(proxySettings({ NO_PROXY: '*' })).toBeUndefined();
  });
});

describe('UndiciWire', () => {
  const saved = process.env.HTTP_PROXY;

  afterEach(async () => {
    if (saved === undefined) delete process.env.HTTP_PROXY;
    else process.env.HTTP_PROXY = saved;
    await stopWireTestServers();
  });

  it('uses only the settings it was given, never a proxy from process.env behind their back', async () => {
    // Prepare: a proxy in the environment that would refuse every connection
    process.env.HTTP_PROXY = 'http://127.0.0.1:1';
    const server = await startHttpServer((_request, response) => response.end('direct'));
    const wire = new UndiciWire({ httpsProxy: 'http://127.0.0.1:1' });

    try {
      // Act
      const body = await text(await wire.exchange(get(server.url)));

      // Assess
      expect(body).toBe('direct');
    } finally {
      wire.close();
    }
  });
});
