import { describe, expect, it } from 'vitest';
import { createSchemePolicy, isLoopbackHost } from '../../../lib/oci/transport/schemePolicy';

describe('isLoopbackHost', () => {
  it.each([
    ['::1', true],
    ['[::1]', true],
    ['[::1]:5000', true],
    ['::2', false],
    ['[::2]:5000', false],
    ['127.0.0.1', true],
    ['127.255.255.254:443', true],
    ['128.0.0.1', false],
    ['1.127.0.0', false],
    ['localhost', true],
    ['LOCALHOST:5000', true],
    ['registry.localhost:5000', true],
    ['localhost.example', false],
    ['notlocalhost', false],
    ['127.example', false],
    ['10.0.0.1:5000', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

describe('createSchemePolicy', () => {
  const policy = createSchemePolicy([' Registry.Lab:5000 ', 'plain.lab', '', '[::1]:5443']);

  it.each([
    // Named with its port: that port only; named without one: every port of that name.
    ['registry.lab:5000', true],
    ['REGISTRY.LAB:5000', true],
    ['registry.lab:5001', false],
    ['registry.lab', false],
    ['plain.lab', true],
    ['plain.lab:8080', true],
    ['[::1]:5443', true],
    ['public.ecr.aws', false],
  ])('isInsecure(%s) → %s', (host, expected) => {
    expect(policy.isInsecure(host)).toBe(expected);
  });

  it('never counts an empty entry as a registry', () => {
    expect(createSchemePolicy(['', '  ']).isInsecure('')).toBe(false);
  });

  it('allows plain http to loopback hosts and named insecure registries only', () => {
    expect(['127.0.0.1:5000', '[::1]:5000', 'localhost', 'registry.lab:5000', 'plain.lab:81'].map((host) => policy.allowsHttp(host))).toEqual([true, true, true, true, true]);
    expect(['registry.lab:5001', 'public.ecr.aws', '10.0.0.1'].map((host) => policy.allowsHttp(host))).toEqual([false, false, false]);
  });

  it.each([
    ['registry.lab:5000', { schemes: ['https', 'http'], skipTlsVerify: true }],
    ['[::1]:5443', { schemes: ['https', 'http'], skipTlsVerify: true }],
    ['[::1]:5000', { schemes: ['http'], skipTlsVerify: false }],
    ['127.0.0.1:5000', { schemes: ['http'], skipTlsVerify: false }],
    ['public.ecr.aws', { schemes: ['https'], skipTlsVerify: false }],
  ])('chooses the schemes for %s', (host, choice) => {
    expect(policy.choose(host)).toEqual(choice);
  });

  it('names no insecure registry by default', () => {
    expect(createSchemePolicy().choose('registry.lab:5000')).toEqual({ schemes: ['https'], skipTlsVerify: false });
  });
});
