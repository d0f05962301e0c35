import type { MessageDocument } from '../document';
import type { PtcFailureNotice } from '../notices';

/**
 * Pull-through cache failure → message: what failed, the likely cause, the fix, and the commands
 * that fix or diagnose it (placeholders only: a notice never carries a secret).
 *
 * @example
 * renderSlackMessage(presentPtcFailure(notice))
 */
export function presentPtcFailure(notice: PtcFailureNotice): MessageDocument {
  const d = notice.data;
  const what = d.repositoryName ? `${d.repositoryName}${d.imageTag ? `:${d.imageTag}` : d.imageDigest ? `@${d.imageDigest}` : ''}` : `rule ${d.prefix}`;
  const happened =
    d.source === 'sync-event'
      ? `Pull-through cache sync of ${what} failed`
      : d.source === 'undeclared'
        ? `A pull of ${what} missed every rule: ${d.prefix} is not a declared pull-through cache prefix`
        : `Rule ${d.prefix} could not be created on demand for ${what}`;
  return {
    subject: `${happened}: ${d.guidance.title}`,
    headline: `${happened} (${d.failureCode}). ${d.guidance.likelyCause} Fix: ${d.guidance.fix}`,
    severity: notice.severity,
    facts: [
      { label: 'Failure', value: d.failureCode },
      ...(d.failureReason ? [{ label: 'Reason', value: d.failureReason }] : []),
      { label: d.source === 'undeclared' ? 'Rule to declare' : 'Rule', value: d.upstreamRegistryUrl ? `${d.prefix}/ → ${d.upstreamRegistryUrl}` : `${d.prefix}/` },
      ...(d.repositoryName ? [{ label: 'Repository', value: d.repositoryName }] : []),
      ...(d.imageTag ? [{ label: 'Tag', value: d.imageTag }] : []),
      ...(d.imageDigest ? [{ label: 'Digest', value: d.imageDigest, code: true }] : []),
      { label: 'Likely cause', value: d.guidance.likelyCause },
      { label: 'Fix', value: d.guidance.fix },
    ],
    sections: [
      ...(d.configLines && d.configLines.length > 0 ? [{ title: 'Add under pullThroughCache.rules in infra/autopilot.yml', items: d.configLines.map((line) => ({ text: line })) }] : []),
      ...(d.guidance.commands.length > 0 ? [{ title: 'Commands', items: d.guidance.commands.map((command) => ({ text: command })) }] : []),
    ],
    links: d.consoleUrl ? [{ label: 'Open in the ECR console', url: d.consoleUrl }] : [],
    footer: `notice ${notice.id}${notice.origin.eventId ? ` · event ${notice.origin.eventId}` : ''} · ${notice.origin.region}`,
    threadKey: `ptc:${d.prefix}`,
  };
}
