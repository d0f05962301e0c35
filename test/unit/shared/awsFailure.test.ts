import { ECRServiceException } from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import { AutopilotError } from '../../../lib/errors';
import { explainAwsFailure } from '../../../lib/shared/awsFailure';

const sdk = (name: string, fault: 'client' | 'server', status: number, message = 'm') => new ECRServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message });

describe('explainAwsFailure', () => {
  it.each([
    ['a denial', sdk('AccessDeniedException', 'client', 400, 'no'), 'ACCESS_DENIED', false, 'op was denied (no); grant this action to the role or user running it'],
    ['expired credentials', sdk('ExpiredTokenException', 'client', 400, 'expired'), 'ACCESS_DENIED', false, 'op: the AWS credentials have expired (expired); refresh them (aws sso login, or new session credentials) and run it again'],
    ['credentials AWS does not know', sdk('UnrecognizedClientException', 'client', 400), 'ACCESS_DENIED', false, expect.stringContaining('check AWS_PROFILE or the access key')],
    ['no credentials at all', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'ACCESS_DENIED', false, expect.stringContaining('set AWS_PROFILE')],
    ['throttling past the retries', sdk('ThrottlingException', 'client', 400), 'THROTTLED', true, 'op was throttled by AWS (ThrottlingException); run it again in a few minutes'],
    ['an unreachable endpoint', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' }), 'AWS_ERROR', true, expect.stringContaining('(ECONNREFUSED); check the network, AWS_REGION and AWS_ENDPOINT_URL')],
    ['a 5xx', sdk('ServerException', 'server', 500, 'boom'), 'AWS_ERROR', true, 'op: AWS answered with an internal error (ServerException: boom); run it again'],
    ['anything else', sdk('InvalidParameterException', 'client', 400, 'bad'), 'AWS_ERROR', false, 'op failed: InvalidParameterException: bad; check that the resource and the region are the ones meant, then run it again'],
  ])('explains %s with its fix', (_what, error, code, retryable, message) => {
    // Act
    const explained = explainAwsFailure(error, 'op');

    // Assess
    expect(explained).toMatchObject({ code, retryable, message });
    expect(explained.cause).toBe(error);
  });

  it('returns an AutopilotError unchanged', () => {
    // Prepare
    const ours = new AutopilotError('REPOSITORY_NOT_FOUND', 'gone');

    // Act / Assess
    expect(explainAwsFailure(ours, 'op')).toBe(ours);
  });
});
