import { describe, expect, it } from 'vitest';
import { Notice, type ScanSummaryNotice } from '../../../lib/notify/notices';
import { renderSnsMessage, SNS_MESSAGE_LIMIT_BYTES, SNS_SUBJECT_LIMIT } from '../../../lib/notify/render/renderSnsMessage';
import { pushNotice, scanNotice } from '../../support/notices';

function bodies(message: { Message: string }): Record<string, string> {
  return JSON.parse(message.Message) as Record<string, string>;
}

/** SNS counts the message and its attributes against the 256 KiB limit. */
function publishedBytes(message: ReturnType<typeof renderSnsMessage>): number {
  const attributes = Object.entries(message.MessageAttributes).reduce((n, [name, value]) => n + Buffer.byteLength(name) + Buffer.byteLength(value.DataType) + Buffer.byteLength(value.StringValue), 0);
  return Buffer.byteLength(message.Message, 'utf8') + attributes;
}

/** The scan notice a `lambda` subscriber receives. */
function deliveredScan(message: { Message: string }): ScanSummaryNotice['data'] {
  const delivered = Notice.parse(JSON.parse(bodies(message).lambda ?? ''));
  if (delivered.kind !== 'scan.summary') throw new Error(`expected a scan summary, got ${delivered.kind}`);
  return delivered.data;
}

describe('renderSnsMessage', () => {
  it('gives text to email, the notice JSON to lambda/sqs and Amazon Q to https', () => {
    // Prepare
    const notice = scanNotice();

    // Act
    const message = renderSnsMessage(notice, { httpsFormat: 'amazon-q' });

    // Assess
    expect(message.MessageStructure).toBe('json');
    const body = bodies(message);
    expect(Object.keys(body).sort()).toEqual(['default', 'email', 'email-json', 'http', 'https', 'lambda', 'sqs']);
    expect(body.default?.split('\n')[0]).toBe('Scan of team-a/api:v1.4.0 found 2 findings (1 CRITICAL, 1 HIGH) (1 new, 1 fixed). Verdict FAIL: 1 CRITICAL > 0 allowed.');
    expect(body.email).toBe(body.default);
    expect(Notice.parse(JSON.parse(body.lambda ?? ''))).toEqual(notice);
    expect(body.sqs).toBe(body.lambda);
    expect(JSON.parse(body.https ?? '')).toMatchObject({ version: '1.0', source: 'custom', content: { textType: 'client-markdown' } });
    expect(message.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'scan.summary' },
      severity: { DataType: 'String', StringValue: 'critical' },
      repository: { DataType: 'String', StringValue: 'team-a/api' },
      verdict: { DataType: 'String', StringValue: 'FAIL' },
    });
  });

  it('sends the notice JSON to https subscribers in notice format', () => {
    // Act
    const body = bodies(renderSnsMessage(pushNotice(), { httpsFormat: 'notice' }));

    // Assess
    expect(body.https).toBe(body.lambda);
  });

  it('writes a subject within SNS limits: at most 99 characters, one line', () => {
    // Prepare
    const notice = pushNotice({ tags: [`v1\r\n${'long-tag-'.repeat(30)}`] });

    // Act
    const message = renderSnsMessage(notice, { httpsFormat: 'amazon-q' });

    // Assess
    expect(message.Subject.length).toBeLessThanOrEqual(SNS_SUBJECT_LIMIT);
    expect(message.Subject).toMatch(/^\[ecr-autopilot\] Pushed team-a\/web:v1 long-tag-long-tag-/);
    expect(message.Subject).not.toMatch(/[\u0000-\u001f]/);
  });

  it('leaves a notice of ordinary size untouched', () => {
    // Prepare
    const notice = scanNotice({ topFindings: Array.from({ length: 50 }, (_, i) => ({ id: `CVE-2024-${i}`, severity: 'HIGH' as const, title: 't'.repeat(300) })), totalFindings: 50 });

    // Act
    const body = bodies(renderSnsMessage(notice, { httpsFormat: 'amazon-q' }));

    // Assess
    expect(Notice.parse(JSON.parse(body.lambda ?? ''))).toEqual(notice);
    expect(body.default?.endsWith('…')).toBe(false);
  });

  it('keeps a scan notice with very long finding descriptions within the 256 KiB limit by cutting the titles', () => {
    // Prepare
    const finding = (i: number) => ({ id: `CVE-2024-${i}`, severity: 'HIGH' as const, title: `${'An attacker could '.repeat(200)}${i}`, packageName: `pkg-${i}`, uri: `https://nvd.nist.gov/vuln/detail/CVE-2024-${i}` });
    const notice = scanNotice({
      topFindings: Array.from({ length: 50 }, (_, i) => finding(i)),
      totalFindings: 60,
      comparison: { previousDigest: 'sha256:0', previousTags: [], newCount: 10, fixedCount: 10, newFindings: Array.from({ length: 10 }, (_, i) => finding(100 + i)), fixedFindings: Array.from({ length: 10 }, (_, i) => finding(200 + i)) },
    });

    // Act
    const message = renderSnsMessage(notice, { httpsFormat: 'notice' });

    // Assess
    expect(publishedBytes(message)).toBeLessThanOrEqual(SNS_MESSAGE_LIMIT_BYTES);
    const delivered = deliveredScan(message);
    expect(delivered).toMatchObject({ totalFindings: 60, comparison: { newCount: 10, fixedCount: 10 } });
    expect(delivered.topFindings).toHaveLength(50);
    expect(Math.max(...delivered.topFindings.map((item) => item.title?.length ?? 0))).toBeLessThanOrEqual(200);
  });

  it('drops findings from the lists, keeping the counts, when cutting titles is not enough', () => {
    // Prepare
    const finding = (i: number) => ({ id: `CVE-2024-${i}`, severity: 'LOW' as const, packageName: `${'p'.repeat(4000)}-${i}`, installedVersion: '1.0' });
    const notice = scanNotice({ topFindings: Array.from({ length: 50 }, (_, i) => finding(i)), totalFindings: 5000 });

    // Act
    const message = renderSnsMessage(notice, { httpsFormat: 'amazon-q' });

    // Assess
    expect(publishedBytes(message)).toBeLessThanOrEqual(SNS_MESSAGE_LIMIT_BYTES);
    const delivered = deliveredScan(message);
    expect(delivered.totalFindings).toBe(5000);
    expect(delivered.topFindings.length).toBeGreaterThan(0);
    expect(delivered.topFindings.length).toBeLessThan(50);
    expect(bodies(message).default).toContain(`… and ${5000 - delivered.topFindings.length} more`);
  });
});
