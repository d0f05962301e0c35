import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCopy } from '../../../cli/commands/copy';
import { DESTINATION_CREDENTIALS_ENV, SOURCE_CREDENTIALS_ENV } from '../../../cli/copyCredentials';
import type { CommandIo } from '../../../cli/io';
import type { CopyReport } from '../../../lib/oci/copy/types';
import { captureCliOutput, cliStderr, cliStdout, runCli } from '../../support/cli';
import { runCliProcess } from '../../support/cliProcess';
import { fakeCredentialHelpers } from '../../support/credentialHelpers';
import { type RegistryServer, startRegistry } from '../../support/registryServer';
import { startSilentServer } from '../../support/silentServer';
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
    interrupt: new AbortController().signal,
  };
}

/** A home directory with nothing in it, or a Docker config.json with `config`. */
function home(config?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'cli-copy-home-'));
  if (config !== undefined) {
    mkdirSync(join(dir, '.docker'));
    writeFileSync(join(dir, '.docker', 'config.json'), JSON.stringify(config));
  }
  return dir;
}

const DORA = { user: 'dora', password: 'explorer' };
const doraAuth = { auth: Buffer.from(`${DORA.user}:${DORA.password}`).toString('base64') };

describe('ecr-autopilot copy', () => {
  let source: RegistryServer;
  let destination: RegistryServer;
  let tls: RegistryServer;
  let image: TestImage;
  const basic = `Basic ${Buffer.from(`${DORA.user}:${DORA.password}`).toString('base64')}`;
  const isolated = () => ({ env: {}, home: home() });

  beforeAll(async () => {
    [source, destination, tls] = await Promise.all([startRegistry(), startRegistry({ auth: { htpasswd: DORA } }), startRegistry({ tls: true })]);
    image = await buildTestImage({ url: source.url, repository: 'tools/app', tag: '1.2.3' }, { layers: [4000, 1_200_000], platforms: ['linux/amd64', 'linux/arm64'], seed: 'cli' });
  });

  afterAll(async () => {
    await Promise.all([source?.stop(), destination?.stop(), tls?.stop()]);
  });

  describe('runCopy', () => {
    it('copies with --dest-creds, shows progress and prints a summary', async () => {
      // Act
      const io = captureIo(false);
      const exit = await runCopy({ source: `${source.host}/tools/app:1.2.3`, destination: `${destination.host}/mirror/app:1.2.3`, destCreds: 'dora:explorer' }, io, isolated());

      // Assess
      expect(exit).toBe(0);
      expect(await headManifestDigest(destination.url, 'mirror/app', '1.2.3', basic)).toBe(image.digest);
      expect(io.progress).toHaveBeenCalledWith(`Reading ${source.host}/tools/app:1.2.3…`);
      expect(io.progress).toHaveBeenCalledWith(`Checking what ${destination.host} already has…`);
      expect(io.progress).toHaveBeenCalledWith(expect.stringMatching(/^Copying blobs \d+\/6 · /));
      expect(io.lines).toEqual([
        `Copied ${source.host}/tools/app:1.2.3 → ${destination.host}/mirror/app:1.2.3`,
        `  digest ${image.digest} (unchanged)`,
        '  platforms linux/amd64, linux/arm64',
        '  moved 2.4 MB in 6 blobs; 0 already there',
        '  manifests 3 pushed, 0 already there',
        expect.stringMatching(/^ {2}took \d+\.\d s$/),
      ]);
    });

    it('says there was nothing to copy on a second run', async () => {
      const single = `${source.host}/tools/app@${image.manifests[0]?.digest ?? ''}`;
      await runCopy({ source: single, destination: `${destination.host}/mirror/single:1`, destCreds: 'dora:explorer' }, captureIo(false), isolated());
      await runCopy({ source: `${source.host}/tools/app:1.2.3`, destination: `${destination.host}/mirror/again:1.2.3`, destCreds: 'dora:explorer' }, captureIo(false), isolated());

      const singleAgain = captureIo(false);
      const indexAgain = captureIo(false);
      await runCopy({ source: single, destination: `${destination.host}/mirror/single:1`, destCreds: 'dora:explorer' }, singleAgain, isolated());
      await runCopy({ source: `${source.host}/tools/app:1.2.3`, destination: `${destination.host}/mirror/again:1.2.3`, destCreds: 'dora:explorer' }, indexAgain, isolated());

      expect(singleAgain.lines[0]).toBe('Nothing to copy: 3 blobs already there');
      expect(indexAgain.lines.slice(0, 3)).toEqual(['Nothing to copy: 3 manifests already there', `  ${destination.host}/mirror/again:1.2.3`, `  digest ${image.digest} (unchanged)`]);
      expect(indexAgain.lines.join('\n')).not.toContain('moved 0 B');
    });

    it('writes only the report in JSON mode, for a platform subset given comma-separated', async () => {
      const io = captureIo(true);

      await runCopy({ source: `docker://${source.host}/tools/app:1.2.3`, destination: `docker://${destination.host}/mirror/app-arm`, destCreds: 'dora:explorer', platforms: ['linux/arm64,'] }, io, isolated());

      expect(io.lines).toEqual([]);
      expect(io.values).toEqual([expect.objectContaining<Partial<CopyReport>>({ newIndex: true, platforms: ['linux/arm64'], destination: `${destination.host}/mirror/app-arm:1.2.3` })]);
    });

    it('throws USAGE errors for bad references and credentials, before any transfer', async () => {
      await expect(runCopy({ source: 'app:1', destination: `${destination.host}/x:1` }, captureIo(false), isolated())).rejects.toMatchObject({ code: 'USAGE' });
      await expect(runCopy({ source: `${source.host}/tools/app:1.2.3`, destination: `${destination.host}/x:1`, destCreds: 'nopassword' }, captureIo(false), isolated())).rejects.toMatchObject({
        code: 'USAGE',
        message: expect.stringContaining('--dest-creds'),
      });
    });

    it('logs in with the auths entry of ~/.docker/config.json', async () => {
      const exit = await runCopy({ source: `${source.host}/tools/app:1.2.3`, destination: `${destination.host}/mirror/from-config:1` }, captureIo(false), {
        env: {},
        home: home({ auths: { [destination.host]: doraAuth } }),
      });

      expect(exit).toBe(0);
      expect(await headManifestDigest(destination.url, 'mirror/from-config', '1', basic)).toBe(image.digest);
    });

    it('logs in with the credsStore helper of ~/.docker/config.json', async () => {
      const fake = fakeCredentialHelpers({ secretservice: { [destination.host]: { username: DORA.user, secret: DORA.password } } });

      await runCopy({ source: `${source.host}/tools/app:1.2.3`, destination: `${destination.host}/mirror/from-helper:1` }, captureIo(false), {
        env: {},
        home: home({ credsStore: 'secretservice' }),
        helper: { env: { ...process.env, PATH: fake.path } },
      });

      expect(await headManifestDigest(destination.url, 'mirror/from-helper', '1', basic)).toBe(image.digest);
      expect(fake.runs('secretservice')).toContainEqual(expect.objectContaining({ argv: 'get', server: destination.host }));
    });
  });

  describe('from the command line', () => {
    beforeEach(() => {
      captureCliOutput();
      vi.stubEnv('HOME', home());
      vi.stubEnv('DOCKER_CONFIG', undefined);
      vi.stubEnv('REGISTRY_AUTH_FILE', undefined);
      vi.stubEnv('XDG_RUNTIME_DIR', undefined);
      vi.stubEnv('XDG_CONFIG_HOME', undefined);
      vi.stubEnv(DESTINATION_CREDENTIALS_ENV, undefined);
    });

    afterEach(() => {
      vi.restoreAllMocks();
      vi.unstubAllEnvs();
    });

    it('on a 401, says which registry refused which credentials and how to give them; exit 2', async () => {
      const code = await runCli('copy', `${source.host}/tools/app:1.2.3`, `${destination.host}/mirror/refused:1`);

      expect(code).toBe(2);
      expect(cliStderr()).toContain(`${destination.host}/v2/mirror/refused/`);
      expect(cliStderr()).toContain('failed with HTTP 401; credentials used: anonymous;');
      expect(cliStderr()).toContain(`give credentials for ${destination.host} with --dest-creds <user:password> (or ${DESTINATION_CREDENTIALS_ENV}), or --authfile <file>`);
    });

    it('on a 401 to credentials that were given, says to check them rather than to give some; exit 2', async () => {
      const code = await runCli('copy', `${source.host}/tools/app:1.2.3`, `${destination.host}/mirror/refused:1`, '--dest-creds', `${DORA.user}:wrong-password`);

      expect(code).toBe(2);
      expect(cliStderr()).toContain(`failed with HTTP 401; credentials used: user "${DORA.user}" (--dest-creds); check the user name and password (or token) of user "${DORA.user}" (--dest-creds), or give others for ${destination.host} with --dest-creds`);
      expect(cliStderr()).not.toContain('wrong-password');
    });

    it(`logs in with ${DESTINATION_CREDENTIALS_ENV}`, async () => {
      vi.stubEnv(DESTINATION_CREDENTIALS_ENV, `${DORA.user}:${DORA.password}`);

      const code = await runCli('copy', `${source.host}/tools/app:1.2.3`, `${destination.host}/mirror/from-env:1`);

      expect(code).toBe(0);
      expect(await headManifestDigest(destination.url, 'mirror/from-env', '1', basic)).toBe(image.digest);
    });

    it('logs in with REGISTRY_AUTH_FILE', async () => {
      const authfile = join(home(), 'auth.json');
      writeFileSync(authfile, JSON.stringify({ auths: { [destination.host]: doraAuth } }));
      vi.stubEnv('REGISTRY_AUTH_FILE', authfile);

      const code = await runCli('copy', `${source.host}/tools/app:1.2.3`, `${destination.host}/mirror/from-authfile:1`);

      expect(code).toBe(0);
      expect(await headManifestDigest(destination.url, 'mirror/from-authfile', '1', basic)).toBe(image.digest);
    });

    it('reports a missing tag as not found, with exit 2', async () => {
      const code = await runCli('copy', `${source.host}/tools/app:9.9.9`, `${source.host}/mirror/nothing:1`);

      expect(code).toBe(2);
      expect(cliStderr()).toContain(`${source.host}/tools/app:9.9.9 not found: ${source.host} has no tag 9.9.9 in repository tools/app; check the reference`);
      expect(cliStdout()).toBe('');
    });

    it('takes --platform before the source and destination, as skopeo and crane users type it', async () => {
      const code = await runCli('copy', '--platform', 'linux/arm64/v8', `${source.host}/tools/app:1.2.3`, `${destination.host}/mirror/arm-only:1`, '--dest-creds', 'dora:explorer', '--json');

      expect(code).toBe(0);
      const report = JSON.parse(cliStdout()) as { data?: CopyReport } & Partial<CopyReport>;
      expect(report.data ?? report).toMatchObject({ newIndex: true, platforms: ['linux/arm64'] });
    });

    it('gives up on a destination that accepts the connection and says nothing, naming it; --timeout sets the wait', async () => {
      const silent = await startSilentServer();
      try {
        const code = await runCli('copy', `${source.host}/tools/app:1.2.3`, `${silent.host}/mirror/app:1`, '--timeout', '1');

        expect(code).toBe(3);
        expect(cliStderr()).toContain(`${silent.host} accepted the connection but did not answer GET http://${silent.host}/v2/ (no response within 1 s)`);
        expect(cliStderr().match(/^error/gm)).toHaveLength(1);
        // No TLS probe after the timeout (it would add its own wait): one connection, the request's.
        expect(silent.connections()).toBe(1);
      } finally {
        await silent.stop();
      }
    });

    it('suggests --insecure-registry for a loopback registry that speaks TLS, and then copies with it', async () => {
      const refused = await runCli('copy', `${source.host}/tools/app:1.2.3`, `${tls.host}/mirror/app:1`);
      const stderr = cliStderr();
      const copied = await runCli('copy', `${source.host}/tools/app:1.2.3`, `${tls.host}/mirror/app:1`, '--insecure-registry', tls.host);

      expect(refused).toBe(2);
      expect(stderr).toContain(`${tls.host} speaks https, but loopback registries are reached over plain http unless named: add --insecure-registry ${tls.host}`);
      expect(stderr.match(/^error/gm)).toHaveLength(1);
      expect(copied).toBe(0);
    });
  });

  it('never puts a credential on a command line: the helper gets the server on stdin, and the CLI process shows none', async () => {
    // Prepare: the source credentials in the environment, the destination's from a credsStore helper
    const fake = fakeCredentialHelpers({ store: { [destination.host]: { username: DORA.user, secret: DORA.password } } });
    const homeDir = home({ credsStore: 'store' });

    // Act: the built command, as a user runs it
    const result = runCliProcess(['copy', `${source.host}/tools/app:1.2.3`, `${destination.host}/mirror/no-ps:1`], {
      env: { PATH: fake.path, HOME: homeDir, [SOURCE_CREDENTIALS_ENV]: 'reader:env-secret-4711' },
    });
    const stderr = result.stderr;
    const code = result.status;

    // Assess
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(await headManifestDigest(destination.url, 'mirror/no-ps', '1', basic)).toBe(image.digest);
    const runs = fake.runs('store');
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) {
      expect(run.argv).toBe('get');
      expect(run.parentCommandLine).toContain(`copy ${source.host}/tools/app:1.2.3 ${destination.host}/mirror/no-ps:1`);
      expect(run.parentCommandLine).not.toContain(DORA.password);
      expect(run.parentCommandLine).not.toContain('env-secret-4711');
    }
  });
});
