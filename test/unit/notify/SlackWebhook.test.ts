import { afterEach, describe, expect, it, vi } from 'vitest';
import { AutopilotError } from '../../../lib/errors';
import { checkWebhookUrl, SlackWebhook } from '../../../lib/notify/publish/SlackWebhook';
import { startWebhookServer } from '../../support/webhookServer';

function refusal(url: string): AutopilotError {
  try {
    checkWebhookUrl(url);
  } catch (error) {
    if (error instanceof AutopilotError) return error;
    throw error;
  }
  throw new Error(`${url} was accepted`);
}

describe('checkWebhookUrl', () => {
  it.each([
    'https://hooks.slack.com/services/T0/B0/secret',
    'https://hooks.slack-gov.com/services/T0/B0/secret',
    'http://127.0.0.1:8080/hook',
    'https://localhost/hook',
    'http://[::1]:9000/hook',
  ])('accepts %s', (url) => {
    // Act & Assess
    expect(checkWebhookUrl(url)).toBe(new URL(url).toString());
  });

  it.each([
    ['plain http to Slack', 'http://hooks.slack.com/services/T0/B0/secret', 'http://hooks.slack.com'],
    ['another host', 'https://hooks.example.com/services/T0/B0/secret', 'https://hooks.example.com'],
    ['a look-alike host', 'https://hooks.slack.com.evil.example/services/T0/B0/secret', 'https://hooks.slack.com.evil.example'],
    ['a loopback look-alike', 'http://localhost.evil.example/services/T0/B0/secret', 'http://localhost.evil.example'],
    ['another scheme on loopback', 'ftp://127.0.0.1/services/T0/B0/secret', 'ftp://127.0.0.1'],
  ])('refuses %s without revealing the secret path', (_what, url, shown) => {
    // Act
    const error = refusal(url);

    // Assess
    expect(error.code).toBe('SECRET_INVALID');
    expect(error.message).toContain(`points at ${shown},`);
    expect(error.message).not.toContain('T0/B0');
    expect(error.message).not.toContain('/services/');
  });

  it.each([
    ['user info on Slack', 'https://hookuser:hookpass@hooks.slack.com/services/T0/B0/secret'],
    ['a user name alone', 'https://hookuser@hooks.slack.com/services/T0/B0/secret'],
    ['user info on loopback', 'http://hookuser:hookpass@127.0.0.1:8080/services/T0/B0/secret'],
  ])('refuses %s without revealing it or the secret path', (_what, url) => {
    // Act
    const error = refusal(url);

    // Assess
    expect(error.code).toBe('SECRET_INVALID');
    expect(error.message).toMatch(/user info/);
    expect(error.message).not.toMatch(/hookuser|hookpass|T0\/B0/);
  });

  it.each([
    'https://hooks.slack.com:8443/services/T0/B0/secret',
    'https://hooks.slack.com:80/services/T0/B0/secret',
  ])('refuses Slack on a port other than 443: %s', (url) => {
    // Act
    const error = refusal(url);

    // Assess
    expect(error.code).toBe('SECRET_INVALID');
    expect(error.message).not.toMatch(/T0\/B0|\/services\//);
  });

  describe('in a Lambda', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it('never posts into the Lambda Runtime API, whichever loopback name the secret uses for it', async () => {
      // Prepare: a server standing in for the runtime API of this function.
      const runtime = await startWebhookServer({ status: 202, body: '{"status":"OK"}' });
      const port = new URL(runtime.origin).port;
      vi.stubEnv('AWS_LAMBDA_RUNTIME_API', `127.0.0.1:${port}`);
      try {
        for (const url of [`http://127.0.0.1:${port}/2018-06-01/runtime/init/error`, `http://localhost:${port}/2018-06-01/runtime/invocation/abc/response`, `https://[::1]:${port}/x`]) {
          // Act
          const post = new SlackWebhook({ url: async () => url, sleep: async () => undefined }).post({ text: 'hi', blocks: [] });

          // Assess
          await expect(post).rejects.toMatchObject({ code: 'SECRET_INVALID', message: expect.stringMatching(/the Lambda Runtime API of this function/) });
        }
        expect(runtime.received).toEqual([]);
        expect(checkWebhookUrl(`http://127.0.0.1:${Number(port) + 1}/hook`)).toBe(`http://127.0.0.1:${Number(port) + 1}/hook`);
      } finally {
        await runtime.close();
      }
    });
  });

  it('accepts Slack with the default port written out', () => {
    // Act & Assess
    expect(checkWebhookUrl('https://hooks.slack.com:443/services/T0/B0/secret')).toBe('https://hooks.slack.com/services/T0/B0/secret');
  });

  it('refuses a value that is not a URL, without echoing it', () => {
    // Act
    const error = refusal('hooks.slack.com/services/T0/B0/s3cr3t');

    // Assess
    expect(error.code).toBe('SECRET_INVALID');
    expect(error.message).not.toContain('s3cr3t');
  });
});

describe('SlackWebhook.post after a stop', () => {
  it('reads no secret and posts nothing once the signal fired (the secret read cannot take the signal)', async () => {
    // Prepare
    let secretReads = 0;
    const webhook = new SlackWebhook({
      url: async () => {
        secretReads += 1;
        return 'http://127.0.0.1:9/hook';
      },
    });
    const stopped = new AbortController();
    stopped.abort(new AutopilotError('ABORTED', 'the time budget ran out'));

    // Act
    const posting = webhook.post({ text: 'hello', blocks: [] }, { signal: stopped.signal });

    // Assess
    await expect(posting).rejects.toMatchObject({ code: 'ABORTED' });
    expect(secretReads).toBe(0);
  });
});
