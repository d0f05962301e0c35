/**
 * Reads Stryker's JSON report (reports/mutation/mutation.json, or the one of the modules MUTATE names) and fails when any mutated module
 * scores below the floor: the overall score alone would let a well-tested module hide a weak one.
 * Score as Stryker computes it: detected (killed or timed out) over valid mutants (detected,
 * survived, not covered).
 */
import { readFileSync } from 'node:fs';
// @ts-expect-error: the Stryker config is plain JavaScript, checked by its own @ts-check.
import { REPORT_FILE } from '../../stryker.config.mjs';

const MIN_SCORE = 90;
const REPORT = REPORT_FILE as string;

interface Report {
  files: Record<string, { mutants: Array<{ status: string }> }>;
}

const report = JSON.parse(readFileSync(REPORT, 'utf8')) as Report;
let failed = false;
for (const [file, { mutants }] of Object.entries(report.files)) {
  const count = (...statuses: string[]) => mutants.filter((mutant) => statuses.includes(mutant.status)).length;
  const detected = count('Killed', 'Timeout');
  const valid = detected + count('Survived', 'NoCoverage');
  const score = valid === 0 ? 100 : (100 * detected) / valid;
  const ok = score >= MIN_SCORE;
  failed ||= !ok;
  console.log(`${ok ? 'ok  ' : 'LOW '} ${score.toFixed(2).padStart(6)}%  ${file}  (${detected} of ${valid} detected, ${count('Survived')} survived, ${count('NoCoverage')} not covered)`);
}
if (failed) {
  console.error(`Some modules score below ${MIN_SCORE}%: add tests that kill their survivors, or name the equivalent ones in stryker.config.mjs.`);
  process.exit(1);
}
