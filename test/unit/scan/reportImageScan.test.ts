import {
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  ECRClient,
  ScanNotFoundException,
  type BatchGetImageCommandInput,
  type DescribeImageScanFindingsCommandInput,
  type EnhancedImageScanFinding,
  type ImageDetail as SdkImageDetail,
  type ImageScanFinding,
} from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, loadConfig, type AutopilotConfig, type ScanSettings } from '../../../lib/config';
import { EcrRegistry } from '../../../lib/ecr/EcrRegistry';
import { AutopilotError } from '../../../lib/errors';
import { parseEvent } from '../../../lib/events';
import type { ScanSummaryNotice } from '../../../lib/notify/notices';
import { SnsPublisher } from '../../../lib/notify/publish/SnsPublisher';
import { routeChanges } from '../../../lib/plan/routeChanges';
import type { FunctionReport, LoggerPort } from '../../../lib/runtime/types';
import type { ScanVerdictDetail } from '../../../lib/scan/changes';
import { EventBridgeVerdictPublisher } from '../../../lib/scan/publish/EventBridgeVerdictPublisher';
import { reportImageScan } from '../../../lib/scan/reportImageScan';
import { ImageScanEvent } from '../../../lib/scan/scanEvent';
import {
  ACCOUNT,
  basicFinding,
  digestOf,
  enhancedFinding,
  imageScanEvent,
  indexManifest,
  loadEvent,
  manyFindings,
  MEDIA_TYPES,
  pageFor,
  pagesOf,
  REGION,
  SAMPLE_EVENTS,
  sdkImage,
  TOPIC_ARN,
  type EventJson,
} from '../../support/events';

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
const events = mockClient(EventBridgeClient);

const NOW = new Date('2026-11-20T09:00:00Z');
const BASE_CONFIG = loadConfig(DEFAULT_CONFIG_PATH).config;
const silent: LoggerPort = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

const API = 'team-a/api';
const CURRENT = digestOf('api-v1.4.0');
const PREVIOUS = digestOf('api-v1.3.0');

function withScan(scan: Partial<ScanSettings>, notifications: Partial<AutopilotConfig['notifications']> = {}): AutopilotConfig {
  return { ...BASE_CONFIG, scan: { ...BASE_CONFIG.scan, ...scan }, notifications: { ...BASE_CONFIG.notifications, ...notifications } };
}

interface RegistryState {
  images: SdkImageDetail[];
  /** Findings per image digest; an image without an entry has no scan (ScanNotFoundException). */
  findings: Record<string, ImageScanFinding[] | { enhanced: EnhancedImageScanFinding[] }>;
  manifests?: Record<string, string>;
}

function givenRegistry(state: RegistryState): void {
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: state.images });
  ecr.on(DescribeImageScanFindingsCommand).callsFake((input: DescribeImageScanFindingsCommandInput) => {
    const findings = state.findings[input.imageId?.imageDigest ?? ''];
    if (!findings) throw new ScanNotFoundException({ message: 'Image scan does not exist for the image', $metadata: {} });
    if (!Array.isArray(findings)) return { imageScanStatus: { status: 'ACTIVE' }, imageScanFindings: { enhancedFindings: findings.enhanced } };
    const page = pageFor(pagesOf(findings, 1000), input.nextToken);
    return { imageScanStatus: { status: 'COMPLETE' }, imageScanFindings: { findings: page.items, imageScanCompletedAt: NOW }, nextToken: page.nextToken };
  });
  ecr.on(BatchGetImageCommand).callsFake((input: BatchGetImageCommandInput) => ({
    images: (input.imageIds ?? []).flatMap(({ imageDigest }) => {
      const manifest = state.manifests?.[imageDigest ?? ''];
      return manifest ? [{ imageId: { imageDigest }, imageManifest: manifest, imageManifestMediaType: MEDIA_TYPES.ociIndex }] : [];
    }),
  }));
}

/** The usual team-a/api: v1.4.0 (scanned now) and the earlier v1.3.0. */
function givenApi(current: ImageScanFinding[], previous?: ImageScanFinding[]): void {
  givenRegistry({
    images: [
      sdkImage('current', { digest: CURRENT, imageTags: ['v1.4.0'], imagePushedAt: new Date('2026-11-20T08:55:00Z') }),
      sdkImage('previous', { digest: PREVIOUS, imageTags: ['v1.3.0'], imagePushedAt: new Date('2026-11-10T14:02:00Z') }),
    ],
    findings: { [CURRENT]: current, ...(previous ? { [PREVIOUS]: previous } : {}) },
  });
}

function scanOf(raw: EventJson, config: AutopilotConfig = BASE_CONFIG): Promise<FunctionReport> {
  const registry = new EcrRegistry({ client: new ECRClient({ region: REGION }), region: REGION, retry: { sleep: async () => undefined } });
  return reportImageScan(parseEvent(ImageScanEvent, raw, 'scan event'), {
    config,
    registry,
    writer: routeChanges({
      sns: new SnsPublisher({ client: new SNSClient({ region: REGION }), settings: config.notifications }),
      events: new EventBridgeVerdictPublisher({ client: new EventBridgeClient({ region: REGION }), retry: { sleep: async () => undefined } }),
    }),
    topicArn: TOPIC_ARN,
    eventBusName: 'ecr-autopilot-bus',
    clock: () => NOW,
    logger: silent,
  });
}

function apiScanEvent(): EventJson {
  return imageScanEvent({ 'image-digest': CURRENT, 'repository-name': API, 'image-tags': ['v1.4.0'] });
}

function verdict(): ScanVerdictDetail {
  const entry = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
  if (!entry?.Detail) throw new Error('no verdict event was put');
  return JSON.parse(entry.Detail) as ScanVerdictDetail;
}

function notice(): ScanSummaryNotice {
  const message = sns.commandCalls(PublishCommand)[0]?.args[0].input.Message;
  if (!message) throw new Error('nothing was published');
  return JSON.parse((JSON.parse(message) as { lambda: string }).lambda) as ScanSummaryNotice;
}

beforeEach(() => {
  ecr.reset();
  sns.reset();
  events.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'verdict-1' }] });
});

describe('reportImageScan', () => {
  it('reads every finding over several pages (more than 1,000) and counts them by severity', async () => {
    // Prepare
    givenApi([basicFinding('CVE-2024-6387', 'CRITICAL'), basicFinding('CVE-2024-45337', 'CRITICAL'), ...manyFindings(1498, ['HIGH', 'MEDIUM', 'LOW', 'LOW', 'LOW', 'INFORMATIONAL'])]);

    // Act
    const report = await scanOf(apiScanEvent());

    // Assess
    const currentCalls = ecr.commandCalls(DescribeImageScanFindingsCommand).filter((call) => call.args[0].input.imageId?.imageDigest === CURRENT);
    expect(currentCalls.map((call) => call.args[0].input.nextToken)).toEqual([undefined, 'token-1']);
    expect(verdict()['finding-severity-counts']).toEqual({ CRITICAL: 2, HIGH: 250, MEDIUM: 250, LOW: 749, INFORMATIONAL: 249, UNDEFINED: 0 });
    expect(verdict()['total-findings']).toBe(1500);
    expect(notice().data.totalFindings).toBe(1500);
    expect(notice().data.topFindings).toHaveLength(10);
    expect(notice().data.topFindings.slice(0, 2).map((finding) => finding.severity)).toEqual(['CRITICAL', 'CRITICAL']);
    expect(report.decision).toMatch(/^Scan of team-a\/api:v1\.4\.0: 1500 finding\(s\), verdict FAIL \(2 CRITICAL > 0 allowed; 250 HIGH > 10 allowed\)/);
  });

  it('lists the top findings most severe first, with package, installed and fixed version and link', async () => {
    // Prepare
    givenApi([
      basicFinding('CVE-2022-0563', 'LOW', { packageName: 'util-linux', version: '2.38.1' }),
      basicFinding('CVE-2023-44487', 'HIGH', { packageName: 'libnghttp2-14', version: '1.52.0-1', fixedIn: '1.52.0-2', score: 7.5 }),
      basicFinding('CVE-2024-6387', 'CRITICAL', { packageName: 'openssh-client', version: '1:9.2p1-2', fixedIn: '1:9.2p1-3', score: 8.1 }),
      basicFinding('CVE-2024-45337', 'CRITICAL', { packageName: 'golang.org/x/crypto', version: 'v0.21.0', fixedIn: '0.31.0', score: 9.1 }),
      basicFinding('CVE-2024-2961', 'HIGH', { packageName: 'libc6', version: '2.36-9', score: 7.5 }),
    ]);

    // Act
    await scanOf(apiScanEvent(), withScan({ topFindings: 4 }));

    // Assess
    expect(notice().data.topFindings).toEqual([
      { id: 'CVE-2024-45337', severity: 'CRITICAL', title: 'CVE-2024-45337 in pkg-cve-2024-45337', packageName: 'golang.org/x/crypto', installedVersion: 'v0.21.0', fixedVersion: '0.31.0', uri: 'https://nvd.nist.gov/vuln/detail/CVE-2024-45337', score: 9.1 },
      { id: 'CVE-2024-6387', severity: 'CRITICAL', title: 'CVE-2024-6387 in pkg-cve-2024-6387', packageName: 'openssh-client', installedVersion: '1:9.2p1-2', fixedVersion: '1:9.2p1-3', uri: 'https://nvd.nist.gov/vuln/detail/CVE-2024-6387', score: 8.1 },
      { id: 'CVE-2023-44487', severity: 'HIGH', title: 'CVE-2023-44487 in pkg-cve-2023-44487', packageName: 'libnghttp2-14', installedVersion: '1.52.0-1', fixedVersion: '1.52.0-2', uri: 'https://nvd.nist.gov/vuln/detail/CVE-2023-44487', score: 7.5 },
      { id: 'CVE-2024-2961', severity: 'HIGH', title: 'CVE-2024-2961 in pkg-cve-2024-2961', packageName: 'libc6', installedVersion: '2.36-9', uri: 'https://nvd.nist.gov/vuln/detail/CVE-2024-2961', score: 7.5 },
    ]);
    expect(notice().data.totalFindings).toBe(5);
  });

  it('leaves accepted findings out of the counts for the repositories they apply to', async () => {
    // Prepare
    givenApi([basicFinding('CVE-2024-6387', 'CRITICAL'), basicFinding('CVE-2023-44487', 'HIGH'), basicFinding('CVE-2024-2961', 'HIGH')]);
    const config = withScan({
      acceptedFindings: [
        { id: 'CVE-2024-6387', reason: 'sshd is not running in the container', repositories: ['team-a/**'] },
        { id: 'CVE-2023-44487', reason: 'only for team-b', repositories: ['team-b/**'] },
        { id: 'CVE-2024-2961', reason: 'expired yesterday', expires: '2026-11-19' },
      ],
    });

    // Act
    const report = await scanOf(apiScanEvent(), config);

    // Assess
    expect(verdict()['finding-severity-counts']).toMatchObject({ CRITICAL: 0, HIGH: 2 });
    expect(verdict().verdict).toBe('WARN');
    expect(notice().data.acceptedFindings).toBe(1);
    expect(notice().data.topFindings.map((finding) => finding.id)).toEqual(['CVE-2023-44487', 'CVE-2024-2961']);
    expect(report.decision).toContain('2 finding(s) (+1 accepted), verdict WARN');
  });

  it('still accepts a finding on the day its acceptance expires', async () => {
    // Prepare
    givenApi([basicFinding('CVE-2024-6387', 'CRITICAL')]);

    // Act
    await scanOf(apiScanEvent(), withScan({ acceptedFindings: [{ id: 'CVE-2024-6387', reason: 'until today', expires: '2026-11-20' }] }));

    // Assess
    expect(verdict().verdict).toBe('PASS');
  });

  it.each([
    { what: 'no findings', findings: [], expected: 'PASS', reasons: [], severity: 'info' },
    { what: '20 MEDIUM (at the warn limit)', findings: manyFindings(20, ['MEDIUM']), expected: 'PASS', reasons: [], severity: 'info' },
    { what: '21 MEDIUM', findings: manyFindings(21, ['MEDIUM']), expected: 'WARN', reasons: ['21 MEDIUM > 20 allowed'], severity: 'warning' },
    { what: '1 HIGH', findings: manyFindings(1, ['HIGH']), expected: 'WARN', reasons: ['1 HIGH > 0 allowed'], severity: 'warning' },
    { what: '11 HIGH', findings: manyFindings(11, ['HIGH']), expected: 'FAIL', reasons: ['11 HIGH > 10 allowed'], severity: 'critical' },
    { what: '1 CRITICAL and 30 MEDIUM', findings: [basicFinding('CVE-1', 'CRITICAL'), ...manyFindings(30, ['MEDIUM'])], expected: 'FAIL', reasons: ['1 CRITICAL > 0 allowed'], severity: 'critical' },
    { what: '500 LOW (no threshold)', findings: manyFindings(500, ['LOW']), expected: 'PASS', reasons: [], severity: 'info' },
  ])('judges $what as $expected with the configured thresholds', async ({ findings, expected, reasons, severity }) => {
    // Prepare
    givenApi(findings);

    // Act
    await scanOf(apiScanEvent(), withScan({ failAbove: { CRITICAL: 0, HIGH: 10 }, warnAbove: { HIGH: 0, MEDIUM: 20 } }));

    // Assess
    expect(verdict().verdict).toBe(expected);
    expect(verdict().reasons).toEqual(reasons);
    expect(notice().severity).toBe(severity);
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.MessageAttributes?.verdict).toEqual({ DataType: 'String', StringValue: expected });
  });

  it('computes new and fixed findings against the previous scanned image of the repository', async () => {
    // Prepare
    givenApi(
      [basicFinding('CVE-B', 'HIGH'), basicFinding('CVE-C', 'CRITICAL'), basicFinding('CVE-D', 'LOW')],
      [basicFinding('CVE-A', 'HIGH'), basicFinding('CVE-B', 'HIGH', { version: '0.9.0' })],
    );

    // Act
    const report = await scanOf(apiScanEvent());

    // Assess
    expect(verdict()).toMatchObject({ 'new-findings': 2, 'fixed-findings': 1 });
    expect(notice().data.comparison).toMatchObject({
      previousDigest: PREVIOUS,
      previousTags: ['v1.3.0'],
      newCount: 2,
      fixedCount: 1,
    });
    expect(notice().data.comparison?.newFindings.map((finding) => finding.id)).toEqual(['CVE-C', 'CVE-D']);
    expect(notice().data.comparison?.fixedFindings.map((finding) => finding.id)).toEqual(['CVE-A']);
    expect(report.decision).toContain(`2 new, 1 fixed since ${PREVIOUS.slice(0, 19)}`);
  });

  it('skips earlier images without a scan, indexes and later images when looking for the baseline', async () => {
    // Prepare
    const [unscanned, index, later, older] = [digestOf('unscanned'), digestOf('an-index'), digestOf('later'), digestOf('older')];
    givenRegistry({
      images: [
        sdkImage('current', { digest: CURRENT, imageTags: ['v1.4.0'], imagePushedAt: new Date('2026-11-20T08:55:00Z') }),
        sdkImage('later', { digest: later, imageTags: ['v1.5.0'], imagePushedAt: new Date('2026-11-20T08:59:00Z') }),
        sdkImage('index', { digest: index, imageTags: ['multi'], imagePushedAt: new Date('2026-11-19T00:00:00Z'), imageManifestMediaType: MEDIA_TYPES.ociIndex }),
        sdkImage('unscanned', { digest: unscanned, imageTags: ['v1.3.1'], imagePushedAt: new Date('2026-11-18T00:00:00Z'), imageScanStatus: { status: 'FAILED' } }),
        sdkImage('no-scan', { digest: PREVIOUS, imageTags: ['v1.3.0'], imagePushedAt: new Date('2026-11-15T00:00:00Z') }),
        sdkImage('older', { digest: older, imageTags: ['v1.2.0'], imagePushedAt: new Date('2026-11-01T00:00:00Z') }),
      ],
      findings: { [CURRENT]: [basicFinding('CVE-B', 'LOW')], [later]: [], [older]: [basicFinding('CVE-A', 'LOW')] },
    });

    // Act
    await scanOf(apiScanEvent());

    // Assess
    expect(notice().data.comparison).toMatchObject({ previousDigest: older, previousTags: ['v1.2.0'], newCount: 1, fixedCount: 1 });
    const asked = ecr.commandCalls(DescribeImageScanFindingsCommand).map((call) => call.args[0].input.imageId?.imageDigest);
    expect(asked).toEqual([CURRENT, PREVIOUS, older]);
  });

  it('says so when there is no earlier scanned image to compare with', async () => {
    // Prepare
    givenApi([basicFinding('CVE-B', 'LOW')]);

    // Act
    const report = await scanOf(apiScanEvent());

    // Assess
    expect(notice().data.comparison).toBeUndefined();
    expect(verdict()).not.toHaveProperty('new-findings');
    expect(report.decision).toContain('no earlier scanned image to compare');
  });

  describe('an untagged platform manifest', () => {
    const WEB_V2 = digestOf('web-v2.0.0');
    const WEB_V1 = digestOf('web-v1.9.0');
    const [amd64, arm64, amd64Before, arm64Before] = [digestOf('web-amd64'), digestOf('web-arm64'), digestOf('web-amd64-before'), digestOf('web-arm64-before')];

    function givenWeb(): void {
      givenRegistry({
        images: [
          sdkImage('v2', { digest: WEB_V2, imageTags: ['v2.0.0', 'latest'], imagePushedAt: new Date('2026-11-20T08:58:00Z'), imageManifestMediaType: MEDIA_TYPES.ociIndex }),
          sdkImage('amd64', { digest: amd64, imagePushedAt: new Date('2026-11-20T08:57:58Z'), imageManifestMediaType: MEDIA_TYPES.ociManifest }),
          sdkImage('arm64', { digest: arm64, imagePushedAt: new Date('2026-11-20T08:57:59Z'), imageManifestMediaType: MEDIA_TYPES.ociManifest }),
          sdkImage('v1', { digest: WEB_V1, imageTags: ['v1.9.0'], imagePushedAt: new Date('2026-11-05T11:30:00Z'), imageManifestMediaType: MEDIA_TYPES.ociIndex }),
          sdkImage('amd64-before', { digest: amd64Before, imagePushedAt: new Date('2026-11-05T11:29:58Z'), imageManifestMediaType: MEDIA_TYPES.ociManifest }),
          sdkImage('arm64-before', { digest: arm64Before, imagePushedAt: new Date('2026-11-05T11:29:59Z'), imageManifestMediaType: MEDIA_TYPES.ociManifest }),
        ],
        findings: {
          [arm64]: [basicFinding('CVE-2024-45590', 'HIGH'), basicFinding('CVE-2024-43799', 'MEDIUM')],
          [amd64]: [basicFinding('CVE-AMD64-ONLY', 'CRITICAL')],
          [arm64Before]: [basicFinding('CVE-2024-45590', 'HIGH'), basicFinding('CVE-2024-43799', 'MEDIUM'), basicFinding('CVE-2024-29041', 'MEDIUM')],
          [amd64Before]: [basicFinding('CVE-2024-45590', 'HIGH')],
        },
        manifests: {
          [WEB_V2]: indexManifest([{ digest: amd64, platform: 'linux/amd64' }, { digest: arm64, platform: 'linux/arm64/v8' }], { attestation: true }),
          [WEB_V1]: indexManifest([{ digest: amd64Before, platform: 'linux/amd64' }, { digest: arm64Before, platform: 'linux/arm64/v8' }]),
        },
      });
    }

    it('is reported under the tags and platform of the index that references it', async () => {
      // Prepare
      givenWeb();
      const raw = imageScanEvent({ 'repository-name': 'team-a/web', 'image-digest': arm64, 'image-tags': [] });

      // Act
      const report = await scanOf(raw);

      // Assess
      expect(verdict()).toMatchObject({ 'image-digest': arm64, 'image-tags': ['v2.0.0', 'latest'], 'index-digest': WEB_V2, platform: 'linux/arm64/v8' });
      expect(notice().data.reportedUnder).toEqual({ indexDigest: WEB_V2, tags: ['v2.0.0', 'latest'], platform: 'linux/arm64/v8' });
      expect(report.decision).toMatch(/^Scan of team-a\/web:v2\.0\.0 \(linux\/arm64\/v8\): 2 finding\(s\)/);
      const subject = sns.commandCalls(PublishCommand)[0]?.args[0].input.Subject;
      expect(subject).toBe('[ecr-autopilot] WARN team-a/web:v2.0.0 (linux/arm64/v8): 1 HIGH > 0 allowed (0 new, 1 fixed)');
    });

    it('is compared with the same platform of the previous index', async () => {
      // Prepare
      givenWeb();
      const raw = imageScanEvent({ 'repository-name': 'team-a/web', 'image-digest': arm64, 'image-tags': [] });

      // Act
      await scanOf(raw);

      // Assess
      expect(notice().data.comparison).toMatchObject({ previousDigest: arm64Before, previousTags: ['v1.9.0'], newCount: 0, fixedCount: 1 });
      expect(notice().data.comparison?.fixedFindings.map((finding) => finding.id)).toEqual(['CVE-2024-29041']);
      const asked = ecr.commandCalls(DescribeImageScanFindingsCommand).map((call) => call.args[0].input.imageId?.imageDigest);
      expect(asked).toEqual([arm64, arm64Before]);
    });

    it('is reported under its own digest when no index references it', async () => {
      // Prepare
      givenWeb();
      const orphan = digestOf('orphan');
      ecr.on(DescribeImagesCommand).resolves({ imageDetails: [sdkImage('orphan', { digest: orphan, imageManifestMediaType: MEDIA_TYPES.ociManifest })] });
      ecr.on(DescribeImageScanFindingsCommand).resolves({ imageScanStatus: { status: 'COMPLETE' }, imageScanFindings: { findings: [] } });

      // Act
      const report = await scanOf(imageScanEvent({ 'repository-name': 'team-a/web', 'image-digest': orphan, 'image-tags': [] }));

      // Assess
      expect(verdict()).not.toHaveProperty('index-digest');
      expect(verdict()['image-tags']).toEqual([]);
      expect(report.decision).toMatch(new RegExp(`^Scan of team-a/web@${orphan}`));
    });
  });

  it('reads an Inspector2 event by the repository name inside its ARN', async () => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.inspectorScan);
    raw.detail['repository-name'] = 'arn:aws:ecr:ap-northeast-2:210987654321:repository/team-a/web';
    const digest: string = raw.detail['image-digest'];
    givenRegistry({
      images: [sdkImage('web', { digest, imageTags: ['v2.0.0'], imageManifestMediaType: MEDIA_TYPES.ociManifest })],
      findings: { [digest]: { enhanced: [enhancedFinding('CVE-2024-45590', 'HIGH', [{ name: 'body-parser', version: '1.20.2', fixedInVersion: '1.20.3' }])] } },
    });

    // Act
    await scanOf(raw);

    // Assess
    expect(ecr).toHaveReceivedCommandWith(DescribeImageScanFindingsCommand, { repositoryName: 'team-a/web', imageId: { imageDigest: digest } });
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, { repositoryName: 'team-a/web' });
    expect(verdict()).toMatchObject({ 'repository-name': 'team-a/web', 'registry-id': '210987654321', 'scan-type': 'ENHANCED', 'image-tags': ['v2.0.0'] });
    expect(events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Resources).toEqual(['arn:aws:ecr:ap-northeast-2:210987654321:repository/team-a/web']);
    expect(notice().data).toMatchObject({ scanType: 'ENHANCED', scanStatus: 'INITIAL_SCAN_COMPLETE', topFindings: [{ id: 'CVE-2024-45590', packageName: 'body-parser', fixedVersion: '1.20.3' }] });
  });

  it('says ENHANCED in both the verdict and the notice when ECR returns Inspector findings for a basic event', async () => {
    // Prepare
    givenRegistry({
      images: [sdkImage('current', { digest: CURRENT, imageTags: ['v1.4.0'] })],
      findings: { [CURRENT]: { enhanced: [enhancedFinding('CVE-2024-45590', 'MEDIUM', [{ name: 'send', version: '0.18.0' }])] } },
    });

    // Act
    await scanOf(apiScanEvent());

    // Assess
    expect(notice().data.scanType).toBe('ENHANCED');
    expect(verdict()['scan-type']).toBe('ENHANCED');
  });

  describe('notifications.scanSummaries', () => {
    it.each([
      { mode: 'always', what: 'no findings', findings: [], published: true },
      { mode: 'findings', what: 'no findings', findings: [], published: false },
      { mode: 'findings', what: '1 LOW', findings: manyFindings(1, ['LOW']), published: true },
      { mode: 'warnOrFail', what: '3 LOW (PASS)', findings: manyFindings(3, ['LOW']), published: false },
      { mode: 'warnOrFail', what: '1 HIGH (WARN)', findings: manyFindings(1, ['HIGH']), published: true },
    ] as const)('in mode $mode with $what publishes: $published (and always puts the verdict)', async ({ mode, findings, published }) => {
      // Prepare
      givenApi([...findings]);

      // Act
      await scanOf(apiScanEvent(), withScan({}, { scanSummaries: mode }));

      // Assess
      expect(events).toHaveReceivedCommandTimes(PutEventsCommand, 1);
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, published ? 1 : 0);
    });
  });

  it('fails with a retryable SCAN_NOT_FOUND when the findings of a completed scan cannot be read, changing nothing', async () => {
    // Prepare
    givenApi([]);
    ecr.on(DescribeImageScanFindingsCommand).rejects(new ScanNotFoundException({ message: 'Image scan does not exist for the image', $metadata: {} }));

    // Act
    const failure = scanOf(apiScanEvent());

    // Assess
    await expect(failure).rejects.toBeInstanceOf(AutopilotError);
    await expect(failure).rejects.toMatchObject({ code: 'SCAN_NOT_FOUND', retryable: true });
    expect(events).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  // Every ImageScanStatus but COMPLETE and ACTIVE (API Reference, ImageScanStatus:
  // https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageScanStatus.html).
  it.each(['FAILED', 'UNSUPPORTED_IMAGE', 'SCAN_ELIGIBILITY_EXPIRED', 'FINDINGS_UNAVAILABLE', 'LIMIT_EXCEEDED', 'IMAGE_ARCHIVED', 'IN_PROGRESS', 'PENDING'])(
    'reads no findings for a scan that ended %s, and warns',
    async (status) => {
      // Prepare
      givenApi([basicFinding('CVE-1', 'CRITICAL')]);

      // Act
      await scanOf(imageScanEvent({ 'image-digest': CURRENT, 'scan-status': status, 'finding-severity-counts': {} }));

      // Assess
      expect(ecr).not.toHaveReceivedCommand(DescribeImageScanFindingsCommand);
      expect(verdict()).toMatchObject({ verdict: 'WARN', reasons: [`scan status ${status}: no findings could be read`], 'total-findings': 0 });
      expect(notice().data.scanStatus).toBe(status);
    },
  );

  it('puts the verdict event with source ecr-autopilot and detail-type Image Scan Verdict', async () => {
    // Prepare
    givenApi([basicFinding('CVE-2024-6387', 'CRITICAL')], [basicFinding('CVE-2024-6387', 'CRITICAL')]);

    // Act
    const report = await scanOf(apiScanEvent());

    // Assess
    expect(events).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const entries = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries;
    expect(entries).toHaveLength(1);
    expect(entries?.[0]).toMatchObject({
      EventBusName: 'ecr-autopilot-bus',
      Source: 'ecr-autopilot',
      DetailType: 'Image Scan Verdict',
      Resources: [`arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${API}`],
    });
    expect(verdict()).toEqual({
      verdict: 'FAIL',
      reasons: ['1 CRITICAL > 0 allowed'],
      'repository-name': API,
      'registry-id': ACCOUNT,
      'image-digest': CURRENT,
      'image-tags': ['v1.4.0'],
      'scan-type': 'BASIC',
      'finding-severity-counts': { CRITICAL: 1, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 },
      'total-findings': 1,
      'new-findings': 0,
      'fixed-findings': 0,
      'source-event-id': '85fc3613-e913-7fc4-a80c-a3753e4aa9ae',
    });
    expect(report.changes.map(({ change, outcome }) => [change.action, outcome])).toEqual([
      ['events:PutEvents', { status: 'applied', message: 'event verdict-1' }],
      ['sns:Publish', { status: 'applied', message: 'message message-1' }],
    ]);
  });

  it('reports a verdict event PutEvents rejected (FailedEntryCount > 0) as a failure', async () => {
    // Prepare
    givenApi([]);
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed' }] });

    // Act
    const report = await scanOf(apiScanEvent());

    // Assess
    expect(report.outcome).toBe('failed');
    expect(report.changes[0]?.outcome).toEqual({ status: 'failed', message: 'PutEvents rejected the verdict event on bus ecr-autopilot-bus: MalformedDetail Detail is malformed' });
  });

  it('throws a retryable error when PutEvents rejects the entry for throttling, before publishing', async () => {
    // Prepare
    givenApi([]);
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }] });

    // Act
    const failure = scanOf(apiScanEvent());

    // Assess
    await expect(failure).rejects.toMatchObject({ code: 'AWS_ERROR', retryable: true });
    expect(sns).not.toHaveReceivedAnyCommand();
  });
});
