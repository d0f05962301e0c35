/**
 * `ecr-autopilot copy <src> <dst> [--platform …] [--src-creds user:pass] [--dest-creds user:pass]
 * [--insecure-registry host:port] [--json]`: copies an image between registries with every
 * platform and digests unchanged. ECR hosts authenticate with GetAuthorizationToken automatically.
 */
import { copyImage } from '../../lib/oci/copy/copyImage';
import type { CopyProgress, CopyReport } from '../../lib/oci/copy/types';
import { type EcrRegistryHost, isEcrRegistry, parseImageReference } from '../../lib/oci/reference';
import { anonymousCredentials, type CredentialProvider, type CredentialsForRegistry, parseUserPassword, staticCredentials } from '../../lib/oci/transport/credentials';
import type { GetEcrAuthorizationToken } from '../../lib/oci/transport/ecrCredentials';
import { awsClientConfig } from '../awsClientConfig';
import type { AwsOptions } from '../flags';
import type { CommandIo, ExitCode } from '../io';

export interface CopyCommandOptions {
  /** Full source reference: `registry/repo:tag` or `registry/repo@sha256:…`. */
  source: string;
  /** Full destination reference; without a tag the source's tag is kept. */
  destination: string;
  /** `--platform` values; each may itself be comma-separated (`linux/amd64,linux/arm64`). */
  platforms?: string[];
  /** `user:password` for the source registry. */
  srcCreds?: string;
  /** `user:password` for the destination registry. */
  destCreds?: string;
  /** Registries (`host:port`) that may be reached over plain http. */
  insecureRegistries?: string[];
  /** Also copy signatures, SBOMs and other referrers. */
  includeReferrers?: boolean;
  /** `--profile` for ECR hosts' GetAuthorizationToken (the region is the host's). */
  aws?: AwsOptions;
}

export interface CopyCommandDeps {
  /** The GetAuthorizationToken call for an ECR registry; defaults to a live ECRClient in the host's region. */
  ecrTokenFor?: (registry: EcrRegistryHost) => GetEcrAuthorizationToken;
  /** Cancels the copy (Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * Chooses credentials per registry host: `--src-creds`/`--dest-creds` for the hosts they name,
 * ECR authorization for ECR hosts, anonymous otherwise. When both flags name the same host the
 * destination's win (they need push). Returns a warning to show, if any.
 *
 * @example
 * const { credentials } = buildCopyCredentials({ source: 'public.ecr.aws/eks/x:v1', destination: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/x:v1' });
 */
export function buildCopyCredentials(options: CopyCommandOptions, deps: CopyCommandDeps = {}): { credentials: CredentialsForRegistry; warning?: string } {
  const source = parseImageReference(options.source);
  const destination = parseImageReference(options.destination);
  const explicit = new Map<string, CredentialProvider>();
  let warning: string | undefined;
  if (options.srcCreds !== undefined) explicit.set(source.registry, staticCredentials(parseUserPassword(options.srcCreds, '--src-creds')));
  if (options.destCreds !== undefined) {
    if (options.srcCreds !== undefined && source.registry === destination.registry && options.srcCreds !== options.destCreds) {
      warning = `Source and destination are both on ${destination.registry}; using --dest-creds for both`;
    }
    explicit.set(destination.registry, staticCredentials(parseUserPassword(options.destCreds, '--dest-creds')));
  }
  const ecrProviders = new Map<string, CredentialProvider>();
  const credentials: CredentialsForRegistry = (registry) => {
    const given = explicit.get(registry);
    if (given) return given;
    const ecr = isEcrRegistry(registry);
    if (!ecr) return anonymousCredentials;
    let provider = ecrProviders.get(registry);
    if (!provider) {
      // Loaded on first use: a copy between other registries never loads the AWS SDK.
      provider = loadedOnFirstUse('ECR GetAuthorizationToken', async () => {
        const { ecrAuthorizationTokenFromSdk, ecrCredentials } = await import('../../lib/oci/transport/ecrCredentials');
        const getToken = deps.ecrTokenFor?.(ecr) ?? ecrAuthorizationTokenFromSdk(new (await import('@aws-sdk/client-ecr')).ECRClient({ ...awsClientConfig(options.aws), region: ecr.region }));
        return ecrCredentials(getToken);
      });
      ecrProviders.set(registry, provider);
    }
    return provider;
  };
  return warning === undefined ? { credentials } : { credentials, warning };
}

/** A provider whose implementation is imported when a credential is first needed. */
function loadedOnFirstUse(description: string, load: () => Promise<CredentialProvider>): CredentialProvider {
  let loading: Promise<CredentialProvider> | undefined;
  let loaded: CredentialProvider | undefined;
  return {
    description,
    async credential(signal) {
      loading ??= load();
      loaded = await loading;
      return loaded.credential(signal);
    },
    invalidate() {
      loaded?.invalidate();
    },
  };
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/** Decimal units, as registries and `docker images` show sizes. */
function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

function progressLine(progress: CopyProgress): string {
  if (progress.phase === 'planning') return 'Reading the source image…';
  if (progress.phase === 'blobs') {
    return `Copying blobs ${progress.blobsDone}/${progress.blobsTotal} · ${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)}`;
  }
  if (progress.phase === 'manifests') return `Pushing manifests ${progress.manifestsDone}/${progress.manifestsTotal}`;
  if (progress.phase === 'referrers') return 'Copying referrers…';
  return 'Done';
}

function summary(report: CopyReport): string[] {
  const digestLine = report.newIndex
    ? `  digest ${report.destinationDigest} (a new index with the chosen platforms; source ${report.sourceDigest})`
    : `  digest ${report.destinationDigest} (unchanged)`;
  const blobsSkipped = report.blobsSkipped + report.blobsMounted;
  return [
    `Copied ${report.source} → ${report.destination}`,
    digestLine,
    ...(report.platforms.length > 0 ? [`  platforms ${report.platforms.join(', ')}`] : []),
    `  moved ${formatBytes(report.bytesCopied)} in ${report.blobsCopied} blob${report.blobsCopied === 1 ? '' : 's'}; skipped ${blobsSkipped} already there${report.blobsMounted > 0 ? ` (${report.blobsMounted} mounted)` : ''}`,
    `  manifests ${report.manifestsCopied} pushed, ${report.manifestsSkipped} already there`,
    `  took ${(report.durationMs / 1000).toFixed(1)} s`,
  ];
}

/**
 * Runs `copy`. Returns 0 on success; failures are thrown as `AutopilotError`s for `cli/main.ts` to
 * map to exit codes (USAGE → 2, registry and network failures → 3).
 *
 * @example
 * await runCopy({ source: 'registry.k8s.io/autoscaling/cluster-autoscaler:v1.32.0',
 *   destination: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/cluster-autoscaler:v1.32.0' }, io);
 */
export async function runCopy(options: CopyCommandOptions, io: CommandIo, deps: CopyCommandDeps = {}): Promise<ExitCode> {
  const source = parseImageReference(options.source);
  const destination = parseImageReference(options.destination);
  const platforms = (options.platforms ?? []).flatMap((value) => value.split(',')).map((p) => p.trim()).filter((p) => p !== '');
  const { credentials, warning } = buildCopyCredentials(options, deps);
  if (warning) io.err(warning);

  const report = await copyImage(source, destination, {
    credentials,
    ...(platforms.length > 0 ? { platforms } : {}),
    ...(options.insecureRegistries ? { insecureRegistries: options.insecureRegistries } : {}),
    ...(options.includeReferrers ? { includeReferrers: true } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
    onProgress: (progress) => io.progress(progressLine(progress)),
  });

  if (io.json) {
    io.data(report);
  } else {
    for (const line of summary(report)) io.out(line);
  }
  return 0;
}
