import type * as z from 'zod/mini';
import type { AutopilotConfig } from '../config/types';
import type { RegistryReader } from '../ecr/RegistryReader';
import type { AppliedChange, Change, ChangeWriter } from '../plan/types';
import type { Deadline } from './deadline';

/** The logging a use case needs; Powertools Logger and the CLI's logger both fit. */
export interface LoggerPort {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/**
 * Everything a use case may depend on, built once per container (Lambda) or per run (CLI).
 * Use cases take a `Pick` of it, so each states exactly what it uses.
 */
export interface AutopilotDeps {
  config: AutopilotConfig;
  registry: RegistryReader;
  /** Applies changes: AWS in live mode, a recorder in plan mode. */
  writer: ChangeWriter<Change>;
  /** `NOTIFICATION_TOPIC_ARN`. */
  topicArn: string;
  /** `EVENT_BUS_NAME` for verdict events (default `default`). */
  eventBusName: string;
  clock: () => Date;
  logger: LoggerPort;
  /**
   * Cancels the run outright, its report included: Lambda's last-resort backstop just before the
   * timeout. Every call a use case makes takes it (or a stop line derived from it).
   */
  signal?: AbortSignal;
  /**
   * When long work must wrap up: Lambda's deadline, or the CLI's first Ctrl-C. A use case that owns
   * its deadline derives its stop line from it (`stopLine`) and still reports after the stop.
   */
  deadline?: Deadline;
}

/** What every function returns: what it decided, and every change with its outcome. */
export interface FunctionReport {
  function: string;
  eventId?: string;
  /** `done`: acted; `ignored`: nothing to do for this event; `failed`: some change failed. */
  outcome: 'done' | 'ignored' | 'failed';
  /** One or two sentences: what happened and why. */
  decision: string;
  changes: AppliedChange[];
  /** Why the run stopped before finishing (its deadline, Ctrl-C); what it did not do is in `changes` and the decision. */
  stoppedEarly?: string;
  /**
   * The function's judgement, when it makes one (onImageScan's scan verdict). A FAIL verdict is not
   * a failed run: the Lambda succeeds, and the CLI exits 1 (the command ran and found a problem).
   */
  verdict?: 'PASS' | 'WARN' | 'FAIL';
}

/**
 * A function's definition, shared by its Lambda entry point, `ecr-autopilot invoke` and the demo:
 * the event it accepts and the use case it runs.
 */
export interface FunctionDefinition<S extends z.ZodMiniType = z.ZodMiniType, D = AutopilotDeps, R extends FunctionReport = FunctionReport> {
  name: string;
  /** What the event is called in error messages, e.g. `ECR Image Action event`. */
  eventName: string;
  eventSchema: S;
  /**
   * True for long work that owns its deadline (`deps.deadline`): asked to stop, it finishes the
   * change in flight and reports. Other functions are short, and a stop cancels them outright
   * (`deps.signal`): the CLI's first Ctrl-C aborts their calls at once.
   */
  ownsDeadline?: boolean;
  run(event: z.output<S>, deps: D): Promise<R>;
}

/** Derives the report outcome from the changes: any failed change makes it `failed`. */
export function outcomeOf(changes: readonly AppliedChange[]): 'done' | 'failed' {
  return changes.some((applied) => applied.outcome.status === 'failed') ? 'failed' : 'done';
}
