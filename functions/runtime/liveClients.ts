import { readEnv } from '../../lib/runtime/env';

/**
 * Client options shared by every AWS client of the functions: the region Lambda runs in, and the
 * SDK's own short retry (`callAws` adds bounded throttling retries on top, and the signal).
 */
export function clientOptions(): { region: string; maxAttempts: number } {
  return { region: readEnv({ key: 'AWS_REGION', fix: 'Lambda sets it; locally, export AWS_REGION=us-east-1' }), maxAttempts: 3 };
}
