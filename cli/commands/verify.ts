import { createInterface } from 'node:readline/promises';
import { AutopilotError } from '../../lib/errors';
import { teardownLab, type TeardownReport } from '../../lib/verify/teardownLab';
import type { CheckResult } from '../../lib/verify/types';
import { verifyLab } from '../../lib/verify/verifyLab';
import { cliDeps, type DepsOptions } from '../deps';
import type { CommandIo, ExitCode, Tone } from '../io';
import { printReport } from '../printReport';

const MARK: Record<CheckResult['status'], { text: string; tone?: Tone }> = {
  pass: { text: '[PASS]', tone: 'pass' },
  fail: { text: '[FAIL]', tone: 'fail' },
  warn: { text: '[WARN]', tone: 'warn' },
  skipped: { text: '[SKIP]' },
};

/**
 * `ecr-autopilot verify [--plan] [--snapshot <file>] [--no-notify] [--json]`: the lab checklist.
 * Exit 0 only when every check passes (warnings and skipped checks do not fail it).
 */
export async function runVerify(options: DepsOptions & { notify?: boolean }, io: CommandIo): Promise<ExitCode> {
  const deps = await cliDeps(options, io);
  const report = await verifyLab({ notify: options.notify ?? true }, deps);
  io.data({ mode: deps.mode, report });
  printChecklist(io, report.checklist.items);
  const c = report.checklist.counts;
  io.out(`\n${report.checklist.passed ? io.paint('pass', 'PASSED') : io.paint('fail', 'FAILED')}: ${c.pass} pass, ${c.fail} fail, ${c.warn} warn, ${c.skipped} skipped${deps.mode === 'plan' ? ' (plan mode: against the snapshot)' : ''}.`);
  for (const { change, outcome } of report.changes) io.out(`notification: ${change.reason} → ${outcome.status}${outcome.message ? ` (${outcome.message})` : ''}`);
  return report.checklist.passed ? 0 : 1;
}

export function printChecklist(io: CommandIo, items: readonly CheckResult[]): void {
  let section = '';
  for (const item of items) {
    if (item.section !== section) {
      section = item.section;
      io.out(`\n${section}`);
    }
    const mark = MARK[item.status];
    io.out(`  ${mark.tone ? io.paint(mark.tone, mark.text) : mark.text} ${item.title}: ${item.found}`);
    if (item.status === 'fail' || item.status === 'warn') {
      io.out(`         expected: ${item.expected}`);
      if (item.fix) io.out(`         fix: ${item.fix}`);
    }
  }
}

/**
 * `ecr-autopilot teardown [--plan] [--snapshot <file>] [--yes] [--json]`: removes what the lab
 * created. Prints the plan first; deletes only after confirmation (or `--yes`).
 */
export async function runTeardown(options: DepsOptions & { yes?: boolean }, io: CommandIo): Promise<ExitCode> {
  const deps = await cliDeps(options, io);
  const plan = await teardownLab({ apply: false }, deps);
  if (options.plan || plan.changes.length === 0) {
    if (io.json) io.data({ mode: deps.mode, report: plan });
    else printTeardown(io, plan, 'plan');
    return plan.problems.length > 0 ? 1 : 0;
  }
  if (!io.json) printTeardown(io, plan, 'plan');
  if (!options.yes) {
    if (!process.stdin.isTTY) throw new AutopilotError('USAGE', 'teardown deletes repositories and images: confirm with --yes (or run it in a terminal), or use --plan');
    const answer = await confirm(`Delete these ${plan.changes.length} resource(s)? Type "yes": `, io.interrupt);
    if (answer?.trim() !== 'yes') {
      io.err('Nothing deleted.');
      return 1;
    }
  }
  const report = await teardownLab({ apply: true }, deps);
  if (io.json) io.data({ mode: deps.mode, report });
  else printTeardown(io, report, deps.mode);
  return report.outcome === 'failed' ? 1 : 0;
}

/** The report, then each step that failed (a listing), with what to do. */
function printTeardown(io: CommandIo, report: TeardownReport, mode: 'live' | 'plan'): void {
  printReport(io, report, { mode });
  for (const problem of report.problems) io.out(`  failed: ${problem.step}: ${problem.message}`);
}

/**
 * Asks on the terminal; undefined when Ctrl-C interrupts the question. The terminal is in raw mode
 * while readline asks, so Ctrl-C reaches readline, not the process: it is passed on as SIGINT, so
 * the run is interrupted as anywhere else.
 */
async function confirm(question: string, interrupt: AbortSignal): Promise<string | undefined> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  prompt.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
  try {
    return await prompt.question(question, { signal: interrupt });
  } catch (error) {
    if (interrupt.aborted) return undefined;
    throw error;
  } finally {
    prompt.close();
  }
}
