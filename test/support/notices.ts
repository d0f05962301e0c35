/**
 * Notice builders for the notification tests: valid by construction (checked against the Notice
 * schema), with overridable data.
 */
import { Notice, type PushSummaryNotice, type ScanSummaryNotice } from '../../lib/notify/notices';
import { digestOf } from './events';

const WEB_INDEX = 'sha256:c4fa8457ad16510f2b3e3ce31f2dc1c2371bc8d46a496c7de2698cac71d751dc';

/** The push summary of team-a/web:v2.0.0, a two-platform index (as in events/sns). */
export function pushNotice(data: Partial<PushSummaryNotice['data']> = {}, envelope: Partial<Omit<PushSummaryNotice, 'data'>> = {}): PushSummaryNotice {
  return Notice.parse({
    id: '4f1a3c1e-7b9d-4b8e-9d2a-6a0f3e2b1c55:push.summary',
    kind: 'push.summary',
    severity: 'info',
    repository: 'team-a/web',
    occurredAt: '2026-11-20T08:58:01Z',
    origin: { eventId: '4f1a3c1e-7b9d-4b8e-9d2a-6a0f3e2b1c55', account: '123456789012', region: 'ap-northeast-2' },
    ...envelope,
    data: {
      repositoryName: 'team-a/web',
      registryId: '123456789012',
      imageDigest: WEB_INDEX,
      imageUri: '123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/team-a/web:v2.0.0',
      tags: ['v2.0.0', 'latest'],
      mediaType: 'application/vnd.oci.image.index.v1+json',
      sizeInBytes: 123731968,
      platforms: [
        { platform: 'linux/amd64', digest: 'sha256:93959870e6949873b513f44d4c23fac0f365faf3bb160b4e3a7510a01ee7be7e', sizeInBytes: 62914560 },
        { platform: 'linux/arm64/v8', digest: 'sha256:9e1c034898292f06c7bac2d65d6e015e06f38492889166bd7ff2f6c735d14da4', sizeInBytes: 60817408 },
      ],
      repositoryClass: 'services',
      governance: [],
      consoleUrl: `https://ap-northeast-2.console.aws.amazon.com/ecr/repositories/private/123456789012/team-a/web/_/image/${WEB_INDEX}/details?region=ap-northeast-2`,
      ...data,
    },
  }) as PushSummaryNotice;
}

/** The scan summary of team-a/api:v1.4.0: FAIL, two findings, compared with v1.3.0. */
export function scanNotice(data: Partial<ScanSummaryNotice['data']> = {}, envelope: Partial<Omit<ScanSummaryNotice, 'data'>> = {}): ScanSummaryNotice {
  const digest = digestOf('api-v1.4.0');
  return Notice.parse({
    id: '85fc3613-e913-7fc4-a80c-a3753e4aa9ae:scan.summary',
    kind: 'scan.summary',
    severity: 'critical',
    repository: 'team-a/api',
    occurredAt: '2026-11-20T08:56:41Z',
    origin: { eventId: '85fc3613-e913-7fc4-a80c-a3753e4aa9ae', account: '123456789012', region: 'ap-northeast-2' },
    ...envelope,
    data: {
      repositoryName: 'team-a/api',
      registryId: '123456789012',
      imageDigest: digest,
      tags: ['v1.4.0'],
      scanType: 'BASIC',
      scanStatus: 'COMPLETE',
      verdict: 'FAIL',
      reasons: ['1 CRITICAL > 0 allowed'],
      counts: { CRITICAL: 1, HIGH: 1, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 },
      totalFindings: 2,
      acceptedFindings: 0,
      topFindings: [
        { id: 'CVE-2024-6387', severity: 'CRITICAL', title: 'regreSSHion', packageName: 'openssh-client', installedVersion: '1:9.2p1-2+deb12u2', fixedVersion: '1:9.2p1-2+deb12u3', uri: 'https://nvd.nist.gov/vuln/detail/CVE-2024-6387', score: 8.1 },
        { id: 'CVE-2023-44487', severity: 'HIGH', packageName: 'libnghttp2-14', installedVersion: '1.52.0-1+deb12u1', uri: 'https://nvd.nist.gov/vuln/detail/CVE-2023-44487' },
      ],
      comparison: {
        previousDigest: digestOf('api-v1.3.0'),
        previousTags: ['v1.3.0'],
        newCount: 1,
        fixedCount: 1,
        newFindings: [{ id: 'CVE-2024-6387', severity: 'CRITICAL', packageName: 'openssh-client' }],
        fixedFindings: [{ id: 'CVE-2023-4911', severity: 'HIGH', packageName: 'libc6' }],
      },
      consoleUrl: `https://ap-northeast-2.console.aws.amazon.com/ecr/repositories/private/123456789012/team-a/api/_/image/${digest}/scan-results?region=ap-northeast-2`,
      ...data,
    },
  }) as ScanSummaryNotice;
}
