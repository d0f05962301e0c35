import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { AutopilotError } from '../../errors';
import type { ApplyOptions, ChangeOutcome, ChangeWriter } from '../../plan/types';
import { callAws, type RetryOptions } from '../../shared/awsCall';
import { VERDICT_DETAIL_TYPE, VERDICT_SOURCE, type PutVerdictEventChange } from '../changes';

/**
 * Puts `Image Scan Verdict` events on the EventBridge bus. PutEvents reports per-entry failures in
 * its response instead of throwing: they are turned into an error here, never ignored.
 */
export class EventBridgeVerdictPublisher implements ChangeWriter<PutVerdictEventChange> {
  private readonly client: EventBridgeClient;
  private readonly retry: RetryOptions;

  constructor(options: { client: EventBridgeClient; retry?: RetryOptions }) {
    this.client = options.client;
    this.retry = options.retry ?? {};
  }

  async apply(change: PutVerdictEventChange, options: ApplyOptions): Promise<ChangeOutcome> {
    const output = await callAws(
      'events:PutEvents',
      (sdk) =>
        this.client.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: change.target,
                Source: VERDICT_SOURCE,
                DetailType: VERDICT_DETAIL_TYPE,
                Resources: [change.resource],
                Detail: JSON.stringify(change.detail),
              },
            ],
          }),
          sdk,
        ),
      { signal: options.signal, retry: this.retry },
    );
    const entry = output.Entries?.[0];
    if ((output.FailedEntryCount ?? 0) > 0 || entry?.ErrorCode) {
      throw new AutopilotError('AWS_ERROR', `PutEvents rejected the verdict event on bus ${change.target}: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim(), {
        retryable: entry?.ErrorCode === 'ThrottlingException' || entry?.ErrorCode === 'InternalFailure',
      });
    }
    return { status: 'applied', message: `event ${entry?.EventId ?? 'unknown'}` };
  }
}
