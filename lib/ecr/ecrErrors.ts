import { AutopilotError } from '../errors';

/**
 * Translates the ECR exceptions callers branch on into `AutopilotError`s with an actionable
 * message; anything else is returned unchanged (the caller rethrows it).
 */
export function translateEcrError(error: unknown, context: { operation: string; repositoryName?: string; imageDigest?: string; region?: string }): unknown {
  if (!(error instanceof Error)) return error;
  const where = context.repositoryName ? `repository ${context.repositoryName}${context.region ? ` (${context.region})` : ''}` : 'the registry';
  switch (error.name) {
    case 'RepositoryNotFoundException':
      return new AutopilotError('REPOSITORY_NOT_FOUND', `${context.operation}: ${where} does not exist; check the name and region`, { cause: error });
    case 'ImageNotFoundException':
      return new AutopilotError(
        'IMAGE_NOT_FOUND',
        `${context.operation}: image ${context.imageDigest ?? ''} was not found in ${where}; it may have been deleted since the event`,
        { cause: error },
      );
    case 'ScanNotFoundException':
      return new AutopilotError('SCAN_NOT_FOUND', `${context.operation}: no scan exists for ${context.imageDigest ?? 'the image'} in ${where}; enable scan on push or start a scan`, {
        cause: error,
      });
    case 'LimitExceededException':
      return new AutopilotError('LIMIT_EXCEEDED', `${context.operation}: an ECR quota is reached (${error.message}); raise the quota or remove unused resources`, { cause: error });
    case 'AccessDeniedException':
      return new AutopilotError('ACCESS_DENIED', `${context.operation} on ${where} was denied: ${error.message}; grant the function's role this permission`, { cause: error });
    default:
      return error;
  }
}
