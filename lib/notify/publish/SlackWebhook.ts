import { AutopilotError } from '../../errors';
import { realSleep } from '../../shared/awsCall';
import type { SlackMessage } from '../render/renderSlackMessage';

/** Slack's webhook hosts; anything else would receive a credential that is not theirs. */
const SLACK_WEBHOOK_HOSTS: ReadonlySet<string> = new Set(['hooks.slack.com', 'hooks.slack-gov.com']);
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface SlackWebhookOptions {
  /** The webhook URL (a credential: never logged). Resolved lazily, e.g. from Secrets Manager. */
  url: () => Promise<string>;
  /** Attempts in total, including the first (default 4): a failing webhook is never retried forever. */
  maxAttempts?: number;
  /** The longest `Retry-After` we wait for; longer means fail now and let Lambda retry later (default 30 s). */
  maxRetryAfterMs?: number;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
}

export interface SlackDelivery {
  attempts: number;
  /** Total time spent waiting on Retry-After / backoff. */
  waitedMs: number;
}

/**
 * Posts Block Kit messages to a Slack incoming webhook. Honours 429 `Retry-After`, retries 5xx and
 * network errors with backoff a bounded number of times, and never retries 4xx answers (they will
 * not change: `invalid_blocks`, `channel_is_archived`, `no_service`).
 */
export class SlackWebhook {
  private readonly options: Required<Omit<SlackWebhookOptions, 'signal'>> & { signal?: AbortSignal };

  constructor(options: SlackWebhookOptions) {
    this.options = { maxAttempts: 4, maxRetryAfterMs: 30_000, timeoutMs: 10_000, sleep: realSleep, ...options };
  }

  /** @example await new SlackWebhook({ url: async () => webhookUrl }).post(renderSlackMessage(doc)); */
  async post(message: SlackMessage): Promise<SlackDelivery> {
    const url = checkWebhookUrl(await this.options.url());
    let waitedMs = 0;
    for (let attempt = 1; ; attempt += 1) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify(message),
          // The URL is the credential: never follow a redirect to wherever it points.
          redirect: 'manual',
          signal: this.options.signal ? AbortSignal.any([this.options.signal, AbortSignal.timeout(this.options.timeoutMs)]) : AbortSignal.timeout(this.options.timeoutMs),
        });
      } catch (error) {
        if (this.options.signal?.aborted) throw new AutopilotError('ABORTED', 'Slack delivery was cancelled', { cause: error });
        if (attempt >= this.options.maxAttempts) {
          // Only the error's code: fetch's messages and causes may quote the URL, which is the secret.
          throw new AutopilotError('NOTIFY_FAILED', `Slack webhook unreachable after ${attempt} attempts (${networkFailureCode(error)})`, { retryable: true });
        }
        waitedMs += await this.backoff(attempt);
        continue;
      }
      const body = await response.text();
      if (response.ok) return { attempts: attempt, waitedMs };
      if (response.status >= 300 && response.status < 400) {
        // A redirect will not change on retry, and following it could hand the message to another host.
        throw new AutopilotError('NOTIFY_FAILED', `The Slack webhook answered with a redirect (HTTP ${response.status}); it was not followed. Check the webhook URL in the secret`, { retryable: false });
      }
      if (response.status === 429) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after')) ?? 1000 * 2 ** (attempt - 1);
        if (attempt >= this.options.maxAttempts || retryAfterMs > this.options.maxRetryAfterMs) {
          throw new AutopilotError('NOTIFY_FAILED', `Slack rate-limited the webhook (429, Retry-After ${Math.ceil(retryAfterMs / 1000)} s) after ${attempt} attempt(s); delivery will be retried later`, {
            retryable: true,
          });
        }
        await this.options.sleep(retryAfterMs);
        waitedMs += retryAfterMs;
        continue;
      }
      if (response.status >= 500 && attempt < this.options.maxAttempts) {
        waitedMs += await this.backoff(attempt);
        continue;
      }
      const reason = body.trim().slice(0, 200) || response.statusText;
      throw new AutopilotError(
        'NOTIFY_FAILED',
        `Slack rejected the message with HTTP ${response.status} (${reason})${response.status < 500 ? '; fix the webhook secret or the channel, retrying will not help' : ` after ${attempt} attempts`}`,
        { retryable: response.status >= 500 },
      );
    }
  }

  private async backoff(attempt: number): Promise<number> {
    const ms = 250 * 2 ** (attempt - 1);
    await this.options.sleep(ms);
    return ms;
  }
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: Date = new Date()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now.getTime());
}

/**
 * The code of a failed fetch (`ECONNREFUSED`, `UND_ERR_CONNECT_TIMEOUT`, `TimeoutError`), never its
 * message: undici's messages and causes can contain the URL.
 */
function networkFailureCode(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'unknown error';
}

/**
 * Accepts Slack's own webhook hosts over https on the default port, and loopback over http(s) for
 * local testing. Refuses user info (`https://user:pass@…`) anywhere: Slack never issues it, and
 * fetch would send it as an Authorization header. The error never contains the URL's path (the
 * secret part) nor its user info.
 */
export function checkWebhookUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new AutopilotError('SECRET_INVALID', 'The Slack webhook secret does not hold a URL; store the webhook URL (or {"webhookUrl": "..."}) in it');
  }
  if (url.username !== '' || url.password !== '') {
    throw new AutopilotError('SECRET_INVALID', `The Slack webhook secret has user info before ${url.host}; store the webhook URL exactly as Slack shows it (https://hooks.slack.com/services/...)`);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || LOOPBACK_HOSTS.has(`[${url.hostname}]`);
  if (loopback && (url.protocol === 'http:' || url.protocol === 'https:')) return url.toString();
  // `url.port` is '' for the scheme's default port (443 written out is normalised away).
  if (url.protocol !== 'https:' || !SLACK_WEBHOOK_HOSTS.has(url.hostname) || url.port !== '') {
    throw new AutopilotError('SECRET_INVALID', `The Slack webhook secret points at ${url.protocol}//${url.host}, not at https://hooks.slack.com; refusing to send the message there`);
  }
  return url.toString();
}
