/**
 * Links into the ECR console and image URIs. The console takes the registry id, the full
 * repository name (slashes kept) and the digest.
 */
export function imageConsoleUrl(region: string, registryId: string, repositoryName: string, imageDigest: string): string {
  return `https://${region}.console.aws.amazon.com/ecr/repositories/private/${registryId}/${repositoryName}/_/image/${imageDigest}/details?region=${region}`;
}

export function scanResultsConsoleUrl(region: string, registryId: string, repositoryName: string, imageDigest: string): string {
  return `https://${region}.console.aws.amazon.com/ecr/repositories/private/${registryId}/${repositoryName}/_/image/${imageDigest}/scan-results?region=${region}`;
}

export function repositoryConsoleUrl(region: string, registryId: string, repositoryName: string): string {
  return `https://${region}.console.aws.amazon.com/ecr/repositories/private/${registryId}/${repositoryName}?region=${region}`;
}

/** `<registry>.dkr.ecr.<region>.amazonaws.com/<repository>` */
export function repositoryUri(region: string, registryId: string, repositoryName: string): string {
  return `${registryId}.dkr.ecr.${region}.amazonaws.com/${repositoryName}`;
}
