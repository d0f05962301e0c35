import { describe, expect, it } from 'vitest';
import { presentNotice } from '../../../lib/notify/present/presentNotice';
import { renderAmazonQ } from '../../../lib/notify/render/renderAmazonQ';
import { pushNotice, scanNotice } from '../../support/notices';

describe('renderAmazonQ', () => {
  it('produces an Amazon Q custom notification: version 1.0, source custom, client markdown', () => {
    // Prepare
    const notice = scanNotice();

    // Act
    const notification = renderAmazonQ(notice, presentNotice(notice));

    // Assess
    expect(notification).toMatchObject({
      version: '1.0',
      source: 'custom',
      id: '85fc3613-e913-7fc4-a80c-a3753e4aa9ae:scan.summary',
      content: {
        textType: 'client-markdown',
        title: ':rotating_light: FAIL team-a/api:v1.4.0: 1 CRITICAL &gt; 0 allowed (1 new, 1 fixed)',
        keywords: ['scan.summary', 'critical', 'team-a/api'],
        nextSteps: [expect.stringMatching(/^<https:\/\/ap-northeast-2\.console\.aws\.amazon\.com\/.*\|Scan results in the ECR console>$/)],
      },
      metadata: {
        summary: 'FAIL team-a/api:v1.4.0: 1 CRITICAL &gt; 0 allowed (1 new, 1 fixed)',
        eventType: 'scan.summary',
        relatedResources: ['team-a/api'],
        additionalContext: { noticeId: '85fc3613-e913-7fc4-a80c-a3753e4aa9ae:scan.summary', eventId: '85fc3613-e913-7fc4-a80c-a3753e4aa9ae' },
      },
    });
    expect(notification.content.description).toContain('*Top findings*\n• <https://nvd.nist.gov/vuln/detail/CVE-2024-6387|CVE-2024-6387> CRITICAL (new) openssh-client');
  });

  it('threads every notice about the same image together', () => {
    // Prepare
    const push = pushNotice();
    const scanOfIndexPlatform = scanNotice(
      { repositoryName: 'team-a/web', imageDigest: push.data.platforms[1]?.digest ?? '', reportedUnder: { indexDigest: push.data.imageDigest, tags: ['v2.0.0'], platform: 'linux/arm64/v8' } },
      { repository: 'team-a/web' },
    );

    // Act
    const threads = [push, scanOfIndexPlatform].map((notice) => renderAmazonQ(notice, presentNotice(notice)).metadata.threadId);

    // Assess
    expect(threads).toEqual([`team-a/web@${push.data.imageDigest}`, `team-a/web@${push.data.imageDigest}`]);
  });

  it('escapes untrusted text in the title and description', () => {
    // Prepare
    const notice = pushNotice({ tags: ['<!channel>&'] });

    // Act
    const notification = renderAmazonQ(notice, presentNotice(notice));

    // Assess
    expect(notification.content.title).toContain('&lt;!channel&gt;&amp;');
    expect(notification.content.description).not.toContain('<!channel>');
    expect(notification.content.description).toContain('&lt;!channel&gt;&amp;');
  });

  it('keeps the title and description within their limits', () => {
    // Prepare
    const notice = scanNotice({ tags: ['t'.repeat(300)], topFindings: Array.from({ length: 50 }, (_, i) => ({ id: `CVE-${i}`, severity: 'LOW' as const, title: 'x'.repeat(500) })), totalFindings: 50 });

    // Act
    const notification = renderAmazonQ(notice, presentNotice(notice));

    // Assess
    expect(notification.content.title.length).toBeLessThanOrEqual(250);
    expect(notification.content.description.length).toBeLessThanOrEqual(3000);
    expect(notification.metadata.summary.length).toBeLessThanOrEqual(250);
  });
});
