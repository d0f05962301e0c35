import { describe, expect, it } from 'vitest';
import { helperServerUrl, runCredentialHelper } from '../../../lib/oci/transport/credentialHelper';
import { fakeCredentialHelpers } from '../../support/credentialHelpers';

const origin = (helper: string) => ({ helper, configuredIn: 'credsStore in /home/me/.docker/config.json' });

describe('runCredentialHelper', () => {
  const fake = fakeCredentialHelpers({
    store: {
      'quay.io': { username: 'robot', secret: 's3cret' },
      'https://index.docker.io/v1/': { username: 'hubuser', secret: 'dckr_pat_x' },
      'token.example': { username: '<token>', secret: 'refresh' },
      'garbage.example': { raw: 'Password: hunter2 is not JSON' },
      'broken.example': { raw: 'error getting credentials - err: exit status 1, out: `gpg: decryption failed`', exitCode: 1 },
      'empty.example': { username: '', secret: '' },
      'huge.example': { raw: 'x'.repeat(70_000) },
    },
    stuck: { hang: true },
  });
  const env = { ...process.env, PATH: fake.path };

  it('sends the server on stdin, never in the arguments, and reads the credential', async () => {
    await expect(runCredentialHelper(origin('store'), 'quay.io', { env })).resolves.toEqual({ username: 'robot', password: 's3cret' });

    expect(fake.runs('store').at(-1)).toMatchObject({ argv: 'get', server: 'quay.io' });
  });

  it("asks about Docker Hub by docker login's index URL", async () => {
    expect(helperServerUrl('registry-1.docker.io')).toBe('https://index.docker.io/v1/');

    await expect(runCredentialHelper(origin('store'), 'registry-1.docker.io', { env })).resolves.toEqual({ username: 'hubuser', password: 'dckr_pat_x' });
  });

  it('returns nothing for a server the helper does not know, or an empty answer', async () => {
    await expect(runCredentialHelper(origin('store'), 'ghcr.io', { env })).resolves.toBeUndefined();
    await expect(runCredentialHelper(origin('store'), 'empty.example', { env })).resolves.toBeUndefined();
  });

  it.each([
    ['token.example', /holds an identity token \(an OAuth login\), which ecr-autopilot cannot use/],
    ['garbage.example', /answered with something that is not JSON \("Password: hunter2 is not JSON"\)/],
    ['broken.example', /failed \(exit 1: "error getting credentials - err: exit status 1, out: `gpg: decryption failed`"\); run it by hand/],
    ['huge.example', /wrote more than 65536 bytes/],
  ])('fails clearly, naming the helper and where it was configured, for %s', async (server, message) => {
    const failure = runCredentialHelper(origin('store'), server, { env });

    await expect(failure).rejects.toMatchObject({ code: 'REGISTRY_UNAUTHORIZED', source: 'user' });
    await expect(failure).rejects.toThrow(message);
    await expect(failure).rejects.toThrow('docker-credential-store (credsStore in /home/me/.docker/config.json)');
  });

  it('says when the helper is not installed', async () => {
    await expect(runCredentialHelper(origin('absent'), 'quay.io', { env })).rejects.toThrow(
      'The credential helper docker-credential-absent (credsStore in /home/me/.docker/config.json) is not installed (not on PATH); install docker-credential-absent, or remove it from the file',
    );
  });

  it('gives up on a helper that never answers', async () => {
    await expect(runCredentialHelper(origin('stuck'), 'quay.io', { env, timeoutMs: 200 })).rejects.toThrow('did not answer within 0.2 s; run it by hand to see whether it waits for input');
  });

  it('refuses a helper name that is a path or carries shell characters', async () => {
    await expect(runCredentialHelper(origin('../../bin/sh'), 'quay.io', { env })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('is not a plain name') });
    await expect(runCredentialHelper(origin('x;rm -rf'), 'quay.io', { env })).rejects.toMatchObject({ code: 'USAGE' });
  });
});
