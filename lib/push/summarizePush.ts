import { imageConsoleUrl, repositoryUri } from '../ecr/consoleLinks';
import { parseIndexChildren } from '../ecr/manifests';
import type { RegistryReader } from '../ecr/RegistryReader';
import { isIndexMediaType, type ImageDetail } from '../ecr/types';
import { hasErrorCode } from '../errors';
import type { EventOrigin } from '../events/envelope';
import { noticeOriginOf, toNoticeChange } from '../notify/changes';
import type { PushSummaryNotice } from '../notify/notices';
import type { AppliedChange } from '../plan/types';

export interface PushedImage {
  repositoryName: string;
  imageDigest: string;
  /** The tag from the event, if any. */
  tag: string | undefined;
  /** `manifest-media-type` from the event, when ECR sent it. */
  mediaType: string | undefined;
}

/**
 * The push summary notice for a tagged push: tags, size and, for a multi-arch index, every platform
 * with its own size (DescribeImages, then BatchGetImage and DescribeImages for the children). Its
 * reads take the run's stop: cut short, the summary has what the event says (tag, digest, media type).
 *
 * @example
 * const notice = await summarizePush(pushed, { registry }, { origin, repositoryClass: 'services', governance: [] });
 */
export async function summarizePush(
  pushed: PushedImage,
  deps: { registry: RegistryReader; signal?: AbortSignal | undefined },
  context: { origin: EventOrigin; registryId: string; repositoryClass: string | undefined; governance: readonly AppliedChange[] },
): Promise<PushSummaryNotice> {
  const { registry } = deps;
  const call = { signal: deps.signal };
  let detail: ImageDetail | undefined;
  let sizeInBytes: number | undefined;
  const platforms: PushSummaryNotice['data']['platforms'] = [];
  try {
    [detail] = await registry.describeImages(pushed.repositoryName, [pushed.imageDigest], call);
    sizeInBytes = detail?.imageSizeInBytes;
    if (isIndexMediaType(pushed.mediaType ?? detail?.imageManifestMediaType)) {
      const [index] = (await registry.getManifests(pushed.repositoryName, [pushed.imageDigest], call)).manifests;
      const children = index ? parseIndexChildren(index.manifest).filter((child) => !child.isAttestation) : [];
      const childDetails = new Map((await registry.describeImages(pushed.repositoryName, children.map((c) => c.digest), call)).map((d) => [d.imageDigest, d]));
      let total = 0;
      for (const child of children) {
        const childSize = childDetails.get(child.digest)?.imageSizeInBytes;
        if (childSize !== undefined) total += childSize;
        platforms.push({ platform: child.platform ?? 'unknown', digest: child.digest, ...(childSize !== undefined ? { sizeInBytes: childSize } : {}) });
      }
      if (total > 0) sizeInBytes = total;
    }
  } catch (error) {
    // The run's stop cut the reads short: the summary says what the event says, and no more.
    if (!(hasErrorCode(error, 'ABORTED') && deps.signal?.aborted)) throw error;
    platforms.length = 0;
    sizeInBytes = detail?.imageSizeInBytes;
  }
  const mediaType = pushed.mediaType ?? detail?.imageManifestMediaType;
  const tags = detail?.imageTags.length ? detail.imageTags : pushed.tag ? [pushed.tag] : [];

  const data: PushSummaryNotice['data'] = {
    repositoryName: pushed.repositoryName,
    registryId: context.registryId,
    imageDigest: pushed.imageDigest,
    imageUri: `${repositoryUri(context.origin.region, context.registryId, pushed.repositoryName)}${tags[0] ? `:${tags[0]}` : `@${pushed.imageDigest}`}`,
    tags,
    platforms,
    governance: context.governance.map(toNoticeChange),
    consoleUrl: imageConsoleUrl(context.origin.region, context.registryId, pushed.repositoryName, pushed.imageDigest),
  };
  if (mediaType) data.mediaType = mediaType;
  if (sizeInBytes !== undefined) data.sizeInBytes = sizeInBytes;
  if (context.repositoryClass) data.repositoryClass = context.repositoryClass;

  return {
    id: `${context.origin.eventId}:push.summary`,
    kind: 'push.summary',
    severity: context.governance.some((applied) => applied.outcome.status === 'failed') ? 'warning' : 'info',
    repository: pushed.repositoryName,
    occurredAt: context.origin.time,
    origin: noticeOriginOf(context.origin),
    data,
  };
}
