import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { buildCopyCredentials, DESTINATION_CREDENTIALS_ENV, SOURCE_CREDENTIALS_ENV } from '../../../cli/copyCredentials';
import type { EcrAuthorizationToken } from '../../../lib/oci/transport/ecrCredentials';
import { fakeCredentialHelpers } from '../../support/credentialHelpers';

const ecrHost = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const basic = (user: string, password: string) => ({ auth: Buffer.from(`${user}:${password}`).toString('base64') });

/** A home directory holding a Docker config.json and a containers auth.json with the given contents. */
function homeWith(files: { docker?: unknown; containers?: unknown }): string {
  const home = mkdtempSync(join(tmpdir(), 'copy-credentials-home-'));
  if (files.docker) {
    mkdirSync(join(home, '.docker'));
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify(files.docker));
  }
  if (files.containers) {
    mkdirSync(join(home, '.config', 'containers'), { recursive: true });
    writeFileSync(join(home, '.config', 'containers', 'auth.json'), JSON.stringify(files.containers));
  }
  return home;
}

function ecrToken(password: string): () => () => Promise<EcrAuthorizationToken> {
  const token = { authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'), expiresAt: new Date(Date.now() + 3_600_000), proxyEndpoint: `https://${ecrHost}` };
  return () => () => Promise.resolve(token);
}

describe('buildCopyCredentials', () => {
  const empty = { env: {}, home: homeWith({}) };

  it('gives ECR hosts GetAuthorizationToken credentials, others anonymous or the flags', async () => {
    // Prepare
    const ecrTokenFor = vi.fn(ecrToken('ecr-password'));

    // Act
    const { credentials } = await buildCopyCredentials({ source: 'quay.io/team/app:1', destination: `${ecrHost}/mirror/app:1`, srcCreds: 'robot:token' }, { ...empty, ecrTokenFor });

    // Assess
    expect(await credentials(ecrHost).credential()).toEqual({ username: 'AWS', password: 'ecr-password' });
    expect(credentials(ecrHost).description).toBe('ECR GetAuthorizationToken');
    expect(ecrTokenFor).toHaveBeenCalledWith({ accountId: '123456789012', region: 'eu-west-1' });
    expect(credentials(ecrHost)).toBe(credentials(ecrHost));
    expect(await credentials('quay.io').credential()).toEqual({ username: 'robot', password: 'token' });
    expect(credentials('quay.io').description).toBe('user "robot" (--src-creds)');
    expect(credentials('public.ecr.aws').description).toBe('anonymous');
  });

  it('uses the destination credentials for a registry both sides name, with a warning', async () => {
    const { credentials, warning } = await buildCopyCredentials({ source: 'ghcr.io/a/b:1', destination: 'ghcr.io/c/d:1', srcCreds: 'reader:r', destCreds: 'writer:w' }, empty);

    expect(credentials('ghcr.io').description).toBe('user "writer" (--dest-creds)');
    expect(warning).toBe('Source and destination are both on ghcr.io; using the destination\'s credentials (user "writer" (--dest-creds)) for both');
  });

  it(`reads ${SOURCE_CREDENTIALS_ENV} and ${DESTINATION_CREDENTIALS_ENV} for CI, the flags winning over them`, async () => {
    const env = { [SOURCE_CREDENTIALS_ENV]: 'ci-reader:r3ad', [DESTINATION_CREDENTIALS_ENV]: 'ci-writer:wr1te' };

    const fromEnv = (await buildCopyCredentials({ source: 'quay.io/a:1', destination: 'ghcr.io/b:1' }, { ...empty, env })).credentials;
    const flagged = (await buildCopyCredentials({ source: 'quay.io/a:1', destination: 'ghcr.io/b:1', destCreds: 'typed:t' }, { ...empty, env })).credentials;

    expect(await fromEnv('quay.io').credential()).toEqual({ username: 'ci-reader', password: 'r3ad' });
    expect(fromEnv('ghcr.io').description).toBe(`user "ci-writer" (${DESTINATION_CREDENTIALS_ENV})`);
    expect(await flagged('ghcr.io').credential()).toEqual({ username: 'typed', password: 't' });
    await expect(buildCopyCredentials({ source: 'quay.io/a:1', destination: 'ghcr.io/b:1' }, { ...empty, env: { [DESTINATION_CREDENTIALS_ENV]: 'no-colon' } })).rejects.toThrow(
      `Invalid ${DESTINATION_CREDENTIALS_ENV}: expected user:password`,
    );
  });

  it('reads ~/.docker/config.json and containers auth.json, the containers file first', async () => {
    const home = homeWith({ docker: { auths: { 'quay.io': basic('docker-user', 'd'), 'ghcr.io': basic('gh', 'g') } }, containers: { auths: { 'quay.io': basic('podman-user', 'p') } } });

    const { credentials } = await buildCopyCredentials({ source: 'quay.io/team/app:1', destination: 'ghcr.io/org/app:1' }, { env: {}, home });

    expect(await credentials('quay.io').credential()).toEqual({ username: 'podman-user', password: 'p' });
    expect(credentials('quay.io').description).toBe(`user "podman-user" from ${join(home, '.config', 'containers', 'auth.json')}`);
    expect(await credentials('ghcr.io').credential()).toEqual({ username: 'gh', password: 'g' });
  });

  it('prefers ECR GetAuthorizationToken to a stored ECR login, which expires after 12 hours', async () => {
    const home = homeWith({ docker: { auths: { [ecrHost]: basic('AWS', 'expired-token') } } });

    const { credentials } = await buildCopyCredentials({ source: 'quay.io/a:1', destination: `${ecrHost}/b:1` }, { env: {}, home, ecrTokenFor: ecrToken('fresh') });

    expect(await credentials(ecrHost).credential()).toEqual({ username: 'AWS', password: 'fresh' });
  });

  it('uses --authfile (or REGISTRY_AUTH_FILE) before anything else found on disk, ECR hosts included', async () => {
    const home = homeWith({ docker: { auths: { 'quay.io': basic('docker-user', 'd') } } });
    const authfile = join(home, 'ci-auth.json');
    writeFileSync(authfile, JSON.stringify({ auths: { 'quay.io/team': basic('team-robot', 't'), [ecrHost]: basic('AWS', 'from-file') } }));

    const viaFlag = (await buildCopyCredentials({ source: 'quay.io/team/app:1', destination: `${ecrHost}/b:1`, authfile }, { env: {}, home, ecrTokenFor: ecrToken('fresh') })).credentials;
    const viaEnv = (await buildCopyCredentials({ source: 'quay.io/team/app:1', destination: `${ecrHost}/b:1` }, { env: { REGISTRY_AUTH_FILE: authfile }, home, ecrTokenFor: ecrToken('fresh') })).credentials;

    expect(await viaFlag('quay.io').credential()).toEqual({ username: 'team-robot', password: 't' });
    expect(await viaFlag(ecrHost).credential()).toEqual({ username: 'AWS', password: 'from-file' });
    expect(await viaEnv('quay.io').credential()).toEqual({ username: 'team-robot', password: 't' });
    await expect(buildCopyCredentials({ source: 'quay.io/a:1', destination: 'ghcr.io/b:1', authfile: join(home, 'missing.json') }, { env: {}, home })).rejects.toThrow(/Cannot read the auth file .*missing\.json \(ENOENT\)/);
  });

  it('runs the credsStore helper and falls back to the auths entry when the store has nothing', async () => {
    // Prepare
    const fake = fakeCredentialHelpers({ desktop: { 'quay.io': { username: 'keychain-user', secret: 'k' } } });
    const home = homeWith({ docker: { credsStore: 'desktop', credHelpers: { 'ghcr.io': 'desktop' }, auths: { 'registry.lab:5000': basic('file-user', 'f') } } });
    const helper = { env: { ...process.env, PATH: fake.path } };

    // Act
    const { credentials } = await buildCopyCredentials({ source: 'quay.io/team/app:1', destination: 'registry.lab:5000/b:1' }, { env: {}, home, helper });

    // Assess
    expect(await credentials('quay.io').credential()).toEqual({ username: 'keychain-user', password: 'k' });
    expect(credentials('quay.io').description).toBe(`docker-credential-desktop (credsStore in ${join(home, '.docker', 'config.json')})`);
    expect(await credentials('registry.lab:5000').credential()).toEqual({ username: 'file-user', password: 'f' });
    expect(await credentials('ghcr.io').credential()).toBeUndefined();
    expect(fake.runs('desktop').map((run) => [run.argv, run.server])).toEqual([
      ['get', 'quay.io'],
      ['get', 'registry.lab:5000'],
      ['get', 'ghcr.io'],
    ]);
  });
});
