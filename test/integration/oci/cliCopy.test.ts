import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CommandIo } from '../../../cli/io';
import { buildCopyCredentials, runCopy } from '../../../cli/commands/copy';
import type { CopyReport } from '../../../lib/oci/copy/types';
import type { EcrAuthorizationToken } from '../../../lib/oci/transport/ecrCredentials';
import { type RegistryServer, startRegistry } from '../../support/registryServer';
import { buildTestImage, headManifestDigest, type TestImage } from '../../support/testImages';

interface CapturedIo extends CommandIo {
  lines: string[];
  errors: string[];
  progress: ReturnType<typeof vi.fn<(line: string) => void>>;
  values: unknown[];
}

function captureIo(json: boolean): CapturedIo {
  const lines: string[] = [];
  const errors: string[] = [];
  const values: unknown[] = [];
  return {
    json,
    lines,
    errors,
    values,
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
    progress: vi.fn<(line: string) => void>(),
    data: (value) => values.push(value),
    paint: (_tone, text) => text,
  };
}

describe('runCopy', () => {
  let source: RegistryServer;
  let destination: RegistryServer;
  let image: TestImage;
  const basic = `Basic ${Buffer.from('dora:explorer').toString('base64')}`;

  beforeAll(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry({ auth: { htpasswd: { user: 'dora', password: 'explorer' } } })]);
    image = await buildTestImage({ url: source.url, repository: 'tools/app', tag: '1.2.3' }, { layers: [4000, 1_200_000], platforms: ['linux/amd64', 'linux/arm64'], seed: 'cli' });
  });

  afterAll(async () => {
    await Promise.all([source?.stop(), destination?.stop()]);
  });

  it('copies with --dest-creds, shows progress and prints a summary', async () => {
    // Act
    const io = captureIo(false);
    const exit = await runCopy({ source: `${source.host}/tools/app:1.2.3`, destination: `${destination.host}/mirror/app:1.2.3`, destCreds: 'dora:explorer' }, io);

    // Assess
    expect(exit).toBe(0);
    expect(await headManifestDigest(destination.url, 'mirror/app', '1.2.3', basic)).toBe(image.digest);
    expect(io.progress).toHaveBeenCalledWith(expect.stringMatching(/^Copying blobs \d+\/6 · /));
    expect(io.lines).toEqual([
      `Copied ${source.host}/tools/app:1.2.3 → ${destination.host}/mirror/app:1.2.3`,
      `  digest ${image.digest} (unchanged)`,
      '  platforms linux/amd64, linux/arm64',
      expect.stringMatching(/^ {2}moved 2\.4 MB in 6 blobs; skipped 0 already there$/),
      '  manifests 3 pushed, 0 already there',
      expect.stringMatching(/^ {2}took \d+\.\d s$/),
    ]);
  });

  it('writes only the report in JSON mode, for a platform subset given comma-separated', async () => {
    const io = captureIo(true);

    await runCopy({ source: `${source.host}/tools/app:1.2.3`, destination: `${destination.host}/mirror/app-arm`, destCreds: 'dora:explorer', platforms: ['linux/arm64,'] }, io);

    expect(io.lines).toEqual([]);
    expect(io.values).toEqual([expect.objectContaining<Partial<CopyReport>>({ newIndex: true, platforms: ['linux/arm64'], destination: `${destination.host}/mirror/app-arm:1.2.3` })]);
  });

  it('throws USAGE errors for bad references and credentials, before any transfer', async () => {
    await expect(runCopy({ source: 'app:1', destination: `${destination.host}/x:1` }, captureIo(false))).rejects.toMatchObject({ code: 'USAGE' });
    await expect(runCopy({ source: `${source.host}/tools/app:1.2.3`, destination: `${destination.host}/x:1`, destCreds: 'nopassword' }, captureIo(false))).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('--dest-creds'),
    });
  });
});

describe('buildCopyCredentials', () => {
  const ecrHost = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

  it('gives ECR hosts GetAuthorizationToken credentials, others anonymous or the flags', async () => {
    // Prepare
    const token: EcrAuthorizationToken = { authorizationToken: Buffer.from('AWS:ecr-password').toString('base64'), expiresAt: new Date(Date.now() + 3_600_000), proxyEndpoint: `https://${ecrHost}` };
    const ecrTokenFor = vi.fn(() => () => Promise.resolve(token));

    // Act
    const { credentials } = buildCopyCredentials({ source: 'quay.io/team/app:1', destination: `${ecrHost}/mirror/app:1`, srcCreds: 'robot:token' }, { ecrTokenFor });

    // Assess
    expect(credentials(ecrHost).description).toBe('ECR GetAuthorizationToken');
    expect(await credentials(ecrHost).credential()).toEqual({ username: 'AWS', password: 'ecr-password' });
    expect(ecrTokenFor).toHaveBeenCalledWith({ accountId: '123456789012', region: 'eu-west-1' });
    expect(credentials(ecrHost)).toBe(credentials(ecrHost));
    expect(await credentials('quay.io').credential()).toEqual({ username: 'robot', password: 'token' });
    expect(credentials('public.ecr.aws').description).toBe('anonymous');
  });

  it('uses --dest-creds for a registry named by both flags, with a warning', () => {
    const { credentials, warning } = buildCopyCredentials({ source: 'ghcr.io/a/b:1', destination: 'ghcr.io/c/d:1', srcCreds: 'reader:r', destCreds: 'writer:w' });
    expect(credentials('ghcr.io').description).toBe('user "writer"');
    expect(warning).toContain('using --dest-creds for both');
  });
});
