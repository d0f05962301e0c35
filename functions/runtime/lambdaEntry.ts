import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { AutopilotError, EventValidationError } from '../../lib/errors';
import { eventIdOf, parseEvent } from '../../lib/events/parseEvent';
import type { Deadline } from '../../lib/runtime/deadline';
import type { FunctionDefinition, FunctionReport, LoggerPort } from '../../lib/runtime/types';

/** One logger per container, as Powertools recommends; it never logs event payloads or secrets. */
export const logger = new Logger({ serviceName: 'ecr-autopilot' });

/** A function's live dependencies, plus what must see each invocation's context. */
export interface Wiring<D> {
  deps: D;
  /** Called with every invocation's context (e.g. so idempotency records expire with the invocation). */
  onInvoke?: (context: Context) => void;
}

/**
 * The last-resort backstop: middy fails the invocation this long before Lambda's timeout, aborting
 * the signal every call holds. Long use cases own their deadline (`deps.deadline`): they stop well
 * before this (their own margin), finish or abandon what is in flight and return their report, so
 * the backstop only fires when one does not.
 */
export const BACKSTOP_MS = 2_000;

/**
 * Builds a Lambda handler from a function definition: the one place where Lambda meets the core.
 *
 * Pipeline (middy, built once): Powertools logger context → parse the event with the function's
 * schema (before anything is read or changed) → build the dependencies once per container → run
 * the use case with the invocation's deadline and a signal (the backstop) → log the report.
 * On error, `reportFailure` logs the event id and the error code (and, for a malformed event, every
 * issue), then rethrows so Lambda's retries and the dead-letter queue get the event.
 *
 * @example
 * export const handler = lambdaEntry(onImagePush, () => ({ config, registry, writer, topicArn, logger }));
 */
export function lambdaEntry<S extends z.ZodMiniType, D, R extends FunctionReport>(
  definition: FunctionDefinition<S, D, R>,
  buildDeps: (context: { logger: LoggerPort }) => Wiring<D> | Promise<Wiring<D>>,
) {
  let deps: Promise<Wiring<D>> | undefined;
  const run = async (raw: unknown, context: Context, options: { signal: AbortSignal }): Promise<R> => {
    const deadline: Deadline = typeof context.getRemainingTimeInMillis === 'function' ? { at: Date.now() + context.getRemainingTimeInMillis() } : {};
    const event = parseEvent(definition.eventSchema, raw, definition.eventName);
    if (!deps) {
      deps = Promise.resolve().then(() => buildDeps({ logger }));
      // A failed build (e.g. a missing variable) is retried on the next invocation, not cached.
      deps.catch(() => {
        deps = undefined;
      });
    }
    const wiring = await deps;
    wiring.onInvoke?.(context);
    const report = await definition.run(event, { ...wiring.deps, signal: options.signal, deadline });
    logger.info(report.decision, {
      function: report.function,
      eventId: report.eventId,
      outcome: report.outcome,
      ...(report.stoppedEarly ? { stoppedEarly: report.stoppedEarly } : {}),
      changes: report.changes.map(({ change, outcome }) => ({ action: change.action, target: change.target, status: outcome.status, message: outcome.message })),
    });
    return report;
  };
  const handler = middy(run, { timeoutEarlyInMillis: BACKSTOP_MS })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(reportFailure(definition.name));
  // middy replaces a missing event with `{}`, which is a valid manual invoke for some functions;
  // `null` is rejected by every schema, so a missing event is reported, not run.
  return (event: unknown, context: Context) => handler(event === undefined ? null : event, context);
}

/** Logs a failure with the event id, then lets the error propagate (retries, then the DLQ). */
function reportFailure(functionName: string): MiddlewareObj<unknown, unknown, Error, Context> {
  return {
    onError: async (request) => {
      const error = request.error;
      const eventId = eventIdOf(request.event);
      if (error instanceof EventValidationError) {
        logger.error('Rejected a malformed event; nothing was changed. It goes to the dead-letter queue after retries.', {
          function: functionName,
          eventId,
          code: error.code,
          issues: error.issues,
        });
      } else if (error instanceof Error && error.name === 'TimeoutError' && !(error instanceof AutopilotError)) {
        logger.error('The invocation reached the backstop just before its timeout: its work was cancelled without a report', { function: functionName, eventId, code: 'ABORTED' });
      } else if (error instanceof AutopilotError) {
        logger.error(error.message, { function: functionName, eventId, code: error.code, source: error.source, retryable: error.retryable });
      } else {
        logger.error('Unexpected failure', { function: functionName, eventId, error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) });
      }
    },
  };
}
