/**
 * An in-memory ECR control plane that answers the SDK commands the sweep and the fleet use, with
 * optional per-call latency and token-bucket throttling on a (virtual) clock. Tests route a mocked
 * `ECRClient` to it; `npm run bench -- fleet` passes it to `EcrRegistry` as the client.
 */
import type { ImageDetail, Repository } from '@aws-sdk/client-ecr';

export interface SimulatedImage {
  imageDigest: string;
  imageTags: string[];
  imagePushedAt: Date;
  imageSizeInBytes: number;
  imageManifestMediaType: string;
}

export interface SimulatedRepositorySeed {
  repositoryName: string;
  imageTagMutability?: string;
  exclusions?: string[];
  scanOnPush?: boolean;
  lifecyclePolicyText?: string;
}

export interface SimulatorClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface SimulatedEcrOptions {
  registryId: string;
  region: string;
  repositories: readonly SimulatedRepositorySeed[];
  /** Images of a repository, generated on first use (a million images need not all exist at once). */
  imagesOf: (repositoryName: string) => SimulatedImage[];
  clock?: SimulatorClock;
  /** Milliseconds each call takes, by operation. */
  latencyMs?: (operation: string) => number;
  /** The account's ECR rate: a token bucket of this many calls per second, holding at most one second's worth. */
  callsPerSecond?: number;
  /** Fails a call before it is answered (an injected fault). */
  fault?: (operation: string, input: Record<string, unknown>) => Error | undefined;
}

interface RepositoryState extends SimulatedRepositorySeed {
  images?: Map<string, SimulatedImage>;
}

const PAGE = 1000;

export class SimulatedEcr {
  readonly calls = new Map<string, number>();
  /** Start times (clock ms) of every admitted call, for the rate check. */
  readonly callTimes: number[] = [];
  throttled = 0;
  private readonly options: SimulatedEcrOptions;
  private readonly repositories: Map<string, RepositoryState>;
  private tokens: number;
  private refilledAt: number;

  constructor(options: SimulatedEcrOptions) {
    this.options = options;
    this.repositories = new Map(options.repositories.map((seed) => [seed.repositoryName, { ...seed }]));
    this.tokens = options.callsPerSecond ?? Number.POSITIVE_INFINITY;
    this.refilledAt = options.clock?.now() ?? 0;
  }

  /** An object with the `send` of an ECRClient, for `new EcrRegistry({ client })`. */
  client(): { send(command: { constructor: { name: string }; input: unknown }): Promise<unknown> } {
    return { send: (command) => this.handle(command.constructor.name.replace(/Command$/, ''), command.input as Record<string, unknown>) };
  }

  /** The most calls admitted in any one-second window [t, t + 1000). */
  peakCallsPerSecond(): number {
    let peak = 0;
    let start = 0;
    for (let end = 0; end < this.callTimes.length; end += 1) {
      while ((this.callTimes[end] as number) - (this.callTimes[start] as number) >= 1000) start += 1;
      peak = Math.max(peak, end - start + 1);
    }
    return peak;
  }

  totalCalls(): number {
    return [...this.calls.values()].reduce((a, b) => a + b, 0);
  }

  /** Images still in a repository (after deletions). */
  imagesIn(repositoryName: string): SimulatedImage[] {
    return [...this.imagesOf(this.repository(repositoryName)).values()];
  }

  lifecyclePolicyOf(repositoryName: string): string | undefined {
    return this.repositories.get(repositoryName)?.lifecyclePolicyText;
  }

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    const clock = this.options.clock;
    this.admit(operation);
    if (clock && this.options.latencyMs) await clock.sleep(this.options.latencyMs(operation));
    const fault = this.options.fault?.(operation, input);
    if (fault) throw fault;
    return this.answer(operation, input);
  }

  private admit(operation: string): void {
    const rate = this.options.callsPerSecond;
    const now = this.options.clock?.now() ?? 0;
    if (rate !== undefined) {
      this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) / 1000) * rate);
      this.refilledAt = now;
      if (this.tokens < 1) {
        this.throttled += 1;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
      }
      this.tokens -= 1;
    }
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
    this.callTimes.push(now);
  }

  private answer(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'DescribeRepositories': {
        const names = input.repositoryNames as string[] | undefined;
        if (names) {
          const missing = names.find((name) => !this.repositories.has(name));
          if (missing) throw notFound('RepositoryNotFoundException', `The repository with name '${missing}' does not exist`);
          return { repositories: names.map((name) => this.toSdkRepository(this.repository(name))) };
        }
        const all = [...this.repositories.values()];
        const offset = Number(input.nextToken ?? 0);
        const size = Math.min(Number(input.maxResults ?? 100), PAGE);
        const page = all.slice(offset, offset + size);
        return { repositories: page.map((r) => this.toSdkRepository(r)), ...(offset + size < all.length ? { nextToken: String(offset + size) } : {}) };
      }
      case 'GetLifecyclePolicy': {
        const text = this.repository(String(input.repositoryName)).lifecyclePolicyText;
        if (text === undefined) throw notFound('LifecyclePolicyNotFoundException', 'Lifecycle policy does not exist');
        return { lifecyclePolicyText: text };
      }
      case 'PutLifecyclePolicy':
        this.repository(String(input.repositoryName)).lifecyclePolicyText = String(input.lifecyclePolicyText);
        return {};
      case 'PutImageScanningConfiguration':
        this.repository(String(input.repositoryName)).scanOnPush = Boolean((input.imageScanningConfiguration as { scanOnPush?: boolean }).scanOnPush);
        return {};
      case 'PutImageTagMutability': {
        const repository = this.repository(String(input.repositoryName));
        repository.imageTagMutability = String(input.imageTagMutability);
        repository.exclusions = ((input.imageTagMutabilityExclusionFilters as Array<{ filter: string }> | undefined) ?? []).map((f) => f.filter);
        return {};
      }
      case 'DescribeImages': {
        const images = [...this.imagesOf(this.repository(String(input.repositoryName))).values()];
        const ids = input.imageIds as Array<{ imageDigest?: string; imageTag?: string }> | undefined;
        if (ids) return { imageDetails: images.filter((image) => ids.some((id) => id.imageDigest === image.imageDigest || (id.imageTag !== undefined && image.imageTags.includes(id.imageTag)))).map(toSdkImage) };
        const offset = Number(input.nextToken ?? 0);
        const size = Math.min(Number(input.maxResults ?? 100), PAGE);
        return { imageDetails: images.slice(offset, offset + size).map(toSdkImage), ...(offset + size < images.length ? { nextToken: String(offset + size) } : {}) };
      }
      case 'BatchGetImage':
        // No image of the simulation is an index: nothing references anything.
        return { images: [], failures: [] };
      case 'BatchDeleteImage': {
        // A digest alone deletes the image; digest and tag remove the tag, and the image goes with its last tag.
        const images = this.imagesOf(this.repository(String(input.repositoryName)));
        const deleted: Array<{ imageDigest: string; imageTag?: string }> = [];
        const failures: Array<{ imageId: { imageDigest: string; imageTag?: string }; failureCode: string; failureReason: string }> = [];
        for (const id of input.imageIds as Array<{ imageDigest: string; imageTag?: string }>) {
          const image = images.get(id.imageDigest);
          if (!image || (id.imageTag !== undefined && !image.imageTags.includes(id.imageTag))) {
            failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
            continue;
          }
          if (id.imageTag !== undefined) image.imageTags = image.imageTags.filter((tag) => tag !== id.imageTag);
          if (id.imageTag === undefined || image.imageTags.length === 0) images.delete(id.imageDigest);
          deleted.push(id);
        }
        return { imageIds: deleted, failures };
      }
      default:
        throw new Error(`SimulatedEcr does not answer ${operation}`);
    }
  }

  private repository(name: string): RepositoryState {
    const repository = this.repositories.get(name);
    if (!repository) throw notFound('RepositoryNotFoundException', `The repository with name '${name}' does not exist`);
    return repository;
  }

  private imagesOf(repository: RepositoryState): Map<string, SimulatedImage> {
    repository.images ??= new Map(this.options.imagesOf(repository.repositoryName).map((image) => [image.imageDigest, image]));
    return repository.images;
  }

  private toSdkRepository(repository: RepositoryState): Repository {
    return {
      repositoryName: repository.repositoryName,
      repositoryArn: `arn:aws:ecr:${this.options.region}:${this.options.registryId}:repository/${repository.repositoryName}`,
      registryId: this.options.registryId,
      repositoryUri: `${this.options.registryId}.dkr.ecr.${this.options.region}.amazonaws.com/${repository.repositoryName}`,
      imageTagMutability: (repository.imageTagMutability ?? 'MUTABLE') as Repository['imageTagMutability'],
      imageTagMutabilityExclusionFilters: (repository.exclusions ?? []).map((filter) => ({ filterType: 'WILDCARD' as const, filter })),
      imageScanningConfiguration: { scanOnPush: repository.scanOnPush ?? false },
    };
  }
}

function toSdkImage(image: SimulatedImage): ImageDetail {
  return {
    imageDigest: image.imageDigest,
    imageTags: image.imageTags.length > 0 ? image.imageTags : undefined,
    imagePushedAt: image.imagePushedAt,
    imageSizeInBytes: image.imageSizeInBytes,
    imageManifestMediaType: image.imageManifestMediaType,
    imageStatus: 'ACTIVE',
  };
}

function notFound(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}
