import { PlanningWriter } from '../../lib/plan/PlanningWriter';
import { describeValidation, reconcilePullThroughCache, syncPullThroughCache, type PtcSyncReport } from '../../lib/pull-through-cache/syncPullThroughCache';
import type { PtcReadFailures, PtcRuleReport } from '../../lib/pull-through-cache/types';
import { cliDeps, DEFAULT_SNAPSHOT, type DepsOptions } from '../deps';
import type { CommandIo, ExitCode } from '../io';
import { printReport } from '../printReport';

export interface PtcSyncOptions extends DepsOptions {
  /** `--prune`: delete undeclared rules this run (default: `pullThroughCache.prune`). */
  prune?: boolean;
}

/**
 * `ecr-autopilot ptc sync [--plan] [--snapshot <file>] [--prune] [--json]`: the same reconcile as
 * the `syncPullThroughCache` function (manual invoke), live or in plan mode against a snapshot.
 * Exit 0 when everything is in order, 1 when a change failed or a problem remains (missing secret,
 * failed validation, drift only prune may fix).
 */
export async function runPtcSync(options: PtcSyncOptions, io: CommandIo): Promise<ExitCode> {
  const deps = await cliDeps(options, io);
  const report: PtcSyncReport = await syncPullThroughCache.run(options.prune ? { prune: true } : {}, deps);
  const wrong = report.outcome === 'failed' || report.rules.some((rule) => rule.problems.length > 0);
  if (io.json) {
    io.data({ mode: deps.mode, report });
  } else {
    io.out(`ptc sync · ${deps.mode === 'plan' ? 'plan mode (nothing changed)' : 'live'} · ${deps.ptc.region} · prune ${report.prune ? 'on' : 'off'}`);
    printRules(io, report.rules);
    printReport(io, report, { mode: deps.mode });
  }
  return wrong ? 1 : 0;
}

/**
 * `ecr-autopilot ptc status [--plan] [--snapshot <file>] [--json]`: where each declared rule stands
 * (exists? upstream matches? credential? validation? template?) plus undeclared rules. Reads only:
 * the reconcile runs with a recording writer, so `--snapshot` alone means plan mode too. Exit 1
 * when the sync would change something or a problem remains.
 */
export async function runPtcStatus(options: DepsOptions, io: CommandIo): Promise<ExitCode> {
  const deps = await cliDeps(options, io, { readOnly: true });
  // Tolerant: a read that fails is reported with its fix and the rest is still checked, rule by rule.
  // Reads only, so Ctrl-C cancels them outright.
  const result = await reconcilePullThroughCache({ ...deps, writer: new PlanningWriter() }, { tolerant: true, signal: io.interrupt });
  const pending = result.plan.changes;
  const unreadable = readFailures(result.unreadable);
  const wrong = pending.length > 0 || unreadable.length > 0 || result.rules.some((rule) => rule.problems.length > 0);
  if (io.json) {
    io.data({ mode: deps.mode, source: deps.mode === 'plan' ? (options.snapshot ?? DEFAULT_SNAPSHOT) : 'live', region: deps.ptc.region, ok: !wrong, rules: result.rules, pendingChanges: pending, readFailures: unreadable });
    return wrong ? 1 : 0;
  }
  io.out(`ptc status · ${deps.mode === 'plan' ? `snapshot ${options.snapshot ?? 'events/registry-snapshot.json'}` : 'live'} · ${deps.ptc.region}`);
  for (const failure of unreadable) io.out(`  could not read ${failure.what}: ${failure.message}`);
  printRules(io, result.rules);
  if (pending.length > 0) {
    io.out(`  ${pending.length} change(s) pending; run \`ecr-autopilot ptc sync\` to apply:`);
    for (const change of pending) io.out(`    ${change.action} ${change.target}: ${change.reason}`);
  }
  io.out(wrong ? '  status: NOT IN SYNC' : '  status: in sync');
  return wrong ? 1 : 0;
}

/** The reads that failed, as lines to print (secrets are reported on their rules). */
function readFailures(unreadable: PtcReadFailures | undefined): Array<{ what: string; message: string }> {
  return [
    ...(unreadable?.rules ? [{ what: 'the pull-through cache rules', message: unreadable.rules }] : []),
    ...(unreadable?.templates ? [{ what: 'the repository creation templates', message: unreadable.templates }] : []),
  ];
}

/** One line per rule, then every problem with its fix and command. */
function printRules(io: CommandIo, rules: readonly PtcRuleReport[]): void {
  const header = ['PREFIX', 'RULE', 'UPSTREAM', 'CREDENTIAL', 'VALIDATION', 'TEMPLATE', 'STATE'];
  const rows = rules.map((rule) => [
    rule.prefix,
    rule.exists ? 'exists' : 'missing',
    `${rule.upstreamRegistryUrl}${rule.upstreamMatches === false ? ' (differs)' : ''}`,
    rule.credentialSecret ? `${rule.credential} ${rule.credentialSecret}` : rule.credential,
    rule.validation ? describeValidation(rule.validation).split(':')[0] ?? '' : '-',
    rule.declared ? rule.template : '-',
    rule.declared ? rule.status : `${rule.status} (not declared)`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) => `  ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()}`;
  io.out(line(header));
  for (const row of rows) io.out(line(row));
  const problems = rules.flatMap((rule) => rule.problems.map((problem) => ({ prefix: rule.prefix, ...problem })));
  if (problems.length > 0) {
    io.out('  problems:');
    for (const problem of problems) {
      io.out(`    - ${problem.prefix}: ${problem.message}`);
      io.out(`      fix: ${problem.fix}`);
      if (problem.command) io.out(`      $ ${problem.command}`);
    }
  }
}
