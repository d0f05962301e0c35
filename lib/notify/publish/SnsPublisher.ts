import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { NotificationSettings } from '../../config/types';
import { AutopilotError } from '../../errors';
import type { ApplyOptions, ChangeOutcome, ChangeWriter } from '../../plan/types';
import { callAws, type RetryOptions } from '../../shared/awsCall';
import { abortedError } from '../../shared/retry';
import type { PublishNoticeChange } from '../changes';
import type { Notice } from '../notices';
import { renderSnsMessage } from '../render/renderSnsMessage';
import type { OncePerKey } from './oncePerKey';

/**
 * Publishes notices on the SNS topic (`MessageStructure: json`, see `renderSnsMessage`). With an
 * idempotency guard, a duplicate delivery of the same event publishes once: the second call finds
 * the first one's record and publishes nothing. The invocation's signal comes with each call.
 */
export class SnsPublisher implements ChangeWriter<PublishNoticeChange> {
  private readonly client: SNSClient;
  private readonly settings: Pick<NotificationSettings, 'httpsFormat'>;
  private readonly once: OncePerKey | undefined;
  private readonly retry: RetryOptions;

  constructor(options: { client: SNSClient; settings: Pick<NotificationSettings, 'httpsFormat'>; once?: OncePerKey; retry?: RetryOptions }) {
    this.client = options.client;
    this.settings = options.settings;
    this.once = options.once;
    this.retry = options.retry ?? {};
  }

  async apply(change: PublishNoticeChange, options: ApplyOptions): Promise<ChangeOutcome> {
    // The idempotency guard's own DynamoDB calls cannot take the signal: never start them after it fired.
    if (options.signal?.aborted) throw abortedError(options.signal, 'Publishing');
    const publish = () => this.publish(change.target, change.notice, options.signal);
    if (!this.once) return { status: 'applied', message: `message ${(await publish()).messageId}` };
    const result = await this.once.run(change.notice.id, publish);
    return result.firstTime
      ? { status: 'applied', message: `message ${result.value.messageId}` }
      : { status: 'applied', message: `duplicate delivery: already published as message ${result.value.messageId}` };
  }

  private async publish(topicArn: string, notice: Notice, signal: AbortSignal | undefined): Promise<{ messageId: string }> {
    try {
      const output = await callAws('sns:Publish', (sdk) => this.client.send(new PublishCommand({ TopicArn: topicArn, ...renderSnsMessage(notice, this.settings) }), sdk), { signal, retry: this.retry });
      return { messageId: output.MessageId ?? 'unknown' };
    } catch (error) {
      if (error instanceof AutopilotError) throw error;
      throw new AutopilotError('NOTIFY_FAILED', `Publishing ${notice.kind} to ${topicArn} failed: ${(error as Error).message}; check NOTIFICATION_TOPIC_ARN and sns:Publish permission`, {
        cause: error,
        retryable: true,
      });
    }
  }
}
