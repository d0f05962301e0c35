import type { ApplyOptions, ChangeOutcome, ChangeWriter } from '../../plan/types';
import { abortedError } from '../../shared/retry';
import type { PostSlackMessageChange } from '../deliverToSlack';
import type { OncePerKey } from './oncePerKey';
import type { SlackWebhook } from './SlackWebhook';

/** Applies `slack:PostMessage` changes through the webhook, once per notice when a guard is given. */
export class SlackWriter implements ChangeWriter<PostSlackMessageChange> {
  constructor(private readonly options: { webhook: SlackWebhook; once?: OncePerKey }) {}

  async apply(change: PostSlackMessageChange, options: ApplyOptions): Promise<ChangeOutcome> {
    // The idempotency guard's own DynamoDB calls cannot take the signal: never start them after it fired.
    if (options.signal?.aborted) throw abortedError(options.signal, 'Posting to Slack');
    const post = async () => this.options.webhook.post(change.message, { signal: options.signal });
    if (!this.options.once) {
      const delivery = await post();
      return { status: 'applied', message: describe(delivery) };
    }
    const result = await this.options.once.run(`slack:${change.noticeId}`, post);
    return { status: 'applied', message: result.firstTime ? describe(result.value) : 'duplicate delivery: already posted' };
  }
}

function describe(delivery: { attempts: number; waitedMs: number }): string {
  return `posted after ${delivery.attempts} attempt(s)${delivery.waitedMs > 0 ? `, waited ${Math.round(delivery.waitedMs / 1000)} s` : ''}`;
}
