/**
 * `ecr-autopilot copy <src> <dst> [--platform …] [--src-creds user:pass] [--dest-creds user:pass]
 * [--authfile <file>] [--insecure-registry host:port] [--json]`: copies an image between registries
 * with every platform and digests unchanged. Credentials are found where skopeo, crane and Docker
 * keep them (see cli/copyCredentials.ts); ECR hosts authenticate with GetAuthorizationToken.
 */
import { hasErrorCode } from '../../lib/errors';
import { copyImage } from '../../lib/oci/copy/copyImage';
import type { CopyProgress, CopyReport } from '../../lib/oci/copy/types';
import { parseImageReference } from '../../lib/oci/reference';
import { explainCopyFailure } from '../copyFailures';
import { buildCopyCredentials, type CopyCredentialDeps } from '../copyCredentials';
import { copyProgressLine } from '../copyProgress';
import { formatBytes, plural } from '../../lib/notify/present/format';
import type { AwsOptions } from '../flags';
import { INTERRUPTED } from '../interrupt';
import type { CommandIo, ExitCode } from '../io';

export interface CopyCommandOptions {
  /** Full source reference: `registry/repo:tag` or `registry/repo@sha256:…` (a `docker://` prefix is accepted). */
  source: string;
  /** Full destination reference; without a tag the source's tag is kept. */
  destination: string;
  /** `--platform` values; each may itself be comma-separated (`linux/amd64,linux/arm64`). */
  platforms?: string[];
  /** `user:password` for the source registry. */
  srcCreds?: string;
  /** `user:password` for the destination registry. */
  destCreds?: string;
  /** A containers-auth.json (or Docker config.json) file to read credentials from. */
  authfile?: string;
  /** Registries (`host:port`) that may be reached over plain http. */
  insecureRegistries?: string[];
  /** Also copy signatures, SBOMs and other referrers. */
  includeReferrers?: boolean;
  /** `--profile` for ECR hosts' GetAuthorizationToken (the region is the host's); `--timeout` for every endpoint. */
  aws?: AwsOptions;
}

export interface CopyCommandDeps extends Omit<CopyCredentialDeps, 'aws'> {
  /** Cancels the copy (Ctrl-C). */
  signal?: AbortSignal;
}

/** What an interrupted copy did: how far it got, and that the destination tag is untouched. */
export function interruptedSummary(options: Pick<CopyCommandOptions, 'source' | 'destination'>, last: CopyProgress | undefined): string[] {
  return [
    `Interrupted: ${options.source} → ${options.destination} was not completed`,
    // Bytes count what was sent, of blobs in flight too; a blob is complete once the registry took it.
    ...(last && last.blobsTotal > 0 ? [`  blobs ${last.blobsDone}/${last.blobsTotal} complete, ${formatBytes(last.bytesDone, 1000)} of ${formatBytes(last.bytesTotal, 1000)} sent; the next copy skips the blobs already there`] : []),
    ...(last?.uploadSessionsLeftOpen?.length
      ? [
          '  the destination tag was not changed',
          `  ${plural(last.uploadSessionsLeftOpen.length, 'upload session')} left open: the registry would not delete ${last.uploadSessionsLeftOpen.length === 1 ? 'it' : 'them'} (docker distribution refuses once an upload was cut mid-body); registries remove stale sessions themselves (docker distribution: after 7 days by default)`,
          ...last.uploadSessionsLeftOpen.map((location) => `    ${location}`),
        ]
      : ['  the destination tag was not changed; upload sessions in progress were closed']),
  ];
}

/** What the copy did, in a few lines; a copy that had nothing to do says so first. */
export function summary(report: CopyReport): string[] {
  const digestLine = report.newIndex
    ? `  digest ${report.destinationDigest} (a new index with the chosen platforms; source ${report.sourceDigest})`
    : `  digest ${report.destinationDigest} (unchanged)`;
  const platformsLine = report.platforms.length > 0 ? [`  platforms ${report.platforms.join(', ')}`] : [];
  const present = report.blobsSkipped + report.blobsMounted;
  const tookLine = `  took ${(report.durationMs / 1000).toFixed(1)} s`;
  if (report.blobsCopied === 0 && report.manifestsCopied === 0) {
    const there = present > 0 ? `${plural(present, 'blob')} already there` : `${plural(report.manifestsSkipped, 'manifest')} already there`;
    return [`Nothing to copy: ${there}`, `  ${report.destination}`, digestLine, ...platformsLine, tookLine];
  }
  return [
    `Copied ${report.source} → ${report.destination}`,
    digestLine,
    ...platformsLine,
    report.blobsCopied === 0
      ? `  moved no blobs; ${plural(present, 'blob')} already there${report.blobsMounted > 0 ? ` (${report.blobsMounted} mounted)` : ''}`
      : `  moved ${formatBytes(report.bytesCopied, 1000)} in ${plural(report.blobsCopied, 'blob')}; ${present} already there${report.blobsMounted > 0 ? ` (${report.blobsMounted} mounted)` : ''}`,
    `  manifests ${report.manifestsCopied} pushed, ${report.manifestsSkipped} already there`,
    tookLine,
  ];
}

/**
 * Runs `copy`. Returns 0 on success; failures are thrown as `AutopilotError`s, with what to do
 * added (credentials to give, a registry to name insecure), for `cli/main.ts` to map to exit codes.
 *
 * @example
 * await runCopy({ source: 'registry.k8s.io/autoscaling/cluster-autoscaler:v1.32.0',
 *   destination: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/cluster-autoscaler:v1.32.0' }, io);
 */
export async function runCopy(options: CopyCommandOptions, io: CommandIo, deps: CopyCommandDeps = {}): Promise<ExitCode> {
  const source = parseImageReference(options.source);
  const destination = parseImageReference(options.destination);
  const platforms = (options.platforms ?? []).flatMap((value) => value.split(',')).map((p) => p.trim()).filter((p) => p !== '');
  const { signal, ...credentialDeps } = deps;
  const { credentials, warning } = await buildCopyCredentials(options, { ...credentialDeps, ...(options.aws ? { aws: options.aws } : {}) });
  if (warning) io.err(warning);

  const progressLine = copyProgressLine({ source: options.source.replace(/^docker:\/\//, ''), destinationRegistry: destination.registry });
  let last: CopyProgress | undefined;
  let report: CopyReport;
  try {
    report = await copyImage(source, destination, {
      credentials,
      ...(platforms.length > 0 ? { platforms } : {}),
      ...(options.insecureRegistries ? { insecureRegistries: options.insecureRegistries } : {}),
      ...(options.includeReferrers ? { includeReferrers: true } : {}),
      // Ctrl-C (cli/interrupt.ts) cancels the copy: transfers stop, their upload sessions are deleted.
      signal: signal ?? io.interrupt,
      ...(options.aws?.timeout !== undefined ? { timeoutMs: options.aws.timeout * 1000 } : {}),
      onProgress: (progress) => {
        last = progress;
        io.progress(progressLine(progress));
      },
    });
  } catch (error) {
    if (hasErrorCode(error, 'ABORTED') && io.interrupt.aborted) {
      // Interrupted: every transfer has settled and closed its upload session; say how far it got.
      if (io.json) io.data({ interrupted: true, source: options.source, destination: options.destination, progress: last ?? null, destinationTagChanged: false });
      else for (const line of interruptedSummary(options, last)) io.out(line);
      return INTERRUPTED;
    }
    throw await explainCopyFailure(error, { source, destination, insecureRegistries: options.insecureRegistries ?? [] });
  }

  if (io.json) {
    io.data(report);
  } else {
    for (const line of summary(report)) io.out(line);
  }
  return 0;
}
