import { describe, expect, it } from 'vitest';
import { isValidMediaType, MANIFEST_MEDIA_TYPES } from '../../../lib/oci/mediaTypes';

describe('isValidMediaType (RFC 6838 §4.2)', () => {
  it.each([...MANIFEST_MEDIA_TYPES, 'application/vnd.cncf.helm.config.v1+json', 'application/vnd.dev.sigstore.bundle.v0.3+json', 'text/plain', 'a/b', `${'a'.repeat(127)}/${'b'.repeat(127)}`])(
    'accepts %s',
    (mediaType) => {
      // Act & Assess
      expect(isValidMediaType(mediaType)).toBe(true);
    },
  );

  it.each([
    ['a line break', 'application/json\r\nx-injected: 1'],
    ['U+010D U+010A', 'application/json\u010d\u010ax-injected: 1'],
    ['parameters', 'application/json; charset=utf-8'],
    ['a space', 'application/ json'],
    ['no subtype', 'application'],
    ['two slashes', 'application/json/x'],
    ['a leading symbol', '+application/json'],
    ['a 128-character type name', `${'a'.repeat(128)}/json`],
    ['an empty string', ''],
  ])('refuses %s', (_what, mediaType) => {
    // Act & Assess
    expect(isValidMediaType(mediaType)).toBe(false);
  });
});
