/**
 * Shared fixtures for the mirror tests: a configuration read through the real loader, a fake
 * upstream, and recorders for copies and notices.
 */
import type { AutopilotConfig } from '../../../lib/config/types';
import { readConfig } from '../../../lib/config/loadConfig';
import type { CopyImageChange } from '../../../lib/mirror/changes';
import type { MirrorTarget } from '../../../lib/mirror/mirrorTargets';
import type { UpstreamImage, UpstreamReader } from '../../../lib/mirror/UpstreamReader';
import type { PublishNoticeChange } from '../../../lib/notify/changes';
import type { MirrorReportNotice, Notice } from '../../../lib/notify/notices';
import { AutopilotError } from '../../../lib/errors';
import type { ApplyOptions, ChangeOutcome, ChangeWriter } from '../../../lib/plan/types';
import type { LoggerPort } from '../../../lib/runtime/types';
import { digestOf } from '../../support/events';

export const ALB = 'public.ecr.aws/eks/aws-load-balancer-controller';
export const CA = 'registry.k8s.io/autoscaling/cluster-autoscaler';
export const ALB_REPOSITORY = 'mirror/eks/aws-load-balancer-controller';
export const CA_REPOSITORY = 'mirror/autoscaling/cluster-autoscaler';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** The mirrors class's lifecycle policy, inline (canonical form is computed by the loader). */
export const MIRRORS_POLICY = {
  rules: [
    {
      rulePriority: 1,
      description: 'Keep the 10 most recent mirrored versions',
      selection: { tagStatus: 'tagged', tagPatternList: ['v*'], countType: 'imageCountMoreThan', countNumber: 10 },
      action: { type: 'expire' },
    },
  ],
};

/** The lab's two images (as infra/autopilot.yml has them) plus whatever the test adds to `mirror`. */
export function mirrorConfig(mirror: Record<string, unknown> = {}): AutopilotConfig {
  const written = {
    version: 1,
    repositoryClasses: [
      { name: 'mirrors', repositories: ['mirror/**'], lifecyclePolicy: MIRRORS_POLICY, scanOnPush: true, tagMutability: 'IMMUTABLE' },
      { name: 'services', repositories: ['**'], scanOnPush: true },
    ],
    mirror: {
      repositoryPrefix: 'mirror',
      platforms: 'all',
      includeReferrers: false,
      images: [
        { source: ALB, tags: ['v2.9.2'] },
        { source: CA, tags: ['v1.32.0'] },
      ],
      ...mirror,
    },
  };
  const result = readConfig(JSON.stringify(written), '/test/autopilot.yml', { today: new Date('2026-11-20T00:00:00Z') });
  if (!result.ok) throw new Error(`test configuration is invalid: ${JSON.stringify(result.issues)}`);
  return result.config;
}

/** An upstream image as the OCI reader would describe it. */
export function upstreamImage(reference: string, name: string, platforms: string[] = ['linux/amd64', 'linux/arm64'], destinationDigest?: string | null): UpstreamImage {
  const digest = digestOf(name);
  return { reference, digest, mediaType: OCI_INDEX, platforms, destinationDigest: destinationDigest === null ? undefined : (destinationDigest ?? digest) };
}

/** Answers from a table keyed by source reference; records what was asked. */
export class FakeUpstream implements UpstreamReader {
  readonly asked: Array<Pick<MirrorTarget, 'sourceReference' | 'platforms'>> = [];

  constructor(private readonly images: Record<string, UpstreamImage | Error>) {}

  async resolve(target: Pick<MirrorTarget, 'sourceReference' | 'platforms'>): Promise<UpstreamImage> {
    this.asked.push({ sourceReference: target.sourceReference, platforms: target.platforms });
    const image = this.images[target.sourceReference];
    if (image === undefined) throw new Error(`unexpected upstream lookup ${target.sourceReference}`);
    if (image instanceof Error) throw image;
    return image;
  }
}

/** Records copies; answers with the digest it is told to (default: the expected one), or a failure. */
export class CopyRecorder implements ChangeWriter<CopyImageChange> {
  readonly copies: CopyImageChange[] = [];

  constructor(private readonly answer: (change: CopyImageChange) => ChangeOutcome = (change) => ({ status: 'applied', data: { digest: change.expectedDigest ?? digestOf(`copied ${change.target}`), bytesCopied: 2048, newIndex: change.platforms !== 'all' } })) {}

  async apply(change: CopyImageChange): Promise<ChangeOutcome> {
    this.copies.push(change);
    return this.answer(change);
  }
}

export class NoticeRecorder implements ChangeWriter<PublishNoticeChange> {
  readonly notices: Notice[] = [];

  async apply(change: PublishNoticeChange): Promise<ChangeOutcome> {
    this.notices.push(change.notice);
    return { status: 'applied', message: 'message test-1' };
  }

  /** The only notice, as a mirror report (fails the test when there is not exactly one). */
  sole(): MirrorReportNotice {
    if (this.notices.length !== 1) throw new Error(`expected exactly one notice, got ${this.notices.length}`);
    const notice = this.notices[0] as Notice;
    if (notice.kind !== 'mirror.report') throw new Error(`expected a mirror.report, got ${notice.kind}`);
    return notice;
  }
}

export const silentLogger: LoggerPort = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A copy that takes 100 s (of fake time) and honours its signal, as the copy engine does. */
export class SlowCopyWriter implements ChangeWriter<CopyImageChange> {
  readonly started: Array<{ target: string; at: number }> = [];
  readonly finished: string[] = [];
  readonly abandoned: string[] = [];

  async apply(change: CopyImageChange, options: ApplyOptions): Promise<ChangeOutcome> {
    this.started.push({ target: change.target, at: Date.now() });
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        this.abandoned.push(change.target);
        reject(new AutopilotError('ABORTED', 'the copy was cancelled'));
      };
      const timer = setTimeout(() => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve();
      }, 100_000);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    this.finished.push(change.target);
    return { status: 'applied', data: { digest: change.expectedDigest ?? '' } };
  }
}
