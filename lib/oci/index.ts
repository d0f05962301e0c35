/**
 * The OCI distribution client and copy engine: public surface.
 */
export { copyImage, DEFAULT_COPY_CONCURRENCY } from './copy/copyImage';
export { listIndexPlatforms, resolveManifestDigest, type ResolvedManifest, type ResolveOptions } from './copy/resolve';
export type { CopyOptions, CopyProgress, CopyReport } from './copy/types';
export { computeDigest, isDigest, parseDigest } from './digest';
export * from './mediaTypes';
export { formatPlatform, parsePlatform, platformMatches } from './platform';
export { type EcrRegistryHost, formatImageReference, isEcrRegistry, parseImageReference } from './reference';
export { BlobClient, type UploadOutcome } from './remote/BlobClient';
export { ManifestClient, type ManifestHead } from './remote/ManifestClient';
export { listReferrers, referrersTagFor } from './remote/referrers';
export { RegistryClient, type RegistryClientOptions } from './remote/RegistryClient';
export { verifyingSource } from './remote/verifyingSource';
export { type AuthChallenge, parseAuthChallenges, selectAuthChallenge } from './transport/authChallenge';
export {
  anonymousCredentials,
  type BasicCredential,
  type CredentialProvider,
  type CredentialsForRegistry,
  parseUserPassword,
  staticCredentials,
} from './transport/credentials';
export { type EcrAuthorizationToken, ecrAuthorizationTokenFromSdk, ecrCredentials, type GetEcrAuthorizationToken } from './transport/ecrCredentials';
export { DigestMismatchError, isNotFoundError, redactUrl, RegistryError } from './transport/registryErrors';
export { createRetryPolicy, type RetryPolicy } from './transport/retryPolicy';
export { RegistryHttp, type RegistryRequest, type RegistryResponse } from './transport/RegistryHttp';
export type { Descriptor, ImageReference, Platform, RawManifest, RepositoryRef } from './types';
