import { describe, expect, it } from 'vitest';
import { presentNotice } from '../../../lib/notify/present/presentNotice';
import { renderText } from '../../../lib/notify/render/renderText';
import { Notice } from '../../../lib/notify/notices';
import { pushNotice, scanNotice } from '../../support/notices';

describe('presentNotice', () => {
  it('presents a multi-arch push summary', () => {
    // Act
    const text = renderText(presentNotice(pushNotice()));

    // Assess
    expect(text).toMatchInlineSnapshot(`
      "team-a/web:v2.0.0 was pushed: 118.0 MB, linux/amd64, linux/arm64/v8. The repository already matches class services.

      Repository: team-a/web
      Tags:       v2.0.0, latest
      Digest:     sha256:c4fa8457ad16510f2b3e3ce31f2dc1c2371bc8d46a496c7de2698cac71d751dc
      Size:       118.0 MB
      Platforms:  linux/amd64, linux/arm64/v8
      Class:      services
      Image:      123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/team-a/web:v2.0.0

      Platforms:
        - linux/amd64 sha256:93959870e694, 60.0 MB
        - linux/arm64/v8 sha256:9e1c03489829, 58.0 MB

      Open in the ECR console: https://ap-northeast-2.console.aws.amazon.com/ecr/repositories/private/123456789012/team-a/web/_/image/sha256:c4fa8457ad16510f2b3e3ce31f2dc1c2371bc8d46a496c7de2698cac71d751dc/details?region=ap-northeast-2

      -- ecr-autopilot · notice 4f1a3c1e-7b9d-4b8e-9d2a-6a0f3e2b1c55:push.summary · event 4f1a3c1e-7b9d-4b8e-9d2a-6a0f3e2b1c55 · ap-northeast-2"
    `);
  });

  it('presents the governance changes of a push, failed ones included', () => {
    // Prepare
    const notice = pushNotice(
      {
        platforms: [],
        tags: ['v1.4.0'],
        sizeInBytes: 50331648,
        governance: [
          { action: 'ecr:PutImageScanningConfiguration', target: 'team-a/api', reason: 'scan on push is off; class services requires on', status: 'applied' },
          { action: 'ecr:PutImageTagMutability', target: 'team-a/api', reason: 'tags are MUTABLE; class services requires IMMUTABLE', status: 'failed', message: 'access denied' },
        ],
      },
      { severity: 'warning' },
    );

    // Act
    const doc = presentNotice(notice);

    // Assess
    expect(doc.subject).toBe('Pushed team-a/web:v1.4.0');
    expect(doc.headline).toBe('team-a/web:v1.4.0 was pushed: 48.0 MB. Governance (class services): 1 setting fixed, 1 failed.');
    expect(doc.sections).toMatchInlineSnapshot(`
      [
        {
          "items": [
            {
              "label": "ecr:PutImageScanningConfiguration",
              "text": "applied: scan on push is off; class services requires on",
            },
            {
              "label": "ecr:PutImageTagMutability",
              "text": "failed: tags are MUTABLE; class services requires IMMUTABLE (access denied)",
            },
          ],
          "title": "Governance changes",
        },
      ]
    `);
  });

  it('presents a push of a repository no class governs', () => {
    // Act
    const doc = presentNotice(pushNotice({ repositoryClass: undefined, platforms: [], sizeInBytes: undefined }));

    // Assess
    expect(doc.headline).toBe('team-a/web:v2.0.0 was pushed: unknown size. No repository class matches this repository, so it is not governed.');
    expect(doc.facts.map((fact) => fact.label)).toEqual(['Repository', 'Tags', 'Digest', 'Size', 'Image']);
  });

  it('presents a scan summary, verdict first, with top findings (new ones marked there, not listed again) and fixed findings', () => {
    // Act
    const text = renderText(presentNotice(scanNotice()));

    // Assess
    expect(text).toMatchInlineSnapshot(`
      "Scan of team-a/api:v1.4.0 found 2 findings (1 CRITICAL, 1 HIGH) (1 new, 1 fixed). Verdict FAIL: 1 CRITICAL > 0 allowed.

      Verdict:       FAIL
      Repository:    team-a/api
      Tags:          v1.4.0
      Digest:        sha256:1d6c9ebad60d59fdd6987beee78cad6afd14a5034b9afa61b4999c1a4b9e284a
      Scan:          basic, COMPLETE
      Findings:      1 CRITICAL, 1 HIGH
      Compared with: team-a/api:v1.3.0: 1 new, 1 fixed

      Top findings:
        - CVE-2024-6387 CRITICAL (new) openssh-client 1:9.2p1-2+deb12u2 → fixed in 1:9.2p1-2+deb12u3 <https://nvd.nist.gov/vuln/detail/CVE-2024-6387>
        - CVE-2023-44487 HIGH libnghttp2-14 1.52.0-1+deb12u1 (no fix yet) <https://nvd.nist.gov/vuln/detail/CVE-2023-44487>

      Fixed since the previous image:
        - CVE-2023-4911 HIGH libc6 (no fix yet)

      Scan results in the ECR console: https://ap-northeast-2.console.aws.amazon.com/ecr/repositories/private/123456789012/team-a/api/_/image/sha256:1d6c9ebad60d59fdd6987beee78cad6afd14a5034b9afa61b4999c1a4b9e284a/scan-results?region=ap-northeast-2

      -- ecr-autopilot · notice 85fc3613-e913-7fc4-a80c-a3753e4aa9ae:scan.summary · event 85fc3613-e913-7fc4-a80c-a3753e4aa9ae · ap-northeast-2"
    `);
  });

  it('presents the scan of a platform manifest under its index tag and platform', () => {
    // Prepare
    const notice = scanNotice({
      repositoryName: 'team-a/web',
      tags: [],
      reportedUnder: { indexDigest: 'sha256:c4fa8457ad16510f2b3e3ce31f2dc1c2371bc8d46a496c7de2698cac71d751dc', tags: ['v2.0.0', 'latest'], platform: 'linux/arm64/v8' },
      verdict: 'PASS',
      reasons: [],
      counts: {},
      totalFindings: 0,
      topFindings: [],
      comparison: undefined,
    }, { severity: 'info' });

    // Act
    const doc = presentNotice(notice);

    // Assess
    expect(doc.subject).toBe('PASS team-a/web:v2.0.0 (linux/arm64/v8): no findings');
    expect(doc.headline).toBe('Scan of team-a/web:v2.0.0 (linux/arm64/v8) found no vulnerabilities. Verdict PASS.');
    expect(doc.facts.find((fact) => fact.label === 'Platform')?.value).toBe('linux/arm64/v8 image of index sha256:c4fa8457ad16');
    expect(doc.threadKey).toBe('team-a/web@sha256:c4fa8457ad16510f2b3e3ce31f2dc1c2371bc8d46a496c7de2698cac71d751dc');
  });

  it('counts the findings a summary leaves out', () => {
    // Prepare
    const notice = scanNotice({ totalFindings: 25, acceptedFindings: 3 });

    // Act
    const doc = presentNotice(notice);

    // Assess
    expect(doc.sections[0]).toMatchObject({ title: 'Top findings', omitted: 25 - 3 - 2 });
    expect(doc.facts.find((fact) => fact.label === 'Accepted')?.value).toBe('3 not counted (scan.acceptedFindings)');
  });
});

describe('messages of others inside our sentences', () => {
  it('ends each sentence with one full stop when an AWS message brings its own', () => {
    // Prepare: ValidatePullThroughCacheRule's failure text ends with a full stop
    const notice = Notice.parse({
      id: 'sync-1:ptc.sync',
      kind: 'ptc.sync',
      severity: 'warning',
      occurredAt: '2026-11-20T08:56:41Z',
      origin: { region: 'ap-northeast-2' },
      data: {
        prune: false,
        counts: { declared: 1, inSync: 0, changed: 0, onDemand: 0, unmanaged: 0, failedChanges: 0, problems: 1 },
        rules: [{ prefix: 'github', declared: true, status: 'exists', upstreamRegistryUrl: 'ghcr.io', credential: 'ecr-pullthroughcache/github', template: 'present' }],
        problems: [{ prefix: 'github', code: 'VALIDATION_FAILED', message: "Unable to retrieve the secret: Secrets Manager can't find the specified secret.", fix: 'store a valid token' }],
        changes: [],
      },
    });

    // Act
    const text = renderText(presentNotice(notice));

    // Assess
    expect(text).toContain("First: github: Unable to retrieve the secret: Secrets Manager can't find the specified secret.\n");
    expect(text).toContain("Secrets Manager can't find the specified secret. Fix: store a valid token");
    expect(text).not.toMatch(/[^.]\.\.(?!\.)/);
  });
});
