import type { MessageDocument } from '../document';
import type { PtcSyncNotice } from '../notices';
import { sentence } from '../../shared/sentence';
import { plural } from './format';

/**
 * Pull-through cache reconcile → one summary message: problems first (with the commands that fix
 * them), then what changed, then every rule's state.
 *
 * @example
 * renderText(presentPtcSync(notice))
 */
export function presentPtcSync(notice: PtcSyncNotice): MessageDocument {
  const d = notice.data;
  const c = d.counts;
  const parts = [
    `${c.inSync} of ${plural(c.declared, 'declared rule')} in sync`,
    ...(c.changed > 0 ? [plural(c.changed, 'change')] : []),
    ...(c.failedChanges > 0 ? [`${c.failedChanges} failed`] : []),
    ...(c.onDemand > 0 ? [`${c.onDemand} on demand`] : []),
    ...(c.unmanaged > 0 ? [`${c.unmanaged} unmanaged`] : []),
    ...(c.problems > 0 ? [plural(c.problems, 'problem')] : []),
  ];
  return {
    subject: `Pull-through cache sync: ${parts.join(', ')}`,
    headline: `Pull-through cache sync: ${parts.join(', ')}.${c.problems > 0 ? ` First: ${d.problems[0]?.prefix}: ${sentence(d.problems[0]?.message ?? '')}` : ''}${d.stoppedEarly ? ` Stopped early (${d.stoppedEarly}): the next run makes the changes marked stopped.` : ''}`,
    severity: notice.severity,
    facts: [
      { label: 'Rules', value: `${c.declared} declared, ${c.inSync} in sync, ${c.onDemand} on demand, ${c.unmanaged} unmanaged` },
      { label: 'Changes', value: c.changed === 0 ? 'none' : `${c.changed}${c.failedChanges > 0 ? ` (${c.failedChanges} failed)` : ''}` },
      { label: 'Prune', value: d.prune ? 'on: undeclared rules are deleted' : 'off: undeclared rules are only reported' },
    ],
    sections: [
      ...(d.problems.length > 0
        ? [{ title: 'Problems', items: d.problems.map((problem) => ({ label: problem.prefix, text: `${sentence(problem.message)} Fix: ${problem.fix}${problem.command ? ` — ${problem.command}` : ''}` })) }]
        : []),
      ...(d.changes.length > 0
        ? [{ title: 'Changes', items: d.changes.map((change) => ({ label: change.action, text: `${change.status}: ${change.reason}${change.message ? ` (${change.message})` : ''}` })) }]
        : []),
      {
        title: 'Rules',
        items: d.rules.map((rule) => ({
          label: rule.prefix,
          text: `${rule.status} · ${rule.upstreamRegistryUrl} · credential ${rule.credential} · template ${rule.template}${rule.validation ? ` · validation ${rule.validation}` : ''}`,
        })),
      },
    ],
    links: [],
    footer: `notice ${notice.id}${notice.origin.eventId ? ` · event ${notice.origin.eventId}` : ''} · ${notice.origin.region}`,
    threadKey: 'ptc:sync',
  };
}
