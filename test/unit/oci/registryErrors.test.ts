import { describe, expect, it } from 'vitest';
import { isNotFoundError, parseRegistryErrorBody, redactUrl, registryErrorFromResponse } from '../../../lib/oci/transport/registryErrors';

describe('registryErrorFromResponse', () => {
  const url = 'http://127.0.0.1:5000/v2/app/blobs/uploads/abc?_state=SECRETSTATE&digest=sha256:1';
  it.each([
    { status: 404, code: 'MANIFEST_UNKNOWN', expected: { code: 'IMAGE_NOT_FOUND', retryable: false } },
    { status: 404, code: 'NAME_UNKNOWN', expected: { code: 'REPOSITORY_NOT_FOUND', retryable: false } },
    { status: 400, code: 'DIGEST_INVALID', expected: { code: 'DIGEST_MISMATCH', retryable: false } },
    { status: 401, code: 'UNAUTHORIZED', expected: { code: 'REGISTRY_UNAUTHORIZED', retryable: false } },
    { status: 403, code: 'DENIED', expected: { code: 'REGISTRY_UNAUTHORIZED', retryable: false } },
    { status: 429, code: 'TOOMANYREQUESTS', expected: { code: 'THROTTLED', retryable: true } },
    { status: 503, code: 'UNKNOWN', expected: { code: 'REGISTRY_ERROR', retryable: true } },
    { status: 500, code: 'BLOB_UNKNOWN', expected: { code: 'REGISTRY_ERROR', retryable: true } },
    { status: 405, code: 'UNSUPPORTED', expected: { code: 'REGISTRY_ERROR', retryable: false } },
  ])('maps HTTP $status $code to $expected.code', ({ status, code, expected }) => {
    const error = registryErrorFromResponse({ method: 'PUT', url, status, body: JSON.stringify({ errors: [{ code, message: 'registry says so' }] }) });
    expect(error).toMatchObject({ ...expected, status, registryCodes: [code] });
    expect(error.message).toContain(`${code}: registry says so`);
  });

  it('keeps the registry message, redacts the URL and carries Retry-After', () => {
    const error = registryErrorFromResponse({ method: 'GET', url, status: 429, body: 'slow down', retryAfterMs: 2000 });
    expect(error.message).toBe('GET http://127.0.0.1:5000/v2/app/blobs/uploads/abc failed with HTTP 429 (slow down)');
    expect(error.message).not.toContain('SECRETSTATE');
    expect(error.retryAfterMs).toBe(2000);
  });

  it('recognises 404s', () => {
    expect(isNotFoundError(registryErrorFromResponse({ method: 'GET', url, status: 404, body: '' }))).toBe(true);
    expect(isNotFoundError(new Error('404'))).toBe(false);
  });
});

describe('parseRegistryErrorBody', () => {
  it('reads the spec shape and tolerates anything else', () => {
    expect(parseRegistryErrorBody('{"errors":[{"code":"blob_unknown","message":"m","detail":{}}]}')).toEqual([{ code: 'BLOB_UNKNOWN', message: 'm' }]);
    expect(parseRegistryErrorBody('404 page not found')).toEqual([]);
    expect(parseRegistryErrorBody('{"errors":"nope"}')).toEqual([]);
    expect(parseRegistryErrorBody('{"errors":[null,{"message":"no code"}]}')).toEqual([]);
  });
});

describe('redactUrl', () => {
  it('drops user info, query and fragment', () => {
    expect(redactUrl('https://user:pass@bucket.s3.amazonaws.com/blob?X-Amz-Signature=abc#frag')).toBe('https://bucket.s3.amazonaws.com/blob');
    expect(redactUrl('not a url')).toBe('<invalid url>');
  });
});
