import { describeError, hasErrorCode } from '../errors';
import { abortedError } from '../shared/retry';
import { CHECKLIST_SECTIONS, type CheckContext, type CheckResult, type LabCheck } from './types';

export interface ChecklistReport {
  passed: boolean;
  counts: { pass: number; fail: number; warn: number; skipped: number };
  items: CheckResult[];
}

/**
 * Runs every check concurrently (each check's own calls are sequential, so the account sees at most
 * one call per check at a time) and collects the results in section order. A check that throws
 * (e.g. a missing permission) becomes a failed item naming the error; the others still report. A
 * check the run's stop (`context.signal`) cut short, or that never started, is `skipped` with why.
 *
 * @example
 * const report = await runLabChecklist(LAB_CHECKS, context);
 * report.passed // true only when nothing failed
 */
export async function runLabChecklist(checks: readonly LabCheck[], context: CheckContext): Promise<ChecklistReport> {
  const settled = await Promise.all(
    checks.map(async (check): Promise<CheckResult[]> => {
      const stopped = (): CheckResult[] => [
        { id: check.id, section: check.section, title: check.id, status: 'skipped', expected: 'the check to run', found: `not checked: the run stopped first (${describeError(abortedError(context.signal, 'The check'))})` },
      ];
      if (context.signal?.aborted) return stopped();
      try {
        return await check.run(context);
      } catch (error) {
        if (hasErrorCode(error, 'ABORTED') && context.signal?.aborted) return stopped();
        return [{ id: check.id, section: check.section, title: check.id, status: 'fail', expected: 'the check to run', found: describeError(error), fix: fixForFailedCheck(error) }];
      }
    }),
  );
  return summarize(settled.flat());
}

/** SDK error names that mean the caller's credentials are missing, expired or not valid. */
const CREDENTIAL_ERROR_NAMES: ReadonlySet<string> = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
]);

/** What to do about a check that could not run: credentials, permissions, or what the error says. */
function fixForFailedCheck(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  if (hasErrorCode(error, 'AWS_NOT_CONFIGURED') || CREDENTIAL_ERROR_NAMES.has(name)) {
    return 'give the caller valid AWS credentials (for the CLI: AWS_PROFILE or --profile, after `aws configure` or `aws sso login`; deployed: the verifyLab role)';
  }
  if (hasErrorCode(error, 'ACCESS_DENIED') || name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'AuthorizationErrorException') {
    return 'check the permissions of the caller (see the verifyLab role in serverless.yml)';
  }
  return 'fix the cause above and run the check again';
}

/** Counts the items and orders them by section (stable within a section). */
export function summarize(items: readonly CheckResult[]): ChecklistReport {
  const counts = { pass: 0, fail: 0, warn: 0, skipped: 0 };
  for (const item of items) counts[item.status] += 1;
  const ordered = [...items].sort((a, b) => CHECKLIST_SECTIONS.indexOf(a.section) - CHECKLIST_SECTIONS.indexOf(b.section));
  return { passed: counts.fail === 0, counts, items: ordered };
}
