/**
 * The field shapes every event and configuration schema is built from, at their boundaries: one
 * character either side of each limit, each anchor, each character class.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import {
  absentWhenEmpty,
  AccountId,
  AwsRegion,
  Count,
  EventImageDigest,
  ImageDigest,
  ImageTag,
  ImageTags,
  isImageDigest,
  IsoTimestamp,
  REPOSITORY_ARN_PATTERN,
  RepositoryArn,
  SEVERITIES,
} from '../../../lib/events/primitives';

const HEX64 = 'a'.repeat(60) + '0f9e';

function accepts(schema: z.ZodMiniType, value: unknown): boolean {
  return schema.safeParse(value).success;
}

/** The message of the first issue, for the schemas that explain themselves. */
function messageOf(schema: z.ZodMiniType, value: unknown): string | undefined {
  const result = schema.safeParse(value);
  return result.success ? undefined : result.error.issues[0]?.message;
}

describe('event primitives', () => {
  it.each([
    { value: `sha256:${HEX64}`, ok: true },
    { value: `sha256:${HEX64.slice(1)}`, ok: false },
    { value: `sha256:${HEX64}0`, ok: false },
    { value: `sha256:${HEX64.toUpperCase()}`, ok: false },
    { value: `sha256:${'g'.repeat(64)}`, ok: false },
    { value: `sha512:${HEX64}`, ok: false },
    { value: `xsha256:${HEX64}`, ok: false },
    { value: `sha256:${HEX64}\n`, ok: false },
  ])('ImageDigest and isImageDigest: $value → $ok', ({ value, ok }) => {
    expect(accepts(ImageDigest, value)).toBe(ok);
    expect(isImageDigest(value)).toBe(ok);
  });

  it('explains a malformed digest, and isImageDigest says no to nothing', () => {
    expect(messageOf(ImageDigest, 'sha256:abc')).toBe('must be "sha256:" followed by 64 lowercase hex characters');
    expect(isImageDigest(undefined)).toBe(false);
  });

  it.each([
    { value: `sha256:${HEX64}`, ok: true },
    { value: 'sha256:7f5bEXAMPLE', ok: true },
    { value: 'sha256:', ok: false },
    { value: 'sha256:abc-def', ok: false },
    { value: 'md5:abc', ok: false },
    { value: ' sha256:abc', ok: false },
    { value: 'sha256:abc ', ok: false },
  ])('EventImageDigest (placeholders of AWS samples allowed): $value → $ok', ({ value, ok }) => {
    expect(accepts(EventImageDigest, value)).toBe(ok);
  });

  it('explains a malformed event digest', () => {
    expect(messageOf(EventImageDigest, 'md5:abc')).toBe('must be "sha256:" followed by the digest');
  });

  it.each([
    { value: 'a', ok: true },
    { value: 'x'.repeat(300), ok: true },
    { value: '', ok: false },
    { value: 'x'.repeat(301), ok: false },
  ])('ImageTag is 1 to 300 characters: $value.length → $ok', ({ value, ok }) => {
    expect(accepts(ImageTag, value)).toBe(ok);
  });

  it('reads an empty optional string as absent, and checks anything else', () => {
    const schema = z.object({ tag: absentWhenEmpty(ImageTag) });
    expect(schema.parse({ tag: '' })).toEqual({ tag: undefined });
    expect(schema.parse({})).toEqual({});
    expect(schema.parse({ tag: 'v1' })).toEqual({ tag: 'v1' });
    expect(accepts(schema, { tag: 'x'.repeat(301) })).toBe(false);
    expect(accepts(schema, { tag: 7 })).toBe(false);
  });

  it('drops empty entries of image-tags, defaults to none, and caps each tag at 300 characters', () => {
    expect(ImageTags.parse(['v1', '', 'latest'])).toEqual(['v1', 'latest']);
    expect(ImageTags.parse(undefined)).toEqual([]);
    expect(ImageTags.parse(['x'.repeat(300)])).toEqual(['x'.repeat(300)]);
    expect(accepts(ImageTags, ['x'.repeat(301)])).toBe(false);
  });

  it.each([
    { value: '123456789012', ok: true },
    { value: '12345678901', ok: false },
    { value: '1234567890123', ok: false },
    { value: '12345678901a', ok: false },
    { value: 'x123456789012', ok: false },
  ])('AccountId is 12 digits: $value → $ok', ({ value, ok }) => {
    expect(accepts(AccountId, value)).toBe(ok);
    if (!ok) expect(messageOf(AccountId, value)).toBe('must be a 12-digit AWS account id');
  });

  it.each([
    { value: 'us-east-1', ok: true },
    { value: 'ap-northeast-2', ok: true },
    { value: 'us-gov-west-1', ok: true },
    { value: 'eu-central-12', ok: true },
    { value: 'us-east', ok: false },
    { value: 'useast-1', ok: false },
    { value: 'US-EAST-1', ok: false },
    { value: 'usa-east-1', ok: false },
    { value: 'us-east-1a', ok: false },
    { value: 'xus-east-1', ok: false },
  ])('AwsRegion: $value → $ok', ({ value, ok }) => {
    expect(accepts(AwsRegion, value)).toBe(ok);
    if (!ok) expect(messageOf(AwsRegion, value)).toBe('must be an AWS region such as us-east-1');
  });

  it.each([
    { value: '2019-11-16T01:54:34Z', ok: true },
    { value: '2019-11-16T01:54:34.123Z', ok: true },
    { value: '2019-11-16T01:54:34+09:00', ok: true },
    { value: '2019-11-16T01:54:34-0500', ok: true },
    { value: '2019-11-16 01:54:34Z', ok: false },
    { value: '2019-11-16T01:54:34', ok: false },
    { value: '2019-11-16T01:54Z', ok: false },
    { value: '2019-11-16T01:54:34.Z', ok: false },
    { value: '2019-13-45T01:54:34Z', ok: false },
    { value: 'x2019-11-16T01:54:34Z', ok: false },
    { value: '2019-11-16T01:54:34Zx', ok: false },
    { value: '19-11-16T01:54:34Z', ok: false },
    // An expanded year: Date.parse takes it, EventBridge never writes it.
    { value: '+002019-11-16T01:54:34Z', ok: false },
  ])('IsoTimestamp: $value → $ok', ({ value, ok }) => {
    expect(accepts(IsoTimestamp, value)).toBe(ok);
    if (!ok) expect(messageOf(IsoTimestamp, value)).toBe('must be an ISO-8601 timestamp such as 2024-05-08T20:44:54Z');
  });

  it.each([
    { value: 'arn:aws:ecr:us-east-1:123456789012:repository/team-a/api', captured: ['us-east-1', '123456789012', 'team-a/api'] },
    { value: 'arn:aws-cn:ecr:cn-north-1:123456789012:repository/app', captured: ['cn-north-1', '123456789012', 'app'] },
    { value: 'arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/app', captured: ['us-gov-west-1', '123456789012', 'app'] },
    { value: 'arn:aws:ecr:us-east-1:12345678901:repository/app', captured: undefined },
    { value: 'arn:aws:ecr:us-east-1:123456789012:repository/', captured: undefined },
    { value: 'arn:aws:s3:us-east-1:123456789012:repository/app', captured: undefined },
    { value: 'arn:aws:ecr:US-EAST-1:123456789012:repository/app', captured: undefined },
    { value: 'arn:awsx:ecr:us-east-1:123456789012:repository/app', captured: undefined },
    { value: 'xarn:aws:ecr:us-east-1:123456789012:repository/app', captured: undefined },
    { value: 'arn:aws:ecr:us-east-1:123456789012:repositories/app', captured: undefined },
    // A line break ends the ARN: what follows it must not ride along into logs and messages.
    { value: 'arn:aws:ecr:us-east-1:123456789012:repository/app\nseverity=CRITICAL', captured: undefined },
  ])('REPOSITORY_ARN_PATTERN: $value', ({ value, captured }) => {
    expect(REPOSITORY_ARN_PATTERN.exec(value)?.slice(1)).toEqual(captured);
    expect(accepts(RepositoryArn, value)).toBe(captured !== undefined);
    if (!captured) expect(messageOf(RepositoryArn, value)).toBe('must be an ECR repository ARN (arn:aws:ecr:<region>:<account>:repository/<name>)');
  });

  it('lists ECR severities in order, and counts are whole numbers from 0', () => {
    expect(SEVERITIES).toEqual(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED']);
    expect(accepts(Count, 0)).toBe(true);
    expect(accepts(Count, 7)).toBe(true);
    expect(accepts(Count, -1)).toBe(false);
    expect(accepts(Count, 1.5)).toBe(false);
  });
});
