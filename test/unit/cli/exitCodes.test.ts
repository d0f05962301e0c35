import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { exitCodeFor } from '../../../cli/main';
import { AutopilotError, type ErrorCode } from '../../../lib/errors';
import { captureCliOutput, cliStdout, runCli } from '../../support/cli';
import { eventFile, SAMPLE_EVENTS } from '../../support/events';

beforeEach(() => {
  captureCliOutput();
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** An error as the AWS SDK throws it for a service's answer. */
function sdkError(name: string, fault: 'client' | 'server', retryable?: object): Error {
  return Object.assign(new Error(`${name} from the service`), { name, $fault: fault, ...(retryable ? { $retryable: retryable } : {}) });
}

describe('exit codes', () => {
  it('exits 1 when invoke onImageScan gives a FAIL verdict, in plan mode too', async () => {
    // Act
    const code = await runCli('invoke', 'onImageScan', '--event', 'events/ecr-image-scan/basic-complete.json', '--plan');

    // Assess
    expect(cliStdout()).toContain('verdict FAIL');
    expect(code).toBe(1);
  });

  it('exits 0 when invoke onImageScan gives a WARN verdict', async () => {
    // Act
    const code = await runCli('invoke', 'onImageScan', '--event', eventFile(SAMPLE_EVENTS.platformScan), '--plan');

    // Assess
    expect(cliStdout()).toContain('verdict WARN');
    expect(code).toBe(0);
  });

  it('exits 1 when verify --plan finds a failed check', async () => {
    // Act / Assess
    expect(await runCli('verify', '--plan')).toBe(1);
  });

  it.each<[string, unknown, 2 | 3]>([
    ['a usage error', new AutopilotError('USAGE', 'bad flag'), 2],
    ['a missing repository', new AutopilotError('REPOSITORY_NOT_FOUND', 'no such repository'), 2],
    ['a missing image', new AutopilotError('IMAGE_NOT_FOUND', 'no such tag'), 2],
    ['denied access', new AutopilotError('ACCESS_DENIED', 'not allowed'), 2],
    ['rejected registry credentials', new AutopilotError('REGISTRY_UNAUTHORIZED', '401'), 2],
    ['a reached quota', new AutopilotError('LIMIT_EXCEEDED', '50 rules'), 2],
    ['an unreadable secret', new AutopilotError('SECRET_INVALID', 'no secret'), 2],
    ['throttling', new AutopilotError('THROTTLED', 'slow down'), 3],
    ['a registry failure', new AutopilotError('REGISTRY_ERROR', '503'), 3],
    ['an unclassified AWS failure', new AutopilotError('AWS_ERROR', 'InternalFailure'), 3],
    ['a retryable error of a user-fixable code', new AutopilotError('SCAN_NOT_FOUND', 'not yet', { retryable: true }), 3],
    ['no credentials (SDK)', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 2],
    ['no region (SDK)', new Error('Region is missing'), 2],
    ['an SDK client fault', sdkError('AccessDeniedException', 'client'), 2],
    ['SDK throttling', sdkError('ThrottlingException', 'client', { throttling: true }), 3],
    ['an SDK server fault', sdkError('InternalServerException', 'server'), 3],
    ['a network error', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }), 3],
  ])('maps %s to %i', (_name, error, expected) => {
    // Act / Assess
    expect(exitCodeFor(error)).toBe(expected);
  });

  it('decides every error code: 2 for user-sourced errors whatever their code', () => {
    // Prepare
    const codes: ErrorCode[] = ['THROTTLED', 'REGISTRY_ERROR', 'AWS_ERROR', 'INTERNAL'];

    // Act / Assess
    for (const code of codes) expect(exitCodeFor(new AutopilotError(code, 'x', { source: 'user' }))).toBe(2);
  });
});
