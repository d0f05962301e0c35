import type { MessageDocument } from '../document';
import type { PtcCreatedNotice } from '../notices';

/**
 * Pull-through cache rule created on demand → message: the one thing to do now is pull again, so
 * the exact command leads.
 *
 * @example
 * renderText(presentPtcCreated(notice)) // "Pull-through cache docker-hub → registry-1.docker.io created: pull again …"
 */
export function presentPtcCreated(notice: PtcCreatedNotice): MessageDocument {
  const d = notice.data;
  const invalid = d.validationFix !== undefined;
  return {
    subject: invalid ? `Pull-through cache ${d.prefix} created, but its validation failed` : `Pull-through cache ${d.prefix} created: pull ${d.repositoryName} again`,
    headline: invalid
      ? `A pull of ${d.repositoryName} failed because no pull-through cache rule matched (${d.trigger}). ecr-autopilot created rule ${d.prefix} → ${d.upstreamRegistryUrl} (${d.upstreamTitle}) with its template, but ValidatePullThroughCacheRule ${d.validation ?? 'failed'}: ${d.validationFix?.fix ?? ''} Then pull again with ${d.pullCommand}`
      : `A pull of ${d.repositoryName} failed because no pull-through cache rule matched (${d.trigger}). ecr-autopilot created rule ${d.prefix} → ${d.upstreamRegistryUrl} (${d.upstreamTitle}) with its template: pull again with ${d.pullCommand}`,
    severity: notice.severity,
    facts: [
      ...(d.validationFix?.command ? [{ label: 'Fix first', value: d.validationFix.command, code: true }] : []),
      { label: 'Pull again', value: d.pullCommand, code: true },
      { label: 'Rule', value: `${d.prefix}/ → ${d.upstreamRegistryUrl}` },
      { label: 'Upstream', value: d.upstreamTitle },
      ...(d.validation ? [{ label: 'Validation', value: d.validation }] : []),
      { label: 'Image', value: d.imageReference, code: true },
    ],
    sections: [
      ...(d.hints.length > 0 ? [{ title: 'Hints', items: d.hints.map((hint) => ({ text: hint })) }] : []),
      ...(d.changes.length > 0
        ? [{ title: 'Changes', items: d.changes.map((change) => ({ label: change.action, text: `${change.status}: ${change.reason}${change.message ? ` (${change.message})` : ''}` })) }]
        : []),
    ],
    links: d.consoleUrl ? [{ label: 'The cache repository in the ECR console (after the pull)', url: d.consoleUrl }] : [],
    footer: `notice ${notice.id}${notice.origin.eventId ? ` · event ${notice.origin.eventId}` : ''} · ${notice.origin.region}`,
    threadKey: `ptc:${d.prefix}`,
  };
}
