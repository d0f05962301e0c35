/**
 * Ctrl-C on the real executable in live mode, against an AWS endpoint that accepts every connection
 * and never answers: the first SIGINT must end every command at once (exit 130), whatever call is
 * in flight — never after the endpoint's timeout. `--timeout 3600` makes a command that ignores
 * Ctrl-C wait an hour, so such a command fails this test by its time limit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCliProcess } from '../../support/cliProcess';
import { type SilentServer, startSilentServer } from '../../support/silentServer';

const ROOT = join(import.meta.dirname, '../../..');

let silent: SilentServer;
let home: string;

beforeAll(async () => {
  silent = await startSilentServer();
  home = mkdtempSync(join(tmpdir(), 'ecr-autopilot-interrupt-'));
});

afterAll(async () => {
  await silent?.stop();
  rmSync(home, { recursive: true, force: true });
});

/** A live run: static credentials (no network to find them), every AWS call to the silent endpoint. */
function liveEnv(): Record<string, string> {
  return {
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: 'ap-northeast-2',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_ENDPOINT_URL: `http://${silent.host}`,
  };
}

/** Starts the command, waits until its first AWS call is on the wire, then presses Ctrl-C once. */
async function interruptWhileWaiting(args: readonly string[]) {
  const before = silent.connections();
  const cli = startCliProcess([...args, '--timeout', '3600'], { env: liveEnv() });
  await vi.waitFor(() => expect(silent.connections()).toBeGreaterThan(before), { timeout: 20_000, interval: 20 });
  cli.child.kill('SIGINT');
  return cli.finished;
}

describe('the first Ctrl-C while an AWS endpoint is silent', () => {
  it.each([
    ['invoke onImageScan', ['invoke', 'onImageScan', '--event', join(ROOT, 'events/ecr-image-scan/basic-complete.json')]],
    ['ptc status', ['ptc', 'status']],
    ['lifecycle preview --repository', ['lifecycle', 'preview', '--policy', join(ROOT, 'infra/lifecycle/services.json'), '--repository', 'team-a/api']],
  ])('cancels %s outright: exit 130 at once, saying it stopped, with no error', async (_name, args) => {
    // Act
    const finished = await interruptWhileWaiting(args);

    // Assess
    expect(finished.code).toBe(130);
    expect(finished.stderr).toContain('Interrupted: finishing cleanly (press Ctrl-C again to quit at once)');
    expect(finished.stderr).toContain('Stopped before it finished (Ctrl-C): nothing more was sent.');
    expect(finished.stderr).not.toContain('error');
    expect(finished.stderr).not.toContain('did not answer');
  });

  it.each([
    ['invoke onImagePush', ['invoke', 'onImagePush', '--event', join(ROOT, 'events/ecr-image-action/push-tagged.json')], 'team-a/api (class services): settings not checked, the run stopped first.'],
    ['mirror', ['mirror'], 'not checked: the run stopped first (interrupted (Ctrl-C))'],
    ['verify', ['verify', '--no-notify'], 'not checked: the run stopped first (interrupted (Ctrl-C))'],
    ['lifecycle sweep', ['lifecycle', 'sweep'], 'Stopped early: interrupted (Ctrl-C)'],
    ['teardown', ['teardown', '--yes'], 'interrupted (Ctrl-C)'],
    ['ptc sync', ['ptc', 'sync'], 'interrupted (Ctrl-C)'],
  ])('stops %s as at a deadline: its reads are abandoned, it prints its report and exits 130', async (_name, args, said) => {
    // Act
    const finished = await interruptWhileWaiting(args);

    // Assess
    expect(finished.code).toBe(130);
    expect(finished.stdout).toContain(said);
    expect(`${finished.stdout}${finished.stderr}`).not.toContain('did not answer');
    expect(finished.stderr).not.toContain('Warning');
  });
});

describe('many calls in flight at once', () => {
  it("prints no Node warning when verify's checks all wait on one endpoint", async () => {
    // Act: every check's calls wait together on the silent endpoint, then time out.
    const finished = await startCliProcess(['verify', '--no-notify', '--timeout', '1'], { env: liveEnv() }).finished;

    // Assess
    expect(finished.code).toBe(1);
    expect(finished.stdout).toContain('did not answer within 1 s');
    expect(finished.stderr).not.toContain('MaxListenersExceededWarning');
    expect(finished.stderr).not.toContain('Warning');
  });
});
