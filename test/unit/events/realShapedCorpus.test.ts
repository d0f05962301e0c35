/**
 * The real-shaped corpus: every sample in `events/` (AWS's own documented samples, verbatim, and the
 * shapes AWS really sends: `"image-tag": ""`, absent optional fields, Inspector2 scans of EC2,
 * Lambda and machine images, failed scans, failed syncs that name no image) goes through its handler and is accepted
 * or ignored with a reason: never rejected, never dead-lettered. The fuzz suite proves the other
 * half (truly malformed events are rejected).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { listSamples } from '../../../cli/commands/demo';
import { EcrImageActionEvent, ImageTags, parseEvent } from '../../../lib/events';
import type { FunctionReport } from '../../../lib/runtime/types';
import { captureCliOutput, cliStderr, cliStdout, runCli } from '../../support/cli';
import { EVENTS_DIR, lambdaContext, loadEvent } from '../../support/events';
import { fakeIdempotencyTable } from '../../support/idempotencyTable';
import { captureLogs, LAMBDA_ENV, setEnv } from '../../support/lambdaHarness';

const SAMPLES = listSamples().map((sample) => ({ name: sample.file.slice(EVENTS_DIR.length).replace(/\.json$/, ''), file: sample.file, function: sample.function }));

/** What each real-shaped sample must come to in plan mode against the bundled snapshot. */
const EXPECTED: Record<string, { outcome: 'done' | 'ignored'; decision: RegExp }> = {
  'ecr-image-action/aws-doc-push': { outcome: 'ignored', decision: /image-digest sha256:7f5b\S+ is no sha256 digest of 64 hex characters \(AWS's documentation samples/ },
  'ecr-image-action/aws-doc-delete': { outcome: 'ignored', decision: /^Ignored DELETE SUCCESS of my-repository-name: only successful pushes/ },
  'ecr-image-action/aws-doc-archive': { outcome: 'ignored', decision: /^Ignored UPDATE_STORAGE_CLASS SUCCESS of ubuntu/ },
  'ecr-image-action/aws-doc-restore': { outcome: 'ignored', decision: /^Ignored UPDATE_STORAGE_CLASS SUCCESS of ubuntu/ },
  'ecr-image-action/push-platform-untagged': { outcome: 'done', decision: /Untagged push .*: no summary\.$/ },
  'ecr-image-action/push-by-digest': { outcome: 'done', decision: /^team-a\/api \(class services\).*Untagged push/ },
  'ecr-image-action/push-repository-double-underscore': { outcome: 'done', decision: /^team__a\/api \(class services\): would fix 2 settings\. Would publish the push summary for team__a\/api:v0\.9\.1/ },
  'ecr-image-scan/aws-doc-basic-complete': { outcome: 'ignored', decision: /^Ignored ECR Image Scan: the scan of my-repository-name has image-digest sha256:7f5b/ },
  'ecr-image-scan/scan-failed': { outcome: 'done', decision: /verdict WARN \(scan status FAILED: no findings could be read\)/ },
  'ecr-image-scan/zero-findings-no-counts': { outcome: 'done', decision: /^Scan of team__a\/api:v0\.9\.1: 0 finding\(s\), verdict PASS/ },
  'inspector2-scan/aws-doc-ecr-image': { outcome: 'ignored', decision: /Inspector2 scan of amazon\/amazon-ecs-sample has image-digest \S+EXAMPLE/ },
  'inspector2-scan/aws-doc-ecr-image-initial-scan': { outcome: 'ignored', decision: /^Ignored the scan of inspector2@sha256:965f.*does not exist/ },
  'inspector2-scan/aws-doc-ec2-instance': { outcome: 'ignored', decision: /Inspector2 scanned EC2 instance i-087d63509b8c97098, not an ECR image/ },
  'inspector2-scan/aws-doc-lambda-function': { outcome: 'ignored', decision: /Inspector2 scanned Lambda function arn:aws:lambda:us-west-2:111122223333:function:lambda-example:\$LATEST, not an ECR image/ },
  'inspector2-scan/aws-doc-machine-image': { outcome: 'ignored', decision: /Inspector2 scanned machine image \(AMI\) ami-0abcdef1234567890, not an ECR image/ },
  'inspector2-scan/zero-findings-no-counts': { outcome: 'done', decision: /^Scan of team__a\/api:v0\.9\.1: 0 finding\(s\), verdict PASS/ },
  'ptc-action/aws-doc-sync': { outcome: 'ignored', decision: /^Ignored the successful pull-through cache sync of docker-hub\/alpine:3\.17\.2/ },
  'cloudtrail/batch-get-image-declared-rule-missing': { outcome: 'done', decision: /declared rule k8s is missing \(not synced yet, or deleted\): would create rule k8s → registry\.k8s\.io and its template/ },
  'cloudtrail/batch-get-image-undeclared-alias': { outcome: 'done', decision: /ghcr\/ is the usual prefix for GitHub Container Registry but is not declared, so no rule is created/ },
  'ptc-action/sync-failed-empty-image': { outcome: 'done', decision: /^Pull-through cache sync of docker-hub\/library\/alpine ended FAILED \(UpstreamTooManyRequests\)/ },
  'step-functions/aws-doc-execution-failed': { outcome: 'ignored', decision: /^Ignored the status change of \S+:execution:state-machine-name:execution-name: state-machine is not a fleet state machine of ecr-autopilot-dev/ },
  'step-functions/aws-doc-execution-timed-out': { outcome: 'ignored', decision: /^Ignored the status change .*: state-machine is not a fleet state machine/ },
  'step-functions/aws-doc-execution-aborted': { outcome: 'ignored', decision: /^Ignored the status change .*: state-machine is not a fleet state machine/ },
  'step-functions/fleet-sweep-failed': { outcome: 'done', decision: /^Run 0b7f3c52-9a1e-4d6b-8f20-5c3e1a7d9b64 \(sweep\) ended FAILED \(States\.ExceedToleratedFailureThreshold\): its batches wrote no results; one report to publish; redrive with aws stepfunctions redrive-execution --execution-arn arn:aws:states:ap-northeast-2:123456789012:execution:ecr-autopilot-dev-fleet-sweep:0b7f3c52/ },
};

describe('the real-shaped corpus in events/, through `ecr-autopilot invoke --plan`', () => {
  beforeEach(() => captureCliOutput());
  afterEach(() => vi.restoreAllMocks());

  it('holds AWS documentation samples and every real-shaped case named in EXPECTED', () => {
    expect(SAMPLES.map((sample) => sample.name)).toEqual(expect.arrayContaining(Object.keys(EXPECTED)));
    expect(SAMPLES.filter((sample) => sample.name.includes('/aws-doc-')).length).toBeGreaterThanOrEqual(10);
  });

  it.each(SAMPLES)('$name → $function exits 0 (1 for a FAIL scan verdict) with a decision, never "Invalid … event"', async ({ name, file, function: fn }) => {
    // Act
    const code = await runCli('invoke', fn, '--event', file, '--plan', '--json');

    // Assess
    expect(cliStderr()).not.toMatch(/Invalid .* event/);
    const { report } = JSON.parse(cliStdout()) as { report: FunctionReport };
    expect(code).toBe(report.verdict === 'FAIL' ? 1 : 0);
    expect(report.decision.length).toBeGreaterThan(0);
    expect(['done', 'ignored']).toContain(report.outcome);
    const expected = EXPECTED[name];
    if (expected) {
      expect(report.outcome).toBe(expected.outcome);
      expect(report.decision).toMatch(expected.decision);
    }
  });
});

describe('AWS documentation samples through the Lambda handlers (as `aws events put-events` would deliver them)', () => {
  const ecr = mockClient(ECRClient);
  const sns = mockClient(SNSClient);
  const events = mockClient(EventBridgeClient);
  const dynamo = mockClient(DynamoDBClient);
  type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<FunctionReport>;
  const handlers: Record<string, Handler> = {};
  let restoreEnv: () => void;
  let logs: ReturnType<typeof captureLogs>;

  beforeAll(async () => {
    restoreEnv = setEnv({ ...LAMBDA_ENV, STATE_TABLE_NAME: 'ecr-autopilot-test-state', FLEET_BUCKET: 'ecr-autopilot-test-fleet', STACK_NAME: 'ecr-autopilot-test' });
    handlers.onImagePush = (await import('../../../functions/onImagePush')).handler as unknown as Handler;
    handlers.onImageScan = (await import('../../../functions/onImageScan')).handler as unknown as Handler;
    handlers.onPullThroughCache = (await import('../../../functions/onPullThroughCache')).handler as unknown as Handler;
    handlers.onFleetRunInterrupted = (await import('../../../functions/onFleetRunInterrupted')).handler as unknown as Handler;
  });

  afterAll(() => restoreEnv());

  beforeEach(() => {
    for (const client of [ecr, sns, events, dynamo]) client.reset();
    fakeIdempotencyTable(dynamo);
    // The documentation's repositories do not exist in the account that receives the sample.
    ecr.onAnyCommand().rejects(new RepositoryNotFoundException({ message: 'The repository does not exist', $metadata: {} }));
    logs = captureLogs();
  });

  afterEach(() => logs.restore());

  it.each(SAMPLES.filter((sample) => sample.name.includes('/aws-doc-')))('$name is ignored with a reason, nothing published, nothing logged as an error', async ({ name, function: fn }) => {
    // Act
    const report = await (handlers[fn] as Handler)(loadEvent(name), lambdaContext(`ecr-autopilot-test-${fn}`));

    // Assess
    expect(report.outcome).toBe('ignored');
    expect(report.decision).toMatch(/^Ignored /);
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(events).not.toHaveReceivedAnyCommand();
    expect(logs.lines().filter((line) => line.level === 'ERROR')).toEqual([]);
  });
});

/**
 * The subset of EventBridge pattern matching the stack's Inspector2 rule uses: exact values and
 * `wildcard` (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html:
 * `*` matches any characters; a field the event lacks never matches).
 */
function matchesPattern(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, expected]) => {
    const value = event[field];
    if (!Array.isArray(expected)) return typeof value === 'object' && value !== null && matchesPattern(expected as Record<string, unknown>, value as Record<string, unknown>);
    if (typeof value !== 'string') return false;
    return expected.some((candidate: unknown) => {
      if (typeof candidate === 'string') return candidate === value;
      const wildcard = (candidate as { wildcard: string }).wildcard;
      return new RegExp(`^${wildcard.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`).test(value);
    });
  });
}

describe('the stack\'s Inspector2 Scan rule', () => {
  const stack = parseYaml(readFileSync(join(EVENTS_DIR, '..', 'serverless.yml'), 'utf8').replace(/!(Sub|Ref|GetAtt)\b/g, ''), { logLevel: 'silent' }) as {
    functions: { onImageScan: { events: Array<{ eventBridge: { pattern: Record<string, unknown> } }> } };
  };
  const inspectorRule = stack.functions.onImageScan.events.map((event) => event.eventBridge.pattern).find((pattern) => JSON.stringify(pattern).includes('aws.inspector2'));
  const inspectorSamples = SAMPLES.filter((sample) => sample.name.startsWith('inspector2-scan/'));

  it.each(inspectorSamples)('routes $name to onImageScan only when it is about an ECR image', ({ name }) => {
    // Prepare
    const event = loadEvent(name);

    // Act
    const routed = matchesPattern(inspectorRule as Record<string, unknown>, event);

    // Assess: EC2 instances, Lambda functions and machine images carry no repository-name.
    expect(routed).toBe(typeof event.detail['repository-name'] === 'string');
    expect(routed).toBe(!/aws-doc-(ec2-instance|lambda-function|machine-image)$/.test(name));
  });
});

describe('shapes AWS sends, as properties', () => {
  it('reads "image-tag": "" as an untagged push, for any push', () => {
    fc.assert(
      fc.property(fc.constantFrom('ecr-image-action/push-tagged', 'ecr-image-action/push-index', 'ecr-image-action/push-platform-untagged'), (name) => {
        // Prepare
        const raw = loadEvent(name);
        raw.detail['image-tag'] = '';

        // Act
        const event = parseEvent(EcrImageActionEvent, raw, 'ECR Image Action event');

        // Assess
        expect(event.detail['image-tag']).toBeUndefined();
      }),
    );
  });

  it('accepts any placeholder digest of the documentation samples, and the handler ignores it without an AWS call', async () => {
    const placeholders = fc.oneof(
      fc.stringMatching(/^[a-f0-9]{40,63}$/),
      fc.stringMatching(/^[a-f0-9]{40,58}$/).map((hex) => `${hex}EXAMPLE`),
      fc.stringMatching(/^[a-f0-9]{65,70}$/),
    );
    const { handleImagePush } = await import('../../../lib/push/handleImagePush');
    await fc.assert(
      fc.asyncProperty(placeholders, async (hex) => {
        // Prepare
        const raw = loadEvent('ecr-image-action/aws-doc-push');
        raw.detail['image-digest'] = `sha256:${hex}`;
        const unreachable = () => {
          throw new Error('no AWS call may be made for a placeholder digest');
        };

        // Act
        const report = await handleImagePush(parseEvent(EcrImageActionEvent, raw, 'ECR Image Action event'), {
          config: undefined as never,
          registry: new Proxy({}, { get: unreachable }) as never,
          writer: new Proxy({}, { get: unreachable }) as never,
          topicArn: 'arn:aws:sns:us-west-2:123456789012:topic',
          logger: undefined as never,
          state: new Proxy({}, { get: unreachable }) as never,
        });

        // Assess
        expect(report.outcome).toBe('ignored');
      }),
    );
  });

  it('drops empty entries of image-tags and reads absent image-tags as none', () => {
    expect(ImageTags.parse(['', 'v1', ''])).toEqual(['v1']);
    expect(ImageTags.parse(undefined)).toEqual([]);
  });
});
