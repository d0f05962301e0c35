import type * as z from 'zod/mini';
import { EventValidationError } from '../errors';
import { toValidationIssues } from '../validation/toValidationIssues';

/**
 * Validates a raw event against its schema and returns the typed value, or throws an
 * `EventValidationError` naming every offending field (`detail.image-digest: …`) and the event id.
 * Nothing has been read or changed when it throws, so the event can safely go to the DLQ.
 *
 * @example
 * const push = parseEvent(EcrImageActionEvent, raw, 'ECR Image Action event');
 */
export function parseEvent<S extends z.ZodMiniType>(schema: S, raw: unknown, what: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new EventValidationError(what, toValidationIssues(result.error.issues, raw), eventIdOf(raw));
}

/** The id to log for any event shape we receive: EventBridge `id`, or the SNS `MessageId`. */
export function eventIdOf(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const record = raw as { id?: unknown; Records?: unknown };
  if (typeof record.id === 'string' && record.id !== '') return record.id;
  if (Array.isArray(record.Records)) {
    const first = record.Records[0] as { Sns?: { MessageId?: unknown } } | undefined;
    if (typeof first?.Sns?.MessageId === 'string') return first.Sns.MessageId;
  }
  return undefined;
}
